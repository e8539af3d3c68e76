"""Background noise for synthetic 3-component broadband records.

Synthetic noise follows the Peterson (1993) low and high noise models
(NLNM, NHNM), interpolated in dB by a `level` in [0, 1], seen through a
broadband velocity seismometer, plus two features real noise has and a
network could latch onto: a microseism level that drifts over hours (it
overlaps the 0.1-0.9 Hz precursor band) and occasional short transients.

Real noise can replace it: `load_noise` reads 3-component recordings with
ObsPy and `tile_noise` stitches random segments of them into long records.
All arrays are (time, 3) with components ordered BH1, BH2, BHZ.
"""

import fractions
import functools
import os
from collections.abc import Sequence

import numpy as np
import obspy
import scipy.fft
import scipy.interpolate
import scipy.signal
from obspy.signal import spectral_estimation

COMPONENTS = ('BH1', 'BH2', 'BHZ')
GAIN = 6e8  # counts per m/s, a typical broadband sensor and digitiser.
MICROSEISM_BAND = (0.05, 0.5)  # Hz
# Wind and human activity: above 1 Hz, varying over hours independently of
# the microseisms (day and night, weather).
CULTURAL_BAND = (1.0, np.inf)  # Hz
# SEED convention: 1 and 2 are orthogonal horizontals with 1 nearest north.
_COMPONENT_INDEX = {'1': 0, 'N': 0, '2': 1, 'E': 1, 'Z': 2}


@functools.cache
def _peterson_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """log10 periods (ascending) with NLNM and NHNM in dB, on one grid."""
  periods, nlnm = spectral_estimation.get_nlnm()
  high_periods, nhnm = spectral_estimation.get_nhnm()
  # ObsPy tabulates periods in descending order; np.interp needs ascending.
  order = np.argsort(periods)
  log_periods = np.log10(periods[order])
  high_order = np.argsort(high_periods)
  nhnm = np.interp(log_periods, np.log10(high_periods[high_order]),
                   nhnm[high_order])
  return log_periods, nlnm[order], nhnm


def peterson_db(freqs: np.ndarray, level: float = 0.5) -> np.ndarray:
  """Acceleration PSD between NLNM (level 0) and NHNM (level 1).

  Periods outside the tables (below 0.1 s, above 1e5 s) take the value at
  the nearest tabulated period.

  Args:
    freqs: frequencies in Hz, any shape; 0 is allowed.
    level: 0 gives the NLNM, 1 the NHNM, in between linear in dB.

  Returns:
    PSD in dB re 1 (m/s^2)^2/Hz, shaped like `freqs`.
  """
  if not 0.0 <= level <= 1.0:
    raise ValueError(f'level must be in [0, 1], got {level}')
  log_periods, nlnm, nhnm = _peterson_tables()
  log_p = -np.log10(np.maximum(np.asarray(freqs, np.float64), 1e-12))
  low = np.interp(log_p, log_periods, nlnm)  # np.interp clamps at the ends.
  high = np.interp(log_p, log_periods, nhnm)
  return low + level * (high - low)


def velocity_psd(freqs: np.ndarray, level: float = 0.5, *,
                 gain: float = GAIN,
                 corner_period: float = 120.0) -> np.ndarray:
  """One-sided PSD in counts^2/Hz of Peterson noise on a velocity sensor.

  The sensor is flat to velocity above 1 / `corner_period` and rolls off
  as a 2nd-order Butterworth high-pass below it, which keeps the very long
  periods (where velocity noise grows without bound) realistic.

  Args:
    freqs: frequencies in Hz.
    level: noise level in [0, 1], see `peterson_db`.
    gain: counts per m/s.
    corner_period: seismometer corner period in s.

  Returns:
    PSD shaped like `freqs`, 0 at 0 Hz.
  """
  freqs = np.asarray(freqs, np.float64)
  acceleration = 10.0 ** (peterson_db(freqs, level) / 10.0)
  omega = np.maximum(2 * np.pi * freqs, 1e-12)
  x4 = (freqs * corner_period) ** 4
  return acceleration / omega**2 * x4 / (1.0 + x4) * gain**2


def _band_weight(freqs: np.ndarray, low: float, high: float,
                 taper: float = 1.5) -> np.ndarray:
  """0 outside [low, high], 1 inside, raised-cosine edges a factor wide."""
  log_f = np.log(np.maximum(freqs, 1e-12))
  rise = np.clip((log_f - np.log(low)) / np.log(taper), 0.0, 1.0)
  fall = np.clip((np.log(high) - log_f) / np.log(taper), 0.0, 1.0)
  return np.sin(0.5 * np.pi * np.minimum(rise, fall)) ** 2


