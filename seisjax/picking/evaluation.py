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

import json
import logging
import os

import numpy as np

from seisjax import baselines as baselines_lib
from seisjax import metrics as metrics_io
from seisjax import reports
from seisjax.picking import metrics
from seisjax.picking import records

log = logging.getLogger(__name__)


def _metadata(window_set) -> dict[str, np.ndarray]:
  recs = window_set.records
  return {key: window_set.per_window(getattr(recs, key))
          for key in records.METADATA}


def evaluate(window_set, outdir: str, dataset: str, *, picks=None,
             probs=None, baselines=(), sampling_rate=records.SAMPLING_RATE):
  """Scores the CNN and the baselines on `window_set`; writes `outdir`.

  Args:
    window_set: a `pipeline.WindowSet` (truth and metadata).
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
  os.makedirs(outdir, exist_ok=True)
  true_pick = window_set.picks.astype(np.float64)
  true_pol = window_set.per_window(window_set.records.polarity)
  meta = _metadata(window_set)
  table = {'trace': window_set.per_window(window_set.records.trace),
           'event': window_set.per_window(window_set.records.event),
           'true_pick': true_pick, 'true_polarity': true_pol, **meta}
  pick_sets, pol_sets, rows = {}, {}, []
  if picks is not None:
    pick_sets['CNN'] = picks.mean(0)
    table.update(cnn_pick=picks.mean(0), cnn_pick_std=picks.std(0))
    rows.append(metrics.summary_row('CNN ensemble', dataset, picks.mean(0),
                                    true_pick, sampling_rate=sampling_rate))
    rows += [metrics.summary_row(f'CNN member {i}', dataset, p, true_pick,
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
      rows.append(metrics.summary_row(name, dataset, out['pick'], true_pick,
                                      sampling_rate=sampling_rate))
    if probs is not None and out['polarity'] is not None:
      pol_sets[name] = out['polarity']
      table[f'{name}_polarity'] = out['polarity']
      rows.append(_polarity_row(name, dataset, out['polarity'], true_pol))
  _write_tables(outdir, table, rows, pick_sets, pol_sets, true_pick, true_pol,
                meta, sampling_rate)
  if pick_sets:
    metrics.plot_abs_error(pick_sets, true_pick,
                           os.path.join(outdir, 'abs_error.png'), meta,
                           sampling_rate=sampling_rate, title=dataset)
  if pol_sets:
    metrics.plot_polarity(pol_sets, true_pol,
                          os.path.join(outdir, 'polarity.png'), meta,
                          title=dataset)
  return rows


def _polarity_row(method, dataset, pred, true) -> dict:
  stats = metrics.polarity_stats(pred, true)
  stats.pop('confusion')
  return {'method': method, 'dataset': dataset, **stats}


def _write_tables(outdir, table, rows, pick_sets, pol_sets, true_pick,
                  true_pol, meta, sampling_rate):
  n = len(true_pick)
  reports.write_csv([{k: v[i] for k, v in table.items()} for i in range(n)],
                    os.path.join(outdir, 'windows.csv'))
  for key, values in meta.items():
    edges = metrics.DEFAULT_EDGES[key]
    binned = []
    for name, pred in pick_sets.items():
      err = np.abs(pred - true_pick) / sampling_rate
      binned += [{'method': name, **r}
                 for r in metrics.binned_abs_error(err, values, edges)]
    if binned:
      reports.write_csv(binned,
                        os.path.join(outdir, f'abs_error_vs_{key}.csv'))
    binned = [{'method': name, **r} for name, pred in pol_sets.items()
              for r in metrics.binned_polarity(pred, true_pol, values, edges)]
    if binned:
      reports.write_csv(binned, os.path.join(outdir, f'polarity_vs_{key}.csv'))
  with open(os.path.join(outdir, 'results.json'), 'w') as f:
    json.dump(metrics_io.to_json(rows), f, indent=2)
  with open(os.path.join(outdir, 'results.md'), 'w') as f:
    f.write(metrics.results_markdown(rows) + '\n')
