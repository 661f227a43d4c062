#!/usr/bin/env bash
# Runs the README's five-minute tour exactly as written: the lines between
# <!-- tour:begin --> and <!-- tour:end --> of README.md, in bash, from a
# directory that looks like the repository root (examples/ and build/bin/
# of the build under test), then checks that each step did what the README
# says it does. `make tour` and CTest `readme_tour` run it.
#
#   tests/ops/tour.sh [--isolate] SOURCE_DIR BIN_DIR
#
# --isolate (CTest): run in a network and mount namespace of its own
# (unshare: a private loopback and /tmp), so the tour's fixed ports 8080
# and 8089 and its /tmp files never meet another test or a developer's
# processes. Without namespaces (no privilege), the tour runs directly when
# both ports are free and is skipped (exit 77) when not.
#
# --doc FILE --block NAME: the lines between <!-- NAME:begin --> and
# <!-- NAME:end --> of another page (docs/ctl.md's session: CTest
# ctl_session_in_docs); every line must succeed, the step checks below are
# the README tour's only.
set -uo pipefail
isolate=0 doc=README.md block=tour
while [ $# -gt 2 ]; do
  case "$1" in
    --isolate) isolate=1; shift;;
    --doc) doc=$2; shift 2;;
    --block) block=$2; shift 2;;
    *) echo "usage: tour.sh [--isolate] [--doc FILE --block NAME] SOURCE_DIR BIN_DIR"; exit 2;;
  esac
done
src=$(cd "${1:?usage: tour.sh [--isolate] SOURCE_DIR BIN_DIR}" && pwd)
bin=$(cd "${2:?}" && pwd)
readme=$src/$doc

# the tour's text: the sh block between the markers
tour=$(sed -n "/<!-- $block:begin -->/,/<!-- $block:end -->/p" "$readme" |
  sed '1d;$d' | sed '/^```/d')
[ -n "$tour" ] || { echo "FAIL: no $block between the markers in $readme"; exit 1; }

# a root of its own: examples/ from the sources, build/bin the programs
# under test (a sanitizer build's too)
work=$(mktemp -d "$bin/../tour.XXXXXX")
trap 'rm -rf "$work"' EXIT
ln -s "$src/examples" "$work/examples"
mkdir -p "$work/build"
ln -s "$bin" "$work/build/bin"
# whatever the tour leaves running is stopped, also when a step fails
cat >"$work/tour.bash" <<EOF
set -e
cleanup() { kill \$(jobs -p) \${PAYATOM_MOCK_PID:-} 2>/dev/null || true; }
trap cleanup EXIT
set -x
$tour
EOF

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

run() { cd "$work" && timeout 240 bash "$work/tour.bash"; }
# (in the mount namespace) an empty /tmp of the tour's own. The sources,
# the build and the tour's root stay where they are even when they live
# under /tmp (a clone in /tmp): they are bound into the new tmpfs at their
# own paths before it is moved over /tmp.
private_tmp() {
  mount --make-rprivate / || return 1
  local d p
  d=$(mktemp -d /dev/shm/payatom-tour.XXXXXX) || return 1
  mount -t tmpfs tmpfs "$d" || return 1
  for p in "$src" "$bin" "$work"; do
    case "$p" in
      /tmp/*) mkdir -p "$d/${p#/tmp/}" && mount --bind "$p" "$d/${p#/tmp/}" || return 1;;
    esac
  done
  mount --move "$d" /tmp
}
if [ $isolate = 1 ] && unshare -n -m true 2>/dev/null && command -v ip >/dev/null; then
  how="in a network and mount namespace of its own"
  export -f run private_tmp
  export work src bin
  out=$(unshare -n -m bash -c 'ip link set lo up && private_tmp && run' 2>&1)
  rc=$?
else
  for p in 8080 8089; do
    if ! port_free $p; then
      echo "SKIP: port $p is in use (the tour's worker and sandbox need 8080 and 8089)"
      exit 77
    fi
  done
  how="directly"
  out=$(run 2>&1)
  rc=$?
fi
printf '%s\n' "$out" >"$work/transcript"
echo "== $doc, $block: run $how (exit $rc):"
printf '%s\n' "$out"
echo "=="

fail() { echo "FAIL: $*"; echo "0 passed, 1 failed"; exit 1; }
[ $rc = 0 ] || fail "$doc's $block stopped with exit $rc (transcript above)"
if [ "$block" != tour ]; then
  echo "$block: every line of $doc ran"
  echo "1 passed, 0 failed"
  exit 0
fi
expect() { # what step, pattern
  grep -Eq "$2" "$work/transcript" || fail "step '$1' printed no line matching /$2/"
}
expect "4. events" '^payment +APPROVE0000001 +PENDING'
expect "4. events" '^payment +APPROVE0000001 +SUCCEEDED .*terminal'
expect "4. events" '^payment +APPROVE0000002 +SUCCEEDED'
expect "4. events" '^payment +DECLINE0000003 +DECLINED'
expect "4. events" '^payment +APPROVE000005 +SUCCEEDED'
expect "4. events" '^report +acme +PAYIN_RECONCILIATION'
expect "5. follow-ups" '^refund +APPROVE0000001 +REFUNDED'
expect "5. follow-ups" '^complaint +DECLINE0000003 +SUBMITTED'
expect "6. dead letter" '^dead +APPROVE0000009 +VALIDATION +amount'
expect "6. dlq show" '"reason": "VALIDATION"'
expect "7. metrics" '^payatom_commands_total\{'
expect "7. metrics" '^payatom_dlq_records_total\{reason="VALIDATION"\} 1'
echo "tour: every step did what README.md says"
echo "1 passed, 0 failed"
