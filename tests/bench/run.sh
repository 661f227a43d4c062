#!/usr/bin/env bash
# run.sh -- `make bench`: the worker pipeline benchmark (issue 4), then the
# other benchmarks of this folder; with --kafka real, the same load through
# the mock cluster and a real Apache Kafka side by side (issue 8).
#
#   tests/bench/run.sh [--short] [BUILD_DIR] [bench_pipeline options...]
#   tests/bench/run.sh --kafka real [--short] [BUILD_DIR] [bench_pipeline options...]
#
#   full (default)  the program users run first (issue 17), then the
#                   in-process worker as a breakdown; one row each, 50 ms
#                   gateway latency, 12 partitions, max.inflight 1,000:
#                     1 payatom-worker, poll path, 100,000 payins (+ 300
#                       with max.inflight.per.partition=1: sequential)
#                     2 payatom-worker, poll path, 20,000
#                     3 payatom-worker, webhook path, 100,000 (the sandbox
#                       posts each webhook to the worker's listener)
#                     4 payatom-worker, webhook path, 20,000
#                     5 in-process worker, sandbox gateway, 100,000 (+ 2,000
#                       sequential)
#                     6 in-process worker, in-process fake gateway, 20,000
#                   then one summary table (CPU us per payin of the whole
#                   worker process, peak RSS, latencies, loadavg), then
#                   bench_client, sandbox_bench.sh and store_bench.sh (the
#                   local state store at 1 M and 10 M settled orders).
#                   PAYATOM_BENCH_ROWS="1 3" runs only those rows.
#   --short         5,000 and 200 payins, the pipeline benchmark only (the
#                   CTest test `bench_pipeline_short`, label bench). It
#                   asserts only that every command reached exactly one
#                   terminal event: numbers are printed, never judged.
#   --kafka real    the concurrent mode only (--seq-commands 0 unless given),
#                   once per row: mock cluster at_least_once; real broker
#                   at_least_once; real broker exactly_once (commit.interval
#                   1 s, the worker's default); and, without --short, real
#                   exactly_once with commit.interval 100 ms; then (not with
#                   --short) the same four at a light load (2,000 payins,
#                   window 200: below max.inflight, so latencies are the
#                   pipeline's own, no queue). Then one side-by-side
#                   table. The real broker is a single Kafka 4.4
#                   node from tests/kafka/kafka_harness.py (jars cached by
#                   tests/kafka/fetch.sh), started here and always stopped on
#                   exit; under `kafka_harness.py exec` (PAYATOM_TEST_KAFKA=
#                   real, e.g. the CTest test kafka_bench_pipeline_short,
#                   label kafka) the harness's broker is used instead. Every
#                   row has topics and a group of its own
#                   (bench-<time>-<pid>-<mode>-<alo|eos>.payatom.*).
#                   Default 100,000 payins per full-load row; --short:
#                   2,000. Every full-load row has the same closed-loop
#                   window (--window-delay-ms 1000: room for the events an
#                   exactly_once transaction holds back for up to 1 s;
#                   7,000 with the defaults), so the rows differ only in
#                   broker and guarantee, and the worker is saturated.
#
# Options after BUILD_DIR go to every bench_pipeline run and win over the
# defaults above (e.g. --commands 20000), not over a row's own settings
# (--kafka real: --guarantee, --commit-interval-ms, --brokers, and the light
# rows' --commands and --window).
#
# Exit status: bench_pipeline's (0 = every command reached exactly one
# terminal event; with --kafka real, in every row). Every process started is
# stopped on exit (bench_pipeline kills its worker and sandbox children
# itself; `timeout` bounds each run; the broker is stopped by a trap, and the
# harness's reaper stops it at its lifetime should this script be killed).
set -euo pipefail
SHORT=0
KAFKA=mock
while [ $# -gt 0 ]; do
	case "$1" in
	--short) SHORT=1; shift ;;
	--kafka)
		[ $# -ge 2 ] || { echo "run.sh: --kafka needs mock|real" >&2; exit 2; }
		KAFKA=$2; shift 2 ;;
	--kafka=*) KAFKA=${1#--kafka=}; shift ;;
	*) break ;;
	esac
