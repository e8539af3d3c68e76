"""Evaluation of P picks and first-motion polarities (Ross et al. 2018).

Numpy and matplotlib only, on picks already pulled off the device, so the
CNN and the classical baselines (`seisjax.picking.baselines`) are scored alike:

  stats = scoring.residual_stats(pred_pick, true_pick)   # Fig. 2 numbers
  rows = scoring.binned_abs_error(abs_err, snr_db, edges)  # Fig. 3 table
  pol = scoring.polarity_stats(pred_polarity, true_polarity)
  scoring.plot_abs_error({'CNN': cnn, 'pk_baer': baer}, true, 'picks.png',
                         metadata={'snr_db': snr, ...})
  print(scoring.results_markdown([scoring.summary_row('CNN', 'scsn', ...)]))

Picks are in samples from the window start; residuals are pred - true in
seconds. A NaN (or infinite) pick is a miss: it counts in `n` and against
the fraction within tolerance, and nowhere else.
"""

import math
from typing import Any, Mapping, Sequence

from matplotlib.figure import Figure
import numpy as np

from seisjax.engine import writers
from seisjax.picking import records

TOLERANCE_S = 0.028  # The paper's "within 0.028 s" headline number.
FENCE_IQR = 3.0  # Tukey's outer fence, as in the paper.
# Slack so that a residual of exactly the tolerance counts despite rounding
# (2.8 samples / 100 Hz is not exactly 0.028 in binary).
_SLACK_S = 1e-9
DEFAULT_EDGES = {
    'snr_db': (0, 5, 10, 15, 20, 30, 40, 60),
    'distance_km': (0, 20, 40, 60, 80, 100, 150, 200),
    'magnitude': (0, 1, 2, 3, 4, 5, 7),
}
_AXIS_LABELS = {'snr_db': 'SNR (dB)', 'distance_km': 'Distance (km)',
                'magnitude': 'Magnitude', 'all': ''}
_HEADERS = {
    'method': 'Method', 'dataset': 'Dataset', 'n': 'N',
    'n_missed': 'Missed', 'n_outliers': 'Outliers', 'mean_s': 'Mean (s)',
    'std_s': 'Std (s)', 'frac_within': 'Within tol.',
    'mean_abs_s': 'Mean abs (s)', 'abs_p75_s': 'P75 abs (s)',
    'abs_p90_s': 'P90 abs (s)', 'accuracy': 'Pol. acc.',
    **{f'{k}_{c}': f'{short} {c}' for k, short in (
        ('precision', 'Prec.'), ('recall', 'Rec.'))
       for c in records.POLARITY_NAMES},
}


def _flat(x, dtype=np.float64) -> np.ndarray:
  return np.asarray(x, dtype).reshape(-1)


def residual_stats(pred, true, sampling_rate: float = 100.0,
                   tolerance: float = TOLERANCE_S) -> dict[str, Any]:
  """Pick residual statistics as in the paper's Fig. 2.

  Args:
    pred: (n,) predicted picks in samples, NaN where nothing was picked.
    true: (n,) true picks in samples (finite).
    sampling_rate: Hz.
    tolerance: seconds for `frac_within`.

  Returns:
    n: windows; n_missed: NaN picks; n_outliers: residuals beyond Tukey's
    outer fence (Q1 - 3 IQR, Q3 + 3 IQR of the non-missed residuals);
    mean_s, std_s: mean and population std (ddof 0) of the residuals left
    after removing outliers; frac_within: fraction of ALL n windows with
    |residual| <= tolerance (a miss is a failure); mean_abs_s, abs_p75_s,
    abs_p90_s: mean and percentiles of |residual| over the non-missed
    windows, outliers included. Statistics of no residuals are NaN.
  """
  pred, true = _flat(pred), _flat(true)
  if pred.shape != true.shape:
    raise ValueError(f'pred {pred.shape} and true {true.shape} differ.')
  if not np.all(np.isfinite(true)):
    raise ValueError('true picks must be finite.')
  hit = np.isfinite(pred)
  residual = (pred[hit] - true[hit]) / sampling_rate
  abs_err = np.abs(residual)
  stats = {'n': pred.size, 'n_missed': int(pred.size - hit.sum()),
           'n_outliers': 0, 'mean_s': math.nan, 'std_s': math.nan,
           'frac_within': math.nan, 'mean_abs_s': math.nan,
           'abs_p75_s': math.nan, 'abs_p90_s': math.nan}
  if pred.size:
    stats['frac_within'] = float(
        np.sum(abs_err <= tolerance + _SLACK_S) / pred.size)
  if residual.size:
    q1, q3 = np.percentile(residual, [25, 75])
    fence = FENCE_IQR * (q3 - q1)
    kept = residual[(residual >= q1 - fence) & (residual <= q3 + fence)]
    p75, p90 = np.percentile(abs_err, [75, 90])
    stats.update(n_outliers=int(residual.size - kept.size),
                 mean_s=float(kept.mean()), std_s=float(kept.std()),
                 mean_abs_s=float(abs_err.mean()), abs_p75_s=float(p75),
                 abs_p90_s=float(p90))
  return stats


