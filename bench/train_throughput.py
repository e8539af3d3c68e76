r"""Training throughput of the precursor CNN, one member and an ensemble.

  python bench/train_throughput.py                      # paper model
  python bench/train_throughput.py --config=configs/precursor.py:cpu \
      --members=1,3 --steps=10

Times the jitted, vmapped train step on random batches (data loading is not
included) after one compiling step, and prints one JSON object: for each
ensemble size, batches per second, windows per second (shared batch) and
member-windows per second (windows x members), the compile time, and peak
memory (the device's peak bytes where the backend reports it, and the
process's peak resident memory, cumulative over the sizes timed). A size that
does not fit in memory is reported with its error; `--config.model.remat=True`
recomputes activations to fit larger ensembles.
"""

import json
import resource
import sys
import time

from absl import app
from absl import flags
import jax
import jax.numpy as jnp
import numpy as np
import optax
from ml_collections import config_flags

from seisjax.engine import ensemble
from seisjax.engine import train
from seisjax.precursor import task as precursor_task

config_flags.DEFINE_config_file('config', 'configs/precursor.py',
                                'Precursor config.')
flags.DEFINE_list('members', ['1', '5'], 'Ensemble sizes to time.')
flags.DEFINE_integer('steps', 5, 'Timed steps per ensemble size.')
FLAGS = flags.FLAGS


def peak_memory_bytes() -> dict:
  stats = jax.devices()[0].memory_stats() or {}
  return {'device_peak_bytes': stats.get('peak_bytes_in_use'),
          'process_peak_rss_bytes':
              resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}


def time_ensemble(config, n_members: int, steps: int) -> dict:
  mesh = ensemble.make_mesh(config.mesh.member, config.mesh.data)
  task = precursor_task.TASK
  model = task.make_model(config)
  shape = task.input_shape(config)
  state = ensemble.create_ensemble(model, optax.adam(1e-3), shape,
                                   ensemble.member_seeds(0, n_members), mesh)
  step = ensemble.jit_ensemble_step(train.make_train_step(task, config),
                                    mesh)
  batch_size = config.train.batch_size
  rng = np.random.default_rng(0)
  batch = {'x': rng.normal(size=(batch_size, *shape)).astype(np.float32),
           'label': rng.integers(0, 2, batch_size).astype(np.int32)}
  start = time.perf_counter()
  state, out = step(state, batch, jnp.int32(0))
  jax.block_until_ready(out)
  compile_s = time.perf_counter() - start
  start = time.perf_counter()
  for _ in range(steps):
    state, out = step(state, batch, jnp.int32(0))
  jax.block_until_ready(out)
  seconds = time.perf_counter() - start
  return {'members': n_members, 'batch_size': batch_size,
          'batches_per_s': steps / seconds,
          'windows_per_s': steps * batch_size / seconds,
          'member_windows_per_s': steps * batch_size * n_members / seconds,
          'compile_s': compile_s, **peak_memory_bytes()}


def main(argv):
  del argv
  results = []
  for n in FLAGS.members:
    try:
      results.append(time_ensemble(FLAGS.config, int(n), FLAGS.steps))
    except jax.errors.JaxRuntimeError as e:  # Out of memory, typically.
      results.append({'members': int(n), 'error': str(e).splitlines()[0]})
  json.dump({'device': str(jax.devices()[0]), 'backend': jax.default_backend(),
             'window_samples': FLAGS.config.data.window_samples,
             'results': results}, sys.stdout, indent=2)
  print()


if __name__ == '__main__':
  app.run(main)
