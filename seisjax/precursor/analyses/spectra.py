"""Amplitude spectra of noise and precursor windows, and spectrograms.

Ong et al. (section 6, Figs. 10 and 11) sum the amplitude spectra of all
noise windows and of all precursor windows, and look at the relative
difference 100 (precursor - noise) / noise smoothed with a Savitzky-Golay
filter 0.062 Hz wide: it peaks near 0.16 and 0.21 Hz.

  sums = spectra.cumulative_spectra(windows, labels, sampling_rate=40.0)
  rel = spectra.relative_difference(sums.noise, sums.precursor)
  smoothed = spectra.smooth(rel, sums.freqs)
  test = spectra.peak_test(sums.freqs, noise_by_event, precursor_by_event)

Peaks are measured above the curve's broad trend (a running median), so a
broad change of the noise between the two sets of windows is not taken for
a peak; and a peak stands out only if it is higher than what swapping the
noise and precursor windows of events at random produces (`peak_test`).

Spectra use a periodic Hann taper: the background is tens of dB stronger at
the microseism peak (0.2 Hz) and below than above 1 Hz, and without a taper
the leakage of a rectangular window (sidelobes falling 6 dB/octave against
Hann's 18) would smear it across the band where the precursor is sought.
"""

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
from matplotlib.figure import Figure
import numpy as np
import scipy.ndimage
import scipy.signal

from seisjax.engine import writers

SMOOTH_WIDTH = 0.062  # Hz, the paper's Savitzky-Golay window.
# Savitzky-Golay of order 2 and 3 smooth identically away from the ends (the
# symmetric window's cubic term is odd and drops out of the centre value);
# at the ends, where scipy fits the polynomial, order 2 is the less noisy.
POLYORDER = 2
PEAK_BAND = (0.05, 2.0)  # Hz
TREND_WIDTH = 0.3  # Hz, running median over several peak widths.


class CumulativeSpectra(NamedTuple):
  """Summed amplitude spectra of the two classes.

  Attributes:
    freqs: (n_freq,) Hz.
    noise: (n_freq,) sum over noise windows and channels.
    precursor: (n_freq,) sum over precursor windows and channels.
    noise_per_channel: (n_freq, channels) sum over noise windows.
    precursor_per_channel: (n_freq, channels) sum over precursor windows.
    n_noise: number of noise windows.
    n_precursor: number of precursor windows.
  """

  freqs: np.ndarray
  noise: np.ndarray
  precursor: np.ndarray
  noise_per_channel: np.ndarray
  precursor_per_channel: np.ndarray
  n_noise: int
  n_precursor: int


def hann(n: int) -> np.ndarray:
  """Periodic Hann window, as scipy.signal.get_window('hann', n)."""
  return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)


@functools.partial(jax.jit, static_argnames='taper')
def _abs_rfft(windows: jax.Array, taper: bool) -> jax.Array:
  """|rfft| along time of (n, time, channels), optionally Hann-tapered."""
  if taper:
    windows = windows * hann(windows.shape[1])[:, None]
  return jnp.abs(jnp.fft.rfft(windows, axis=1))


def amplitude_spectrum(windows, sampling_rate: float, taper: bool = True
                       ) -> tuple[np.ndarray, jax.Array]:
  """Amplitude spectra of windows.

  Args:
    windows: (n, time, channels).
    sampling_rate: Hz.
    taper: multiply by a periodic Hann window first (see the module
      docstring); a sinusoid of amplitude A on an FFT bin then reads
      A time / 4 in that bin and half that in its two neighbours.

  Returns:
    (freqs, spectra): freqs (n_freq,) Hz, n_freq = time // 2 + 1, and
    spectra (n, n_freq, channels) float32, |rfft| unscaled.
  """
  windows = jnp.asarray(windows, jnp.float32)
  freqs = np.fft.rfftfreq(windows.shape[1], 1.0 / sampling_rate)
  return freqs, _abs_rfft(windows, taper)


@functools.partial(jax.jit, static_argnames='taper')
def _class_sums(windows: jax.Array, labels: jax.Array, taper: bool
                ) -> jax.Array:
  """(2, n_freq, channels) amplitude spectra summed per label (0, 1).

  Windows with any other label (the padding) count in neither sum.
  """
  spectra = _abs_rfft(windows, taper)  # (n, n_freq, channels)
  one_hot = jax.nn.one_hot(labels, 2, dtype=spectra.dtype)  # (n, 2)
  return jnp.einsum('nc,nfk->cfk', one_hot, spectra)


