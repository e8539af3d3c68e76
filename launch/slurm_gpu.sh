#!/bin/bash
# The paper-sized precursor ensemble on one GPU node under SLURM.
#   sbatch launch/slurm_gpu.sh runs/precursor [--config.n_members=10 ...]
# Members are sharded over the node's GPUs (mesh axis 'member'), batches over
# the rest ('data'); set --config.mesh.member to the number of GPUs when the
# members divide evenly over them.
#SBATCH --job-name=seisjax-precursor
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=1
#SBATCH --gpus-per-node=1
#SBATCH --cpus-per-task=8
#SBATCH --time=12:00:00
set -euo pipefail
WORKDIR=${1:?usage: sbatch launch/slurm_gpu.sh WORKDIR [config overrides]}
shift
cd "${SLURM_SUBMIT_DIR:-.}"
test -d .venv || { python3 -m venv .venv && .venv/bin/pip install -q -e . \
  && .venv/bin/pip install -q -U "jax[cuda12]"; }
# Rerunning the same command resumes from the last checkpoint; SLURM's
# SIGTERM before a time limit makes the run save a checkpoint and stop.
srun .venv/bin/python -m seisjax.main --config=configs/precursor.py \
  --workdir="$WORKDIR" "$@"
