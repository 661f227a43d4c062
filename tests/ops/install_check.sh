#!/usr/bin/env bash
# `cmake --install` puts what README.md "Install" promises where users
# expect it, and libpayatom is usable from there: examples/verify_webhook.c
# is compiled against the installed headers and library through
# pkg-config alone, and verifies a callback sealed by PayAtom's PHP code.
set -uo pipefail
build=${1:?usage: install_check.sh BUILD_DIR SOURCE_DIR}
src=${2:?}
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
fail() { echo "FAIL: $*"; echo "0 passed, 1 failed"; exit 1; }

cmake --install "$build" --prefix "$prefix" >"$prefix.log" 2>&1 ||
  { cat "$prefix.log"; rm -f "$prefix.log"; fail "cmake --install"; }
rm -f "$prefix.log"
for p in payatom-worker payatom-sandbox payatom-ctl; do
  [ -x "$prefix/bin/$p" ] || fail "bin/$p not installed"
  "$prefix/bin/$p" --help >/dev/null || fail "installed $p --help failed"
done
# the pinned librdkafka travels with them (RPATH $ORIGIN/../lib/payatom)
rdk=$(ldd "$prefix/bin/payatom-worker" | awk '/librdkafka/ { print $3 }')
case "$rdk" in
  "$prefix"/*) ;;
  *) fail "installed payatom-worker loads librdkafka from '$rdk', not from $prefix";;
esac
for f in include/payatom/payatom.h lib/libpayatom.a lib/pkgconfig/payatom.pc \
         share/payatom/schemas/payin_command.avsc \
         share/doc/payatom-worker/README.md \
         share/doc/payatom-worker/examples/worker.conf; do
  [ -e "$prefix/$f" ] || fail "$f not installed"
done

export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
flags=$(pkg-config --cflags --libs payatom) || fail "pkg-config payatom"
# a sanitizer build's libpayatom.a needs its runtime linked in too
san=$(sed -n 's/^PAYATOM_SANITIZE:STRING=//p' "$build/CMakeCache.txt" 2>/dev/null)
[ -z "$san" ] || flags="-fsanitize=${san//;/,} $flags"
cc -std=c11 -Wall -Wextra -Werror "$src/examples/verify_webhook.c" $flags \
  -o "$prefix/verify_webhook" || fail "examples/verify_webhook.c does not build with: $flags"
data=$src/tests/data/webhook
out=$("$prefix/verify_webhook" "$data/secret.txt" <"$data/callback_approved.json") ||
  fail "callback_approved.json not verified: $out"
echo "$out" | grep -q '"HashMatched"' || fail "no HashMatched acknowledgement: $out"
if out=$("$prefix/verify_webhook" "$data/secret.txt" <"$data/callback_tampered_amount.json"); then
  fail "a tampered callback was verified: $out"
fi
echo "$out" | grep -q '"HashMismatch"' || fail "no HashMismatch for a tampered callback: $out"
echo "install: programs, headers, libpayatom (+ pkg-config), schemas, docs; verify_webhook built from them"
echo "1 passed, 0 failed"
