#!/bin/bash
# The precursor ensemble on a single-host Cloud TPU VM (e.g. v5e-8).
#   bash launch/tpu_vm.sh gs://bucket/runs/precursor [config overrides]
# With 8 chips, `--config.n_members=8 --config.mesh.member=8` trains one
# member per chip; the workdir may be a gs:// path (Orbax writes there).
set -euo pipefail
WORKDIR=${1:?usage: bash launch/tpu_vm.sh WORKDIR [config overrides]}
shift
test -d .venv || { python3 -m venv .venv && .venv/bin/pip install -q -e . \
  && .venv/bin/pip install -q -U "jax[tpu]"; }
.venv/bin/python -m seisjax.main --config=configs/precursor.py \
  --workdir="$WORKDIR" "$@"
