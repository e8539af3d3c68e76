"""Tests for seisjax.seismo.noise: Peterson-model noise, real noise files."""

import numpy as np
import obspy
import pytest
import scipy.signal
from obspy.signal import spectral_estimation

from seisjax import seismo
from seisjax.seismo import noise

CONTINUOUS = seismo.SHARED_DATA / 'continuous'
TA_O18A = CONTINUOUS / 'TA.O18A..BH?.M.2008.227.120000.SAC'
FS = 40.0


def _fft_bandpass(x, lo, hi):
  """Brick-wall band-pass of (time, channels), independent of the code."""
  spectrum = np.fft.rfft(x, axis=0)
  f = np.fft.rfftfreq(len(x), 1 / FS)
  spectrum[(f < lo) | (f > hi)] = 0
  return np.fft.irfft(spectrum, len(x), axis=0)


def _rms(x):
  return np.sqrt(np.mean(np.square(x, dtype=np.float64)))


# ---------------------------------------------------------------- noise


def test_peterson_db_matches_tables_and_clamps():
  periods, nlnm = spectral_estimation.get_nlnm()
  _, nhnm = spectral_estimation.get_nhnm()
  pick = [3, 250, 500, 777, 990]  # Descending tables: a missing sort fails.
  freqs = 1 / periods[pick]
  np.testing.assert_allclose(noise.peterson_db(freqs, 0.0), nlnm[pick],
                             atol=1e-6)
  np.testing.assert_allclose(noise.peterson_db(freqs, 1.0), nhnm[pick],
                             atol=1e-6)
  np.testing.assert_allclose(noise.peterson_db(freqs, 0.25),
                             0.75 * nlnm[pick] + 0.25 * nhnm[pick], atol=1e-6)
  # Periods below 0.1 s take the 0.1 s value.
  at_10hz = noise.peterson_db(np.array([10.0]), 0.5)
  np.testing.assert_allclose(noise.peterson_db(np.array([15.0, 20.0]), 0.5),
                             [at_10hz[0]] * 2)
  with pytest.raises(ValueError, match='level'):
    noise.peterson_db(freqs, 1.5)


def _acceleration_db(x, edges):
  """Welch PSD of counts as acceleration, in dB, mean per band (bands, 3).

  Also returns the bin frequencies of each band, to evaluate models on.
  """
  f, p = scipy.signal.welch(x, fs=FS, nperseg=8192, axis=0)
  acceleration = p / noise.GAIN**2 * (2 * np.pi * f[:, None])**2
  bands = [(f >= lo) & (f < hi) for lo, hi in zip(edges[:-1], edges[1:])]
  return [f[b] for b in bands], np.array(
      [10 * np.log10(acceleration[b].mean(axis=0)) for b in bands])


def _model_db(freqs, level):
  """Band mean of the model, averaged in power like the measurement."""
  return 10 * np.log10(np.mean(10 ** (noise.peterson_db(freqs, level) / 10)))


EDGES = np.geomspace(0.05, 10.0, 12)


def test_synthetic_noise_follows_peterson_model():
  x = noise.synthetic_noise(np.random.default_rng(1), 288000, FS, level=0.5,
                            microseism_strength=0.0, cultural_strength=0.0,
                            transient_rate=0.0)
  assert x.shape == (288000, 3) and x.dtype == np.float32
  freqs, got = _acceleration_db(x, EDGES)
  want = np.array([_model_db(f, 0.5) for f in freqs])[:, None]
  # A factor 2 in the PSD (3 dB) or a missing (2 pi f)^2 fails.
  assert np.all(np.abs(got[:, 2] - want[:, 0]) < 1.0), (got, want)
  # Horizontals: as strong at short periods, up to 6 dB more at long ones.
  assert np.all((got[:, :2] - want > -1.0) & (got[:, :2] - want < 7.0))


def test_default_noise_lies_between_nlnm_and_nhnm():
  x = noise.synthetic_noise(np.random.default_rng(2), 288000, FS, level=0.5)
  freqs, got = _acceleration_db(x, EDGES)
  low = np.array([_model_db(f, 0.0) for f in freqs])[:, None]
  high = np.array([_model_db(f, 1.0) for f in freqs])[:, None]
  assert np.all(got > low - 3) and np.all(got < high + 3), (got, low, high)


def _hourly_band_power(x, lo, hi):
  hours = _fft_bandpass(x, lo, hi).reshape(-1, 144000, 3)
  return np.mean(hours**2, axis=(1, 2))


@pytest.mark.parametrize('drifting_band, steady_band', [
    ('microseism', (2.0, 5.0)), ('cultural', (0.1, 0.3))])
def test_band_levels_drift_only_in_their_band(drifting_band, steady_band):
  rng = np.random.default_rng(3)
  kwargs = dict(n_samples=8 * 144000, sampling_rate=FS, transient_rate=0.0)
  off = {'microseism_strength': 0.0, 'cultural_strength': 0.0}
  drifting = noise.synthetic_noise(
      rng, **kwargs, **dict(off, **{f'{drifting_band}_strength': 0.5}))
  steady = noise.synthetic_noise(rng, **kwargs, **off)
  band = {'microseism': (0.1, 0.3), 'cultural': (2.0, 5.0)}[drifting_band]
  spread = lambda p: p.max() / p.min()
  assert spread(_hourly_band_power(drifting, *band)) > 2.0
  assert spread(_hourly_band_power(steady, *band)) < 1.3
  assert spread(_hourly_band_power(drifting, *steady_band)) < 1.3


