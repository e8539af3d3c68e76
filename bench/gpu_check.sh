#!/bin/bash
# The prepared GPU check (bench/gpu_check.py): on a machine with one NVIDIA
# GPU, from the repository root. Installs the project and a CUDA build of
# JAX into .venv-gpu (the registry only), then prints one JSON object; meant
# to finish within 8 minutes. Writes bench/results/gpu_check_<date>.json.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv-gpu}
if [[ ! -x $VENV/bin/python ]]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q -e .
  "$VENV/bin/pip" install -q -U "jax[cuda12]"
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
mkdir -p bench/results
OUT=bench/results/gpu_check_$(date -u +%Y-%m-%d).json
timeout 480 "$VENV/bin/python" -m bench.gpu_check "$@" | tee "$OUT"
