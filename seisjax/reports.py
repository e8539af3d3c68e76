"""Tables and figures of the precursor study (Ong et al.) from predictions.

Everything here is numpy and matplotlib on arrays that the training loop has
already pulled off the device, so a notebook can rebuild a report from saved
predictions without JAX:

  summary = reports.write_precursor_report(
      workdir,
      train=reports.SplitPredictions(probs, labels, events),
      test=reports.SplitPredictions(probs, labels, events),
      all_interval_probs=probs,          # (members, windows)
      all_interval_intervals=intervals,  # (windows,), 1 = earliest
  )

A window is predicted precursor (1) when its probability is strictly above the
threshold (0.5), so a tie goes to noise as an argmax over [p_noise,
p_precursor] would. The ensemble prediction thresholds the mean probability
over members.
"""

import csv
import json
import math
import os
from typing import Any, NamedTuple, Sequence

from matplotlib.figure import Figure
import numpy as np

# Paper's layout: a 10 h record cut into 36 intervals of 1000 s.
N_INTERVALS = 36
INTERVAL_S = 1000.0
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


class IntervalFractions(NamedTuple):
  """Fraction of windows predicted precursor per interval (paper Fig. 5).

  Index k of each array is interval k + 1.

  Attributes:
    per_member: (members, n_intervals) fraction for each member.
    mean: (n_intervals,) mean over members.
    std: (n_intervals,) population standard deviation over members.
  """

  per_member: np.ndarray
  mean: np.ndarray
  std: np.ndarray


def predict(probs, threshold: float = 0.5) -> np.ndarray:
  """Thresholds precursor probabilities into 0/1 predictions.

  Args:
    probs: precursor probabilities, any shape.
    threshold: a probability strictly above it is predicted precursor.

  Returns:
    int array of the same shape, 1 = precursor.
  """
  return (np.asarray(probs) > threshold).astype(np.int64)


def ensemble_predict(probs, threshold: float = 0.5) -> np.ndarray:
  """Predicts by thresholding the mean probability over members.

  Args:
    probs: (members, windows) precursor probabilities.
    threshold: a mean probability strictly above it is predicted precursor.

  Returns:
    (windows,) int array, 1 = precursor.
  """
  return predict(np.mean(np.asarray(probs, np.float64), axis=0), threshold)


def confusion_matrix(labels, preds) -> np.ndarray:
  """Counts a binary confusion matrix.

  Args:
    labels: (windows,) true labels in {0, 1}.
    preds: (windows,) predicted labels in {0, 1}.

  Returns:
    (2, 2) int array [[TN, FP], [FN, TP]]: rows are the true class (noise,
    precursor), columns the predicted class.

  Raises:
    ValueError: if the shapes differ or a value is not 0 or 1.
  """
  labels = np.asarray(labels).reshape(-1)
  preds = np.asarray(preds).reshape(-1)
  if labels.shape != preds.shape:
    raise ValueError(f'labels {labels.shape} and preds {preds.shape} differ.')
  for name, values in (('labels', labels), ('preds', preds)):
    if not np.isin(values, (0, 1)).all():
      raise ValueError(f'{name} must be 0 or 1, got {np.unique(values)}.')
  cells = 2 * labels.astype(np.int64) + preds.astype(np.int64)
  return np.bincount(cells, minlength=4).reshape(2, 2)


def _rate(numerator, denominator) -> float:
  """numerator / denominator as a float, nan when the denominator is 0."""
  return float(numerator) / denominator if denominator else math.nan


def _accuracy(cm) -> float:
  """(TP + TN) / N as a fraction, nan when the matrix is empty."""
  cm = np.asarray(cm)
  return _rate(np.trace(cm), cm.sum())


def accuracy_f(cm) -> float:
  """The paper's accuracy f = 100 (TP + TN) / N, in percent.

  Args:
    cm: (2, 2) confusion matrix from `confusion_matrix`.

  Returns:
    f in percent; nan when the matrix is empty.
  """
  return 100.0 * _accuracy(cm)


def score(cm) -> float:
  """The paper's score TPR - FPR, from -1 (inverted) to 1 (perfect).

  TPR = TP / (TP + FN) and FPR = FP / (FP + TN).

  Args:
    cm: (2, 2) confusion matrix from `confusion_matrix`.

  Returns:
    TPR - FPR; nan when either true class has no windows, since then one of
    the two rates is undefined.
  """
  (tn, fp), (fn, tp) = np.asarray(cm)
  return _rate(tp, tp + fn) - _rate(fp, fp + tn)


def _json_value(x):
  """Turns numpy scalars into python ones and nan into None, for JSON/CSV."""
  if isinstance(x, np.generic):
    x = x.item()
  if isinstance(x, float) and math.isnan(x):
    return None
  return x


