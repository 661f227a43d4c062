#!/usr/bin/env bash
# sandbox_bench.sh -- payatom-sandbox throughput and concurrency (issue 3).
#
#   tests/bench/sandbox_bench.sh [BUILD_DIR] [SECONDS]
#
# 1. Throughput, one core, keep-alive, zero latency: the sandbox is pinned to
#    CPU 0 (taskset), wrk to the other CPU; three endpoints:
#      - GET  /_sandbox/health            (HTTP floor of the listener)
#      - POST /api/status_polling.php     (a real gateway call: JSON parse,
#                                          post_hash AES+HMAC open, MD5,
#                                          reply post_hash seal)
#      - POST /api/request.php            (payin creation, unique order_ids)
#    Target: >= 20,000 requests/s.
# 2. Concurrency: 5,000 connections, each request held 200 ms by an injected
#    latency fault (a timer, no thread); the sandbox's own counter
#    in_flight_max (GET /_sandbox/counters) gives the peak of requests in
#    flight. Target: >= 5,000.
# Prints the numbers; exits non-zero only when a tool is missing or the
# sandbox does not start (numbers are reported, not judged: the machine is
# shared). Loopback only; every process it starts is stopped on exit.
set -euo pipefail
BUILD=${1:-build}
SECS=${2:-10}
BIN="$BUILD/bin/payatom-sandbox"
command -v wrk >/dev/null || { echo "wrk not installed (apt-get install wrk)"; exit 2; }
[ -x "$BIN" ] || { echo "$BIN not built"; exit 2; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
NCPU=$(nproc)
SBX_CPU=0
WRK_CPU=$(( NCPU > 1 ? 1 : 0 ))
TMP=$(mktemp -d)
PID=""
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

SECRET="bench-secret-key"
MERCHANT="pid=BENCH1,secret=$SECRET,operator_key=bench-op"

start() { # extra sandbox options...
	"$BIN" --port 0 --mix Pending:1 --merchant "$MERCHANT" "$@" \
		>"$TMP/out" 2>"$TMP/err" &
	PID=$!
	taskset -pc "$SBX_CPU" "$PID" >/dev/null 2>&1 || true
	for _ in $(seq 50); do
		grep -q listening "$TMP/out" 2>/dev/null && break
		sleep 0.1
	done
	PORT=$(sed -n 's/^listening .*:\([0-9]*\)$/\1/p' "$TMP/out")
	[ -n "$PORT" ] || { echo "sandbox did not start:"; cat "$TMP/err"; exit 1; }
	URL="http://127.0.0.1:$PORT"
}
stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""; }

rps() { sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p'; }
run_wrk() { # connections script url
	taskset -c "$WRK_CPU" wrk -t1 -c"$1" -d"${SECS}s" --timeout 10s \
		${2:+-s "$2"} "$3"
}

# post_hash = base64(iv || HMAC-SHA256(k, ct||iv) || AES-256-CBC(k, iv,
# md5(ref_code . pid . secret))), k = sha256(secret)  (spec §3.1, §3.2)
post_hash() { # ref pid
	local key iv md5 ct mac
	key=$(printf %s "$SECRET" | openssl dgst -sha256 -binary | xxd -p -c 64)
	iv=$(openssl rand -hex 16)
	md5=$(printf %s "$1$2$SECRET" | openssl dgst -md5 -r | cut -c1-32)
	printf %s "$md5" | openssl enc -aes-256-cbc -K "$key" -iv "$iv" >"$TMP/ct"
	mac=$( (cat "$TMP/ct"; printf %s "$iv" | xxd -r -p) |
		openssl dgst -sha256 -mac HMAC -macopt hexkey:"$key" -binary | xxd -p -c 64)
	( printf %s "$iv$mac" | xxd -r -p; cat "$TMP/ct" ) | base64 -w0
}

echo "== payatom-sandbox benchmark ($SECS s per run, sandbox on CPU $SBX_CPU, wrk on CPU $WRK_CPU)"
start
# one order to poll
curl -s -XPOST "$URL/api/request.php" -d '{"pid":"BENCH1","order_id":"BENCHPOLL01","amount":100,"name":"b","email":"b@x.test","phone":"9000000000","upi_id":"b@upi"}' >"$TMP/payin"
REF=$(sed -n 's/.*"ref_code":"\([0-9a-f]*\)".*/\1/p' "$TMP/payin")
PH=$(post_hash "$REF" BENCH1)
cat >"$TMP/poll.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"pid":"BENCH1","ref_code":"$REF","post_hash":"$PH"}'
EOF
curl -s -XPOST "$URL/api/status_polling.php" -H 'Content-Type: application/json' \
	--data-binary "{\"pid\":\"BENCH1\",\"ref_code\":\"$REF\",\"post_hash\":\"$PH\"}" | grep -q '"status":"Pending"' ||
	{ echo "status polling check failed"; exit 1; }
cat >"$TMP/payin.lua" <<'EOF'
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
	n = n + 1
	local body = string.format('{"pid":"BENCH1","order_id":"B%012d","amount":100,"name":"b","email":"b@x.test","phone":"9000000000","upi_id":"b@upi"}', n)
	return wrk.format(nil, "/api/request.php", nil, body)
end
EOF
H=$(run_wrk 64 "" "$URL/_sandbox/health" | rps)
P=$(run_wrk 64 "$TMP/poll.lua" "$URL/api/status_polling.php" | rps)
C=$(run_wrk 64 "$TMP/payin.lua" "$URL/api/request.php" | rps)
ERR=$(curl -s "$URL/_sandbox/counters" | sed -n 's/.*"orders_created":\([0-9]*\).*/\1/p')
stop
printf 'throughput (1 core, 64 keep-alive connections, no latency):\n'
printf '  GET  /_sandbox/health          %10.0f req/s\n' "$H"
printf '  POST /api/status_polling.php   %10.0f req/s\n' "$P"
printf '  POST /api/request.php (payin)  %10.0f req/s  (%s orders created)\n' "$C" "$ERR"

start --fault "/bot/api_v2/account_status.php:latency=fixed:200" \
	--conn-limit 20000
OUT=$(taskset -c "$WRK_CPU" wrk -t1 -c5000 -d"${SECS}s" --timeout 10s \
	-H "Api-Key: bench-op" "$URL/bot/api_v2/account_status.php")
R=$(printf '%s\n' "$OUT" | rps)
LAT=$(printf '%s\n' "$OUT" | sed -n 's/^ *Latency *\([^ ]*\).*/\1/p')
CNT=$(curl -s "$URL/_sandbox/counters")
PEAK=$(printf %s "$CNT" | sed -n 's/.*"in_flight_max":\([0-9]*\).*/\1/p')
HELD=$(printf %s "$CNT" | sed -n 's/.*"held_max":\([0-9]*\).*/\1/p')
stop
printf 'concurrency (5000 connections, 200 ms injected latency):\n'
printf '  requests in flight, peak       %10s   (held by timers: %s)\n' "$PEAK" "$HELD"
printf '  throughput                     %10.0f req/s, mean latency %s\n' "$R" "$LAT"
