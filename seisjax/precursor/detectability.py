r"""Detectability: how strong must a planted precursor be to be found?

  python -m seisjax.main --config=configs/experiments.py:exp=detect,cpu \
      --workdir=runs/detect_cpu

At every SNR of `config.detectability.snrs` the synthetic data are the same
events, splits and windows with the precursor scaled (the generator draws
background and precursor from separate streams: x = background + SNR x
precursor), and two methods are trained and tested on the very same
windows: the CNN seed ensemble (an ordinary run in `<workdir>/snr_<x>`,
which resumes) and a logistic regression on log band powers
(seisjax/precursor/bandpower.py). For each: the test accuracy, its 95 %
bootstrap CI over events, and the p-value of the event-level swap test
(`stats.event_swap_p_value`: exact over the 2^n swaps of the test events'
labels; the retraining permutation test of significance.py would cost
(1 + n_null) ensembles per point). The smallest SNR at which each method is
significant (p < alpha) is reported with its accuracy; at the CNN's, the
section-6 analyses run on its run and say whether they still point at the
planted 0.16/0.21 Hz bursts and the last hours.

Writes `detectability.csv`, `detectability.json` and `detectability.png`.

Why separate runs and not one vmapped run of all points: the points differ
in their inputs, not only their labels, so members would need their own
windows in every batch (the number of points times the batch memory), and
on a CPU N members in one step are not faster than N one after another
(bench/train_throughput.py); separate runs also resume one by one.
"""

import logging
import os

from matplotlib.figure import Figure
import numpy as np

from seisjax.engine import ensemble
from seisjax.engine import train
from seisjax.engine import writers
from seisjax.precursor import analyze
from seisjax.precursor import bandpower
from seisjax.precursor import data as precursor_data
from seisjax.precursor import stats
from seisjax.precursor import synthetic
from seisjax.precursor import task as task_lib

log = logging.getLogger(__name__)
METHODS = ('cnn', 'bandpower')
# Within this of a planted burst frequency, a spectral peak points at it.
PEAK_TOLERANCE_HZ = 0.03


def _point_config(config, snr: float):
  point = config.copy_and_resolve_references()
  with point.unlocked():
    point.mode = 'train'
    point.data.snr = float(snr)
  return point


def _score(probs, labels, events) -> dict:
  """Accuracy, its bootstrap CI and the event-swap p-value of predictions."""
  correct = stats.predict(probs) == labels
  accuracy, low, high = stats.bootstrap_ci(correct, events)
  return {'accuracy': accuracy, 'ci_low': low, 'ci_high': high,
          'p_value': stats.event_swap_p_value(correct, events)}


def run_point(config, workdir: str, snr: float) -> dict:
  """Trains and tests both methods at one SNR; returns their scores."""
  point = _point_config(config, snr)
  task = task_lib.TASK
  run_dir = os.path.join(workdir, f'snr_{snr:g}')
  train.train_and_evaluate(point, run_dir, task)
  datasets = task.get_datasets(point)
  test = precursor_data.labelled(datasets.test_all)
  labels = test.per_window(test.labels)
  events = test.per_window(test.events)
  batch = point.train.eval_batch_size

  mesh = ensemble.make_mesh(point.mesh.member, point.mesh.data)
  model, variables = train.load_best(point, task, run_dir, mesh)
  predict_fn = ensemble.jit_ensemble_predict(task.make_predict(model), mesh,
                                             train.ensemble_way(point))
  cnn = ensemble.eval_step(predict_fn, variables, test, batch).mean(axis=0)

  rate = point.data.sampling_rate
  features = {name: bandpower.log_band_powers(ws, rate, batch_size=batch)
              for name, ws in (('train', datasets.train),
                               ('val', datasets.val), ('test', test))}
  clf = bandpower.fit(
      features['train'], datasets.train.per_window(datasets.train.labels),
      features['val'], datasets.val.per_window(datasets.val.labels))
  row = {'snr': float(snr), 'run': run_dir}
  for method, probs in (('cnn', cnn),
                        ('bandpower', clf.predict(features['test']))):
    row.update({f'{method}_{k}': v
                for k, v in _score(probs, labels, events).items()})
  row['bandpower_c'] = clf.c
  log.info('SNR %g: CNN accuracy %.3f (p %.3g), band powers %.3f (p %.3g)',
           snr, row['cnn_accuracy'], row['cnn_p_value'],
           row['bandpower_accuracy'], row['bandpower_p_value'])
  return row