def test_transients_are_rare_bursts():
  def peak_over_rms(rate):
    x = noise.synthetic_noise(np.random.default_rng(4), 144000, FS,
                              microseism_strength=0.0, transient_rate=rate)
    high = _fft_bandpass(x, 1.0, 10.0)
    return np.abs(high).max() / _rms(high)
  assert peak_over_rms(0.0) < 6.0  # Gaussian: about 5 sigma at most.
  assert peak_over_rms(20.0) > 10.0


def test_noise_is_deterministic_per_seed():
  a, b, c = (noise.synthetic_noise(np.random.default_rng(s), 20000, FS)
             for s in (5, 5, 6))
  np.testing.assert_array_equal(a, b)
  assert not np.allclose(a, c)
  # Independent realisations per component.
  assert abs(np.corrcoef(a.T)[2, :2]).max() < 0.3


# ---------------------------------------------------------------- real noise


def _write(tmp_path, name, traces):
  path = tmp_path / name
  obspy.Stream(traces).write(str(path), format='MSEED')
  return path


def _trace(channel, data, rate=FS, start=0.0):
  return obspy.Trace(np.asarray(data, np.float32), header=dict(
      network='XX', station='TEST', channel=channel, sampling_rate=rate,
      starttime=obspy.UTCDateTime(2020, 1, 1) + start))


@pytest.mark.skipif(not CONTINUOUS.is_dir(),
                    reason=f'real recordings not available at {CONTINUOUS}')
def test_load_noise_reads_ta_o18a_and_tiles_it():
  x = noise.load_noise(str(TA_O18A))
  assert x.shape == (288001, 3) and x.dtype == np.float32
  z = obspy.read(str(TA_O18A).replace('BH?', 'BHZ'))[0]
  want = scipy.signal.detrend(z.data.astype(np.float64))
  np.testing.assert_allclose(x[:, 2], want, rtol=1e-5, atol=1e-3)
  assert noise.load_noise(str(TA_O18A), 20.0).shape == (144001, 3)
  tiled = noise.tile_noise(np.random.default_rng(0), x, 500000)
  assert tiled.shape == (500000, 3)
  # Cross-fades leave no steps and keep the power.
  step = np.abs(np.diff(tiled, axis=0)).max(axis=0)
  assert np.all(step <= 1.2 * np.abs(np.diff(x, axis=0)).max(axis=0))
  np.testing.assert_allclose(np.std(tiled, axis=0), np.std(x, axis=0),
                             rtol=0.2)


def test_tile_noise_has_no_steps():
  source = noise.synthetic_noise(np.random.default_rng(8), 100000, FS,
                                 transient_rate=0.0)
  tiled = noise.tile_noise(np.random.default_rng(1), source, 300000,
                           segment_samples=20000)
  step = np.abs(np.diff(tiled, axis=0)).max()
  assert step <= 1.2 * np.abs(np.diff(source, axis=0)).max()
  rms_per_segment = np.std(tiled.reshape(15, 20000, 3), axis=(1, 2))
  assert rms_per_segment.max() < 2 * rms_per_segment.min()


def test_load_noise_resamples_with_anti_alias_and_orders_components(
    tmp_path):
  t = np.arange(60000) / 100.0  # 10 min at 100 Hz
  wave = np.sin(2 * np.pi * 2.0 * t) + np.sin(2 * np.pi * 30.0 * t)
  # Out of order, with 1/2/Z codes; amplitudes tell the components apart.
  path = _write(tmp_path, 'rate.mseed', [
      _trace('HHZ', 3 * wave, 100.0), _trace('HH1', wave, 100.0),
      _trace('HH2', 2 * wave, 100.0)])
  x = noise.load_noise(path, sampling_rate=40.0)
  assert x.shape == (24000, 3)
  spectrum = np.abs(np.fft.rfft(x[2000:-2000], axis=0)) / 10000
  f = np.fft.rfftfreq(20000, 1 / 40.0)
  np.testing.assert_allclose(spectrum[np.argmin(abs(f - 2.0))], [1, 2, 3],
                             rtol=0.02)
  # 30 Hz would alias to 10 Hz without the anti-alias filter.
  assert spectrum[np.argmin(abs(f - 10.0))].max() < 1e-3


def test_load_noise_rejects_bad_input(tmp_path):
  good = np.random.default_rng(0).standard_normal(4000)
  nan = good.copy()
  nan[100] = np.nan
  cases = {
      'missing': ([_trace('BHE', good), _trace('BHN', good)], 'BHZ'),
      'nan': ([_trace('BHE', good), _trace('BHN', good),
               _trace('BHZ', nan)], 'NaN'),
      'gap': ([_trace('BHE', good), _trace('BHN', good),
               _trace('BHZ', good[:2000]),
               _trace('BHZ', good[2500:], start=2500 / FS)], 'gap'),
      'twice': ([_trace('BHE', good), _trace('BHN', good),
                 _trace('BHZ', good), _trace('HHZ', good)], 'two traces'),
  }
  for name, (traces, message) in cases.items():
    path = _write(tmp_path, f'{name}.mseed', traces)
    with pytest.raises(ValueError, match=message):
      noise.load_noise(path)
