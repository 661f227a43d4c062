#!/usr/bin/env bash
# docs/configuration.md's reference is exactly what the config map
# generates (style.md habit 14: one table, no second hand-written list).
#   config_reference.sh BIN_DIR DOC            check (CTest config_reference_in_docs)
#   config_reference.sh --update BIN_DIR DOC   rewrite the table (make docs)
set -uo pipefail
update=0
if [ "${1:-}" = --update ]; then update=1; shift; fi
bin=${1:?usage: config_reference.sh [--update] BIN_DIR DOC}
doc=${2:?}
begin='<!-- config-reference:begin -->'
end='<!-- config-reference:end -->'
want=$("$bin/payatom-worker" --print-config markdown) || { echo "FAIL: --print-config"; exit 1; }
grep -q "^$begin\$" "$doc" && grep -q "^$end\$" "$doc" ||
  { echo "FAIL: $doc lacks the $begin / $end markers"; exit 1; }
if [ $update = 1 ]; then
  tmp=$(mktemp)
  awk -v b="$begin" -v e="$end" -v f=<(echo "$want") '
    $0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
    $0 == e { skip = 0 }
    !skip' "$doc" >"$tmp" && cat "$tmp" >"$doc"
  rm -f "$tmp"
  echo "config reference: $(echo "$want" | grep -c '^| `') keys written to $doc"
  exit 0
fi
have=$(sed -n "/^$begin\$/,/^$end\$/p" "$doc" | sed '1d;$d')
if [ "$want" != "$have" ]; then
  echo "FAIL: $doc: the configuration reference differs from the config map:"
  diff <(echo "$want") <(echo "$have") | head -20
  echo "regenerate it: make docs (or tests/ops/config_reference.sh --update $bin $doc)"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "config reference: $(echo "$want" | grep -c '^| `') keys, $doc up to date"
echo "1 passed, 0 failed"
