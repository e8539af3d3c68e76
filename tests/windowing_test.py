"""Intervals, windows, joint normalisation and event splits."""

import numpy as np
import pytest

from configs import precursor
from seisjax import input_pipeline
from seisjax import windowing


def test_default_config_has_the_papers_windowing():
  data = precursor.get_config().data
  assert data.sampling_rate == 40.0
  assert (data.n_intervals, data.interval_samples) == (36, 40000)
  assert data.interval_samples / data.sampling_rate == 1000.0
  assert data.window_samples == 16384
  assert data.window_stride == 1010
  assert data.window_samples - data.window_stride == 15374  # overlap
  assert data.windows_per_interval == 37
  assert (data.noise_interval, data.precursor_interval) == (1, 36)
  assert (data.n_events - data.n_test_events, data.n_test_events) == (24, 7)


def test_window_starts_end_at_the_interval_end():
  lead_in = windowing.lead_in_samples(16384, 1010, 37, 40000)
  assert lead_in == 16384 + 36 * 1010 - 40000 == 12744
  starts = windowing.window_starts(lead_in + 40000, 16384, 1010, 37)
  assert len(starts) == 37
  assert starts[0] == 0
  np.testing.assert_array_equal(np.diff(starts), 1010)
  assert starts[-1] + 16384 == lead_in + 40000


def test_window_starts_reject_a_short_span():
  with pytest.raises(ValueError, match='need 52744 samples'):
    windowing.window_starts(40000, 16384, 1010, 37)


def test_cut_windows_match_slices():
  span = np.random.default_rng(0).normal(size=(100, 3))
  windows = windowing.cut_windows(span, 40, 7, 5)
  assert windows.shape == (5, 40, 3)
  for w, start in enumerate(range(100 - 40 - 4 * 7, 61, 7)):
    np.testing.assert_array_equal(windows[w], span[start:start + 40])


@pytest.mark.parametrize('scale', ['std', 'max'])
def test_joint_normalisation_keeps_inter_component_offsets(scale):
  rng = np.random.default_rng(1)
  offsets = np.array([5.0, -2.0, 0.5])
  gains = np.array([1.0, 3.0, 0.2])
  x = offsets + gains * rng.normal(size=(5000, 3))
  y = windowing.normalize_jointly(x, scale)
  s = {'std': (x - x.mean()).std(), 'max': np.abs(x - x.mean()).max()}[scale]
  assert y.mean() == pytest.approx(0, abs=1e-5)
  # Differences of component means and ratios of component spreads survive.
  np.testing.assert_allclose(np.diff(y.mean(0)), np.diff(x.mean(0)) / s,
                             rtol=1e-4)
  np.testing.assert_allclose(y.std(0) / y.std(0)[0], x.std(0) / x.std(0)[0],
                             rtol=1e-4)
  if scale == 'std':
    assert y.std() == pytest.approx(1, rel=1e-5)
  else:
    assert np.abs(y).max() == pytest.approx(1, rel=1e-5)


def test_normalisation_rejects_constant_input():
  with pytest.raises(ValueError, match='constant'):
    windowing.normalize_jointly(np.ones((10, 3)))


def test_event_split_is_disjoint_and_seeded():
  a = input_pipeline.split_events(31, 7, 4, seed=0)
  assert [len(a[k]) for k in ('train', 'val', 'test')] == [20, 4, 7]
  together = np.concatenate(list(a.values()))
  np.testing.assert_array_equal(np.sort(together), np.arange(31))
  b = input_pipeline.split_events(31, 7, 4, seed=0)
  c = input_pipeline.split_events(31, 7, 4, seed=1)
  np.testing.assert_array_equal(a['test'], b['test'])
  assert not np.array_equal(a['test'], c['test'])


def _fake_source(n_events, data, span):
  rng = np.random.default_rng(0)
  return [{'event': e, 'interval': i,
           'waveform': rng.normal(size=(span, 3)).astype(np.float32) + e}
          for e in range(n_events) for i in range(1, data.n_intervals + 1)]


def test_window_set_labels_and_windows():
  data = precursor.get_config('tiny').data
  span = data.interval_samples + windowing.lead_in_samples(
      data.window_samples, data.window_stride, data.windows_per_interval,
      data.interval_samples)
  source = _fake_source(3, data, span)
  ws = input_pipeline.read_window_set(source, [0, 2], [1, 5, 36], data)
  assert len(ws) == 6 * data.windows_per_interval
  np.testing.assert_array_equal(ws.events, [0, 0, 0, 2, 2, 2])
  np.testing.assert_array_equal(ws.labels, [0, -1, 1, 0, -1, 1])
  item = ws[2 * data.windows_per_interval + data.windows_per_interval - 1]
  assert item['label'] == 1
  expected = windowing.normalize_jointly(
      source[35]['waveform'])[-data.window_samples:]
  np.testing.assert_allclose(item['x'], expected, rtol=1e-6)
  x, n = list(ws.batches(4))[-1]
  assert x.shape == (4, data.window_samples, 3)
  assert n == len(ws) % 4 == 2
  assert not x[n:].any()  # Padding is zeros.


def test_window_set_checks_dataset_order():
  data = precursor.get_config('tiny').data
  source = _fake_source(2, data, 10)
  source[0], source[1] = source[1], source[0]
  with pytest.raises(ValueError, match='not \\(event, interval\\)'):
    input_pipeline.read_window_set(source, [0], [1], data)