def threshold(rows, method: str, alpha: float) -> dict | None:
  """The smallest SNR at which `method` is significant, with its accuracy."""
  for row in sorted(rows, key=lambda r: r['snr']):
    if row[f'{method}_p_value'] < alpha:
      return {'snr': row['snr'], 'accuracy': row[f'{method}_accuracy'],
              'p_value': row[f'{method}_p_value']}
  return None


def _near_planted(peaks_hz) -> bool:
  return any(abs(p - f) <= PEAK_TOLERANCE_HZ
             for p in peaks_hz for f in synthetic.PEAK_FREQUENCIES)


def analyses_at(config, run_dir: str) -> dict:
  """The section-6 analyses of one run, and what they point at."""
  point = config.copy_and_resolve_references()
  with point.unlocked():
    point.mode = 'analyze'
  results = analyze.analyze(point, run_dir)
  summary = {k: results.get(k) for k in (
      'spectra/train_peaks_hz', 'spectra/test_peaks_hz',
      'spectra/train_p_value', 'spectra/test_p_value',
      'lowpass/drop_cutoff_hz', 'bandstop/lowest_accuracy_cutoff_hz',
      'time_occlusion/largest_drop_time_s')}
  summary['spectral_peak_at_planted_bursts'] = _near_planted(
      (results.get('spectra/train_peaks_hz') or [])
      + (results.get('spectra/test_peaks_hz') or []))
  band = results.get('bandstop/lowest_accuracy_cutoff_hz')
  summary['bandstop_at_planted_band'] = band is not None and (
      synthetic.BAND[0] <= band <= synthetic.BAND[1])
  return summary


def plot(rows, thresholds, alpha: float, path) -> None:
  """Accuracy against SNR for both methods, CIs as bands."""
  fig = Figure(figsize=(6.5, 4))
  ax = fig.add_subplot()
  snrs = np.array([r['snr'] for r in rows])
  x = np.where(snrs > 0, snrs, np.min(snrs[snrs > 0], initial=1) / 4)
  for method, label in (('cnn', 'CNN ensemble'),
                        ('bandpower', 'band powers + logistic')):
    acc = np.array([r[f'{method}_accuracy'] for r in rows])
    ax.fill_between(x, [r[f'{method}_ci_low'] for r in rows],
                    [r[f'{method}_ci_high'] for r in rows], alpha=0.2)
    ax.plot(x, acc, marker='o', label=label)
    significant = np.array([r[f'{method}_p_value'] < alpha for r in rows])
    ax.scatter(x[significant], acc[significant], s=80, facecolors='none',
               edgecolors='k', zorder=3)
    if thresholds[method]:
      ax.axvline(max(thresholds[method]['snr'], x.min()), linestyle=':',
                 color=ax.lines[-1].get_color())
  ax.axhline(0.5, color='C3', linestyle='--', label='chance')
  ax.set_xscale('log')
  ax.set_xticks(x, [f'{s:g}' for s in snrs])
  ax.set_xlabel('Planted precursor SNR (leftmost: 0)')
  ax.set_ylabel('Test accuracy (95 % CI over events)')
  ax.set_title(f'Circled: significant (event-swap p < {alpha:g}); dotted: '
               'smallest', fontsize=9)
  ax.legend(fontsize=8)
  fig.tight_layout()
  writers.save_figure(fig, path)


def detectability(config, workdir: str) -> dict:
  """The sweep over `config.detectability.snrs`; what detectability.json holds."""
  if config.data.name != 'synthetic_precursor':
    raise ValueError('The detectability sweep plants precursors: it runs on '
                     "data.name='synthetic_precursor'.")
  options = config.detectability
  rows = [run_point(config, workdir, snr) for snr in sorted(options.snrs)]
  thresholds = {m: threshold(rows, m, options.alpha) for m in METHODS}
  result = {'rows': rows, 'alpha': options.alpha, 'thresholds': thresholds,
            'test_events': int(config.data.n_test_events)}
  cnn = thresholds['cnn']
  if cnn and options.analyses_at_threshold:
    result['analyses_at_cnn_threshold'] = analyses_at(
        _point_config(config, cnn['snr']),
        os.path.join(workdir, f'snr_{cnn["snr"]:g}'))
  writers.write_csv(rows, os.path.join(workdir, 'detectability.csv'))
  writers.write_json(result, os.path.join(workdir, 'detectability.json'))
  plot(rows, thresholds, options.alpha,
       os.path.join(workdir, 'detectability.png'))
  for method in METHODS:
    t = thresholds[method]
    log.info('%s: %s', method, 'never significant' if t is None else
             f'significant from SNR {t["snr"]:g} (accuracy {t["accuracy"]:.3f},'
             f' p {t["p_value"]:.3g})')
  return result