def _slow_envelope(rng: np.random.Generator, n_samples: int,
                         sampling_rate: float, strength: float,
                         knot_hours: float) -> np.ndarray:
  """Smooth log-normal gain around 1 with mean power 1, shape (time,)."""
  knot = knot_hours * 3600.0 * sampling_rate  # samples between knots
  n_knots = int(np.ceil(n_samples / knot)) + 3
  knots = np.arange(n_knots) - 1.0 - rng.uniform()  # random phase
  log_gain = scipy.interpolate.CubicSpline(
      knots, strength * rng.standard_normal(n_knots))(
          np.arange(n_samples) / knot)
  # exp(g - s^2) with g ~ N(0, s^2) has E[gain^2] = 1: the model PSD is kept
  # on average and only redistributed in time.
  return np.exp(log_gain - strength**2)


def _add_transients(rng: np.random.Generator, noise: np.ndarray,
                    sampling_rate: float, rate_per_hour: float,
                    reference_rms: float) -> None:
  """Adds decaying bursts at 1-8 Hz to `noise` (3, time) in place."""
  n_samples = noise.shape[1]
  count = rng.poisson(rate_per_hour * n_samples / sampling_rate / 3600.0)
  for _ in range(count):
    decay = rng.uniform(0.5, 5.0)  # s
    t = np.arange(int(6 * decay * sampling_rate)) / sampling_rate
    burst = (np.sin(2 * np.pi * rng.uniform(1.0, 8.0) * t
                    + rng.uniform(0, 2 * np.pi))
             * np.exp(-t / decay) * (1.0 - np.exp(-t / 0.1)))
    # Local events and glitches: 3 to 100 times the noise above 1 Hz.
    amplitude = reference_rms * 10.0 ** rng.uniform(0.5, 2.0)
    direction = rng.standard_normal(3)
    direction /= np.linalg.norm(direction)
    start = rng.integers(n_samples)
    stop = min(n_samples, start + len(t))
    noise[:, start:stop] += (amplitude * direction[:, None]
                             * burst[None, :stop - start])


def synthetic_noise(rng: np.random.Generator, n_samples: int,
                    sampling_rate: float = 40.0, *, level: float = 0.5,
                    microseism_strength: float = 0.5,
                    microseism_hours: float = 2.0,
                    cultural_strength: float = 0.7,
                    cultural_hours: float = 3.0,
                    transient_rate: float = 0.5,
                    horizontal_boost_db: float = 6.0, gain: float = GAIN,
                    corner_period: float = 120.0) -> np.ndarray:
  """3-component Peterson noise in counts, shaped in the frequency domain.

  Args:
    rng: source of randomness.
    n_samples: record length.
    sampling_rate: Hz.
    level: noise level in [0, 1] between NLNM and NHNM.
    microseism_strength: standard deviation of the natural log of the
      microseism-band (0.05-0.5 Hz) amplitude; 0 keeps it constant.
    microseism_hours: spacing of the envelope's random knots (its time
      scale).
    cultural_strength, cultural_hours: the same for the band above 1 Hz.
      Its level varies independently, as on real stations; without that
      the share of energy above 1 Hz alone would betray a precursor after
      normalisation, and a network could learn that shortcut.
    transient_rate: expected transients per hour.
    horizontal_boost_db: extra power of the horizontals at periods well
      above 30 s (tilt noise), fading out towards shorter periods.
    gain: counts per m/s.
    corner_period: seismometer corner period in s.

  Returns:
    float32 array (n_samples, 3), components BH1, BH2, BHZ.
  """
  n_fft = scipy.fft.next_fast_len(n_samples, real=True)
  freqs = np.fft.rfftfreq(n_fft, 1.0 / sampling_rate)  # (n_freqs,)
  psd = velocity_psd(freqs, level, gain=gain, corner_period=corner_period)
  tilt = 10.0 ** (horizontal_boost_db / 20.0 / (1.0 + (freqs / 0.03) ** 2))
  # Independent complex Gaussian coefficients with E|X|^2 = n fs S / 2
  # give a real series of one-sided PSD S: one inverse FFT, no forward one.
  scale = np.sqrt(psd * sampling_rate * n_fft / 4.0)
  scale = np.stack([scale * tilt, scale * tilt, scale])  # (3, n_freqs)
  spectrum = scale * (rng.standard_normal(scale.shape)
                      + 1j * rng.standard_normal(scale.shape))
  noise = scipy.fft.irfft(spectrum, n_fft)[:, :n_samples]  # (3, time)
  for band, strength, hours in (
      (MICROSEISM_BAND, microseism_strength, microseism_hours),
      (CULTURAL_BAND, cultural_strength, cultural_hours)):
    if strength > 0:
      part = scipy.fft.irfft(spectrum * _band_weight(freqs, *band),
                             n_fft)[:, :n_samples]
      envelope = _slow_envelope(rng, n_samples, sampling_rate, strength,
                                hours)
      noise += (envelope - 1.0) * part
  if transient_rate > 0:
    high = (freqs >= 1.0) & (freqs <= 10.0)
    reference_rms = np.sqrt(psd[high].sum() * sampling_rate / n_fft)
    _add_transients(rng, noise, sampling_rate, transient_rate, reference_rms)
  return noise.T.astype(np.float32, order='C')


