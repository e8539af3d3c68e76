"""Tests of seisjax.precursor.analyses.spectra: by hand and on synthetics."""

import numpy as np
import pytest
import scipy.signal

from seisjax.precursor import synthetic
from seisjax.precursor.analyses import spectra

FS = 40.0
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


# --------------------------------------------------------------- spectra


def test_hann_spectrum_of_a_sinusoid_on_a_bin():
  n_time, k0, amplitude = 512, 40, 3.0
  t = np.arange(n_time)
  x = np.zeros((2, n_time, 3), np.float32)
  x[1, :, 2] = amplitude * np.cos(2 * np.pi * k0 * t / n_time)
  freqs, spec = spectra.amplitude_spectrum(x, FS)
  np.testing.assert_allclose(freqs, np.fft.rfftfreq(n_time, 1 / FS))
  assert spec.shape == (2, n_time // 2 + 1, 3)
  spec = np.asarray(spec)
  # Periodic Hann: N/4 A on the bin, N/8 A on each neighbour, 0 elsewhere.
  want = np.zeros(n_time // 2 + 1)
  want[[k0 - 1, k0, k0 + 1]] = amplitude * n_time * np.array([1, 2, 1]) / 8
  np.testing.assert_allclose(spec[1, :, 2], want, atol=2e-4)
  np.testing.assert_array_equal(spec[0], 0.0)
  np.testing.assert_array_equal(spec[1, :, :2], 0.0)
  # Untapered: N/2 A on the bin alone.
  _, plain = spectra.amplitude_spectrum(x, FS, taper=False)
  assert float(plain[1, k0, 2]) == pytest.approx(amplitude * n_time / 2,
                                                 rel=1e-5)


def test_cumulative_spectra_sum_each_class_in_batches():
  rng = np.random.default_rng(0)
  x = rng.standard_normal((11, 256, 3)).astype(np.float32)
  labels = np.array([0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0])
  # Batches of 4: the last one (3 windows) is padded.
  sums = spectra.cumulative_spectra(x, labels, FS, batch_size=4)
  tapered = x * scipy.signal.get_window('hann', 256)[:, None]
  amp = np.abs(np.fft.rfft(tapered.astype(np.float64), axis=1))
  np.testing.assert_allclose(sums.noise_per_channel,
                             amp[labels == 0].sum(axis=0), rtol=1e-5)
  np.testing.assert_allclose(sums.precursor_per_channel,
                             amp[labels == 1].sum(axis=0), rtol=1e-5)
  np.testing.assert_allclose(sums.noise, amp[labels == 0].sum(axis=(0, 2)),
                             rtol=1e-5)
  np.testing.assert_allclose(sums.precursor,
                             amp[labels == 1].sum(axis=(0, 2)), rtol=1e-5)
  assert (sums.n_noise, sums.n_precursor) == (5, 6)
  np.testing.assert_allclose(sums.freqs, np.fft.rfftfreq(256, 1 / FS))
  with pytest.raises(ValueError, match='0 or 1'):
    spectra.cumulative_spectra(x, np.full(11, 2), FS)


def test_relative_difference_by_hand():
  np.testing.assert_allclose(
      spectra.relative_difference([1.0, 2.0, 4.0, 5.0], [2.0, 2.0, 1.0, 6.0]),
      [100.0, 0.0, -75.0, 20.0])


@pytest.mark.parametrize('n_time, polyorder, want', [
    (16384, 2, 25),  # 0.062 / (40 / 16384) = 25.4 bins.
    (4096, 2, 7),  # 6.35 bins: 7 is closer than 5.
    (8192, 2, 13),  # 12.7 bins.
    (512, 2, 5),  # 0.79 bins: at least polyorder + 2 = 4, odd.
    (512, 3, 5),
    (512, 4, 7),
])
def test_savgol_window_length(n_time, polyorder, want):
  df = FS / n_time
  assert spectra.savgol_window_length(0.062, df, polyorder) == want


def test_smooth_keeps_quadratics_and_averages_noise():
  freqs = np.fft.rfftfreq(4096, 1 / FS)  # 7-bin window for 0.062 Hz.
  quadratic = 3.0 - 2.0 * freqs + 0.5 * freqs**2
  np.testing.assert_allclose(spectra.smooth(quadratic, freqs), quadratic,
                             atol=1e-9)
  noise = np.random.default_rng(1).standard_normal(len(freqs))
  smoothed = spectra.smooth(noise, freqs)
  np.testing.assert_allclose(smoothed,
                             scipy.signal.savgol_filter(noise, 7, 2))
  # The centre weight of a 7-bin quadratic fit is 7/21: variance / 3.
  assert np.var(smoothed) == pytest.approx(1 / 3, rel=0.1)


# ----------------------------------------------------------------- peaks


def _bumps(freqs, centres, heights, width=0.02):
  return sum(h * np.exp(-0.5 * ((freqs - c) / width)**2)
             for c, h in zip(centres, heights))


def test_spectral_peaks_on_a_hand_made_curve():
  freqs = np.fft.rfftfreq(4096, 1 / FS)
  rng = np.random.default_rng(2)
  # A broad rise (not a peak), scatter of std ~1 and two narrow bumps.
  curve = (20 * np.exp(-0.5 * ((freqs - 0.8) / 0.4)**2)
           + spectra.smooth(rng.standard_normal(len(freqs)) * 1.7, freqs)
           + _bumps(freqs, [0.4, 1.2], [10.0, 20.0]))
  peaks = spectra.spectral_peaks(freqs, curve, min_height=6.0)
  np.testing.assert_allclose(peaks, [1.2, 0.4], atol=0.015)  # Tallest first.
  # The broad rise alone is no peak: nothing in a band that excludes both.
  assert len(spectra.spectral_peaks(freqs, curve, 6.0, band=(0.5, 1.0))) == 0


def test_peak_test_enumerates_all_swaps_of_few_events():
  freqs = np.fft.rfftfreq(4096, 1 / FS)
  rng = np.random.default_rng(3)
  noise = 100 + rng.random((4, len(freqs)))
  # Every event's precursor carries the same bump: only the identity is as
  # extreme, so the exact p-value is 1 / 2^4.
  result = spectra.peak_test(freqs, noise, noise * (1 + _bumps(
      freqs, [0.5], [0.5])))
  assert result.n_permutations == 16
  assert result.p_value == pytest.approx(1 / 16)
  assert abs(result.top_hz - 0.5) < 0.02


# ------------------------------------------------ synthetic precursors

N_SAMPLES = 120000  # Three 1000 s intervals at 40 Hz.
INTERVAL = 40000
WINDOW = 4096


def _synthetic_windows(snr):
  """Noise windows from the first interval, precursor ones from the last.

  Windows are cut back from the end of each interval, so the last one ends
  at the event where the precursor is strongest, and normalised by their
  standard deviation as the network's inputs are.
  """
  windows, labels = [], []
  for event in range(10):
    record = synthetic.event_record((7, event), n_samples=N_SAMPLES,
                                    snr=snr, onset_fraction=0.4)
    for label, part in ((0, record[:INTERVAL]), (1, record[-INTERVAL:])):
      for k in range(INTERVAL // WINDOW):
        window = part[INTERVAL - (k + 1) * WINDOW:INTERVAL - k * WINDOW]
        windows.append(window / window.std())
        labels.append(label)
  return np.stack(windows), np.array(labels)


def _peak_test(snr):
  """Per-event spectra of the synthetic windows (9 + 9 each) and the test."""
  windows, labels = _synthetic_windows(snr)
  per_event = [spectra.cumulative_spectra(windows[i:i + 18], labels[i:i + 18],
                                          FS, batch_size=32)
               for i in range(0, len(windows), 18)]
  assert all(c.n_noise == c.n_precursor == 9 for c in per_event)
  noise = np.stack([c.noise for c in per_event])
  precursor_ = np.stack([c.precursor for c in per_event])
  return per_event[0].freqs, noise, precursor_, spectra.peak_test(
      per_event[0].freqs, noise, precursor_, n_permutations=1024)


def test_planted_peaks_stand_out(tmp_path):
  freqs, noise, precursor_, result = _peak_test(snr=2.0)
  assert result.n_permutations == 1024  # All swaps of 10 events.
  assert result.p_value <= 0.05
  assert len(result.peaks_hz) >= 1
  # Every peak found, the top one first, lies at a planted frequency.
  distance = np.abs(result.peaks_hz[:, None]
                    - np.array(synthetic.PEAK_FREQUENCIES))
  np.testing.assert_array_less(distance.min(axis=1), 0.03)
  rel = spectra.relative_difference(noise.sum(0), precursor_.sum(0))
  path = tmp_path / 'spectra.png'
  spectra.plot_spectra(freqs, noise.sum(0), precursor_.sum(0), rel,
                       spectra.smooth(rel, freqs), result.peaks_hz, path,
                       title='snr 2')
  data = path.read_bytes()
  assert data[:8] == PNG_MAGIC and len(data) > 1000


def test_no_peak_stands_out_without_precursor():
  _, _, _, result = _peak_test(snr=0.0)
  assert result.p_value > 0.05
  assert len(result.peaks_hz) == 0
