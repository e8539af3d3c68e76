"""Tests for seisjax.precursor.stats on small predictions worked out by hand.

Confusion matrices, accuracy, F and score, ensemble predictions, per-event
tables, interval fractions and their onset, and bootstrap intervals over
events.
"""

import math

import numpy as np
import pytest

from seisjax.precursor import stats


def test_confusion_matrix_counts_each_cell():
  # TN: windows 0 2 7; FP: 1; FN: 4 9; TP: 3 5 6 8. The counts differ per
  # cell, so a transposed or flipped matrix fails.
  labels = [0, 0, 0, 1, 1, 1, 1, 0, 1, 1]
  preds = [0, 1, 0, 1, 0, 1, 1, 0, 1, 0]
  cm = stats.confusion_matrix(labels, preds)
  np.testing.assert_array_equal(cm, [[3, 1], [2, 4]])
  assert stats.accuracy_f(cm) == pytest.approx(70.0)
  assert stats.score(cm) == pytest.approx(4 / 6 - 1 / 4)


@pytest.mark.parametrize(
    'preds, want_f, want_score',
    [
        ([0, 0, 1, 1, 1], 100.0, 1.0),  # Perfect.
        ([1, 1, 0, 0, 0], 0.0, -1.0),  # Inverted.
        ([1, 1, 1, 1, 1], 60.0, 0.0),  # Always precursor.
    ],
)
def test_f_and_score_at_the_extremes(preds, want_f, want_score):
  cm = stats.confusion_matrix([0, 0, 1, 1, 1], preds)
  assert stats.accuracy_f(cm) == pytest.approx(want_f)
  assert stats.score(cm) == pytest.approx(want_score)


def test_empty_class_gives_nan_not_an_error():
  only_precursor = stats.confusion_matrix([1, 1, 1], [1, 0, 1])
  np.testing.assert_array_equal(only_precursor, [[0, 0], [1, 2]])
  assert stats.accuracy_f(only_precursor) == pytest.approx(200 / 3)
  assert math.isnan(stats.score(only_precursor))  # FPR is undefined.
  empty = stats.confusion_matrix([], [])
  assert math.isnan(stats.accuracy_f(empty))


def test_confusion_matrix_rejects_non_binary_values():
  with pytest.raises(ValueError):
    stats.confusion_matrix([0, 1, 2], [0, 1, 1])


def test_ensemble_thresholds_the_mean_probability_not_the_votes():
  probs = np.array([
      [0.1, 0.6, 0.4],
      [0.45, 0.6, 0.6],
      [0.99, 0.2, 0.5],
  ])  # (members, windows)
  np.testing.assert_array_equal(
      stats.predict(probs), [[0, 1, 0], [0, 1, 1], [1, 0, 0]]
  )
  # Means 0.513, 0.467 and exactly 0.5: the mean overrides a majority vote
  # (and the median) on windows 0 and 1, and the tie goes to noise.
  np.testing.assert_array_equal(stats.ensemble_predict(probs), [1, 0, 0])


def test_per_event_table_rows():
  # Events interleaved and out of order; rows come back sorted.
  events = ['b', 'a', 'c', 'a', 'b', 'a', 'b', 'a']
  labels = [1, 1, 0, 1, 0, 0, 0, 0]
  preds = [1, 1, 0, 0, 1, 0, 1, 0]
  rows = stats.per_event_table(events, labels, preds)
  assert rows == [
      # a: precursor windows 1 3 (1 right), noise windows 5 7 (both right).
      {
          'event': 'a', 'n_windows': 4, 'n_correct': 3,
          'precursor_accuracy_pct': 50.0, 'noise_accuracy_pct': 100.0,
          'accuracy_pct': 75.0,
      },
      # b: precursor window 0 right, noise windows 4 6 both wrong.
      {
          'event': 'b', 'n_windows': 3, 'n_correct': 1,
          'precursor_accuracy_pct': 100.0, 'noise_accuracy_pct': 0.0,
          'accuracy_pct': pytest.approx(100 / 3),
      },
      # c: noise only, so its precursor accuracy is missing.
      {
          'event': 'c', 'n_windows': 1, 'n_correct': 1,
          'precursor_accuracy_pct': None, 'noise_accuracy_pct': 100.0,
          'accuracy_pct': 100.0,
      },
  ]
  assert all(type(r['event']) is str for r in rows)  # Not np.str_.


def test_interval_fractions_by_hand():
  # Unequal and shuffled intervals: 2 windows in 1, 3 in 2, 4 in 3.
  intervals = [3, 1, 2, 3, 2, 1, 3, 2, 3]
  member_preds = [
      [1, 0, 0, 1, 0, 1, 1, 1, 0],  # Fractions 1/2, 1/3, 3/4.
      [1, 0, 1, 1, 1, 0, 1, 1, 1],  # Fractions 0, 1, 1.
  ]
  got = stats.interval_fractions(member_preds, intervals, n_intervals=3)
  np.testing.assert_allclose(got.per_member, [[1 / 2, 1 / 3, 3 / 4], [0, 1, 1]])
  np.testing.assert_allclose(got.mean, [1 / 4, 2 / 3, 7 / 8])
  # Population std of two values is half their distance.
  np.testing.assert_allclose(got.std, [1 / 4, 1 / 3, 1 / 8])


