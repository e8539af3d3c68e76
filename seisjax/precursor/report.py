"""Tables and figures of the precursor study (Ong et al.) from predictions.

Numpy and matplotlib on arrays already off the device (the numbers come from
seisjax/precursor/stats.py), so a notebook can rebuild a report from saved
predictions without JAX:

  summary = report.write_precursor_report(
      workdir,
      train=report.SplitPredictions(probs, labels, events),
      test=report.SplitPredictions(probs, labels, events),
      all_interval_probs=probs,          # (members, windows)
      all_interval_intervals=intervals,  # (windows,), 1 = earliest
  )
"""

import os
from typing import Any, NamedTuple, Sequence

from matplotlib.figure import Figure
import numpy as np

from seisjax.engine import writers
from seisjax.precursor import stats

INTERVAL_S = 1000.0  # The paper's interval: 1000 s.
CLASS_NAMES = ('noise', 'precursor')
_TITLES = {'train': 'Training', 'test': 'Test', 'verify': 'Verification'}


class SplitPredictions(NamedTuple):
  """Predictions of every ensemble member on one split.

  Attributes:
    probs: (members, windows) precursor probabilities.
    labels: (windows,) true labels, 0 = noise, 1 = precursor.
    events: (windows,) event id of each window (int or str).
  """

  probs: Any
  labels: Any
  events: Any


def per_event_markdown(rows: Sequence[dict[str, Any]]) -> str:
  """Formats `per_event_table` rows as a markdown table.

  Args:
    rows: rows from `per_event_table`.

  Returns:
    The table, one line per event after the header, percentages to one
    decimal and 'n/a' where a class is missing.
  """
  header = (
      '| Event | Windows | Correct | Precursor acc. (%) | Noise acc. (%) '
      '| Accuracy (%) |'
  )
  lines = [header, '|---|---:|---:|---:|---:|---:|']
  pct = lambda x: 'n/a' if x is None else f'{x:.1f}'
  for r in rows:
    lines.append(
        f"| {r['event']} | {r['n_windows']} | {r['n_correct']} "
        f"| {pct(r['precursor_accuracy_pct'])} "
        f"| {pct(r['noise_accuracy_pct'])} | {pct(r['accuracy_pct'])} |"
    )
  return '\n'.join(lines) + '\n'


def _hours_before_event(interval, n_intervals, interval_s):
  """Hours from the start of an interval to the event."""
  return (n_intervals + 1 - np.asarray(interval)) * interval_s / 3600.0


def plot_confusion(cm, path, title: str = '') -> None:
  """Draws a 2x2 confusion matrix as in the paper's Fig. 4.

  Each cell shows its count and its percentage of the true class (the row),
  so the diagonal reads as the accuracy on noise and on precursor windows;
  colour follows that percentage.

  Args:
    cm: (2, 2) confusion matrix from `confusion_matrix`.
    path: PNG file to write.
    title: figure title.
  """
  cm = np.asarray(cm)
  row_totals = cm.sum(axis=1, keepdims=True)
  with np.errstate(invalid='ignore', divide='ignore'):
    row_pct = np.where(row_totals > 0, 100.0 * cm / row_totals, np.nan)
  # A bare Figure, not pyplot: no global backend or figure registry to leak.
  fig = Figure(figsize=(4.2, 3.8))
  ax = fig.add_subplot()
  ax.imshow(np.nan_to_num(row_pct), cmap='Blues', vmin=0, vmax=100)
  for i in range(2):
    for j in range(2):
      pct = 'n/a' if np.isnan(row_pct[i, j]) else f'{row_pct[i, j]:.1f}%'
      dark = row_pct[i, j] > 50
      ax.text(
          j, i, f'{cm[i, j]}\n{pct}', ha='center', va='center',
          color='white' if dark else 'black', fontsize=12,
      )
  ax.set_xticks([0, 1], CLASS_NAMES)
  ax.set_yticks([0, 1], CLASS_NAMES)
  ax.set_xlabel('Predicted')
  ax.set_ylabel('True (percent of row)')
  ax.set_title(title)
  fig.tight_layout()
  writers.save_figure(fig, path)


