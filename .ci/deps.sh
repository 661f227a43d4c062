#!/usr/bin/env bash
# Installs the Debian 12 packages the build, the demo and the tests need.
# Fast when everything is present (no apt-get at all). Root or sudo.
set -euo pipefail
pkgs=(build-essential cmake pkg-config git
  librdkafka-dev libcurl4-openssl-dev libssl-dev libjansson-dev
  libavro-dev libmicrohttpd-dev check valgrind openssl ca-certificates
  kafkacat wrk php-cli python3 python3-avro python3-yaml unzip curl procps psmisc
  openjdk-17-jre-headless maven
  clang libclang-rt-14-dev)
# node/npm: any installation will do (tests use node's crypto and npm pack);
# Debian's packages only when none is present, so a NodeSource node is kept.
command -v node >/dev/null || pkgs+=(nodejs)
command -v npm >/dev/null || pkgs+=(npm)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all Debian packages present"
  exit 0
fi
sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
echo "deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
