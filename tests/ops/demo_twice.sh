#!/usr/bin/env bash
# `payatom-worker demo` runs any number of times against the same cluster
# (issue 20): two runs on one `payatom-ctl mock-cluster`, one after the
# other, in the same consumer group and on the same topics; each has order
# ids of its own (its run tag) and ends with every command's outcome.
set -uo pipefail
bin=${1:?usage: demo_twice.sh BIN_DIR}
work=$(mktemp -d)
PAYATOM_MOCK_PID=
trap '[ -n "$PAYATOM_MOCK_PID" ] && kill $PAYATOM_MOCK_PID 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; echo "0 passed, 1 failed"; exit 1; }

eval "$("$bin/payatom-ctl" mock-cluster --detach --partitions 4)" || fail "mock-cluster --detach"
tags=()
for run in 1 2; do
  "$bin/payatom-worker" demo --quiet -o brokers="$PAYATOM_BOOTSTRAP" \
    >"$work/out$run" 2>"$work/err$run"
  rc=$?
  echo "--- run $run (exit $rc):"
  sed -n '/^== summary/,$p' "$work/out$run"
  [ $rc = 0 ] || { tail -20 "$work/err$run"; fail "run $run exited $rc"; }
  grep -q '^demo: every command reached its terminal outcome' "$work/out$run" ||
    fail "run $run did not report every outcome"
  tag=$(sed -n 's/^payatom-worker demo, run \([0-9A-Z]*\) .*/\1/p' "$work/out$run")
  [ -n "$tag" ] || fail "run $run printed no run tag in its banner"
  tags+=("$tag")
  # the same commands: the same counts every run
  grep -E '^    (at the start|follow-ups from events) ' "$work/out$run" >"$work/counts$run"
  # a second run must not wait 1 s for the next second's tag
  sleep 1
done
[ "${tags[0]}" != "${tags[1]}" ] || fail "both runs had the run tag ${tags[0]}"
diff "$work/counts1" "$work/counts2" >/dev/null ||
  fail "the second run sent other commands: $(diff "$work/counts1" "$work/counts2")"
echo "demo twice: runs ${tags[0]} and ${tags[1]} on one cluster, both complete"
echo "1 passed, 0 failed"
