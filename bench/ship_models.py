r"""Trains the shipped picker and polarity models, stores them in the package.

  python bench/ship_models.py

One command: trains (or reuses, resuming where it stopped)
  configs/picker.py:cpu,data=semisynthetic    -> runs/shipped_picker
  configs/polarity.py:cpu,data=semisynthetic  -> runs/shipped_polarity
on all four real sets of ../shared/data/picks (their records, their clean
P signals in real noise) and synthetic records
(seisjax/picking/semisynthetic.py), 15 % of the events held in for
early stopping, then writes seisjax/picking/shipped/{picker,polarity}.npz
(the members' best weights, float32) and .json (the config, the data, the
git commit, the command and the measured scores: on the held-in validation
records of the four sets, and the leave-one-set-out scores of the same
recipe from bench/results/picks.json when bench/pick_results.py has run).
`seisjax-pick` and `seisjax.picking.inference.load_ensemble()` use them
when no workdir is given.
"""

import datetime
import json
import os
import sys

from absl import app
from absl import flags
import numpy as np

from configs import picker
from configs import polarity
from seisjax import registry
from seisjax.engine import provenance
from seisjax.engine import train
from seisjax.picking import data as pick_data
from seisjax.picking import inference
from seisjax.picking import records
from seisjax.picking import scoring

flags.DEFINE_string('runs', 'runs', 'Folder of the training runs.')
flags.DEFINE_string('loso', 'bench/results/picks.json',
                    'Leave-one-set-out results to quote (if present).')
FLAGS = flags.FLAGS
COMMAND = 'python bench/ship_models.py'


def _held_in(workdir: str) -> tuple[dict, dict]:
  """Scores on the run's validation events, and the data's metadata.

  Scores: picker, on the real validation records and on all validation
  windows (real, mixes, synthetic); polarity, on all validation windows.
  """
  ens = inference.load_ensemble(workdir)
  datasets = inference.TASKS[ens.task].get_datasets(ens.config)
  val, meta = datasets.val, datasets.builder_metadata
  real = np.array([not t.startswith('mix') and not e.startswith('syn')
                   for t, e in zip(val.records.trace, val.records.event)])
  real_windows = np.repeat(real, val.copies)
  out = ens(val.windows())
  if ens.task == 'picker':
    picks = out.mean(0)
    return {name: scoring.residual_stats(picks[mask], val.picks[mask])
            for name, mask in (('real_validation_records', real_windows),
                               ('all_validation_windows',
                                np.ones_like(real_windows)))}, meta
  pred = out.mean(0).argmax(-1)
  true = val.per_window(val.records.polarity)
  stats = scoring.polarity_stats(pred, true)
  stats.pop('confusion')
  return {'all_validation_windows (balanced classes)': stats,
          'n_real_validation_records': int(real.sum())}, meta


def _loso(task: str) -> dict:
  if not os.path.exists(FLAGS.loso):
    return {}
  with open(FLAGS.loso) as f:
    results = json.load(f)
  note = ('The same recipe (cpu network, data=semisynthetic) trained on '
          'three sets and scored on the fourth (bench/pick_results.py); the '
          'shipped model itself saw all four.')
  if task == 'picker':
    return {'note': note, 'commit': results.get('commit'),
            'pooled': results['pooled'].get('CNN ensemble'),
            'per_set': {s: r.get('CNN ensemble')
                        for s, r in results['sets'].items()}}
  return {'note': note, 'commit': results.get('commit'),
          'kumamoto_hinet': results['polarity'].get('CNN ensemble')}


def main(argv):
  del argv
  missing = [s for s in pick_data.SHARED_READERS
             if not os.path.isdir(os.path.join(pick_data.SHARED_PICKS, s))]
  if missing:
    sys.exit(f'{pick_data.SHARED_PICKS} lacks {missing}: cannot train.')
  for module, task in ((picker, 'picker'), (polarity, 'polarity')):
    arg = 'cpu,data=semisynthetic'
    config = module.get_config(arg)
    workdir = os.path.join(FLAGS.runs, f'shipped_{task}')
    train.train_and_evaluate(config, workdir, registry.get_task(config.task))
    with open(os.path.join(workdir, 'run.json')) as f:
      run = json.load(f)
    held_in, data_meta = _held_in(workdir)
    meta = inference.export_shipped(
        workdir, command=COMMAND,
        config_arg=f'configs/{task}.py:{arg}',
        git_commit=provenance.git('rev-parse', 'HEAD'),
        git_dirty=bool(provenance.git('status', '--porcelain',
                                      '--untracked-files=no')),
        created=str(datetime.date.today()),
        data={'dataset': run.get('dataset'),
              'sets': list(config.data.sets),
              'synthetic_events': config.data.generator.n_events,
              'continuous_noise': [os.path.basename(p)
                                   for p in config.data.noise_files],
              'n_events': {k: len(v) for k, v in run['splits'].items()},
              'metadata': data_meta},
        input={'sampling_rate_hz': records.SAMPLING_RATE,
               'window_samples': records.WINDOW_SAMPLES,
               'preprocessing': 'vertical, linear detrend, 100 Hz, causal '
                                '4-corner Butterworth 1-20 Hz, window '
                                'divided by its peak'},
        scores={'held_in_validation': held_in,
                'leave_one_set_out': _loso(task)})
    print(f'{task}: {meta["weights_bytes"] / 1e6:.2f} MB, '
          f'{meta["n_members"]} members -> {inference.SHIPPED}')


if __name__ == '__main__':
  app.run(main)
