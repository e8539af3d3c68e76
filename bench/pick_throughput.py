r"""Picker inference throughput: the jitted ensemble against ObsPy's ar_pick.

  python bench/pick_throughput.py                       # paper network
  python bench/pick_throughput.py --config=configs/picker.py:cpu

Builds `--windows` 4 s windows from synthetic P records
(seisjax.picking.synthetic), then times, after one compiling call, the
picker ensemble of the config (weights as initialised: the cost does not
depend on them) in batches of `config.train.eval_batch_size`, one jitted,
vmapped call per batch, and `obspy.signal.trigger.ar_pick`
(seisjax/picking/baselines.py) on the very same windows, one at a time.
Prints one JSON object: windows per second of each, their ratio, and the
device.
"""

import json
import sys
import time

from absl import app
from absl import flags
import jax
import numpy as np
from ml_collections import config_flags

from seisjax.engine import ensemble
from seisjax.engine import train
from seisjax.picking import baselines
from seisjax.picking import data as pick_data
from seisjax.picking import picker
from seisjax.picking import records
from seisjax.picking import synthetic as synthetic_picks

config_flags.DEFINE_config_file('config', 'configs/picker.py',
                                'Picker config.')
flags.DEFINE_integer('windows', 2400, 'Windows to time.')
flags.DEFINE_integer('baseline_windows', 300, 'Windows to time ar_pick on '
                     '(a subset of the same windows).')
FLAGS = flags.FLAGS


def make_windows(n: int, seed: int = 0) -> np.ndarray:
  """(n, 400) windows of synthetic records with random shifts."""
  recs = [synthetic_picks.station_record(seed, i // 5, i % 5)
          for i in range(n)]
  columns = {f: np.asarray([r[f] for r in recs]) for f in pick_data.FIELDS}
  return pick_data.PickWindows(pick_data.PickRecords(**columns), 1,
                               seed).windows()


def main(argv):
  del argv
  config = FLAGS.config
  windows = make_windows(FLAGS.windows)
  mesh = ensemble.make_mesh(config.mesh.member, config.mesh.data)
  task = picker.TASK
  model = task.make_model(config)
  state = ensemble.create_ensemble(
      model, train.make_optimizer(config.train), task.input_shape(config),
      ensemble.member_seeds(config.seed, config.n_members), mesh)
  variables = {'params': state.params, 'batch_stats': state.batch_stats}
  predict = ensemble.jit_ensemble_predict(task.make_predict(model), mesh)
  batch = config.train.eval_batch_size
  x = records.normalize(windows)[..., None]
  n = len(x) // batch * batch
  jax.block_until_ready(predict(variables, x[:batch]))  # Compiles.
  start = time.perf_counter()
  for begin in range(0, n, batch):
    out = predict(variables, x[begin:begin + batch])
  jax.block_until_ready(out)
  cnn_s = time.perf_counter() - start
  subset = windows[:FLAGS.baseline_windows]
  start = time.perf_counter()
  baselines.run('ar_pick', subset)
  ar_s = time.perf_counter() - start
  cnn_rate, ar_rate = n / cnn_s, len(subset) / ar_s
  json.dump({'device': str(jax.devices()[0]), 'backend': jax.default_backend(),
             'members': config.n_members, 'batch_size': batch,
             'filters': list(config.model.filters),
             'cnn_windows': n, 'cnn_windows_per_s': cnn_rate,
             'cnn_member_windows_per_s': cnn_rate * config.n_members,
             'ar_pick_windows': len(subset), 'ar_pick_windows_per_s': ar_rate,
             'cnn_over_ar_pick': cnn_rate / ar_rate}, sys.stdout, indent=2)
  print()


if __name__ == '__main__':
  app.run(main)
