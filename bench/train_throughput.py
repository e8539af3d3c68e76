r"""Training throughput of a seed ensemble: each way of running its members.

  python bench/train_throughput.py --config=configs/precursor.py:cpu \
      --members=1,3,5,8 --ways=vmap,unroll,map --steps=10
  python bench/train_throughput.py --config=configs/picker.py:cpu \
      --members=1,3,5,8
  python bench/train_throughput.py --config=configs/precursor.py \
      --members=5 --ways=map --config.train.microbatches=4   # paper model

For every ensemble size and way of running the members in one jitted step
(`train.ensemble_way`: 'vmap', 'unroll', 'chain' or 'map'; see
seisjax/engine/ensemble.py::map_members), a child process
builds the config's model and times its jitted train step on random batches
(data loading excluded) after one compiling step. Prints one JSON object:
per run, batches, windows and member-windows per second, compile time and
the child's peak resident memory; and, per way, the ratio of the N-member
rate to N single-member runs one after another (the 1-member rate of the
same way, measured in the same invocation): above 1, the ensemble beats
sequential runs. A run that does not fit in memory is reported with its
error.
"""

import json
import resource
import subprocess
import sys
import time

from absl import app
from absl import flags
import jax
import jax.numpy as jnp
from ml_collections import config_flags
import numpy as np

from seisjax import registry
from seisjax.engine import ensemble
from seisjax.engine import train

config_flags.DEFINE_config_file('config', 'configs/precursor.py:cpu',
                                'A training config.')
flags.DEFINE_list('members', ['1', '3', '5', '8'], 'Ensemble sizes.')
flags.DEFINE_list('ways', list(ensemble.WAYS),
                  'Ways of running the members.')
flags.DEFINE_integer('steps', 5, 'Timed steps per run.')
flags.DEFINE_string('child', '', 'Internal: time one "<way>:<members>".')
FLAGS = flags.FLAGS


def random_batch(task, config, rng) -> dict:
  """A batch with every target a task may read (label, pick)."""
  n = config.train.batch_size
  shape = task.input_shape(config)
  return {'x': rng.normal(size=(n, *shape)).astype(np.float32),
          'label': rng.integers(0, 2, n).astype(np.int32),
          'pick': rng.uniform(-0.5, 0.5, n).astype(np.float32)}


def time_run(config, way: str, n_members: int, steps: int) -> dict:
  """Compile and time the train step of `n_members` run the `way` way."""
  task = registry.get_task(config.task)
  with config.unlocked():
    config.n_members = n_members
    config.train.ensemble_way = way
  mesh = ensemble.make_mesh(config.mesh.member, config.mesh.data)
  state = ensemble.create_ensemble(
      task.make_model(config), train.make_optimizer(config.train),
      task.input_shape(config), ensemble.member_seeds(0, n_members), mesh)
  step = ensemble.jit_ensemble_step(train.make_train_step(task, config), mesh,
                                    way=way)
  batch = random_batch(task, config, np.random.default_rng(0))
  start = time.perf_counter()
  state, out = step(state, batch, jnp.int32(0))
  jax.block_until_ready(out)
  compile_s = time.perf_counter() - start
  start = time.perf_counter()
  for _ in range(steps):
    state, out = step(state, batch, jnp.int32(0))
  jax.block_until_ready(out)
  seconds = time.perf_counter() - start
  windows = steps * config.train.batch_size / seconds
  return {'way': way, 'members': n_members,
          'batch_size': config.train.batch_size,
          'microbatches': config.train.get('microbatches', 1),
          'batches_per_s': steps / seconds, 'windows_per_s': windows,
          'member_windows_per_s': windows * n_members,
          'compile_s': compile_s,
          'peak_rss_gb': resource.getrusage(
              resource.RUSAGE_SELF).ru_maxrss / 2**20}


def main(argv):
  if FLAGS.child:
    way, n = FLAGS.child.split(':')
    print(json.dumps(time_run(FLAGS.config, way, int(n), FLAGS.steps)))
    return
  passed = [a for a in argv[1:]] + [
      a for a in sys.argv[1:] if a.startswith(('--config', '--steps'))]
  runs = []
  for way in FLAGS.ways:
    for n in FLAGS.members:
      done = subprocess.run(
          [sys.executable, __file__, f'--child={way}:{n}', *passed],
          capture_output=True, text=True)
      if done.returncode:
        error = (done.stderr.strip().splitlines() or ['?'])[-1]
        runs.append({'way': way, 'members': int(n), 'error': error})
      else:
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
  single = {r['way']: r['member_windows_per_s'] for r in runs
            if r['members'] == 1 and 'error' not in r}
  for r in runs:
    if 'error' not in r and r['way'] in single:
      # N members in one run against N one-member runs one after another.
      r['vs_sequential'] = r['member_windows_per_s'] / single[r['way']]
  config = FLAGS.config
  json.dump({'device': str(jax.devices()[0]), 'backend': jax.default_backend(),
             'task': config.task, 'filters': list(config.model.filters),
             'input_shape': list(registry.get_task(config.task).input_shape(
                 config)), 'runs': runs}, sys.stdout, indent=2)
  print()


if __name__ == '__main__':
  app.run(main)
