#!/usr/bin/env bash
# check-dockerfile.sh -- helm/Dockerfile installs what the programs link.
# Owns: the CTest entry; the rules are in check_dockerfile.py.
# Not here: building the image (no Docker engine in CI; see helm/Dockerfile).
#
# Usage: tests/helm/check-dockerfile.sh --pkg-config
#        tests/helm/check-dockerfile.sh build/bin/payatom-worker [more binaries]
#        tests/helm/check-dockerfile.sh --test-binaries build/bin
# The last two exit 77 (CTest SKIP) while nothing is built. Test programs
# (check_*, it_*) link the same libraries plus the Check framework's.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${PAYATOM_SOURCE_DIR:-$(cd "${here}/../.." && pwd)}
for tool in dpkg dpkg-query ldd readelf pkg-config cc; do
  command -v "${tool}" >/dev/null || { echo "check-dockerfile: ${tool} missing" >&2; exit 1; }
done
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
if [ "${1:-}" = "--test-binaries" ]; then
  shopt -s nullglob
  bins=("${2:?bin dir}"/check_* "${2}"/it_*)
  [ ${#bins[@]} -gt 0 ] || { echo "SKIP: no test programs in $2"; exit 77; }
  set -- --test-binary "${bins[@]}"
fi
exec "${py}" "${here}/check_dockerfile.py" "${src}" "$@"
