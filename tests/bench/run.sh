#!/usr/bin/env bash
# run.sh -- `make bench`: the worker pipeline benchmark (issue 4), then the
# other benchmarks of this folder.
#
#   tests/bench/run.sh [--short] [BUILD_DIR] [bench_pipeline options...]
#
#   full (default)  100,000 payins at 50 ms gateway latency with the worker's
#                   concurrency, then 2,000 with max.inflight.per.partition=1
#                   (the sequential consumer); prints the table and the
#                   targets; then bench_client and sandbox_bench.sh.
#   --short         5,000 and 200 payins, the pipeline benchmark only (the
#                   CTest test `bench_pipeline_short`, label bench). It
#                   asserts only that every command reached exactly one
#                   terminal event: numbers are printed, never judged.
#
# Exit status: bench_pipeline's (0 = every command reached exactly one
# terminal event). Every process started is stopped on exit (bench_pipeline
# kills its worker and sandbox children itself; `timeout` bounds the run).
set -euo pipefail
SHORT=0
if [ "${1:-}" = "--short" ]; then
	SHORT=1
	shift
fi
BUILD=${1:-build}
[ $# -gt 0 ] && shift
BIN="$BUILD/bin"
[ -x "$BIN/bench_pipeline" ] || { echo "$BIN/bench_pipeline not built" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)

if [ "$SHORT" = 1 ]; then
	exec timeout -k 10 280 "$BIN/bench_pipeline" --short --timeout-s 240 "$@"
fi

echo "== pipeline: tests/bench/run.sh $BUILD $*"
rc=0
timeout -k 10 1900 "$BIN/bench_pipeline" --timeout-s 1800 "$@" || rc=$?
if [ -z "${PAYATOM_BENCH_PIPELINE_ONLY:-}" ]; then
	if [ -x "$BIN/bench_client" ]; then
		echo
		echo "== libpayatom client: bench_client"
		timeout -k 10 300 "$BIN/bench_client" || true
	fi
	if command -v wrk >/dev/null; then
		echo
		echo "== sandbox: sandbox_bench.sh"
		timeout -k 10 600 "$HERE/sandbox_bench.sh" "$BUILD" || true
	fi
fi
exit $rc