def _bins(values, edges) -> list[tuple[str, float, float, np.ndarray]]:
  """(label, lo, hi, mask) per bin of `values`.

  Bins are [e_i, e_i+1), the last one closed. Values below or above the
  edges get a bin of their own (-inf or inf side), as NaN values get an
  'unknown' bin; these three appear only when they hold something, so no
  window is dropped silently.
  """
  values = _flat(values)
  edges = np.asarray(edges, np.float64)
  if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
    raise ValueError(f'edges must increase, got {edges}.')
  out = []
  below, above = values < edges[0], values > edges[-1]
  if below.any():
    out.append((f'< {edges[0]:g}', -math.inf, edges[0], below))
  for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
    last = i == edges.size - 2
    mask = (values >= lo) & ((values <= hi) if last else (values < hi))
    out.append((f'{lo:g}-{hi:g}', lo, hi, mask))
  if above.any():
    out.append((f'> {edges[-1]:g}', edges[-1], math.inf, above))
  unknown = np.isnan(values)
  if unknown.any():
    out.append(('unknown', math.nan, math.nan, unknown))
  return out


def binned_abs_error(abs_err, values, edges) -> list[dict[str, Any]]:
  """|error| against a metadata value (SNR, distance, magnitude), Fig. 3.

  Args:
    abs_err: (n,) absolute residuals, NaN for misses.
    values: (n,) metadata, NaN where unknown.
    edges: increasing bin edges; bins are [e_i, e_i+1), the last closed.

  Returns:
    One row per bin: bin (label), lo, hi, n (windows), n_missed, and the
    median, mean, p75 and p90 of |error| over its non-missed windows (NaN
    when there are none). Every bin between the edges has a row; values
    below or above the edges and NaN values get extra rows ('< e0', '> eN',
    'unknown') when there are any, so every window is counted once.
  """
  abs_err = _flat(abs_err)
  rows = []
  for label, lo, hi, mask in _bins(values, edges):
    err = abs_err[mask]
    got = err[np.isfinite(err)]
    median, p75, p90 = (np.percentile(got, [50, 75, 90]) if got.size
                        else [math.nan] * 3)
    rows.append({'bin': label, 'lo': lo, 'hi': hi, 'n': int(mask.sum()),
                 'n_missed': int(err.size - got.size),
                 'median': float(median), 'p75': float(p75),
                 'p90': float(p90),
                 'mean': float(got.mean()) if got.size else math.nan})
  return rows


