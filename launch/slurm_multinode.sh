#!/bin/bash
# A seed ensemble over several GPU nodes under SLURM: one process per node.
#   sbatch --nodes=4 launch/slurm_multinode.sh /shared/runs/precursor \
#     [--config.n_members=16 --config.mesh.member=4 ...]
# Every task runs the same command; inside srun JAX finds its peers from
# SLURM's environment (seisjax/engine/distributed.py). The mesh
# ('member', 'data') spans every GPU of every node: the data axis runs over
# the nodes (each reads only its rows of a batch), the member axis within
# them. The workdir must be on a file system every node sees (or gs://);
# only process 0 writes metrics, reports and figures, all write checkpoints.
# Rerun the same sbatch line to resume after a kill or a time limit.
#SBATCH --job-name=seisjax-multinode
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=1
#SBATCH --gpus-per-node=4
#SBATCH --cpus-per-task=16
#SBATCH --time=24:00:00
set -euo pipefail
WORKDIR=${1:?usage: sbatch launch/slurm_multinode.sh WORKDIR [overrides]}
shift
CONFIG=${CONFIG:-configs/precursor.py}
cd "${SLURM_SUBMIT_DIR:-.}"
test -d .venv || { python3 -m venv .venv && .venv/bin/pip install -q -e . \
  && .venv/bin/pip install -q -U "jax[cuda12]"; }
srun .venv/bin/python -m seisjax.main --config="$CONFIG" \
  --workdir="$WORKDIR" "$@"
