"""Pick and polarity metrics on hand-made numbers, and the figures."""

import math

from matplotlib import image
import numpy as np
import pytest

from seisjax.picking import scoring
from seisjax.picking import records

DOWN, UP, UNKNOWN = records.DOWN, records.UP, records.UNKNOWN


def _residual_case():
  """Picks whose residuals (in samples) are chosen by hand.

  The 20 non-missed residuals have Q1 = -1 and Q3 = 1 sample (IQR 2): 6
  samples lies between the inner fence (1 + 1.5 * 2 = 4) and the outer
  one (1 + 3 * 2 = 7) and must stay; 8 and -9 are outer-fence outliers.
  2.8 samples is exactly the 0.028 s tolerance, 3 is beyond it.
  """
  residual = np.array([0, 1, -1, 2.8, -2, 1, -1, 0, 1, -1, 0, 0.5, 3, 6, 8,
                       -9, -2, -1.5, -0.5, 0.5, np.nan, np.nan])
  true = np.full(residual.size, 200.0) + np.arange(residual.size)
  return true + residual, true, residual


def test_residual_stats_on_hand_made_picks():
  pred, true, _ = _residual_case()
  stats = scoring.residual_stats(pred, true, sampling_rate=100.0)
  got = (pred - true)[np.isfinite(pred)] / 100.0
  q1, q3 = np.percentile(got, [25, 75])
  assert (q1, q3) == pytest.approx((-0.01, 0.01))
  kept = got[np.abs(got) < 0.075]
  assert kept.size == 18
  assert stats['n'] == 22 and stats['n_missed'] == 2
  assert stats['n_outliers'] == 2
  assert stats['mean_s'] == pytest.approx(np.mean(kept))
  assert stats['std_s'] == pytest.approx(np.std(kept))
  # |r| <= 2.8 samples: 16 of all 22 windows (the misses count as failures).
  assert stats['frac_within'] == pytest.approx(16 / 22)
  assert stats['abs_p75_s'] == pytest.approx(np.percentile(np.abs(got), 75))
  assert stats['abs_p90_s'] == pytest.approx(np.percentile(np.abs(got), 90))
  assert stats['mean_abs_s'] == pytest.approx(np.mean(np.abs(got)))


def test_residual_stats_sign_and_rate():
  stats = scoring.residual_stats([110.0, 110.0], [100.0, 100.0],
                                 sampling_rate=50.0)
  assert stats['mean_s'] == pytest.approx(0.2)  # pred - true, in seconds.
  assert stats['frac_within'] == 0.0


def test_residual_stats_all_missed():
  stats = scoring.residual_stats([np.nan] * 3, [200.0] * 3)
  assert stats['n_missed'] == 3 and stats['frac_within'] == 0.0
  assert math.isnan(stats['mean_s']) and math.isnan(stats['abs_p90_s'])


def test_residual_stats_rejects_bad_input():
  with pytest.raises(ValueError, match='differ'):
    scoring.residual_stats([1.0, 2.0], [1.0])
  with pytest.raises(ValueError, match='finite'):
    scoring.residual_stats([1.0], [np.nan])


def test_binned_abs_error_counts_every_window():
  values = [-5, 0, 5, 10, 20, 25, np.nan, np.nan, 7]
  abs_err = [0.1, 0.01, 0.03, 0.2, 0.4, 0.5, 0.6, np.nan, np.nan]
  rows = scoring.binned_abs_error(abs_err, values, [0, 10, 20])
  by_bin = {r['bin']: r for r in rows}
  assert list(by_bin) == ['< 0', '0-10', '10-20', '> 20', 'unknown']
  assert [r['n'] for r in rows] == [1, 3, 2, 1, 2]
  assert sum(r['n'] for r in rows) == len(values)
  assert by_bin['0-10']['n_missed'] == 1
  assert by_bin['0-10']['median'] == pytest.approx(0.02)
  # The last bin is closed: 20 is in 10-20.
  assert by_bin['10-20']['mean'] == pytest.approx(0.3)
  assert by_bin['10-20']['p90'] == pytest.approx(np.percentile([0.2, 0.4],
                                                               90))
  assert by_bin['unknown']['median'] == pytest.approx(0.6)
  empty = scoring.binned_abs_error([0.1], [5.0], [0, 10, 20])
  assert [r['n'] for r in empty] == [1, 0]
  assert math.isnan(empty[1]['median'])


def _pairs(cm):
  """(pred, true) codes with confusion matrix `cm`, in a shuffled order."""
  true, pred = [], []
  for t in range(3):
    for p in range(3):
      true += [t] * cm[t][p]
      pred += [p] * cm[t][p]
  order = np.random.default_rng(0).permutation(len(true))
  return np.array(pred)[order], np.array(true)[order]


