#!/usr/bin/env bash
# store_bench.sh -- the local state store at scale (issue 16), part of
# `make bench` (run.sh): memory (anonymous and file-backed), disk bytes per
# order, full-restore rate and checkpoint-restart time at 1 M and 10 M
# settled orders. Prints numbers, never judges them.
#
#   tests/bench/store_bench.sh [BUILD_DIR] [ORDERS...]     (default 1000000 10000000)
#
# For each ORDERS: bench_store's breakdown (in process: the restore's own
# path into a new store), then the end-to-end run on a real Apache Kafka
# (payatom-worker restoring a changelog of that many settled orders, then
# SIGKILLed and restarted on its state.dir): the mock cluster drops old
# segments (~12,000 records a partition), so it cannot hold such a
# changelog. The broker is a single Kafka node from tests/kafka/
# kafka_harness.py (or the harness's own under `kafka_harness.py exec`),
# stopped on exit. Disk: ~0.5 KB a record on the broker and ~0.5 KB an order
# in the store (10 M: ~10 GB in all, under BUILD_DIR/kafka-run), removed at
# the end. Time on 2 cores: ~1 min for 1 M, ~5 min for 10 M (load 7-9).
set -euo pipefail
BUILD=${1:-build}
[ $# -gt 0 ] && shift
ORDERS=("$@")
[ ${#ORDERS[@]} -gt 0 ] || ORDERS=(1000000 10000000)
BIN="$BUILD/bin"
[ -x "$BIN/bench_store" ] || { echo "$BIN/bench_store not built" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)

for n in "${ORDERS[@]}"; do
	echo "== state store, breakdown: bench_store --orders $n (load: $(cut -d' ' -f1-3 /proc/loadavg))"
	timeout -k 10 3600 "$BIN/bench_store" --orders "$n" || echo "bench_store --orders $n failed"
done

HARNESS=()
RUNDIR=
cleanup() {
	if [ ${#HARNESS[@]} -gt 0 ]; then
		"${HARNESS[@]}" stop >/dev/null 2>&1 || true
	fi
	[ -z "$RUNDIR" ] || rm -rf "$RUNDIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [ "${PAYATOM_TEST_KAFKA:-}" = real ] && [ -n "${PAYATOM_TEST_BOOTSTRAP:-}" ]; then
	BROKERS=$PAYATOM_TEST_BOOTSTRAP
else
	command -v python3 >/dev/null || { echo "store_bench.sh: python3 needed for the Kafka harness" >&2; exit 2; }
	KDIR=$(cd "$HERE/../kafka" && pwd)
	"$KDIR/fetch.sh" kafka >/dev/null
	RUNDIR=$(cd "$BUILD" && pwd)/kafka-run/store-bench-$$
	HARNESS=(python3 "$KDIR/kafka_harness.py" --dir "$RUNDIR")
	PAYATOM_KAFKA_MAX_LIFETIME=7200 "${HARNESS[@]}" start single
	BROKERS=$("${HARNESS[@]}" bootstrap)
fi
echo "== state store, end to end on Apache Kafka at $BROKERS"
for n in "${ORDERS[@]}"; do
	dir=$(mktemp -d "${TMPDIR:-/tmp}/payatom-store-bench.XXXXXX")
	echo "-- $n settled orders (load: $(cut -d' ' -f1-3 /proc/loadavg))"
	timeout -k 10 3600 "$BIN/bench_store" --kafka "$BROKERS" --orders "$n" --dir "$dir" ||
		echo "bench_store --kafka --orders $n failed"
	rm -rf "$dir"
done
