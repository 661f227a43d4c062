#!/usr/bin/env bash
# The README's configuration reference is exactly what the config map
# generates (style.md habit 14: one table, no second hand-written list).
set -uo pipefail
bin=${1:?usage: config_reference.sh BIN_DIR README}
readme=${2:?}
want=$("$bin/payatom-worker" --print-config markdown) || { echo "FAIL: --print-config"; exit 1; }
have=$(sed -n '/<!-- config-reference:begin -->/,/<!-- config-reference:end -->/p' "$readme" | sed '1d;$d')
if [ "$want" != "$have" ]; then
  echo "FAIL: README configuration reference differs from the config map:"
  diff <(echo "$want") <(echo "$have") | head -20
  echo "regenerate: build/bin/payatom-worker --print-config markdown"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "config reference: $(echo "$want" | grep -c '^| `') keys, README up to date"
echo "1 passed, 0 failed"
