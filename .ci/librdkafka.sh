#!/usr/bin/env bash
# .ci/librdkafka.sh -- the pinned librdkafka, built once into
# ~/.cache/payatom/librdkafka-<version>/ (include/, lib/, lib/pkgconfig/).
# Owns: the pinned version, getting its release source through cargo
#   (crates.io's rdkafka-sys crate ships librdkafka's release source tree
#   under librdkafka/; the registry's ordinary client, its checksums checked
#   by cargo), the build with librdkafka's own configure, the cache.
# Not here: Debian packages (.ci/deps.sh, which calls this), how CMake finds
#   the result (CMakeLists.txt, PAYATOM_LIBRDKAFKA_PREFIX), the image's copy of
#   the same version (helm/Dockerfile, from the release tarball + sha256).
#
# Fast no-op when the prefix is complete. Several checkouts may run it at the
# same time on one cache: the build runs under a lock (flock) in a temporary
# directory beside the prefix and is renamed into place when complete, so a
# half-built librdkafka is never used.
#
#   .ci/librdkafka.sh            build if missing; prints the prefix
#   .ci/librdkafka.sh --prefix   print the prefix only (no build)
set -euo pipefail

LIBRDKAFKA_VERSION=2.12.1
RDKAFKA_SYS_VERSION=4.10.0 # rdkafka-sys 4.10.0+2.12.1 carries librdkafka 2.12.1
RDKAFKA_VERSION_HEX=0x020c01ff

cache=${PAYATOM_CACHE:-$HOME/.cache/payatom}
prefix=$cache/librdkafka-$LIBRDKAFKA_VERSION
stamp=$prefix/.payatom-complete

if [ "${1:-}" = --prefix ]; then
  echo "$prefix"
  exit 0
fi
if [ -f "$stamp" ]; then
  echo "librdkafka: $LIBRDKAFKA_VERSION in $prefix"
  exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/.librdkafka-$LIBRDKAFKA_VERSION.lock"
flock -n 9 || {
  echo "librdkafka: another checkout is building it; waiting for its lock" >&2
  flock 9
}
if [ -f "$stamp" ]; then # another checkout built it while we waited
  echo "librdkafka: $LIBRDKAFKA_VERSION in $prefix"
  exit 0
fi

work=$(mktemp -d "$cache/.librdkafka-$LIBRDKAFKA_VERSION.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$(date +%s)

# 1. the source, through cargo: a throw-away crate depending on rdkafka-sys,
#    vendored (downloads and verifies every crate of its lock file).
command -v cargo >/dev/null || {
  echo "librdkafka: cargo is missing (.ci/deps.sh installs it)" >&2
  exit 1
}
mkdir -p "$work/fetch/src"
: >"$work/fetch/src/lib.rs"
cat >"$work/fetch/Cargo.toml" <<EOF
[package]
name = "payatom-librdkafka-source"
version = "0.0.0"
edition = "2018"
publish = false

[dependencies]
rdkafka-sys = { version = "=$RDKAFKA_SYS_VERSION", default-features = false }
EOF
echo "librdkafka: fetching rdkafka-sys $RDKAFKA_SYS_VERSION with cargo" >&2
# the sparse index (the default since cargo 1.68; older cargo would clone
# the whole git index)
(cd "$work/fetch" && CARGO_REGISTRIES_CRATES_IO_PROTOCOL=sparse \
  cargo vendor --quiet "$work/vendor" >/dev/null)
src=$work/vendor/rdkafka-sys/librdkafka
grep -q "define RD_KAFKA_VERSION *$RDKAFKA_VERSION_HEX" "$src/src/rdkafka.h" || {
  echo "librdkafka: rdkafka-sys $RDKAFKA_SYS_VERSION does not carry librdkafka $LIBRDKAFKA_VERSION" >&2
  exit 1
}
mv "$src" "$work/src"
rm -rf "$work/vendor" "$work/fetch"

# 2. the build: the features Debian's package has (SSL, SASL/GSSAPI through
#    Cyrus, zstd, external lz4, zlib; no libcurl: OIDC token fetch is unused),
#    C library only (no C++ binding, examples or tests).
echo "librdkafka: building $LIBRDKAFKA_VERSION into $prefix" >&2
cd "$work/src"
./configure --prefix="$prefix" --enable-ssl --enable-gssapi --enable-zstd \
  --enable-lz4-ext --enable-zlib --disable-curl >"$work/configure.log" 2>&1 || {
  tail -40 "$work/configure.log" >&2
  exit 1
}
for feature in WITH_SSL WITH_SASL_CYRUS WITH_ZSTD WITH_LZ4_EXT WITH_ZLIB; do
  grep -q "#define $feature 1" config.h || {
    echo "librdkafka: configure found no $feature (see .ci/deps.sh for the -dev packages)" >&2
    exit 1
  }
done
jobs=$(nproc 2>/dev/null || echo 2)
nice make -C src -j"$jobs" >"$work/make.log" 2>&1 || {
  tail -40 "$work/make.log" >&2
  exit 1
}
make -C src install DESTDIR="$work/dest" >>"$work/make.log" 2>&1
touch "$work/dest$prefix/.payatom-complete"
rm -rf "$prefix" # a stale, incomplete one (no stamp)
mv "$work/dest$prefix" "$prefix"
echo "librdkafka: $LIBRDKAFKA_VERSION built in $(($(date +%s) - start)) s into $prefix"
