#!/bin/bash
# A seed ensemble on a multi-host Cloud TPU pod slice (e.g. v5e-32: 8 hosts).
#   bash launch/tpu_pod.sh my-tpu us-central2-b gs://bucket/runs/precursor \
#     [--config.n_members=32 --config.mesh.member=8 ...]
# Copies the checkout to every worker, installs it there once, and runs the
# same command on all of them (--worker=all); with --distributed JAX finds
# the other workers itself (seisjax/engine/distributed.py). The workdir is
# a gs:// path every worker writes its part of the checkpoints to; only
# worker 0 writes metrics, reports and figures. Run the same line again to
# resume.
set -euo pipefail
TPU=${1:?usage: bash launch/tpu_pod.sh TPU_NAME ZONE WORKDIR [overrides]}
ZONE=${2:?zone}
WORKDIR=${3:?workdir (gs://...)}
shift 3
CONFIG=${CONFIG:-configs/precursor.py}
gcloud compute tpus tpu-vm scp --recurse --zone="$ZONE" --worker=all \
  "$(pwd)" "$TPU":~/seisjax
gcloud compute tpus tpu-vm ssh "$TPU" --zone="$ZONE" --worker=all --command="
  set -e; cd ~/seisjax
  test -d .venv || { python3 -m venv .venv && .venv/bin/pip install -q -e . \
    && .venv/bin/pip install -q -U 'jax[tpu]'; }
  .venv/bin/python -m seisjax.main --distributed --config=$CONFIG \
    --workdir=$WORKDIR $*"
