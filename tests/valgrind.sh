#!/usr/bin/env bash
# Runs every unit test program under valgrind memcheck; any leak or invalid
# access fails the run (--error-exitcode). Check's fork mode is turned off so
# valgrind sees the tests themselves.
set -euo pipefail
build=${1:-build}
export CK_FORK=no PAYATOM_UNDER_VALGRIND=1
export PAYATOM_TEST_DATA=$(cd "$(dirname "$0")" && pwd)/data
export PAYATOM_BIN_DIR=$(cd "$build" && pwd)/bin
export PAYATOM_SOURCE_DIR=$(cd "$(dirname "$0")/.." && pwd)
fail=0; n=0
for t in "$build"/bin/check_*; do
  [ -x "$t" ] || continue
  n=$((n+1))
  if valgrind -q --suppressions="$(dirname "$0")/valgrind.supp" --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
       --errors-for-leak-kinds=definite,indirect "$t" >"$build/valgrind-$(basename "$t").log" 2>&1; then
    echo "valgrind ok:   $(basename "$t")"
  else
    echo "valgrind FAIL: $(basename "$t") (see $build/valgrind-$(basename "$t").log)"
    tail -40 "$build/valgrind-$(basename "$t").log"
    fail=$((fail+1))
  fi
done
echo "valgrind: $((n-fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
