"""Intervals, windows, joint normalisation and event splits."""

import numpy as np
import pytest

from configs import precursor
from seisjax.engine import data as engine_data
from seisjax.precursor import data as precursor_data
from seisjax.precursor import windowing


def test_default_config_has_the_papers_windowing():
  data = precursor.get_config().data
  assert data.sampling_rate == 40.0
  assert (data.n_intervals, data.interval_samples) == (36, 40000)
  assert data.interval_samples / data.sampling_rate == 1000.0
  assert data.window_samples == 16384
  assert data.window_stride == 1010
  assert data.window_samples - data.window_stride == 15374  # overlap
  assert data.windows_per_interval == 37
  assert (data.noise_intervals, data.precursor_intervals) == ((1,), (36,))
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


def _records(groups, splits=None, source=None):
  """Records of the given groups, read from one source (or none)."""
  n = len(groups)
  sources = [] if source is None else [(source, n, len(source) // n)]
  return precursor_data.SpanRecords(
      sources, np.array(groups, dtype=object),
      np.array(splits or [''] * n, dtype=object), [], [])


def test_random_split_is_disjoint_seeded_and_by_record():
  data = precursor.get_config().data
  records = _records(['A'] * 31)
  a = precursor_data.split_records(records, data)
  assert [len(a[k]) for k in ('train', 'val', 'test', 'verify')] == [
      20, 4, 7, 0]
  together = np.concatenate(list(a.values()))
  np.testing.assert_array_equal(np.sort(together), np.arange(31))
  np.testing.assert_array_equal(
      a['test'], precursor_data.split_records(records, data)['test'])
  data.split_seed = 1
  assert not np.array_equal(
      a['test'], precursor_data.split_records(records, data)['test'])


def test_catalogue_split_verify_set_and_noise_b_proportions():
  data = precursor.get_config().data
  data.split, data.n_val_events = 'catalogue', 2
  splits = ['train', 'test', 'train', 'train', 'test', 'train', 'train',
            'train'] + ['verify'] * 3 + [''] * 12
  records = _records(['A'] * 8 + ['B'] * 3 + ['noise_b'] * 12, splits)
  s = precursor_data.split_records(records, data)
  np.testing.assert_array_equal(s['test'][:2], [1, 4])  # the catalogue's
  np.testing.assert_array_equal(s['verify'], [8, 9, 10])
  assert set(s['val'][:2]) < {0, 2, 3, 5, 6, 7}
  # Noise B windows follow set A's 4/2/2 train/val/test proportions.
  noise = {k: [e for e in v if e >= 11] for k, v in s.items()}
  assert [len(noise[k]) for k in ('train', 'val', 'test', 'verify')] == [
      6, 3, 3, 0]
  assert sorted(sum(noise.values(), [])) == list(range(11, 23))


def test_pooled_sets_draw_test_and_verify_from_a_and_b():
  data = precursor.get_config().data
  data.pool_sets, data.n_verify_events = True, 32
  records = _records(['A'] * 31 + ['B'] * 32)
  s = precursor_data.split_records(records, data)
  assert [len(s[k]) for k in ('train', 'val', 'test', 'verify')] == [
      20, 4, 7, 32]
  assert 0 < np.sum(s['verify'] < 31) < 32  # Both sets in verification.
  np.testing.assert_array_equal(np.sort(np.concatenate(list(s.values()))),
                                np.arange(63))


def test_too_few_records_is_a_clear_error():
  data = precursor.get_config().data
  with pytest.raises(ValueError, match='No training records left'):
    precursor_data.split_records(_records(['A'] * 11), data)


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
  ws = precursor_data.read_window_set(_records(['A'] * 3, source=source),
                                      [0, 2], [1, 5, 36], data)
  assert len(ws) == 6 * data.windows_per_interval
  np.testing.assert_array_equal(ws.events, [0, 0, 0, 2, 2, 2])
  np.testing.assert_array_equal(ws.labels, [0, -1, 1, 0, -1, 1])
  item = ws[2 * data.windows_per_interval + data.windows_per_interval - 1]
  assert item['label'] == 1
  expected = windowing.normalize_jointly(
      source[35]['waveform'])[-data.window_samples:]
  np.testing.assert_allclose(item['x'], expected, rtol=1e-6)
  x, n = list(engine_data.padded_batches(ws, 4))[-1]
  assert x.shape == (4, data.window_samples, 3)
  assert n == len(ws) % 4 == 2
  # Padding repeats the last window (zeros would be NaN once normalised).
  np.testing.assert_array_equal(x[n:], np.stack([ws[len(ws) - 1]['x']] * 2))


def test_window_set_checks_dataset_order():
  data = precursor.get_config('tiny').data
  source = _fake_source(2, data, 10)
  source[0], source[1] = source[1], source[0]
  with pytest.raises(ValueError, match='not \\(event, interval\\)'):
    precursor_data.read_window_set(_records(['A'] * 2, source=source), [0],
                                   [1], data)
