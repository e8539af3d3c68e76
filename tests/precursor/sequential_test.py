"""Tests of seisjax.precursor.analyses.sequential: fake scores, sinusoids."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.signal

from seisjax.precursor.analyses import sequential

PNG_MAGIC = b'\x89PNG\r\n\x1a\n'
FS = 40.0
N_TIME = 16384


class MeanModel:
  """Score = sigmoid of the mean of BHZ; counts its traces."""

  def __init__(self):
    self.traces = 0

  def __call__(self, x):  # (batch, time, 3) -> (batch,)
    self.traces += 1
    return jax.nn.sigmoid(jnp.mean(x[:, :, 2], axis=1))


def _level_windows(levels, n_time=64):
  """Windows whose BHZ is constant at each level, other channels noise."""
  rng = np.random.default_rng(0)
  x = rng.standard_normal((len(levels), n_time, 3)).astype(np.float32)
  x[:, :, 2] = np.asarray(levels, np.float32)[:, None]
  return x


def _assert_png(path):
  data = path.read_bytes()
  assert data[:8] == PNG_MAGIC, path
  assert len(data) > 1000, path


def _sines(freqs_hz, amplitude=1.0):
  """(len(freqs_hz), N_TIME, 3) windows with a sinusoid on BHZ each.

  BH1 carries a larger 1.0 Hz sinusoid, so transforming the wrong channel
  moves the peak.
  """
  t = np.arange(N_TIME) / FS
  x = np.zeros((len(freqs_hz), N_TIME, 3), np.float32)
  for i, f in enumerate(freqs_hz):
    x[i, :, 2] = amplitude * np.sin(2 * np.pi * f * t)
    x[i, :, 0] = 3.0 * np.sin(2 * np.pi * 1.0 * t)
  return x


def test_largest_rise_is_where_the_score_jumps():
  # Steady small rises, a dip, then the jump into window 7, then a plateau.
  levels = [-3, -2.8, -2.6, -2.4, -2.9, -2.7, -2.5, 1.0, 1.1, 1.2]
  end_times = -3600.0 + 25.25 * np.arange(len(levels))
  model = MeanModel()
  result = sequential.sequential_scores(model, _level_windows(levels),
                                        end_times, batch_size=4)
  want = 1 / (1 + np.exp(-np.asarray(levels)))
  np.testing.assert_allclose(result['score'], want, rtol=1e-5)
  assert result['largest_rise'] == 7
  assert result['largest_rise_time_s'] == pytest.approx(end_times[7])
  assert result['rise'] == pytest.approx(want[7] - want[6], rel=1e-5)
  np.testing.assert_array_equal(result['end_time_s'], end_times)
  # Three chunks of 4 (the last padded) compile once.
  assert model.traces == 1


def test_sequential_scores_rejects_bad_input():
  windows = _level_windows([0.0, 1.0, 2.0])
  with pytest.raises(ValueError, match='increasing'):
    sequential.sequential_scores(MeanModel(), windows, [0.0, 2.0, 1.0])
  with pytest.raises(ValueError, match='two windows'):
    sequential.sequential_scores(MeanModel(), windows[:1], [0.0])


def test_spectrogram_peaks_at_the_sinusoid_bin_of_each_window():
  # 0.2 Hz is bin 5 and 0.52 Hz bin 13 at 0.04 Hz spacing.
  spec, freqs, times = sequential.spectrogram(_sines([0.2, 0.52]))
  n_segments = (N_TIME - 1000) // 500 + 1
  assert n_segments == 31
  assert spec.shape == (2, n_segments, 501)
  assert freqs[1] == pytest.approx(0.04)
  assert freqs[-1] == pytest.approx(20.0)
  # Segment k covers samples [500 k, 500 k + 1000) of a window ending at
  # sample 16384; the centre of the first is 500 samples in.
  assert times[0] == pytest.approx((500 - N_TIME) / FS)
  assert times[-1] == pytest.approx((30 * 500 + 500 - N_TIME) / FS)
  for i, want_bin in enumerate([5, 13]):
    peak = np.argmax(spec[i], axis=-1)
    np.testing.assert_array_equal(peak, want_bin)
    # On a bin centre the scaled amplitude reads the sinusoid's amplitude.
    np.testing.assert_allclose(spec[i, :, want_bin], 1.0, rtol=1e-3)


def test_spectrogram_equals_numpy_and_scipy():
  rng = np.random.default_rng(3)
  windows = rng.standard_normal((3, 5000, 3)).astype(np.float32)
  spec, freqs, _ = sequential.spectrogram(windows, batch_size=2)
  hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(1000) / 1000)
  starts = range(0, 5000 - 1000 + 1, 500)
  want = np.array([
      [np.abs(np.fft.rfft(w[s:s + 1000, 2].astype(np.float64) * hann))
       for s in starts] for w in windows]) * 2 / hann.sum()
  assert spec.shape == want.shape == (3, 9, 501)
  np.testing.assert_allclose(spec, want, rtol=1e-4, atol=1e-5)
  # The same STFT from an independent implementation.
  f, _, z = scipy.signal.stft(
      windows[:, :, 2], fs=FS, window='hann', nperseg=1000, noverlap=500,
      detrend=False, boundary=None, padded=False, scaling='spectrum')
  np.testing.assert_allclose(freqs, f)
  np.testing.assert_allclose(spec, 2 * np.abs(z).transpose(0, 2, 1),
                             rtol=1e-4, atol=1e-5)


def test_record_columns_take_each_stretch_once():
  # Paper layout: 31 segment centres 12.5 s apart per window, windows
  # 25.25 s apart. The spectrum value is the window index, to see which
  # window each column came from.
  times = (np.arange(31) * 500 + 500 - N_TIME) / FS
  end_times = 25.25 * np.arange(4)
  spec = np.broadcast_to(np.arange(4.0)[:, None, None], (4, 31, 2))
  edges, columns = sequential._record_columns(spec, times, end_times)
  # Window 0 gives all 31, each later one the 2 segments it adds.
  np.testing.assert_array_equal(columns[:, 0], [0] * 31 + [1, 1, 2, 2, 3, 3])
  assert np.all(np.diff(edges) > 12.0) and np.all(np.diff(edges) < 13.0)
  assert edges[-1] == pytest.approx(end_times[-1] + times[-1] + 6.25)

  # A window starting far after the previous one ends leaves a NaN gap.
  end_times = np.array([0.0, 1000.0])
  edges, columns = sequential._record_columns(spec[:2], times, end_times)
  assert columns.shape == (63, 2)
  assert np.isnan(columns[31]).all() and not np.isnan(np.delete(
      columns, 31, axis=0)).any()
  assert edges[31] == pytest.approx(times[-1] + 6.25)
  assert edges[32] == pytest.approx(1000.0 + times[0] - 6.25)


def test_plots_write_pngs(tmp_path):
  # Five consecutive windows at the paper's stride; BHZ frequency rises.
  windows = _sines([0.2, 0.2, 0.3, 0.6, 0.6], amplitude=0.5)
  end_times = -1000.0 + 1010 / FS * np.arange(5)
  result = sequential.sequential_scores(MeanModel(), windows, end_times)
  path = tmp_path / 'sequential.png'
  sequential.plot_sequential(result, path, title='event')
  _assert_png(path)

  spec, freqs, times = sequential.spectrogram(windows)
  path = tmp_path / 'spectrogram.png'
  sequential.plot_spectrogram(spec, freqs, times, result['score'],
                              end_times, path, title='event')
  _assert_png(path)