def bootstrap_ci(correct, events, n_boot: int = 2000, level: float = 0.95,
                 seed: int = 0) -> tuple[float, float, float]:
  """Accuracy and its percentile bootstrap confidence interval over events.

  Windows of one event share its noise and its precursor, so they are far
  from independent: resampling windows would give an interval that is much
  too narrow. Whole events are resampled with replacement instead, and the
  accuracy of each resample is its correct windows over its windows.

  Args:
    correct: (windows,) 1 where a window is classified correctly, else 0.
    events: (windows,) event id of each window (int or str).
    n_boot: number of resamples.
    level: coverage of the interval, e.g. 0.95.
    seed: seed of the resampling.

  Returns:
    (accuracy, low, high) as fractions; nan for no windows.
  """
  correct = np.asarray(correct, np.float64).reshape(-1)
  events = np.asarray(events).reshape(-1)
  if correct.shape != events.shape:
    raise ValueError(f'correct {correct.shape} and events {events.shape} '
                     'must have the same shape.')
  if not correct.size:
    return math.nan, math.nan, math.nan
  _, index = np.unique(events, return_inverse=True)
  n_correct = np.bincount(index, weights=correct)  # (events,)
  n_windows = np.bincount(index).astype(np.float64)  # (events,)
  n_events = n_windows.size
  draws = np.random.default_rng(seed).integers(
      0, n_events, size=(n_boot, n_events))  # (n_boot, events)
  resampled = n_correct[draws].sum(axis=1) / n_windows[draws].sum(axis=1)
  low, high = np.quantile(resampled, [(1 - level) / 2, (1 + level) / 2])
  return float(correct.mean()), float(low), float(high)


def per_event_table(events, labels, preds) -> list[dict[str, Any]]:
  """Per-event accuracies in the form of the paper's Table 3.

  Args:
    events: (windows,) event id of each window.
    labels: (windows,) true labels in {0, 1}.
    preds: (windows,) predicted labels in {0, 1}.

  Returns:
    One row per event, sorted by event id, with keys `event`, `n_windows`,
    `n_correct`, `precursor_accuracy_pct` (on the event's precursor windows),
    `noise_accuracy_pct` (on its noise windows) and `accuracy_pct` (on all its
    windows). Accuracies are percentages, None when the event has no window
    of that class. Values are python scalars.
  """
  events = np.asarray(events).reshape(-1)
  labels = np.asarray(labels).reshape(-1)
  preds = np.asarray(preds).reshape(-1)
  if not events.shape == labels.shape == preds.shape:
    raise ValueError(
        f'events {events.shape}, labels {labels.shape} and preds '
        f'{preds.shape} must have the same shape.'
    )
  rows = []
  for event in np.unique(events):
    mask = events == event
    (tn, fp), (fn, tp) = confusion_matrix(labels[mask], preds[mask])
    rows.append({
        'event': _json_value(event),
        'n_windows': int(mask.sum()),
        'n_correct': int(tn + tp),
        'precursor_accuracy_pct': _json_value(100 * _rate(tp, tp + fn)),
        'noise_accuracy_pct': _json_value(100 * _rate(tn, tn + fp)),
        'accuracy_pct': _json_value(100 * _rate(tn + tp, mask.sum())),
    })
  return rows


def write_csv(rows: Sequence[dict[str, Any]], path) -> None:
  """Writes rows with the same keys as a CSV file; None becomes empty.

  Args:
    rows: the table, one dict per row; the first row's keys are the header.
    path: file to write.
  """
  with open(path, 'w', newline='') as f:
    writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else [])
    writer.writeheader()
    writer.writerows({k: _json_value(v) for k, v in r.items()} for r in rows)


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


def interval_fractions(
    member_preds, intervals, n_intervals: int = N_INTERVALS
) -> IntervalFractions:
  """Fraction of windows each member predicts precursor, per interval.

  Args:
    member_preds: (members, windows) 0/1 predictions of each member over all
      windows of all test events and intervals.
    intervals: (windows,) interval of each window, 1 (earliest) to
      n_intervals (just before the event).
    n_intervals: number of intervals per record.

  Returns:
    `IntervalFractions`; an interval without windows gets nan. The standard
    deviation is the population one (ddof=0): it describes the spread of
    the members we trained and stays defined for a single member.
  """
  member_preds = np.asarray(member_preds, np.float64)  # (members, windows)
  intervals = np.asarray(intervals).reshape(-1)  # (windows,)
  if member_preds.ndim != 2 or member_preds.shape[1] != intervals.size:
    raise ValueError(
        f'member_preds {member_preds.shape} must be (members, '
        f'{intervals.size}) to match intervals.'
    )
  if intervals.size and (intervals.min() < 1 or intervals.max() > n_intervals):
    raise ValueError(f'intervals must lie in 1..{n_intervals}.')
  one_hot = intervals[:, None] == np.arange(1, n_intervals + 1)  # (w, n)
  counts = one_hot.sum(axis=0)  # (n_intervals,)
  with np.errstate(invalid='ignore', divide='ignore'):
    per_member = (member_preds @ one_hot) / counts  # (members, n_intervals)
  return IntervalFractions(
      per_member=per_member,
      mean=per_member.mean(axis=0),
      std=per_member.std(axis=0),
  )


