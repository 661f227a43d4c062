#!/usr/bin/env bash
# Installs the Debian 12 packages the build, the demo and the tests need,
# then the pinned librdkafka (.ci/librdkafka.sh, built once into
# ~/.cache/payatom; Debian's librdkafka 2.0.2 is not used).
# Fast when everything is present (no apt-get at all). Root or sudo.
set -euo pipefail
pkgs=(build-essential cmake pkg-config git
  libsasl2-dev libzstd-dev liblz4-dev zlib1g-dev libcurl4-openssl-dev libssl-dev libjansson-dev
  libavro-dev libmicrohttpd-dev liblmdb-dev check valgrind openssl ca-certificates
  kafkacat wrk php-cli python3 python3-avro python3-yaml unzip curl procps psmisc
  jq iproute2
  openjdk-17-jre-headless maven
  clang libclang-rt-14-dev)
# node/npm: any installation will do (tests use node's crypto and npm pack);
# Debian's packages only when none is present, so a NodeSource node is kept.
command -v node >/dev/null || pkgs+=(nodejs)
command -v npm >/dev/null || pkgs+=(npm)
# cargo fetches librdkafka's release source (crates.io's rdkafka-sys); a
# rustup installation will do, Debian's package only when none is present.
command -v cargo >/dev/null || [ -x "$HOME/.cargo/bin/cargo" ] || pkgs+=(cargo)
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$PATH:$HOME/.cargo/bin"
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all Debian packages present"
else
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  echo "deps: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "deps: done"
fi
"$(dirname "$0")/librdkafka.sh"
