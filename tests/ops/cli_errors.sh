#!/usr/bin/env bash
# Every command-line error of the three programs names the option and, when
# there is one, suggests the right one (exit 2 for usage errors; the
# sandbox exits 1). One row per mistake a newcomer makes.
set -uo pipefail
bin=${1:?usage: cli_errors.sh BIN_DIR}
pass=0 failed=0
check() { # expected_rc "expected text" program args...
  local rc_want=$1 want=$2; shift 2
  local out rc
  out=$(timeout 10 "$bin/$@" 2>&1 </dev/null); rc=$?
  if [ "$rc" != "$rc_want" ] || [[ "$out" != *"$want"* ]]; then
    echo "FAIL: $* -> exit $rc (want $rc_want), said: $(echo "$out" | head -2)"
    echo "      expected to contain: $want"
    failed=$((failed + 1))
  else
    pass=$((pass + 1))
  fi
}
S=payatom-sandbox W=payatom-worker C=payatom-ctl
check 1 "unknown option '--listen'; did you mean --port N (and --bind ADDR)?" $S --listen 8089
check 1 "did you mean --port?" $S --prot 8089
check 1 "did you mean --config?" $S --confg x
check 1 "did you mean --check-config?" $S --chek-config
check 1 "options are long: did you mean --port" $S -p 8089
check 1 "--port needs a value" $S --port
check 1 "--port abc: port: expected an integer" $S --port abc
check 1 "--print-port takes no value" $S --print-port=1
check 1 "unexpected argument '8089'" $S 8089
check 2 "did you mean -o log.level=debug?" $W --log-level debug
check 2 "did you mean -o brokers=127.0.0.1:9092?" $W --brokers 127.0.0.1:9092
check 2 "did you mean -o http.listen=" $W --listen 127.0.0.1:8080
check 2 "did you mean --check-config?" $W --check
check 2 "did you mean --config?" $W --confg x
check 2 "--config needs a value" $W --config
check 2 "-o brokers: expected key=value" $W -o brokers
check 2 "--print-config md: which format? markdown or schema" $W --print-config md
check 2 "demo is a command: it comes first" $W --check-config demo
check 2 "did you mean --orders-per-product?" $W demo --orders 3
check 2 "--orders-per-product wants an integer in 1..200, not 'x'" $W demo --orders-per-product x
check 2 "did you mean -o log.level=debug?" $W demo --verbose
check 2 "did you mean --bootstrap?" $C --bootstrp x send
check 2 "only -b/--bootstrap comes before the COMMAND" $C --from-beginning tail
check 2 "did you mean 'send'?" $C sendd
check 2 "unknown action 'shw'; did you mean 'show'?" $C dlq shw
check 2 "did you mean --from-beginning?" $C tail --form-beginning t
check 2 "did you mean -X (--property)?" $C send -x a=b f
check 2 "--max wants an integer in 1..1000000000, not 'x'" $C tail --max x t
check 2 "did you mean --partitions?" $C mock-cluster --partition 3
check 2 "option --detach takes no value" $C mock-cluster --detach=1
echo "cli errors: $pass passed, $failed failed"
[ $failed = 0 ]