def test_polarity_stats_on_fixed_confusion():
  cm = [[8, 2, 0], [1, 6, 3], [0, 0, 5]]  # Rows true, columns predicted.
  pred, true = _pairs(cm)
  stats = scoring.polarity_stats(pred, true)
  np.testing.assert_array_equal(stats['confusion'], cm)
  assert stats['n'] == 25
  assert stats['accuracy'] == pytest.approx(19 / 25)
  assert stats['precision_down'] == pytest.approx(8 / 9)
  assert stats['recall_down'] == pytest.approx(8 / 10)
  assert stats['precision_up'] == pytest.approx(6 / 8)
  assert stats['recall_up'] == pytest.approx(6 / 10)
  assert stats['precision_unknown'] == pytest.approx(5 / 8)
  assert stats['recall_unknown'] == pytest.approx(5 / 5)


def test_polarity_stats_undefined_and_invalid():
  stats = scoring.polarity_stats([UP, UP], [UP, DOWN])
  assert math.isnan(stats['precision_down'])  # Never predicted down.
  assert stats['recall_down'] == 0.0
  assert math.isnan(stats['recall_unknown'])
  with pytest.raises(ValueError, match='codes'):
    scoring.polarity_stats([3], [UP])


def test_binned_polarity():
  true = [UP, UP, DOWN, DOWN, UP, DOWN]
  pred = [UP, UP, DOWN, DOWN, DOWN, UP]
  snr = [30, 35, 40, 31, 2, 3]
  rows = scoring.binned_polarity(pred, true, snr, [0, 10, 50])
  assert [r['n'] for r in rows] == [2, 4]
  assert rows[0]['accuracy'] == 0.0 and rows[1]['accuracy'] == 1.0
  assert rows[1]['precision_up'] == 1.0 and rows[0]['recall_up'] == 0.0
  assert 'confusion' not in rows[0]


def _png_size(path):
  with open(path, 'rb') as f:
    assert f.read(8) == b'\x89PNG\r\n\x1a\n'
  return image.imread(path).shape[:2]


def test_plot_abs_error(tmp_path):
  rng = np.random.default_rng(1)
  n = 60
  true = rng.uniform(150, 250, n)
  cnn = true + rng.normal(0, 2, n)
  baer = true + rng.normal(5, 10, n)
  baer[:5] = np.nan
  metadata = {'snr_db': rng.uniform(-5, 70, n),
              'distance_km': np.where(np.arange(n) < 5, np.nan,
                                      rng.uniform(0, 150, n)),
              'magnitude': np.full(n, np.nan)}  # All unknown: no panel.
  path = tmp_path / 'abs_error.png'
  scoring.plot_abs_error({'CNN': cnn, 'pk_baer': baer}, true, path,
                         metadata=metadata, title='test')
  # Two metadata panels and the histogram, 4 inches each at 120 dpi.
  assert _png_size(path) == (456, 3 * 480)
  scoring.plot_abs_error({'CNN': cnn}, true, tmp_path / 'plain.png')
  assert _png_size(tmp_path / 'plain.png') == (456, 2 * 480)


def test_plot_polarity(tmp_path):
  rng = np.random.default_rng(2)
  true = rng.integers(0, 3, 50)
  pred = np.where(rng.uniform(size=50) < 0.8, true, rng.integers(0, 3, 50))
  path = tmp_path / 'polarity.png'
  metadata = {'snr_db': rng.uniform(0, 40, 50),
              'magnitude': rng.uniform(0, 5, 50)}
  scoring.plot_polarity({'CNN': pred, 'pk_baer': rng.integers(0, 3, 50)},
                        true, path, metadata=metadata)
  assert _png_size(path) == (720, 2 * 480)
  scoring.plot_polarity({'CNN': pred}, true, tmp_path / 'all.png')
  assert _png_size(tmp_path / 'all.png') == (720, 480)


def test_summary_row_and_markdown():
  pred, true, _ = _residual_case()
  row = scoring.summary_row('CNN', 'scsn', pred, true,
                            [UP, DOWN, UP], [UP, DOWN, DOWN])
  assert row['precision_up'] == 0.5 and row['recall_down'] == 0.5
  assert 'confusion' not in row
  rows = [row, {'method': 'sta_lta', 'dataset': 'scsn', 'n': 18,
                'mean_s': 0.0123456, 'std_s': math.nan, 'extra': 1234.4}]
  table = scoring.results_markdown(rows)
  lines = table.splitlines()
  assert len(lines) == 4
  header = [c.strip() for c in lines[0].strip('|').split('|')]
  assert header[:5] == ['Method', 'Dataset', 'N', 'Missed', 'Outliers']
  assert header[-1] == 'extra' and 'Prec. up' in header
  assert lines[1].startswith('|---|---|---:|')
  cells = dict(zip(header, (c.strip() for c in
                            lines[3].strip('|').split('|'))))
  assert cells['Method'] == 'sta_lta' and cells['N'] == '18'
  assert cells['Mean (s)'] == '0.012' and cells['Std (s)'] == 'n/a'
  assert cells['Missed'] == 'n/a' and cells['extra'] == '1234'
  only = scoring.results_markdown(rows, columns=['method', 'mean_s'])
  assert only.splitlines()[2] == f"| CNN | {row['mean_s']:.3f} |"
