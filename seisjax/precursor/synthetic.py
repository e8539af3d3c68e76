"""A planted earthquake precursor and whole synthetic event records.

Ong et al. found precursor energy at 0.1-0.9 Hz before M>=6 events, with
peaks near 0.16 and 0.21 Hz, growing in the hours before the event. The
generator here plants such a signal: a sequence of tapered sinusoid bursts
that become stronger and more frequent towards the event time (the end of
the record), added to background noise at a given SNR.

An event record is a function of its seed alone. Background and precursor
come from separate child seeds, so the same seed at `snr=0` (the null data
set) gives exactly the background of the record at any other SNR.
"""

from collections.abc import Sequence

import numpy as np
import scipy.signal

from seisjax.seismo import noise as noise_lib

PEAK_FREQUENCIES = (0.16, 0.21)  # Hz
BAND = (0.1, 0.9)  # Hz


def precursor_signal(rng: np.random.Generator, n_samples: int,
                     sampling_rate: float, onset_sample: int, *,
                     peak_frequencies: Sequence[float] = PEAK_FREQUENCIES,
                     frequency_jitter: float = 0.005,
                     band: tuple[float, float] = BAND,
                     peak_fraction: float = 0.8,
                     off_peak_amplitude: float = 0.5,
                     burst_seconds: tuple[float, float] = (10.0, 60.0),
                     final_rate_per_hour: float = 30.0,
                     growth_power: float = 2.0) -> np.ndarray:
  """Bursts of growing rate and amplitude after `onset_sample`.

  Bursts are Hann-tapered sinusoids (at least 6 cycles, so their spectra
  stay narrow) with a random polarisation (a uniform direction in the 3
  components). A fraction `peak_fraction` of them sit at one of
  `peak_frequencies` (with Gaussian jitter), the others anywhere in `band`.
  Velocity noise is 30 dB weaker at 0.9 Hz than at 0.2 Hz, so off-peak
  bursts follow the shape of the mid-level Peterson noise spectrum (times
  `off_peak_amplitude`): otherwise the few high-frequency ones, not the
  peaks, would dominate the signal-to-noise spectrum, unlike in the paper.

  With u = (t - onset) / (T - onset), the burst rate grows as u (reaching
  `final_rate_per_hour` at the end) and the amplitude as u**growth_power.
  One last burst always runs up to the end, so that even a short record
  carries signal just before the event.

  Args:
    rng: source of randomness.
    n_samples: record length T in samples; the event is at the end.
    sampling_rate: Hz.
    onset_sample: first sample that may be non-zero.
    peak_frequencies: preferred burst frequencies in Hz.
    frequency_jitter: standard deviation of the peak bursts' frequency (Hz).
    band: (low, high) Hz for the other bursts; all frequencies lie in it.
    peak_fraction: probability that a burst is a peak burst.
    off_peak_amplitude: amplitude of off-peak bursts relative to peak ones
      where the noise is as strong as at the highest peak frequency.
    burst_seconds: range of burst durations (at least 6 cycles each).
    final_rate_per_hour: burst rate at the event time.
    growth_power: exponent of the amplitude growth.

  Returns:
    float64 array (n_samples, 3), in arbitrary units (callers scale it),
    zero before `onset_sample`.
  """
  signal = np.zeros((n_samples, 3))
  span = n_samples - onset_sample
  if span <= 0:
    return signal
  # Rate proportional to u: the expected count is half the final rate times
  # the span, and u = sqrt(uniform) samples start times with density 2u.
  expected = final_rate_per_hour * span / sampling_rate / 3600.0 / 2.0
  starts = np.sqrt(rng.uniform(size=rng.poisson(expected)))
  reference = max(peak_frequencies)
  for index in range(len(starts) + 1):
    if rng.uniform() < peak_fraction:
      freq = rng.choice(peak_frequencies) + frequency_jitter * rng.normal()
      weight = 1.0
    else:
      freq = rng.uniform(*band)
      weight = off_peak_amplitude * min(1.0, np.sqrt(
          noise_lib.velocity_psd(freq) / noise_lib.velocity_psd(reference)))
    freq = np.clip(freq, *band)
    seconds = max(rng.uniform(*burst_seconds), 6.0 / freq)
    length = min(int(seconds * sampling_rate), span)
    if index < len(starts):
      start = onset_sample + int(starts[index] * (span - 1))
    else:
      start = n_samples - length  # the last burst ends at the event
    stop = min(n_samples, start + length)
    u = min(1.0, (start + length / 2 - onset_sample) / span)
    amplitude = weight * u**growth_power * rng.lognormal(0.0, 0.3)
    t = np.arange(length) / sampling_rate
    burst = np.hanning(length) * np.sin(2 * np.pi * freq * t
                                        + rng.uniform(0, 2 * np.pi))
    direction = rng.standard_normal(3)
    direction /= np.linalg.norm(direction)
    signal[start:stop] += (amplitude * burst[:stop - start, None]
                           * direction)
  return signal


