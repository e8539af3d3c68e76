"""Many processes as one run: JAX's distributed runtime, data and outputs.

A run on several hosts (SLURM tasks, TPU VM workers, or processes started
by hand) is the same program in every process. `initialize` joins them
(`jax.distributed.initialize`; a no-op for one process); the mesh then spans
every process's devices. Each process reads only the rows of a global batch
that its devices hold (`local_rows`) and `to_global` assembles the global
arrays from them; `to_host` brings a global result (metrics, predictions)
back to numpy in every process. Only the primary process (index 0) writes
files (`seisjax.engine.writers` checks `is_primary`); Orbax checkpoints are
written by all of them together.
"""

import logging
import os

import jax
from jax.experimental import multihost_utils
import numpy as np

log = logging.getLogger(__name__)


def _under_slurm() -> bool:
  return int(os.environ.get('SLURM_NTASKS', '1')) > 1


def initialize(coordinator_address: str = '', num_processes: int = 0,
               process_id: int = -1, detect: bool = False) -> None:
  """Joins the processes of a multi-process run; nothing for one process.

  Explicit arguments (all three) start the runtime by hand; `detect` lets
  JAX find the peers itself (on a TPU pod's workers, or any cluster it
  knows); inside `srun` with several SLURM tasks it does so unasked. On
  CPUs the collectives go through gloo. Must be called before JAX touches
  a device.
  """
  explicit = bool(coordinator_address)
  if explicit and (num_processes < 1 or process_id < 0):
    raise ValueError('--coordinator_address needs --num_processes and '
                     '--process_id.')
  if not (explicit or detect or _under_slurm()):
    return
  # CPU hosts need a collectives backend; accelerators ignore it.
  jax.config.update('jax_cpu_collectives_implementation', 'gloo')
  if explicit:
    jax.distributed.initialize(coordinator_address=coordinator_address,
                               num_processes=num_processes,
                               process_id=process_id)
  else:
    jax.distributed.initialize()
  log.info('Process %d of %d; %d local of %d devices.', jax.process_index(),
           jax.process_count(), jax.local_device_count(), jax.device_count())


def is_primary() -> bool:
  """Whether this process writes the run's files (process 0)."""
  return jax.process_index() == 0


def local_rows(sharding, n_rows: int) -> tuple[int, int]:
  """[lo, hi): the rows of an (n_rows, ...) array this process's devices hold.

  The mesh (`ensemble.make_mesh`) lays the data axis over processes in
  order, so these are one contiguous block.
  """
  rows = set()
  for index in sharding.addressable_devices_indices_map((n_rows,)).values():
    rows.update(range(n_rows)[index[0]])
  lo, hi = min(rows), max(rows) + 1
  if len(rows) != hi - lo:
    raise ValueError(f'This process holds rows {sorted(rows)} of {n_rows}, '
                     'not one block: use a mesh whose data axis is laid '
                     'over the processes in order.')
  return lo, hi


def to_global(local, sharding, n_rows: int):
  """The global array of `n_rows` rows from this process's `local` block."""
  local = np.asarray(local)
  return jax.make_array_from_process_local_data(
      sharding, local, (n_rows, *local.shape[1:]))


def to_host(x) -> np.ndarray:
  """A (global) array as numpy, whole, in every process."""
  if getattr(x, 'is_fully_addressable', True):
    return np.asarray(x)
  return np.asarray(multihost_utils.process_allgather(x, tiled=True))


def any_process(flag: bool) -> bool:
  """Whether `flag` is set in any process (one process: the flag itself).

  A stop on SIGTERM must be taken at the same step everywhere: the
  processes save a checkpoint together.
  """
  if jax.process_count() == 1:
    return flag
  flags = multihost_utils.process_allgather(np.array([flag]))
  return bool(np.any(flags))