def polarity_stats(pred, true) -> dict[str, Any]:
  """Precision and recall per class, accuracy and the confusion matrix.

  Args:
    pred: (n,) predicted codes, DOWN / UP / UNKNOWN (0 / 1 / 2).
    true: (n,) true codes.

  Returns:
    n, accuracy, precision_<class> and recall_<class> for class in down,
    up, unknown (NaN when nothing was predicted / is true of the class),
    and confusion: (3, 3) counts, rows true, columns predicted.
  """
  pred, true = _flat(pred, np.int64), _flat(true, np.int64)
  k = len(records.POLARITY_NAMES)
  if pred.shape != true.shape:
    raise ValueError(f'pred {pred.shape} and true {true.shape} differ.')
  for name, codes in (('pred', pred), ('true', true)):
    if codes.size and (codes.min() < 0 or codes.max() >= k):
      raise ValueError(f'{name} codes must be in 0..{k - 1}.')
  cm = np.bincount(k * true + pred, minlength=k * k).reshape(k, k)
  ratio = lambda a, b: float(a / b) if b else math.nan
  stats = {'n': pred.size, 'accuracy': ratio(np.trace(cm), cm.sum())}
  for c, name in enumerate(records.POLARITY_NAMES):
    stats[f'precision_{name}'] = ratio(cm[c, c], cm[:, c].sum())
    stats[f'recall_{name}'] = ratio(cm[c, c], cm[c].sum())
  stats['confusion'] = cm
  return stats


def binned_polarity(pred, true, values, edges) -> list[dict[str, Any]]:
  """`polarity_stats` (less the confusion matrix) per metadata bin, Fig. 4.

  Bins as in `binned_abs_error`: bin, lo, hi, then the statistics.
  """
  pred, true = _flat(pred, np.int64), _flat(true, np.int64)
  rows = []
  for label, lo, hi, mask in _bins(values, edges):
    stats = polarity_stats(pred[mask], true[mask])
    del stats['confusion']
    rows.append({'bin': label, 'lo': lo, 'hi': hi, **stats})
  return rows


def summary_row(method: str, dataset: str, pred_pick, true_pick,
                pred_polarity=None, true_polarity=None,
                sampling_rate: float = 100.0) -> dict[str, Any]:
  """One `results_markdown` row: residual and (optional) polarity stats."""
  row = {'method': method, 'dataset': dataset,
         **residual_stats(pred_pick, true_pick, sampling_rate)}
  if pred_polarity is not None:
    pol = polarity_stats(pred_polarity, true_polarity)
    row.update({k: v for k, v in pol.items() if k not in ('n', 'confusion')})
  return row


def _panels(metadata, edges, n):
  """(key, values, edges) to plot; one 'all' panel without metadata."""
  edges = {**DEFAULT_EDGES, **(edges or {})}
  panels = [(key, _flat(v), edges[key]) for key, v in (metadata or {}).items()
            if not np.all(np.isnan(_flat(v)))]
  return panels or [('all', np.zeros(n), (-1.0, 1.0))]


def _bin_axis(ax, rows, key):
  ax.set_xticks(range(len(rows)),
                [f"{r['bin']}\nn={r['n']}" for r in rows], fontsize=7)
  ax.set_xlabel(_AXIS_LABELS.get(key, key))


def plot_abs_error(picks: Mapping[str, Any], true, path, metadata=None,
                   edges=None, sampling_rate: float = 100.0,
                   title: str = '') -> None:
  """|error| against SNR, distance, magnitude and residual histograms.

  Args:
    picks: method name -> (n,) predicted picks in samples (NaN = miss).
    true: (n,) true picks in samples.
    path: PNG file to write.
    metadata: key (snr_db, distance_km, magnitude...) -> (n,) values; keys
      that are all NaN are left out.
    edges: key -> bin edges, overriding DEFAULT_EDGES.
    sampling_rate: Hz.
    title: figure title.
  """
  true = _flat(true)
  panels = _panels(metadata, edges, true.size)
  fig = Figure(figsize=(4 * (len(panels) + 1), 3.8))
  axes = fig.subplots(1, len(panels) + 1, squeeze=False)[0]
  for m, (name, pred) in enumerate(picks.items()):
    residual = (_flat(pred) - true) / sampling_rate
    for ax, (key, values, key_edges) in zip(axes, panels):
      rows = binned_abs_error(np.abs(residual), values, key_edges)
      x = np.arange(len(rows))
      ax.plot(x, [r['median'] for r in rows], 'o-', color=f'C{m}',
              label=name)
      ax.plot(x, [r['p90'] for r in rows], '--', color=f'C{m}')
      _bin_axis(ax, rows, key)
    got = residual[np.isfinite(residual)]
    axes[-1].hist(np.clip(got, -0.5, 0.5), histtype='step', color=f'C{m}',
                  bins=np.linspace(-0.505, 0.505, 102),
                  label=f'{name} ({residual.size - got.size} missed)')
  for ax in axes[:-1]:
    # Symlog: exact picks give 0 s, which a log axis cannot show.
    ax.set_yscale('symlog', linthresh=0.01)
    ax.set_ylim(bottom=0)
    ax.set_ylabel('|error| (s): median -, p90 --')
    ax.legend(fontsize=7)
  axes[-1].set_xlabel('Residual pred - true (s), clipped to +-0.5')
  axes[-1].set_ylabel('Windows')
  axes[-1].legend(fontsize=7)
  fig.suptitle(title)
  fig.tight_layout()
  writers.save_figure(fig, path)