def onset_interval(mean, std) -> int | None:
  """First interval of the final sustained rise above the member spread.

  With rise[k] = mean[k] - mean[interval 1], the onset is the smallest
  interval k such that rise[j] > std[j] for k and every later interval j.
  A curve that rises and then falls back below its spread has no onset from
  that early rise: only the last unbroken run reaching the final interval
  counts. A nan anywhere breaks the run.

  Args:
    mean: (n_intervals,) mean precursor fraction; index 0 is interval 1.
    std: (n_intervals,) its standard deviation over members.

  Returns:
    The 1-based onset interval, or None if the final interval does not rise
    above its spread.
  """
  mean = np.asarray(mean, np.float64)
  std = np.asarray(std, np.float64)
  above = (mean - mean[0]) > std  # (n_intervals,)
  below = np.flatnonzero(~above)
  if below.size == 0:
    return 1
  if below[-1] == above.size - 1:
    return None
  return int(below[-1]) + 2  # Next index, as a 1-based interval.


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
  fig.savefig(path, dpi=120)


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
  fig.savefig(path, dpi=120)


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
  fig.savefig(path, dpi=120)


def _confusion_entry(cm) -> dict[str, Any]:
  """A confusion matrix and its metrics as a JSON-ready dict."""
  return {
      'matrix': np.asarray(cm).tolist(),
      'accuracy_f': _json_value(accuracy_f(cm)),
      'score': _json_value(score(cm)),
  }


def write_precursor_report(
    workdir,
    *,
    train: SplitPredictions,
    test: SplitPredictions,
    verify: SplitPredictions | None = None,
    all_interval_probs,
    all_interval_intervals,
    n_intervals: int = N_INTERVALS,
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
    ensemble_preds = ensemble_predict(probs, threshold)  # (windows,)
    cm = confusion_matrix(labels, ensemble_preds)
    member_preds = predict(probs, threshold)  # (members, windows)
    member_cms = [confusion_matrix(labels, p) for p in member_preds]
    confusion[name] = {
        'ensemble': _confusion_entry(cm),
        'members': [_confusion_entry(m) for m in member_cms],
    }
    summary[f'{name}_accuracy'] = _json_value(_accuracy(cm))
    summary[f'member_{name}_accuracy'] = [
        _json_value(_accuracy(m)) for m in member_cms
    ]
    # 95 % bootstrap intervals over events (see `bootstrap_ci`).
    ci = bootstrap_ci(ensemble_preds == labels, split.events)
    summary[f'{name}_accuracy_ci'] = [_json_value(c) for c in ci[1:]]
    summary[f'member_{name}_accuracy_ci'] = [
        [_json_value(c) for c in bootstrap_ci(p == labels, split.events)[1:]]
        for p in member_preds
    ]
    summary[f'{name}_f'] = _json_value(accuracy_f(cm))
    summary[f'{name}_score'] = _json_value(score(cm))
    plot_confusion(
        cm, os.path.join(workdir, f'confusion_{name}.png'),
        title=f'{_TITLES[name]}, ensemble of {probs.shape[0]}',
    )
    if name != 'train':
      rows = per_event_table(split.events, labels, ensemble_preds)
      write_csv(rows, os.path.join(workdir, f'per_event_{name}.csv'))
      with open(os.path.join(workdir, f'per_event_{name}.md'), 'w') as f:
        f.write(per_event_markdown(rows))
        f.write(f'\nEnsemble accuracy {100 * ci[0]:.1f} %, 95 % CI '
                f'{100 * ci[1]:.1f}-{100 * ci[2]:.1f} % (bootstrap over '
                f'the {len(rows)} {_TITLES[name].lower()} events).\n')
      plot_per_event_accuracy(
          rows, os.path.join(workdir, f'per_event_{name}.png'),
          title=f'{_TITLES[name]} events, ensemble of {probs.shape[0]}')
  with open(os.path.join(workdir, 'confusion.json'), 'w') as f:
    json.dump(confusion, f, indent=2, allow_nan=False)

  fractions = interval_fractions(
      predict(all_interval_probs, threshold), all_interval_intervals,
      n_intervals,
  )
  onset = onset_interval(fractions.mean, fractions.std)
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
  write_csv(rows, os.path.join(workdir, 'interval_fractions.csv'))
  plot_interval_fractions(
      fractions.mean, fractions.std, onset,
      os.path.join(workdir, 'interval_fractions.png'), interval_s,
  )
  return summary