def plot_per_event_accuracy(rows, path, title: str = '') -> None:
  """Histogram of per-event accuracies (Section 7.1's distribution).

  Args:
    rows: rows from `per_event_table`.
    path: PNG file to write.
    title: figure title.
  """
  acc = [r['accuracy_pct'] for r in rows if r['accuracy_pct'] is not None]
  fig = Figure(figsize=(5, 3.4))
  ax = fig.add_subplot()
  ax.hist(acc, bins=np.linspace(0, 100, 11), edgecolor='white')
  ax.axvline(50, color='C3', linestyle='--', label='chance')
  if acc:
    ax.axvline(np.median(acc), color='k',
               label=f'median {np.median(acc):.0f} % ({len(acc)} events)')
  ax.set_xlabel('Accuracy per event (%)')
  ax.set_ylabel('Events')
  ax.set_title(title)
  ax.legend(fontsize=8)
  fig.tight_layout()
  writers.save_figure(fig, path)


def plot_interval_fractions(
    mean, std, onset: int | None, path, interval_s: float = INTERVAL_S
) -> None:
  """Draws the precursor fraction per interval as in the paper's Fig. 5.

  Args:
    mean: (n_intervals,) mean fraction over members; index 0 is interval 1.
    std: (n_intervals,) standard deviation over members.
    onset: interval from `onset_interval`, or None.
    path: PNG file to write.
    interval_s: length of one interval in seconds.
  """
  mean = np.asarray(mean, np.float64)
  std = np.asarray(std, np.float64)
  n = mean.size
  k = np.arange(1, n + 1)
  fig = Figure(figsize=(7, 3.8))
  ax = fig.add_subplot()
  ax.fill_between(k, mean - std, mean + std, alpha=0.3, label='±1 std')
  ax.plot(k, mean, marker='o', markersize=3, label='mean over members')
  if onset is None:
    ax.set_title('No sustained rise above the member spread')
  else:
    hours = float(_hours_before_event(onset, n, interval_s))
    ax.axvline(onset, color='C3', linestyle='--',
               label=f'onset: interval {onset} ({hours:.1f} h before)')
  ax.set_xlim(0.5, n + 0.5)
  ax.set_xlabel('Interval (1 = earliest)')
  ax.set_ylabel('Fraction predicted precursor')
  top = ax.secondary_xaxis(
      'top',
      functions=(
          lambda x: _hours_before_event(x, n, interval_s),
          lambda h: n + 1 - np.asarray(h) * 3600.0 / interval_s,
      ),
  )
  top.set_xlabel('Hours before the event (interval start)')
  ax.legend(loc='upper left', fontsize=8)
  fig.tight_layout()
  writers.save_figure(fig, path)


def _confusion_entry(cm) -> dict[str, Any]:
  """A confusion matrix and its metrics as a JSON-ready dict."""
  return {
      'matrix': np.asarray(cm).tolist(),
      'accuracy_f': writers.json_value(stats.accuracy_f(cm)),
      'score': writers.json_value(stats.score(cm)),
  }