def plot_polarity(polarities: Mapping[str, Any], true, path, metadata=None,
                  edges=None, title: str = '') -> None:
  """Precision and recall of up and down against metadata, Fig. 4.

  Args:
    polarities: method name -> (n,) predicted codes.
    true: (n,) true codes.
    path: PNG file to write.
    metadata, edges: as in `plot_abs_error`; without metadata one 'all'
      bin is drawn.
    title: figure title.
  """
  true = _flat(true, np.int64)
  panels = _panels(metadata, edges, true.size)
  fig = Figure(figsize=(4 * len(panels), 6))
  axes = fig.subplots(2, len(panels), squeeze=False)
  for m, (name, pred) in enumerate(polarities.items()):
    for col, (key, values, key_edges) in enumerate(panels):
      rows = binned_polarity(pred, true, values, key_edges)
      x = np.arange(len(rows))
      for row, stat in enumerate(('precision', 'recall')):
        ax = axes[row, col]
        for cls, style in (('up', 'o-'), ('down', 's--')):
          ax.plot(x, [r[f'{stat}_{cls}'] for r in rows], style,
                  color=f'C{m}', label=f'{name} {cls}')
        ax.set_ylim(-0.05, 1.05)
        ax.set_ylabel(stat.capitalize())
        _bin_axis(ax, rows, key)
  axes[0, 0].legend(fontsize=7)
  fig.suptitle(title)
  fig.tight_layout()
  writers.save_figure(fig, path)


def _cell(x) -> str:
  """A table cell: n/a for None/NaN, 3 decimals below 10, fewer above."""
  if x is None or (isinstance(x, (float, np.floating)) and math.isnan(x)):
    return 'n/a'
  if isinstance(x, (bool, np.bool_, int, np.integer, str)):
    return str(x)
  x = float(x)
  return f'{x:.3f}' if abs(x) < 10 else f'{x:.1f}' if abs(x) < 1000 else (
      f'{x:.0f}')


def results_markdown(rows: Sequence[Mapping[str, Any]],
                     columns: Sequence[str] | None = None) -> str:
  """A markdown table of result rows (e.g. from `summary_row`).

  Args:
    rows: dicts of scalars; a row without a column shows n/a.
    columns: keys to show, in order; default every scalar key in order of
      first appearance. Known keys get readable headers (frac_within is
      'Within tol.': |error| <= 0.028 s by default).

  Returns:
    The table, header and separator first; text left- and numbers
    right-aligned.
  """
  if columns is None:
    columns = []
    for row in rows:
      columns += [k for k, v in row.items()
                  if k not in columns and np.ndim(v) == 0]
  numeric = [not all(isinstance(r.get(c), str) for r in rows if c in r)
             for c in columns]
  lines = ['| ' + ' | '.join(_HEADERS.get(c, c) for c in columns) + ' |',
           '|' + '|'.join('---:' if num else '---' for num in numeric) + '|']
  for row in rows:
    lines.append('| ' + ' | '.join(_cell(row.get(c)) for c in columns) + ' |')
  return '\n'.join(lines)