def test_interval_fractions_marks_empty_intervals_and_rejects_bad_ones():
  got = stats.interval_fractions([[1, 0]], [1, 1], n_intervals=2)
  np.testing.assert_allclose(got.mean, [0.5, np.nan])
  with pytest.raises(ValueError):
    stats.interval_fractions([[1, 0]], [1, 3], n_intervals=2)


@pytest.mark.parametrize(
    'mean, std, want',
    [
        # Steady rise from interval 3 on.
        ([0.1, 0.1, 0.3, 0.5, 0.6], [0.05] * 5, 3),
        # Early spike at 2 that falls back: the onset is the final run.
        ([0.1, 0.5, 0.1, 0.1, 0.4, 0.5], [0.05] * 6, 5),
        # Rises then falls back at the end: no onset.
        ([0.1, 0.2, 0.5, 0.5, 0.1], [0.05] * 5, None),
        # A rise equal to the spread is not above it.
        ([0.25, 0.25, 0.5], [0.0, 0.0, 0.25], None),
        # Each interval is compared with its own spread, not interval 1's.
        ([0.1, 0.4, 0.4], [0.0, 0.5, 0.1], 3),
        # Flat curve.
        ([0.2] * 4, [0.0] * 4, None),
    ],
)
def test_onset_interval(mean, std, want):
  assert stats.onset_interval(mean, std) == want


# --- bootstrap_ci ---------------------------------------------------------


def test_bootstrap_resamples_events_not_windows():
  # Event a: 4 of 4 right, event b: 0 of 4. Two events drawn with
  # replacement give 1, 1/2 or 0, so the 95 % interval is [0, 1]; resampling
  # the 8 windows would give about [1/8, 7/8].
  correct = [1, 1, 1, 1, 0, 0, 0, 0]
  events = ['a'] * 4 + ['b'] * 4
  assert stats.bootstrap_ci(correct, events) == (0.5, 0.0, 1.0)
  by_window = stats.bootstrap_ci(correct, np.arange(8))
  assert 0.0 < by_window[1] and by_window[2] < 1.0


def test_bootstrap_weights_windows_not_events():
  # 1 of 1 right in event 7, 0 of 3 in event 9: 1 correct window of 4.
  accuracy, low, high = stats.bootstrap_ci([1, 0, 0, 0], [7, 9, 9, 9])
  assert accuracy == 0.25
  assert (low, high) == (0.0, 1.0)


def test_bootstrap_narrows_with_more_events_and_lower_level():
  # Per-event accuracies 0.2 ... 1.0, 10 windows each, once and ten times.
  def data(copies):
    per_event = np.tile([2, 4, 6, 8, 10], 2 * copies)  # correct of 10
    correct = np.concatenate([np.arange(10) < c for c in per_event])
    return correct, np.repeat(np.arange(per_event.size), 10)

  acc_10, low_10, high_10 = stats.bootstrap_ci(*data(1))
  acc_100, low_100, high_100 = stats.bootstrap_ci(*data(10))
  assert acc_10 == acc_100 == pytest.approx(0.6)
  assert low_10 < 0.6 < high_10 and low_100 < 0.6 < high_100
  # Width goes as 1/sqrt(events): about 3.2 times narrower.
  assert (high_100 - low_100) < (high_10 - low_10) / 2.5
  _, low_50, high_50 = stats.bootstrap_ci(*data(1), level=0.5)
  assert low_10 < low_50 < high_50 < high_10
  assert stats.bootstrap_ci(*data(1), seed=3) == (
      stats.bootstrap_ci(*data(1), seed=3))


def _coverage(rng, per_window: bool, n_datasets=200, n_events=20,
              n_windows=18, truth=0.75):
  """How often the 95 % interval holds the true accuracy."""
  hits = 0
  for i in range(n_datasets):
    # Events differ a lot (mean 0.75, sd 0.25); windows of one event agree.
    p_event = rng.beta(1.5, 0.5, n_events)
    correct = rng.random((n_events, n_windows)) < p_event[:, None]
    events = np.repeat(np.arange(n_events), n_windows)
    if per_window:
      events = np.arange(events.size)  # Every window its own "event".
    _, low, high = stats.bootstrap_ci(correct.reshape(-1), events,
                                      n_boot=500, seed=i)
    hits += low <= truth <= high
  return hits / n_datasets


def test_bootstrap_over_events_covers_the_true_accuracy():
  rng = np.random.default_rng(0)
  assert _coverage(rng, per_window=False) >= 0.85
  # Treating windows as independent is the mistake this guards against:
  # its intervals are about 2.5 times too narrow.
  assert _coverage(rng, per_window=True) <= 0.7