def band_rms(x: np.ndarray, sampling_rate: float,
             band: tuple[float, float] = BAND, n_tail: int | None = None
             ) -> float:
  """RMS over all components of `x` band-passed, over its last samples.

  A zero-phase 4th-order Butterworth filter runs over the last `n_tail`
  samples plus 10 periods of the band's low corner before them, so that
  the filter has settled where the RMS is taken.

  Args:
    x: (time, channels) array.
    sampling_rate: Hz.
    band: (low, high) pass band in Hz.
    n_tail: samples at the end over which the RMS is taken; all if None.

  Returns:
    The joint RMS as a float.
  """
  n_tail = len(x) if n_tail is None else min(n_tail, len(x))
  pad = int(10.0 / band[0] * sampling_rate)
  sos = scipy.signal.butter(4, band, 'bandpass', fs=sampling_rate,
                            output='sos')
  tail = np.asarray(x[-(n_tail + pad):], np.float64)
  filtered = scipy.signal.sosfiltfilt(sos, tail, axis=0)[-n_tail:]
  return float(np.sqrt(np.mean(filtered**2)))


def _rng(seed: int | Sequence[int], child: int) -> np.random.Generator:
  """Generator of one independent part (noise, precursor) of an event."""
  return np.random.default_rng(np.random.SeedSequence(seed,
                                                      spawn_key=(child,)))


def event_parts(seed: int | Sequence[int], *, n_samples: int,
                sampling_rate: float = 40.0, snr: float = 2.0,
                onset_fraction: float = 0.3,
                noise: np.ndarray | None = None,
                level_range: tuple[float, float] = (0.2, 0.8),
                microseism_strength: float = 0.5,
                cultural_strength: float = 0.7,
                transient_rate: float = 0.5,
                snr_samples: int = 40000,
                band: tuple[float, float] = BAND,
                **precursor_kwargs) -> tuple[np.ndarray, np.ndarray]:
  """Background and scaled precursor of one event record.

  The SNR is the RMS of the precursor over the last `snr_samples` divided
  by the RMS of the background band-passed to `band` over the same samples,
  both taken jointly over the three components.

  Args:
    seed: the event's seed, e.g. `(dataset_seed, event_index)`.
    n_samples: record length; the event is at the end.
    sampling_rate: Hz.
    snr: precursor amplitude; 0 plants nothing (the null data set).
    onset_fraction: fraction of the record, counted back from the event,
      that carries the precursor (0.3 of 10 h: the last 3 h).
    noise: real (time, 3) noise to tile at `sampling_rate`; synthetic
      Peterson noise if None.
    level_range: the synthetic noise level is uniform in this range.
    microseism_strength, cultural_strength: see `noise.synthetic_noise`.
    transient_rate: transients per hour, see `noise.synthetic_noise`.
    snr_samples: samples at the end over which the SNR is defined.
    band: pass band of the noise in the SNR definition, in Hz.
    **precursor_kwargs: passed on to `precursor_signal`.

  Returns:
    (background, precursor), float64 arrays (n_samples, 3) each.
  """
  noise_rng, signal_rng = _rng(seed, 0), _rng(seed, 1)
  if noise is None:
    background = noise_lib.synthetic_noise(
        noise_rng, n_samples, sampling_rate,
        level=noise_rng.uniform(*level_range),
        microseism_strength=microseism_strength,
        cultural_strength=cultural_strength,
        transient_rate=transient_rate)
  else:
    background = noise_lib.tile_noise(noise_rng, noise, n_samples)
  background = background.astype(np.float64)
  if snr == 0:
    return background, np.zeros_like(background)
  onset = n_samples - int(round(onset_fraction * n_samples))
  signal = precursor_signal(signal_rng, n_samples, sampling_rate, onset,
                            band=band, **precursor_kwargs)
  n_tail = min(snr_samples, n_samples)
  signal_rms = np.sqrt(np.mean(signal[-n_tail:] ** 2))
  if signal_rms == 0:
    raise ValueError(f'no precursor in the last {n_tail} samples: '
                     f'onset_fraction={onset_fraction} is too small')
  scale = snr * band_rms(background, sampling_rate, band, n_tail) / signal_rms
  return background, scale * signal


def event_record(seed: int | Sequence[int], **kwargs) -> np.ndarray:
  """One event's record: background plus precursor.

  Args:
    seed: the event's seed, e.g. `(dataset_seed, event_index)`.
    **kwargs: keyword arguments of `event_parts` (`n_samples` required).

  Returns:
    float32 array (n_samples, 3), components BH1, BH2, BHZ, ending at the
    event time.
  """
  background, signal = event_parts(seed, **kwargs)
  return (background + signal).astype(np.float32)
