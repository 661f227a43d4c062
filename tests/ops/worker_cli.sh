#!/usr/bin/env bash
# payatom-worker as an operator sees it, without Kafka (issue 15 item 6):
#  - --version prints ours and librdkafka's;
#  - --check-config (and payatom-ctl check-config) reports every error at once, each naming the key and
#    its source (file:line, env variable), validating kafka.* through
#    librdkafka itself (unknown property, bad value, combinations such as
#    group.protocol=consumer with session.timeout.ms) and the brokers
#    list's syntax, without printing a credential; a good file is OK;
#  - librdkafka's own log lines come out as the worker's JSON lines (an
#    unreachable broker), never as raw "%3|..." text, and the SASL
#    password never appears.
set -uo pipefail
bin=${1:?usage: worker_cli.sh BIN_DIR}
w="$bin/payatom-worker"
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
passed=0
ok() { passed=$((passed + 1)); }

ver=$("$w" --version) || fail "--version exit $?"
echo "$ver" | grep -qE '^payatom-worker [0-9]+\.[0-9]+\.[0-9]+ \(librdkafka [0-9]+\.[0-9]+\.[0-9]+\)$' \
  || fail "--version printed '$ver'"
ok

merchant='merchant.a.pid = 1000
merchant.a.secret = cli-test-secret-9f1
merchant.a.base.url = http://127.0.0.1:9'
printf '%s\n' "brokers = kafka-0.kafka:9092, SASL_SSL://[::1]:9093" "$merchant" >"$work/good.conf"
"$w" --check-config --config "$work/good.conf" >"$work/out" 2>"$work/err" \
  || fail "good config refused: $(cat "$work/err")"
grep -q '^configuration OK' "$work/out" || fail "no 'configuration OK'"
ok

cat >"$work/bad.conf" <<CONF
brokers = kafka:90x2,good:9092
log.level = loud
kafka.fetch.wait.max.msx = 10
kafka.session.timeout.ms = soon
kafka.sasl.password = cli-test-password-77c
$merchant
CONF
PAYATOM_MAX_INFLIGHT=zero "$w" --check-config --config "$work/bad.conf" \
  -o poll.first=5q >"$work/out" 2>"$work/err"
rc=$?
[ $rc = 1 ] || fail "bad config: exit $rc"
for want in "bad.conf:1: brokers: 'kafka:90x2' is not host:port" \
            "bad.conf:2: log.level: 'loud' is not one of" \
            "bad.conf:3: kafka.fetch.wait.max.msx: No such configuration property" \
            "bad.conf:4: kafka.session.timeout.ms: Invalid value" \
            "env PAYATOM_MAX_INFLIGHT: max.inflight: 'zero' is not an integer" \
            "-o: poll.first: '5q' is not a duration" \
            "6 configuration errors"; do
  grep -qF -- "$want" "$work/err" || { cat "$work/err"; fail "no error '$want'"; }
done
ok
for f in out err; do
  ! grep -q 'cli-test-password-77c\|cli-test-secret-9f1' "$work/$f" || fail "a secret printed on std$f"
done
ok

# payatom-ctl check-config: the same checks, the same errors
"$bin/payatom-ctl" check-config "$work/bad.conf" >/dev/null 2>"$work/err"
rc=$?
[ $rc = 1 ] || fail "payatom-ctl check-config: exit $rc"
for want in "bad.conf:1: brokers: 'kafka:90x2' is not host:port" \
            "bad.conf:3: kafka.fetch.wait.max.msx: No such configuration property" \
            "bad.conf:2: log.level: 'loud' is not one of"; do
  grep -qF -- "$want" "$work/err" || { cat "$work/err"; fail "payatom-ctl: no error '$want'"; }
done
! grep -q 'cli-test-password-77c' "$work/err" || fail "payatom-ctl printed a secret"
ok

printf '%s\n' "brokers = k:9092" "kafka.group.protocol = consumer" \
  "kafka.session.timeout.ms = 6000" "$merchant" >"$work/kip848.conf"
"$w" --check-config --config "$work/kip848.conf" >/dev/null 2>"$work/err"
rc=$?
[ $rc = 1 ] || fail "group.protocol=consumer + session.timeout.ms: exit $rc"
grep -q 'librdkafka refuses the consumer settings: `session.timeout.ms` is not supported for `group.protocol=consumer`' \
  "$work/err" || { cat "$work/err"; fail "combination not reported"; }
ok

# an unreachable broker: librdkafka's lines are ours (JSON, component
# librdkafka, level mapped), and nothing else reaches stderr raw
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$w" --config "$work/good.conf" -o "brokers=127.0.0.1:$port" -o http.listen=127.0.0.1:0 \
  -o kafka.security.protocol=sasl_plaintext -o kafka.sasl.mechanisms=SCRAM-SHA-256 \
  -o kafka.sasl.username=u -o kafka.sasl.password=cli-test-password-77c \
  >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 1 100); do
  grep -q '"component":"librdkafka".*Connection refused' "$work/err" && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.1
done
kill $pid 2>/dev/null; wait $pid 2>/dev/null; pid=
grep -q '"level":"error","msg":"librdkafka","component":"librdkafka","client":"rdkafka#[a-z]*-[0-9]*","facility":"FAIL"' "$work/err" \
  || { tail -5 "$work/err"; fail "no librdkafka line through the worker's logger"; }
! grep -q '^%[0-9]|' "$work/err" || fail "raw librdkafka lines: $(grep -m2 '^%[0-9]|' "$work/err")"
python3 - "$work/err" <<'PY' || fail "a stderr line is not JSON"
import json, sys
for line in open(sys.argv[1]):
    if line.strip() and not line.startswith("payatom-worker:"):
        json.loads(line)
PY
! grep -q 'cli-test-password-77c' "$work/err" "$work/out" || fail "the SASL password printed"
ok
echo "worker cli: $(grep -c '"component":"librdkafka"' "$work/err") librdkafka lines as JSON"
echo "$passed passed, 0 failed"