done
case "$KAFKA" in
mock|real) ;;
*) echo "run.sh: --kafka $KAFKA: mock or real" >&2; exit 2 ;;
esac
BUILD=${1:-build}
[ $# -gt 0 ] && shift
BIN="$BUILD/bin"
[ -x "$BIN/bench_pipeline" ] || { echo "$BIN/bench_pipeline not built" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)

if [ "$KAFKA" = real ]; then
	# ---- mock and real broker, side by side -------------------------
	if [ "$SHORT" = 1 ]; then
		DEFAULTS=(--commands 2000 --seq-commands 0 --timeout-s 60 --window-delay-ms 1000)
		RUN_TIMEOUT=80
	else
		DEFAULTS=(--seq-commands 0 --timeout-s 1200 --window-delay-ms 1000)
		RUN_TIMEOUT=1260
	fi
	OUT=$(mktemp -d "${TMPDIR:-/tmp}/payatom-bench-kafka.XXXXXX")
	HARNESS=()
	RUNDIR=
	CHILD=
	rc=0
	cleanup() {
		if [ -n "$CHILD" ]; then
			# an interrupted row: timeout passes SIGTERM on, and
			# bench_pipeline stops its worker and sandbox
			kill -TERM "$CHILD" 2>/dev/null || true
			for _ in $(seq 100); do
				kill -0 "$CHILD" 2>/dev/null || break
				sleep 0.1
			done
			kill -KILL "$CHILD" 2>/dev/null || true
		fi
		if [ ${#HARNESS[@]} -gt 0 ]; then
			"${HARNESS[@]}" stop >/dev/null 2>&1 || true
			# the broker's data and log are kept after a failed row
			[ "$rc" != 0 ] || rm -rf "$RUNDIR"
		fi
		rm -rf "$OUT"
	}
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	if [ "${PAYATOM_TEST_KAFKA:-}" = real ] && [ -n "${PAYATOM_TEST_BOOTSTRAP:-}" ]; then
		BROKERS=$PAYATOM_TEST_BOOTSTRAP
		echo "== real broker: the harness's, $BROKERS (Kafka ${PAYATOM_TEST_KAFKA_VERSION:-?})"
	else
		command -v python3 >/dev/null || { echo "run.sh: python3 needed for the Kafka harness" >&2; exit 2; }
		KDIR=$(cd "$HERE/../kafka" && pwd)
		"$KDIR/fetch.sh" kafka >/dev/null
		RUNDIR=$(cd "$BUILD" && pwd)/kafka-run/bench-$$
		HARNESS=(python3 "$KDIR/kafka_harness.py" --dir "$RUNDIR")
		# the reaper stops the broker should this script die unseen
		rc=2 # a broker that did not start keeps its log
		PAYATOM_KAFKA_MAX_LIFETIME=$((4 * RUN_TIMEOUT + 600)) \
			"${HARNESS[@]}" start single
		BROKERS=$("${HARNESS[@]}" bootstrap)
		rc=0
		echo "== real broker: single Kafka node at $BROKERS (logs: $RUNDIR/node1/kafka.log)"
	fi
	# broker guarantee commit.interval load
	ROWS=("mock at_least_once 1000 full" "real at_least_once 1000 full"
		"real exactly_once 1000 full")
	if [ "$SHORT" = 0 ]; then
		ROWS+=("real exactly_once 100 full"
			"mock at_least_once 1000 light" "real at_least_once 1000 light"
			"real exactly_once 1000 light" "real exactly_once 100 light")
	fi
	i=0
	for row in "${ROWS[@]}"; do
		read -r broker guarantee commit load <<<"$row"
		# the row's own settings come last: they win over "$@"
		args=(--guarantee "$guarantee" --commit-interval-ms "$commit")
		[ "$broker" = real ] && args+=(--brokers "$BROKERS")
		[ "$load" = light ] && args+=(--commands 2000 --window 200)
		i=$((i + 1))
		echo
		echo "== row $i: $broker broker, $guarantee, commit.interval $commit ms, $load load:" \
			"bench_pipeline ${DEFAULTS[*]} $* ${args[*]}"
		# in the background, so that a signal to this script runs its
		# trap at once (which stops the row) instead of after the row
		r=0
		timeout -k 10 "$RUN_TIMEOUT" "$BIN/bench_pipeline" "${DEFAULTS[@]}" "$@" "${args[@]}" \
			>"$OUT/$i.log" &
		CHILD=$!
		tail -n +1 -f --pid="$CHILD" "$OUT/$i.log" &
		wait "$CHILD" || r=$?
		CHILD=
		wait || true # tail, which ends with the row
		if [ "$r" != 0 ]; then
			echo "== row $i: exit status $r"
			rc=1
		fi
	done
	echo
	echo "== mock cluster vs real broker ($(nproc) cpus, loadavg at the end of each row)"
	cat "$OUT"/*.log | awk '
		/^result / {
			delete f
			for (i = 2; i <= NF; i++) {
				split($i, kv, "=")
				f[kv[1]] = kv[2]
			}
			n++
			row[n] = sprintf("%-10s %-6s %-13s %7s %8s %8s %11s %11s %10s %9s %7s %7s%s",
				f["mode"], f["broker"], f["guarantee"],
				f["commit_ms"], f["commands"], f["cmds_s"],
				f["term_p50_ms"] "/" f["term_p99_ms"],
				f["acc_p50_ms"] "/" f["acc_p99_ms"],
				f["cpu_us_cmd"], f["rss_mb"], f["window"],
				f["loadavg"],
				f["ok"] == 1 ? "" : "  INCOMPLETE (" f["terminal"] " terminal, " f["dup_terminal"] " duplicates)")
		}
		END {
			printf "%-10s %-6s %-13s %7s %8s %8s %11s %11s %10s %9s %7s %7s\n",
				"mode", "broker", "guarantee", "commit", "commands",
				"cmds/s", "terminal", "accept", "worker CPU",
				"peak RSS", "window", "load"
			printf "%-10s %-6s %-13s %7s %8s %8s %11s %11s %10s %9s %7s %7s\n",
				"", "", "", "ms", "", "", "p50/p99 ms", "p50/p99 ms",
				"us/cmd", "MB", "", "avg"
			for (i = 1; i <= n; i++)
				print row[i]
		}'
	if [ "$rc" = 0 ]; then
		echo "every row: every command reached exactly one terminal event"
	fi
	exit $rc
fi

if [ "$SHORT" = 1 ]; then
	exec timeout -k 10 280 "$BIN/bench_pipeline" --short --timeout-s 240 "$@"
fi

# ---- default: the program users run first, then the breakdown ---------
# One bench_pipeline run per row; the rows' own settings come first, so
# options given after BUILD_DIR win (e.g. --commands 20000 makes every row
# 20,000). PAYATOM_BENCH_ROWS="1 3" runs only those rows.
WB="$BIN/payatom-worker"
[ -x "$WB" ] || { echo "$WB not built" >&2; exit 2; }
ROWS=(
	"payatom-worker, poll path|--worker-bin $WB --path poll --commands 100000 --seq-commands 300"
	"payatom-worker, poll path|--worker-bin $WB --path poll --commands 20000 --seq-commands 0"
	"payatom-worker, webhook path|--worker-bin $WB --path webhook --commands 100000 --seq-commands 0"
	"payatom-worker, webhook path|--worker-bin $WB --path webhook --commands 20000 --seq-commands 0"
	"in-process worker (breakdown), sandbox gateway|--commands 100000 --seq-commands 2000"
	"in-process worker (breakdown), in-process fake gateway|--gateway fake --commands 20000 --seq-commands 0"
)
OUT=$(mktemp -d "${TMPDIR:-/tmp}/payatom-bench.XXXXXX")
CHILD=
cleanup() {
	if [ -n "$CHILD" ]; then
		kill -TERM "$CHILD" 2>/dev/null || true
		for _ in $(seq 100); do
			kill -0 "$CHILD" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$CHILD" 2>/dev/null || true
	fi
	rm -rf "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
rc=0
i=0
for row in "${ROWS[@]}"; do
	i=$((i + 1))
	case " ${PAYATOM_BENCH_ROWS:-$(seq -s ' ' ${#ROWS[@]})} " in
	*" $i "*) ;;
	*) continue ;;
	esac
	title=${row%%|*}
	read -r -a args <<<"${row#*|}"
	echo
	echo "== row $i: $title: bench_pipeline ${args[*]} $*"
	r=0
	: >"$OUT/$i.log" # before tail opens it (it gave up on a missing file)
	timeout -k 10 1900 "$BIN/bench_pipeline" --timeout-s 1800 "${args[@]}" "$@" \
		>"$OUT/$i.log" &
	CHILD=$!
	tail -n +1 -f --pid="$CHILD" "$OUT/$i.log" &
	wait "$CHILD" || r=$?
	CHILD=
	wait || true
	if [ "$r" != 0 ]; then
		echo "== row $i: exit status $r"
		rc=1
	fi
done
echo
echo "== summary: tests/bench/run.sh $BUILD $* ($(nproc) cpus; the worker pinned to cpu 0;" \
	"loadavg at the end of each row)"
cat "$OUT"/*.log | awk '
	/^result / {
		delete f
		for (i = 2; i <= NF; i++) {
			split($i, kv, "=")
			f[kv[1]] = kv[2]
		}
		n++
		row[n] = sprintf("%-10s %-8s %-7s %-10s %8s %7s %11s %11s %9s %8s %7s%s",
			f["worker"], f["gateway"], f["path"], f["mode"],
			f["commands"], f["cmds_s"],
			f["term_p50_ms"] "/" f["term_p99_ms"],
			f["acc_p50_ms"] "/" f["acc_p99_ms"],
			f["cpu_us_cmd"], f["rss_mb"], f["loadavg"],
			f["ok"] == 1 ? "" : "  INCOMPLETE (" f["terminal"] " terminal, " f["dup_terminal"] " duplicates)")
	}
	END {
		printf "%-10s %-8s %-7s %-10s %8s %7s %11s %11s %9s %8s %7s\n",
			"worker", "gateway", "path", "mode", "payins", "cmds/s",
			"terminal", "accept", "CPU", "peak RSS", "load"
		printf "%-10s %-8s %-7s %-10s %8s %7s %11s %11s %9s %8s %7s\n",
			"", "", "", "", "", "", "p50/p99 ms", "p50/p99 ms",
			"us/payin", "MB", "avg"
		for (i = 1; i <= n; i++)
			print row[i]
	}'
echo "targets (issue 17, the binary): <= 80 us CPU per payin on both paths (aim 60), <= 30 MB peak RSS"
if [ "$rc" = 0 ]; then
	echo "every row: every command reached exactly one terminal event"
fi
if [ -z "${PAYATOM_BENCH_PIPELINE_ONLY:-}" ] && [ -z "${PAYATOM_BENCH_ROWS:-}" ]; then
	if [ -x "$BIN/bench_client" ]; then
		echo
		echo "== libpayatom client: bench_client (64 and 1000 calls in flight)"
		timeout -k 10 300 "$BIN/bench_client" 20000 64 64 || true
		timeout -k 10 300 "$BIN/bench_client" 20000 1000 1000 || true
	fi
	if command -v wrk >/dev/null; then
		echo
		echo "== sandbox: sandbox_bench.sh"
		timeout -k 10 600 "$HERE/sandbox_bench.sh" "$BUILD" || true
	fi
	echo
	echo "== state store: store_bench.sh (1 M and 10 M settled orders)"
	timeout -k 10 7200 "$HERE/store_bench.sh" "$BUILD" || true
fi
exit $rc
