"""Picks and polarities of an ensemble and the baselines, on one window set.

Writes, into one folder, the paper's statistics and figures (Ross et al.
2018, Figs. 2-4) for the CNN ensemble and every ObsPy baseline on the very
same windows:
  results.md, results.json   one row per method (residual mean and std after
                             outer-fence outliers, share within 0.028 s,
                             75th/90th percentile of |error|; polarity
                             precision and recall per class)
  windows.csv                every window: truth, CNN mean and spread, each
                             baseline, SNR, distance, magnitude
  abs_error_vs_<key>.csv     |error| against SNR, distance and magnitude
  polarity_vs_<key>.csv      polarity precision/recall against the same
  abs_error.png, polarity.png
"""

import logging
import os

import numpy as np

from seisjax.engine import ensemble
from seisjax.engine import writers
from seisjax.picking import baselines as baselines_lib
from seisjax.picking import records
from seisjax.picking import scoring

log = logging.getLogger(__name__)


def evaluate_test_events(config, workdir: str, datasets, predict_fn,
                         variables, output: str) -> dict:
  """Scores a trained run on its test events; the run's summary.

  Writes `<workdir>/test/` (see `evaluate`) for the ensemble and every
  baseline of `config.baselines` on the same windows.

  Args:
    config: the run's config.
    workdir: the run's workdir.
    datasets: the run's `PickDatasets`.
    predict_fn, variables: the jitted ensemble prediction and the best
      weights, stacked over members.
    output: 'picks' (the picker) or 'probs' (the polarity classifier).
  """
  test = datasets.test
  summary = {'task': config.task, 'dataset': datasets.dataset_name,
             'n_test_events': len(datasets.splits['test']),
             'n_test_windows': len(test)}
  if len(test):
    out = ensemble.eval_step(predict_fn, variables, test,
                             config.train.eval_batch_size)
    summary['results'] = evaluate(
        test, os.path.join(workdir, 'test'), datasets.dataset_name,
        baselines=tuple(config.baselines), **{output: out})
    for row in summary['results']:
      log.info('%s', ', '.join(f'{k} {v:.4g}' if isinstance(v, float)
                               else f'{k} {v}' for k, v in row.items()))
  else:
    log.info('No test events (data.test_fraction=0): evaluate another set '
             'with python -m seisjax.picking.evaluate.')
  return summary


def _metadata(window_set) -> dict[str, np.ndarray]:
  recs = window_set.records
  return {key: window_set.per_window(getattr(recs, key))
          for key in records.METADATA}


def evaluate(window_set, outdir: str, dataset: str, *, picks=None,
             probs=None, baselines=(), sampling_rate=records.SAMPLING_RATE):
  """Scores the CNN and the baselines on `window_set`; writes `outdir`.

  Args:
    window_set: a `pick_data.PickWindows` (truth and metadata).
    outdir: folder for the files listed in the module docstring.
    dataset: name of the data in the tables.
    picks: (members, n) picker output in samples, or None.
    probs: (members, n, 3) polarity probabilities, or None.
    baselines: names in `baselines.BASELINES` to run on the same windows.
    sampling_rate: Hz.

  Returns:
    The rows of results.md (the CNN ensemble first, then each member, then
    the baselines).
  """
  true_pick = window_set.picks.astype(np.float64)
  true_pol = window_set.per_window(window_set.records.polarity)
  if probs is not None and np.all(true_pol == records.UNKNOWN):
    raise ValueError(
        f'{dataset} labels no first motion (every record is unknown): a '
        'polarity evaluation would score the classifier against nothing. '
        'Evaluate it on a set with polarity labels, e.g. kumamoto_hinet.')
  os.makedirs(outdir, exist_ok=True)
  meta = _metadata(window_set)
  table = {'trace': window_set.per_window(window_set.records.trace),
           'event': window_set.per_window(window_set.records.event),
           'true_pick': true_pick, 'true_polarity': true_pol, **meta}
  pick_sets, pol_sets, rows = {}, {}, []
  if picks is not None:
    pick_sets['CNN'] = picks.mean(0)
    table.update(cnn_pick=picks.mean(0), cnn_pick_std=picks.std(0))
    rows.append(scoring.summary_row('CNN ensemble', dataset, picks.mean(0),
                                    true_pick, sampling_rate=sampling_rate))
    rows += [scoring.summary_row(f'CNN member {i}', dataset, p, true_pick,
                                 sampling_rate=sampling_rate)
             for i, p in enumerate(picks)]
  if probs is not None:
    pol_sets['CNN'] = probs.mean(0).argmax(-1)
    table.update(cnn_polarity=pol_sets['CNN'],
                 **{f'cnn_p_{name}': probs.mean(0)[:, c]
                    for c, name in enumerate(records.POLARITY_NAMES)})
    rows.append(_polarity_row('CNN ensemble', dataset, pol_sets['CNN'],
                              true_pol))
    rows += [_polarity_row(f'CNN member {i}', dataset, p.argmax(-1), true_pol)
             for i, p in enumerate(probs)]
  windows = window_set.windows() if baselines else None
  for name in baselines:
    out = baselines_lib.run(name, windows, sampling_rate)
    if picks is not None:
      pick_sets[name] = out['pick']
      table[f'{name}_pick'] = out['pick']
      rows.append(scoring.summary_row(name, dataset, out['pick'], true_pick,
                                      sampling_rate=sampling_rate))
    if probs is not None and out['polarity'] is not None:
      pol_sets[name] = out['polarity']
      table[f'{name}_polarity'] = out['polarity']
      rows.append(_polarity_row(name, dataset, out['polarity'], true_pol))
  _write_tables(outdir, table, rows, pick_sets, pol_sets, true_pick, true_pol,
                meta, sampling_rate)
  if pick_sets:
    scoring.plot_abs_error(pick_sets, true_pick,
                           os.path.join(outdir, 'abs_error.png'), meta,
                           sampling_rate=sampling_rate, title=dataset)
  if pol_sets:
    scoring.plot_polarity(pol_sets, true_pol,
                          os.path.join(outdir, 'polarity.png'), meta,
                          title=dataset)
  return rows


def _polarity_row(method, dataset, pred, true) -> dict:
  stats = scoring.polarity_stats(pred, true)
  stats.pop('confusion')
  return {'method': method, 'dataset': dataset, **stats}


def _write_tables(outdir, table, rows, pick_sets, pol_sets, true_pick,
                  true_pol, meta, sampling_rate):
  n = len(true_pick)
  writers.write_csv([{k: v[i] for k, v in table.items()} for i in range(n)],
                    os.path.join(outdir, 'windows.csv'))
  for key, values in meta.items():
    edges = scoring.DEFAULT_EDGES[key]
    binned = []
    for name, pred in pick_sets.items():
      err = np.abs(pred - true_pick) / sampling_rate
      binned += [{'method': name, **r}
                 for r in scoring.binned_abs_error(err, values, edges)]
    if binned:
      writers.write_csv(binned,
                        os.path.join(outdir, f'abs_error_vs_{key}.csv'))
    binned = [{'method': name, **r} for name, pred in pol_sets.items()
              for r in scoring.binned_polarity(pred, true_pol, values, edges)]
    if binned:
      writers.write_csv(binned, os.path.join(outdir, f'polarity_vs_{key}.csv'))
  writers.write_json(rows, os.path.join(outdir, 'results.json'))
  writers.write_text(scoring.results_markdown(rows) + '\n',
                     os.path.join(outdir, 'results.md'))
