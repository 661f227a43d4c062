#!/usr/bin/env bash
# A full demo run, scraped while it runs and read afterwards:
#  - /healthz and /readyz answer 200, /metrics is valid Prometheus text with
#    the worker's families and non-zero webhook and gateway counters, and
#    every query of the chart's Grafana dashboard asks for what it exports
#    (tests/helm/check_dashboard.py);
#  - every family /metrics exports is in docs/metrics.md's table with its
#    type, and every family of the table is exported (the table is the
#    metrics reference: it cannot fall behind the code);
#  - the logs (debug level) and the printed event stream contain none of
#    the secrets and personal values the demo used.
set -uo pipefail
bin=${1:?usage: demo_ops.sh BIN_DIR [METRICS_DOC]}
doc=${2:-}
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; echo "--- stderr tail"; tail -20 "$work/err"; exit 1; }

"$bin/payatom-worker" demo --quiet --log-level debug --linger-ms 5000 \
  >"$work/out" 2>"$work/err" &
pid=$!

wait_for() { # pattern file seconds
  for _ in $(seq 1 $(( $3 * 10 ))); do
    grep -q "$1" "$2" && return 0
    kill -0 $pid 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
wait_for '^  ops  *http://127.0.0.1:[0-9]*/metrics' "$work/out" 30 || fail "demo did not start"
port=$(sed -n 's|^  ops  *http://127.0.0.1:\([0-9]*\)/metrics.*|\1|p' "$work/out" | head -1)
wait_for '^demo: all outcomes in' "$work/out" 150 || fail "demo did not finish"

base="http://127.0.0.1:$port"
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/healthz")
[ "$code" = 200 ] || fail "/healthz answered $code"
code=$(curl -s -o "$work/ready" -w '%{http_code}' "$base/readyz")
[ "$code" = 200 ] || fail "/readyz answered $code: $(cat "$work/ready")"
ctype=$(curl -s -o "$work/metrics" -w '%{content_type}' "$base/metrics")
case "$ctype" in text/plain*) ;; *) fail "/metrics content type $ctype";; esac

# exposition format: every line is a comment (HELP/TYPE) or a sample
bad=$(grep -vE '^(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eE]+|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+]?(Inf|NaN))$' "$work/metrics" | head -3)
[ -z "$bad" ] || fail "malformed metrics lines: $bad"
for fam in payatom_events_published_total payatom_dlq_records_total \
           payatom_gateway_requests_total payatom_gateway_request_duration_seconds_bucket \
           payatom_webhooks_received_total payatom_circuit_state payatom_inflight \
           payatom_partition_inflight payatom_partition_uncommitted payatom_consumer_lag; do
  grep -q "^$fam" "$work/metrics" || fail "metric family $fam missing"
done
# build info and the standard process families (Prometheus client libraries'
# names), with plausible values
for fam in process_cpu_seconds_total process_resident_memory_bytes \
           process_virtual_memory_bytes process_open_fds process_max_fds \
           process_start_time_seconds; do
  grep -qE "^$fam [0-9]" "$work/metrics" || fail "metric family $fam missing"
done
ver=$("$bin/payatom-worker" --version) || fail "--version failed"
want=$(echo "$ver" | sed -n 's/^payatom-worker \([^ ]*\) (librdkafka \([^)]*\))$/payatom_build_info{version="\1",librdkafka="\2"} 1/p')
[ -n "$want" ] || fail "--version printed '$ver', not 'payatom-worker V (librdkafka V)'"
grep -qxF "$want" "$work/metrics" || fail "no '$want' in /metrics (--version: $ver)"
rss=$(awk '$1 == "process_resident_memory_bytes" { print int($2) }' "$work/metrics")
[ "${rss:-0}" -gt 1000000 ] || fail "process_resident_memory_bytes $rss"
now=$(date +%s)
start=$(awk '$1 == "process_start_time_seconds" { print int($2) }' "$work/metrics")
[ $((now - ${start:-0})) -ge 0 ] && [ $((now - ${start:-0})) -lt 600 ] || fail "process_start_time_seconds $start (now $now)"
# the chart's Grafana dashboard queries what this real /metrics exports
src=$(cd "$(dirname "$0")/../.." && pwd)
python3 "$src/tests/helm/check_dashboard.py" "$src/helm/payatom-worker/dashboards/payatom-worker.json" \
  "$work/metrics" >"$work/dash" 2>&1 || { cat "$work/dash"; fail "dashboard queries metrics /metrics lacks"; }
head -1 "$work/dash"
value() { awk -v m="$1" 'index($0, m) == 1 { s += $NF } END { print s + 0 }' "$work/metrics"; }
[ "$(value 'payatom_webhooks_received_total{result="verified"}')" != 0 ] || fail "no verified webhook counted"
[ "$(value 'payatom_gateway_requests_total')" != 0 ] || fail "no gateway request counted"
[ "$(value 'payatom_dlq_records_total')" != 0 ] || fail "no dead letter counted"

# the reference in docs/metrics.md: "| name[, name] | type | labels | meaning |"
# (payatom_* and the standard process_* families)
if [ -n "$doc" ]; then
  sed -n 's/^# TYPE \([a-z_:]*\) \([a-z]*\)$/\1 \2/p' "$work/metrics" | sort >"$work/exported"
  awk -F'|' '/^\| *(payatom|process)_/ { gsub(/ /, "", $2); gsub(/ /, "", $3);
                 n = split($2, names, ","); for (i = 1; i <= n; i++) print names[i], $3 }' \
    "$doc" | sort >"$work/documented"
  if ! diff -q "$work/exported" "$work/documented" >/dev/null; then
    echo "--- exported by /metrics (<) vs documented in $doc (>):"
    diff "$work/exported" "$work/documented"
    fail "docs/metrics.md and /metrics disagree: describe each family the worker exports there (name, type, labels, meaning)"
  fi
fi

wait $pid; rc=$?
pid=
[ $rc = 0 ] || fail "demo exited $rc"
grep -q "every command reached its terminal outcome" "$work/out" || fail "demo incomplete"

# the logs must be real for the scan to mean something
lines=$(wc -l <"$work/err")
[ "$lines" -ge 20 ] || fail "only $lines log lines at debug level"
grep -q "payatom-worker started" "$work/err" || fail "start line missing from the logs"

# every secret and personal value the demo used (worker/cmd/demo.c)
leaks=0
for v in demo-secret-in-7f3a demo-secret-v2-91cd demo-secret-bd-5b20 \
         demo-secret-pk-c4d8 demo-api-key-2e71-44b0 demo-recon-token \
         demo-operator-key 9876543210 asha.rao@example.com asha@okaxis \
         123456789012 01712345678 03331234567 'Asha Rao'; do
  for f in err out; do
    if grep -qF -- "$v" "$work/$f"; then
      echo "LEAK: '$v' appears in std$f:"; grep -F -- "$v" "$work/$f" | head -2
      leaks=$((leaks + 1))
    fi
  done
done
[ $leaks = 0 ] || fail "$leaks secret or personal values printed in clear"
echo "demo ops: metrics $(grep -c '^payatom_' "$work/metrics") samples${doc:+ of $(wc -l <"$work/exported") families, each in docs/metrics.md}, $lines log lines scanned, 0 leaks"
echo "1 passed, 0 failed"