def load_noise(paths: str | os.PathLike | Sequence[str | os.PathLike],
               sampling_rate: float = 40.0) -> np.ndarray:
  """Reads a 3-component noise recording into an array.

  Horizontals coded N/E map to BH1/BH2 (the SEED convention puts 1 nearest
  north). Traces are trimmed to their common time span, linearly
  detrended and resampled (with an anti-alias filter) to `sampling_rate`.

  Args:
    paths: file path(s) or glob pattern(s) that `obspy.read` accepts.
    sampling_rate: output sampling rate in Hz.

  Returns:
    float32 array (time, 3) in the input units (usually counts), ordered
    BH1, BH2, BHZ.

  Raises:
    ValueError: a component is missing or duplicated, or there are gaps or
      NaN samples.
  """
  if isinstance(paths, (str, os.PathLike)):
    paths = [paths]
  paths = [str(path) for path in paths]
  stream = obspy.Stream()
  for path in paths:
    stream += obspy.read(path)
  for trace in stream:
    if np.isnan(trace.data).any():
      raise ValueError(f'{trace.id} contains NaN samples')
  try:
    stream.merge(method=0, fill_value=None)  # Gaps become masked samples.
  except Exception as error:  # ObsPy raises a bare Exception here.
    raise ValueError(f'cannot merge {paths}: {error}') from error
  traces = {}
  for trace in stream:
    index = _COMPONENT_INDEX.get(trace.stats.channel[-1:].upper())
    if index is None:
      raise ValueError(f'{trace.id}: component must be one of 1/2/Z or N/E/Z')
    if index in traces:
      raise ValueError(f'two traces for {COMPONENTS[index]}: '
                       f'{traces[index].id} and {trace.id}')
    if np.ma.is_masked(trace.data):
      raise ValueError(f'{trace.id} has gaps: {trace.data.mask.sum()} '
                       'missing samples')
    traces[index] = trace
  missing = [COMPONENTS[i] for i in range(3) if i not in traces]
  if missing:
    raise ValueError(f'missing component(s) {missing} in {paths}; '
                     f'found {[t.id for t in stream]}')
  start = max(trace.stats.starttime for trace in traces.values())
  end = min(trace.stats.endtime for trace in traces.values())
  if end <= start:
    raise ValueError('the three components do not overlap in time')
  columns = []
  for index in range(3):
    trace = traces[index].slice(start, end, nearest_sample=True)
    data = scipy.signal.detrend(np.ma.getdata(trace.data).astype(np.float64))
    if not np.isclose(trace.stats.sampling_rate, sampling_rate, rtol=1e-6):
      ratio = fractions.Fraction(
          sampling_rate / trace.stats.sampling_rate).limit_denominator(1000)
      # resample_poly low-passes before decimating, so nothing aliases.
      data = scipy.signal.resample_poly(data, ratio.numerator,
                                        ratio.denominator)
    columns.append(data)
  n_samples = min(len(column) for column in columns)
  return np.stack([c[:n_samples] for c in columns], axis=1).astype(np.float32)


def tile_noise(rng: np.random.Generator, noise: np.ndarray, n_samples: int,
               *, segment_samples: int = 72000,
               crossfade_samples: int = 400) -> np.ndarray:
  """Builds a long record from random segments of a real noise record.

  Consecutive segments overlap by `crossfade_samples` (10 s at 40 Hz) with
  sine/cosine weights: for uncorrelated noise these keep the power constant
  through the fade, and there are no steps.

  Args:
    rng: chooses the segments.
    noise: (time, 3) real noise, e.g. from `load_noise`.
    n_samples: output length.
    segment_samples: length of each segment (30 min at 40 Hz), at most the
      length of `noise`.
    crossfade_samples: overlap between consecutive segments.

  Returns:
    float32 array (n_samples, 3).
  """
  noise = np.asarray(noise, np.float64)
  segment = min(segment_samples, len(noise))
  fade = min(crossfade_samples, segment // 2)
  if fade < 1:
    raise ValueError(f'noise of {len(noise)} samples is too short to tile')
  rise = np.sin(0.5 * np.pi * (np.arange(fade) + 0.5) / fade)[:, None]
  fall = rise[::-1]  # rise**2 + fall**2 == 1
  out = np.empty((n_samples + segment, 3))
  end = 0
  while end < n_samples:
    start = rng.integers(len(noise) - segment + 1)
    piece = noise[start:start + segment]
    if end == 0:
      out[:segment] = piece
      end = segment
    else:
      out[end - fade:end] = out[end - fade:end] * fall + piece[:fade] * rise
      out[end:end + segment - fade] = piece[fade:]
      end += segment - fade
  return out[:n_samples].astype(np.float32)