def write_precursor_report(
    workdir,
    *,
    train: SplitPredictions,
    test: SplitPredictions,
    verify: SplitPredictions | None = None,
    all_interval_probs,
    all_interval_intervals,
    n_intervals: int = stats.N_INTERVALS,
    interval_s: float = INTERVAL_S,
    threshold: float = 0.5,
) -> dict[str, Any]:
  """Writes the precursor study's tables and figures into workdir.

  Files written: `per_event_{test,verify}.csv`, `per_event_{test,verify}.md`
  (ensemble, and its accuracy with a bootstrap CI),
  `per_event_{test,verify}.png` (the distribution of per-event accuracies),
  `confusion_{split}.png`, `confusion.json` (per split,
  the ensemble and each member), `interval_fractions.csv` (interval,
  hours_before_event, mean, std, member_0 ...) and `interval_fractions.png`.

  Args:
    workdir: directory to write into; created if missing.
    train: predictions on the training windows.
    test: predictions on the test windows.
    verify: predictions on the verification windows (set B), if any.
    all_interval_probs: (members, windows) precursor probabilities on every
      window of every interval of the test events.
    all_interval_intervals: (windows,) interval of each of those windows,
      1 (earliest) to n_intervals.
    n_intervals: number of intervals per record.
    interval_s: length of one interval in seconds.
    threshold: probability above which a window is predicted precursor.

  Returns:
    JSON-ready summary: for split in (train, test[, verify]),
    `{split}_accuracy`
    (ensemble, fraction 0-1), `member_{split}_accuracy` (list over members),
    `{split}_accuracy_ci` and `member_{split}_accuracy_ci` ([low, high], 95 %
    bootstrap over events, see `bootstrap_ci`), `{split}_f` (percent) and
    `{split}_score` (TPR - FPR); and `onset_interval` (int or None).
    Undefined values are None.
  """
  os.makedirs(workdir, exist_ok=True)
  summary = {}
  confusion = {}
  splits = {'train': train, 'test': test}
  if verify is not None:
    splits['verify'] = verify
  for name, split in splits.items():
    probs = np.asarray(split.probs)  # (members, windows)
    labels = np.asarray(split.labels).reshape(-1)  # (windows,)
    if probs.ndim != 2 or probs.shape[1] != labels.size:
      raise ValueError(
          f'{name}.probs {probs.shape} must be (members, {labels.size}).'
      )
    ensemble_preds = stats.ensemble_predict(probs, threshold)  # (windows,)
    cm = stats.confusion_matrix(labels, ensemble_preds)
    member_preds = stats.predict(probs, threshold)  # (members, windows)
    member_cms = [stats.confusion_matrix(labels, p) for p in member_preds]
    confusion[name] = {
        'ensemble': _confusion_entry(cm),
        'members': [_confusion_entry(m) for m in member_cms],
    }
    summary[f'{name}_accuracy'] = writers.json_value(stats.accuracy(cm))
    summary[f'member_{name}_accuracy'] = [
        writers.json_value(stats.accuracy(m)) for m in member_cms
    ]
    # 95 % bootstrap intervals over events (see `bootstrap_ci`).
    ci = stats.bootstrap_ci(ensemble_preds == labels, split.events)
    summary[f'{name}_accuracy_ci'] = [writers.json_value(c)
                                      for c in ci[1:]]
    summary[f'member_{name}_accuracy_ci'] = [
        [writers.json_value(c)
         for c in stats.bootstrap_ci(p == labels, split.events)[1:]]
        for p in member_preds
    ]
    summary[f'{name}_f'] = writers.json_value(stats.accuracy_f(cm))
    summary[f'{name}_score'] = writers.json_value(stats.score(cm))
    plot_confusion(
        cm, os.path.join(workdir, f'confusion_{name}.png'),
        title=f'{_TITLES[name]}, ensemble of {probs.shape[0]}',
    )
    if name != 'train':
      rows = stats.per_event_table(split.events, labels, ensemble_preds)
      writers.write_csv(rows, os.path.join(workdir, f'per_event_{name}.csv'))
      writers.write_text(
          per_event_markdown(rows)
          + f'\nEnsemble accuracy {100 * ci[0]:.1f} %, 95 % CI '
          f'{100 * ci[1]:.1f}-{100 * ci[2]:.1f} % (bootstrap over '
          f'the {len(rows)} {_TITLES[name].lower()} events).\n',
          os.path.join(workdir, f'per_event_{name}.md'))
      plot_per_event_accuracy(
          rows, os.path.join(workdir, f'per_event_{name}.png'),
          title=f'{_TITLES[name]} events, ensemble of {probs.shape[0]}')
  writers.write_json(confusion, os.path.join(workdir, 'confusion.json'),
                     allow_nan=False)

  fractions = stats.interval_fractions(
      stats.predict(all_interval_probs, threshold), all_interval_intervals,
      n_intervals,
  )
  onset = stats.onset_interval(fractions.mean, fractions.std)
  summary['onset_interval'] = onset
  rows = []
  for k in range(n_intervals):
    row = {
        'interval': k + 1,
        'hours_before_event': float(
            _hours_before_event(k + 1, n_intervals, interval_s)
        ),
        'mean': fractions.mean[k],
        'std': fractions.std[k],
    }
    for m, member in enumerate(fractions.per_member):
      row[f'member_{m}'] = member[k]
    rows.append(row)
  writers.write_csv(rows, os.path.join(workdir, 'interval_fractions.csv'))
  plot_interval_fractions(
      fractions.mean, fractions.std, onset,
      os.path.join(workdir, 'interval_fractions.png'), interval_s,
  )
  return summary
