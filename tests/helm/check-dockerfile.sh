#!/usr/bin/env bash
# check-dockerfile.sh -- helm/Dockerfile installs what the programs link.
# Owns: the CTest entry; the rules are in check_dockerfile.py.
# Not here: building the image (no Docker engine in CI; see helm/Dockerfile).
#
# Usage: tests/helm/check-dockerfile.sh --pkg-config
#        tests/helm/check-dockerfile.sh build/bin/payatom-worker [more binaries]
# The second form exits 77 (CTest SKIP) while the worker is not built.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${PAYATOM_SOURCE_DIR:-$(cd "${here}/../.." && pwd)}
for tool in dpkg dpkg-query ldd readelf pkg-config cc; do
  command -v "${tool}" >/dev/null || { echo "check-dockerfile: ${tool} missing" >&2; exit 1; }
done
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
exec "${py}" "${here}/check_dockerfile.py" "${src}" "$@"
