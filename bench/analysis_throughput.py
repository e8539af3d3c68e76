r"""Batched analyses against a plain Python loop of per-input predictions.

  python bench/analysis_throughput.py --config=configs/precursor.py:cpu \
      --workdir=runs/precursor_cpu

On the best weights of a trained workdir, times (after a compiling call):
- the time occlusion of one window (all mask positions and channel cases in
  one jitted call) against a loop that masks in numpy and predicts each
  masked window alone;
- the low-pass frequency sweep (all cut-offs) over `--sweep_windows` test
  windows against a loop that filters each window with scipy's sosfilt and
  predicts it alone. The loop is timed on `--loop_cutoffs` cut-offs and
  scaled to the whole sweep (reported as such).
Prints one JSON object with the times and the loop / batched ratios.
"""

import json
import sys
import time

from absl import app
from absl import flags
import jax
import numpy as np
import scipy.signal
from ml_collections import config_flags

from seisjax.engine import ensemble
from seisjax.engine import train
from seisjax.precursor import analyze
from seisjax.precursor import task as precursor_task
from seisjax.precursor.analyses import common
from seisjax.precursor.analyses import evaluators
from seisjax.precursor.analyses import filters
from seisjax.precursor.analyses import occlusion

config_flags.DEFINE_config_file('config', 'configs/precursor.py:cpu',
                                'Config of the trained run.')
flags.DEFINE_string('workdir', None, 'Trained workdir.', required=True)
flags.DEFINE_integer('sweep_windows', 64, 'Test windows in the sweep.')
flags.DEFINE_integer('loop_cutoffs', 3, 'Cut-offs timed in the loop.')
FLAGS = flags.FLAGS


def _timed(fn):
  start = time.perf_counter()
  out = jax.block_until_ready(fn())
  return time.perf_counter() - start, out


def main(argv):
  del argv
  config = FLAGS.config
  mesh = ensemble.make_mesh(config.mesh.member, config.mesh.data)
  task = precursor_task.TASK
  datasets = task.get_datasets(config)
  model, variables = train.load_best(config, task, FLAGS.workdir, mesh)
  predict_fn = analyze.ensemble_predict_fn(model, variables)
  one = jax.jit(predict_fn)
  context = common.Context(predict_fn, datasets, config.data,
                           config.train.eval_batch_size)
  windows, labels = evaluators.labelled_test_windows(context,
                                                     FLAGS.sweep_windows)
  rate, window = config.data.sampling_rate, windows[-1]
  mask = stride = 400 if window.shape[0] >= 4000 else 128

  # Occlusion.
  run = lambda: occlusion.time_occlusion(predict_fn, window, mask, stride)
  run()
  occlusion_s, _ = _timed(run)
  one(window[None]).block_until_ready()

  def occlusion_loop():
    for start in occlusion.mask_starts(len(window), mask, stride):
      for channels in ([0], [1], [2], [0, 1, 2]):
        masked = window.copy()
        masked[start:start + mask, channels] = 0
        one(masked[None]).block_until_ready()
  occlusion_loop_s, _ = _timed(occlusion_loop)

  # Low-pass sweep.
  cutoffs = filters.default_cutoffs(rate)
  run = lambda: filters.frequency_sweep(
      predict_fn, windows, labels, cutoffs, 'lowpass',
      config.train.eval_batch_size, rate)
  run()
  sweep_s, _ = _timed(run)

  def sweep_loop():
    for cutoff in cutoffs[1:1 + FLAGS.loop_cutoffs]:  # [0] is no filter.
      sos = scipy.signal.butter(8, cutoff, 'lowpass', fs=rate, output='sos')
      for x in windows:
        filtered = scipy.signal.sosfilt(sos, x, axis=0).astype(np.float32)
        one(filtered[None]).block_until_ready()
  loop_part_s, _ = _timed(sweep_loop)
  sweep_loop_s = loop_part_s * len(cutoffs) / FLAGS.loop_cutoffs

  json.dump({
      'device': str(jax.devices()[0]), 'members': config.n_members,
      'window_samples': int(window.shape[0]),
      'occlusion': {'positions': int(len(occlusion.mask_starts(
                        len(window), mask, stride))), 'mask': mask,
                    'batched_s': occlusion_s, 'loop_s': occlusion_loop_s,
                    'loop_over_batched': occlusion_loop_s / occlusion_s},
      'lowpass_sweep': {'cutoffs': len(cutoffs), 'windows': len(labels),
                        'batched_s': sweep_s,
                        'loop_s_extrapolated': sweep_loop_s,
                        'loop_cutoffs_timed': FLAGS.loop_cutoffs,
                        'loop_over_batched': sweep_loop_s / sweep_s},
  }, sys.stdout, indent=2)
  print()


if __name__ == '__main__':
  app.run(main)