def cumulative_spectra(windows, labels, sampling_rate: float,
                       batch_size: int = 256, taper: bool = True
                       ) -> CumulativeSpectra:
  """Sums the amplitude spectra of noise and of precursor windows.

  Windows go to the device `batch_size` at a time (so 10^4 windows of 16384
  samples may sit in host memory or a memory map); the last batch is
  padded, so the jitted sum compiles once, and batch sums are added in
  float64 on the host.

  Args:
    windows: (n, time, channels) array-like.
    labels: (n,) 0 = noise, 1 = precursor.
    sampling_rate: Hz.
    batch_size: windows per device call.
    taper: Hann taper, as in `amplitude_spectrum`.

  Returns:
    A `CumulativeSpectra`. With unequal class counts, divide by `n_noise`
    and `n_precursor` before comparing.
  """
  labels = np.asarray(labels).reshape(-1)
  n, n_time, n_channels = windows.shape
  if len(labels) != n:
    raise ValueError(f'{n} windows but {len(labels)} labels.')
  if not np.isin(labels, (0, 1)).all():
    raise ValueError(f'labels must be 0 or 1, got {np.unique(labels)}.')
  batch_size = min(batch_size, n)
  sums = np.zeros((2, n_time // 2 + 1, n_channels))
  for start in range(0, n, batch_size):
    batch = np.asarray(windows[start:start + batch_size], np.float32)
    batch_labels = labels[start:start + batch_size]
    pad = batch_size - len(batch)
    batch = np.pad(batch, ((0, pad), (0, 0), (0, 0)))
    batch_labels = np.pad(batch_labels, (0, pad), constant_values=-1)
    sums += np.asarray(_class_sums(batch, batch_labels, taper), np.float64)
  return CumulativeSpectra(
      freqs=np.fft.rfftfreq(n_time, 1.0 / sampling_rate),
      noise=sums[0].sum(axis=-1),
      precursor=sums[1].sum(axis=-1),
      noise_per_channel=sums[0],
      precursor_per_channel=sums[1],
      n_noise=int(np.sum(labels == 0)),
      n_precursor=int(np.sum(labels == 1)),
  )


def relative_difference(noise_spec, precursor_spec) -> np.ndarray:
  """100 (precursor - noise) / noise, per frequency (percent).

  Args:
    noise_spec: (n_freq, ...) amplitude spectrum of noise windows.
    precursor_spec: the same shape, of precursor windows.

  Returns:
    float64 array of that shape; inf or nan where noise is 0.
  """
  noise_spec = np.asarray(noise_spec, np.float64)
  precursor_spec = np.asarray(precursor_spec, np.float64)
  with np.errstate(divide='ignore', invalid='ignore'):
    return 100.0 * (precursor_spec - noise_spec) / noise_spec


def _odd_bins(width_hz: float, df: float, minimum: int) -> int:
  """Odd number of bins closest to width_hz / df, at least `minimum`."""
  n = width_hz / df
  closest = 2 * int(np.floor((n - 1) / 2 + 0.5)) + 1  # Ties round up.
  return max(closest, minimum + 1 - minimum % 2)


def savgol_window_length(width_hz: float, df: float,
                         polyorder: int = POLYORDER) -> int:
  """Savitzky-Golay window: odd bins closest to `width_hz`.

  Args:
    width_hz: window width in Hz (the paper's 0.062).
    df: frequency spacing in Hz.
    polyorder: polynomial order; the window has at least polyorder + 2
      bins, rounded up to odd.

  Returns:
    The window length in bins, odd: 25 for 0.062 Hz at 40 Hz / 16384.
  """
  return _odd_bins(width_hz, df, polyorder + 2)


def smooth(curve, freqs, width_hz: float = SMOOTH_WIDTH,
           polyorder: int = POLYORDER) -> np.ndarray:
  """Savitzky-Golay smoothing over a width in Hz.

  Args:
    curve: (n_freq,) values on the uniform grid `freqs`.
    freqs: (n_freq,) Hz.
    width_hz: window width.
    polyorder: polynomial order (2; see `POLYORDER`).

  Returns:
    (n_freq,) float64.
  """
  df = freqs[1] - freqs[0]
  length = savgol_window_length(width_hz, df, polyorder)
  return scipy.signal.savgol_filter(np.asarray(curve, np.float64), length,
                                    polyorder, mode='interp')


def peak_heights(freqs, curve, band: tuple[float, float] = PEAK_BAND,
                 trend_width_hz: float = TREND_WIDTH
                 ) -> tuple[np.ndarray, np.ndarray]:
  """How far curves stand above their broad trend, within a band.

  The trend is a running median `trend_width_hz` wide, which follows broad
  changes (a microseism level that drifts between the two sets of windows)
  but not a peak a few times narrower.

  Args:
    freqs: (n_freq,) uniform grid in Hz.
    curve: (..., n_freq) smoothed relative difference(s) (from `smooth`).
    band: (low, high) Hz.
    trend_width_hz: width of the running median.

  Returns:
    (band_freqs, heights (..., n_band)): curve minus trend, in band.
  """
  freqs = np.asarray(freqs, np.float64)
  curve = np.asarray(curve, np.float64)
  size = _odd_bins(trend_width_hz, freqs[1] - freqs[0], 3)
  trend = scipy.ndimage.median_filter(
      curve, size=(1,) * (curve.ndim - 1) + (size,), mode='nearest')
  in_band = (freqs >= band[0]) & (freqs <= band[1])
  return freqs[in_band], (curve - trend)[..., in_band]


def spectral_peaks(freqs, curve, min_height: float,
                   band: tuple[float, float] = PEAK_BAND,
                   trend_width_hz: float = TREND_WIDTH) -> np.ndarray:
  """Local maxima standing at least `min_height` above the trend.

  Returns:
    (n_peaks,) Hz, highest first; empty if none.
  """
  band_freqs, heights = peak_heights(freqs, curve, band, trend_width_hz)
  index, _ = scipy.signal.find_peaks(heights, height=min_height)
  return band_freqs[index[np.argsort(-heights[index], kind='stable')]]


class PeakTest(NamedTuple):
  """Peaks of the relative difference, tested against swapped labels.

  Attributes:
    peaks_hz: peaks higher than `threshold`, highest first.
    top_hz: the highest peak, whether it stands out or not.
    height: the highest peak's height above the trend (percent).
    p_value: fraction of label swaps whose highest peak is at least as high.
    threshold: the (1 - alpha) quantile of the highest peak under swaps.
    n_permutations: label swaps drawn (all of them for few events).
  """
  peaks_hz: np.ndarray
  top_hz: float
  height: float
  p_value: float
  threshold: float
  n_permutations: int


def _max_heights(freqs, noise_by_event, precursor_by_event, swaps,
                 smooth_hz, band, trend_width_hz):
  # swaps: (k, events) bool; True swaps an event's noise and precursor.
  swaps = swaps[..., None]
  noise = np.where(swaps, precursor_by_event, noise_by_event).sum(1)
  precursor = np.where(swaps, noise_by_event, precursor_by_event).sum(1)
  curves = smooth(relative_difference(noise, precursor), freqs, smooth_hz)
  return peak_heights(freqs, curves, band, trend_width_hz)[1].max(-1)


def peak_test(freqs, noise_by_event, precursor_by_event,
              n_permutations: int = 999, alpha: float = 0.05, seed: int = 0,
              smooth_hz: float = SMOOTH_WIDTH,
              band: tuple[float, float] = PEAK_BAND,
              trend_width_hz: float = TREND_WIDTH) -> PeakTest:
  """Which peaks of the relative difference stand out, with a p-value.

  Windows of one event share its noise, so the scatter of the difference
  curve is judged at the level of events: under the null hypothesis an
  event's noise and precursor windows are exchangeable, and swapping them
  event by event (all 2^n swaps when that is at most `n_permutations`, else
  a random draw of that many) gives the distribution of the highest peak a
  curve shows by chance. A peak stands out when it is higher than the
  (1 - alpha) quantile of that distribution.

  Args:
    freqs: (n_freq,) Hz.
    noise_by_event: (events, n_freq) summed amplitude spectra of each
      event's noise windows; `precursor_by_event` likewise.
    n_permutations, alpha, seed: of the permutation test.
    smooth_hz, band, trend_width_hz: see `smooth` and `peak_heights`.

  Returns:
    A PeakTest.
  """
  noise_by_event = np.asarray(noise_by_event, np.float64)
  precursor_by_event = np.asarray(precursor_by_event, np.float64)
  n_events = noise_by_event.shape[0]
  exhaustive = 2 ** n_events <= n_permutations
  if exhaustive:  # The identity is among them: an exact test.
    codes = np.arange(2 ** n_events)[:, None]
    swaps = (codes >> np.arange(n_events)) & 1 == 1
  else:  # The observed curve counts as one more draw.
    rng = np.random.default_rng(seed)
    swaps = rng.random((n_permutations, n_events)) < 0.5
  null = np.concatenate([_max_heights(
      freqs, noise_by_event, precursor_by_event, chunk, smooth_hz, band,
      trend_width_hz) for chunk in np.array_split(swaps, -(-len(swaps) // 64))])
  curve = smooth(relative_difference(noise_by_event.sum(0),
                                     precursor_by_event.sum(0)),
                 freqs, smooth_hz)
  band_freqs, heights = peak_heights(freqs, curve, band, trend_width_hz)
  height = float(heights.max())
  threshold = float(np.quantile(null, 1 - alpha))
  return PeakTest(
      peaks_hz=spectral_peaks(freqs, curve, np.nextafter(threshold, np.inf),
                              band, trend_width_hz),
      top_hz=float(band_freqs[np.argmax(heights)]), height=height,
      p_value=float((np.sum(null >= height) + (not exhaustive))
                    / (len(null) + (not exhaustive))),
      threshold=threshold, n_permutations=len(null))


def plot_spectra(freqs, noise, precursor, rel_diff, smoothed, peaks, path,
                 title: str = '', xlim: tuple[float, float] = (0.02, 2.0)
                 ) -> None:
  """Draws cumulative spectra and their relative difference (Figs. 10, 11).

  Args:
    freqs: (n_freq,) Hz.
    noise: (n_freq,) cumulative amplitude spectrum of noise windows.
    precursor: (n_freq,) that of precursor windows.
    rel_diff: (n_freq,) `relative_difference(noise, precursor)`.
    smoothed: (n_freq,) `smooth(rel_diff, freqs)`.
    peaks: (n_peaks,) Hz from `spectral_peaks`, marked on both panels.
    path: PNG file to write.
    title: figure title.
    xlim: frequency range shown, on a log axis.
  """
  freqs = np.asarray(freqs, np.float64)
  shown = (freqs >= xlim[0]) & (freqs <= xlim[1])
  fig = Figure(figsize=(7, 6))
  top, bottom = fig.subplots(2, 1, sharex=True)
  top.plot(freqs[shown], np.asarray(noise)[shown], label='noise')
  top.plot(freqs[shown], np.asarray(precursor)[shown], label='precursor')
  top.set_yscale('log')
  top.set_ylabel('Cumulative amplitude')
  top.legend(fontsize=8)
  bottom.plot(freqs[shown], np.asarray(rel_diff)[shown], color='0.6',
              linewidth=0.6, label='relative difference')
  bottom.plot(freqs[shown], np.asarray(smoothed)[shown], color='C3',
              label='Savitzky-Golay smoothed')
  bottom.axhline(0.0, color='k', linewidth=0.5)
  for i, peak in enumerate(np.asarray(peaks, np.float64).reshape(-1)):
    for ax in (top, bottom):
      ax.axvline(peak, color='C2', linestyle='--', linewidth=0.8,
                 label='peaks' if ax is bottom and i == 0 else None)
    bottom.annotate(f'{peak:.3f} Hz', (peak, 1.0), xycoords=(
        'data', 'axes fraction'), rotation=90, va='top', ha='right',
                    fontsize=7)
  bottom.set_xscale('log')
  bottom.set_xlim(*xlim)
  bottom.set_xlabel('Frequency (Hz)')
  bottom.set_ylabel('(precursor - noise) / noise (%)')
  bottom.legend(fontsize=8, loc='lower left')
  top.set_title(title)
  fig.tight_layout()
  writers.save_figure(fig, path)
