"""The precursor study's statistics: predictions, confusion, accuracy, CIs.

Numpy only, on arrays the training loop has already pulled off the device,
so a notebook can recompute any number of a report from saved predictions:

  preds = stats.ensemble_predict(probs)            # (members, windows)
  cm = stats.confusion_matrix(labels, preds)
  f, s = stats.accuracy_f(cm), stats.score(cm)     # the paper's f and TPR-FPR
  acc, low, high = stats.bootstrap_ci(preds == labels, events)

A window is predicted precursor (1) when its probability is strictly above the
threshold (0.5), so a tie goes to noise as an argmax over [p_noise,
p_precursor] would. The ensemble prediction thresholds the mean probability
over members.
"""

import math
from typing import Any, NamedTuple

import numpy as np

from seisjax.engine import writers

# Paper's layout: a 10 h record cut into 36 intervals of 1000 s.
N_INTERVALS = 36

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


def accuracy(cm) -> float:
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
  return 100.0 * accuracy(cm)


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


def event_swap_p_value(correct, events, n_permutations: int = 2 ** 16,
                       seed: int = 0) -> float:
  """p-value of an accuracy against swapping the labels of whole events.

  Null hypothesis: within each test event the noise and the precursor
  windows are exchangeable (nothing announces the event), so the labels of
  any set of events could be swapped. A binary classifier's windows of a
  swapped event turn from correct to wrong and back: its accuracy becomes
  (c_e' + sum over swapped e of (n_e - c_e)) / N. All 2^n swaps are
  enumerated when there are at most `n_permutations` (else that many random
  ones); p = #{swap accuracy >= observed} / #swaps, the identity included,
  so it cannot go below 1 / 2^n (1/128 for 7 test events).

  Unlike the permutation test of seisjax/precursor/significance.py, which
  retrains null ensembles, this tests the trained classifier on its test
  events; it needs no training and is exact for few events.

  Args:
    correct: (windows,) 1 where a window is classified correctly.
    events: (windows,) event id of each window.
    n_permutations: the most swaps enumerated or drawn.
    seed: of the random swaps, when drawn.
  """
  correct = np.asarray(correct, np.float64).reshape(-1)
  _, index = np.unique(np.asarray(events).reshape(-1), return_inverse=True)
  c = np.bincount(index, weights=correct)  # (events,)
  n = np.bincount(index).astype(np.float64)
  n_events = len(c)
  if 2 ** n_events <= n_permutations:
    codes = np.arange(2 ** n_events)[:, None]
    swaps = (codes >> np.arange(n_events)) & 1 == 1
  else:
    swaps = np.random.default_rng(seed).random(
        (n_permutations, n_events)) < 0.5
    swaps[0] = False  # The observed labels are one of the draws.
  null = np.where(swaps, n - c, c).sum(axis=1) / n.sum()
  observed = c.sum() / n.sum()
  return float(np.mean(null >= observed - 1e-12))


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
        'event': writers.json_value(event),
        'n_windows': int(mask.sum()),
        'n_correct': int(tn + tp),
        'precursor_accuracy_pct': writers.json_value(100 * _rate(tp, tp + fn)),
        'noise_accuracy_pct': writers.json_value(100 * _rate(tn, tn + fp)),
        'accuracy_pct': writers.json_value(100 * _rate(tn + tp, mask.sum())),
    })
  return rows


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
