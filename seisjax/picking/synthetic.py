"""Synthetic P arrivals in realistic noise, for picking and first motion.

Each event has a magnitude (Gutenberg-Richter, b = 1), a depth and a random
double-couple mechanism. Each of its stations has an epicentral distance,
an azimuth and the first-arriving ray (direct Pg or head-wave Pn) in a
two-layer crust, which give the travel time and the takeoff angle. The
vertical velocity the station records (in counts) is

  Brune omega-squared source (corner frequency from the magnitude and a
    random stress drop)
  x causal attenuation exp(-pi f t*), t* = travel time / Q + site kappa
  x P radiation pattern / hypocentral distance x a random site factor,

followed by a scattered coda that decays exponentially and, where it falls
in the record, an S arrival. Emergent onsets have a stronger coda and a P
wave train that grows over 0.1-0.5 s, so their first motion is weak.
Optionally (`max_reverberation`) the whole signal rings in a soft surface
layer (`reverberate`), and (`nucleation_fraction`) a weak nucleation phase
leads the main rupture (`event_source`). The onset is at an integer sample
and the signal is exactly zero before it.
Noise is Peterson-model noise (`noise.synthetic_noise`) or random pieces of
a real vertical recording scaled to a Peterson level.

The raw trace has PRE_ROLL samples before the record so that the causal
band-pass of `records.make_record` settles: the record is preprocessed
exactly like real data. The label is where an analyst picks, not the
true onset: the signal is moved earlier so that its first visible break,
the first sample of the band-passed signal above `analyst_k` (3) times the
RMS of the band-passed noise in the second before P and above
`analyst_display` (0) times the P wave's peak (`analyst_lag`), sits at P,
and what of the onset hides in the noise precedes it (both 0: the true
onset at P). Polarity is the sign of the P radiation pattern,
UNKNOWN where the signal's first peak, as recorded, is below 3 times the
RMS of the noise before P, about its largest excursions in 1 s (DESIGN.md:
"unknown where the onset is below noise"). `snr_db` is what a reader of
real data computes from the record (see `snr_db`).

Record (seed, event, station) depends on these three numbers only.
"""

import os
from collections.abc import Sequence

import numpy as np
import obspy
import scipy.signal

from seisjax.picking import records
from seisjax.seismo import noise as noise_lib
from seisjax.seismo import source

FS = records.SAMPLING_RATE
PRE_ROLL = 400  # 4 s for the causal band-pass to settle.
RAW_SAMPLES = PRE_ROLL + records.RECORD_SAMPLES
P_INDEX = PRE_ROLL + records.P_SAMPLE
SNR_SAMPLES = 100  # 1 s either side of P for snr_db.
def _coda(rng, pulse: np.ndarray, decay_s: float) -> np.ndarray:
  """Scattered waves: enveloped white noise through `pulse`, unit peak RMS.

  The envelope grows over ~0.2 s, so the direct first motion stays clean.
  """
  t = np.arange(max(len(pulse), 1000)) / FS  # Long enough for the peak.
  envelope = (1 - np.exp(-(t / 0.2)**2)) * np.exp(-t / decay_s)
  coda = np.convolve(rng.standard_normal(len(pulse)) * envelope[:len(pulse)],
                     pulse)[:len(pulse)]
  return coda / np.sqrt(np.sum(pulse**2)) / envelope.max()


def reverberate(x: np.ndarray, delay: int, r: float) -> np.ndarray:
  """A soft surface layer's reverberations: y[t] = x[t] - r y[t - delay].

  The layer's two-way time is `delay` samples, so the response peaks at its
  quarter-wavelength frequency FS / (2 delay) with gain 1 / (1 - r): a wave
  train near it builds up over cycles. It is causal and starts with x
  itself, so the onset and its first motion are unchanged.
  """
  a = np.zeros(delay + 1)
  a[0], a[delay] = 1.0, r
  return scipy.signal.lfilter([1.0], a, x)


def _rng(*key: int) -> np.random.Generator:
  return np.random.default_rng(np.random.SeedSequence(key))


def event_source(seed: int, event: int, *,
                 magnitude_range=(1.5, 5.0), magnitude_b=1.0,
                 stations_per_event=(3, 8), nucleation_fraction=0.0,
                 nucleation_relative=False) -> dict:
  """Magnitude, depth, mechanism, stress drop and station count of an event.

  Magnitudes follow Gutenberg-Richter with b = `magnitude_b` truncated to
  the range (b = 0: uniform); mechanisms are uniform random double couples
  (strike and rake uniform, cos(dip) uniform). With probability
  `nucleation_fraction` the rupture starts with a nucleation phase
  (Ellsworth and Beroza, 1995): `nucleation_s` (log-uniform 0.05-0.5 s)
  before the main rupture, `nucleation_ratio` (log-uniform 0.01-0.3) as
  strong; `nucleation_s` is 0 otherwise. With `nucleation_relative` the
  lead is instead 0.1-1 (log-uniform) times the rupture duration (1 /
  corner frequency), so it grows with the moment as Ellsworth and Beroza
  observed: at most 34 ms at M1.5, 1.9 s at M5.
  """
  rng = _rng(seed, event)
  low, high = magnitude_range
  u = rng.uniform()
  if magnitude_b:
    magnitude = low - np.log10(
        1 - u * (1 - 10.0 ** (magnitude_b * (low - high)))) / magnitude_b
  else:
    magnitude = low + u * (high - low)
  info = {'magnitude': float(magnitude),
          'depth_km': rng.uniform(2.0, 20.0),
          'strike': rng.uniform(0, 360),
          'dip': np.degrees(np.arccos(rng.uniform())),
          'rake': rng.uniform(-180, 180),
          'stress_drop_mpa': 10 ** rng.uniform(-0.5, 1.5),
          'n_stations': int(rng.integers(stations_per_event[0],
                                         stations_per_event[1] + 1))}
  nucleation, duration, ratio = rng.uniform(size=3)  # Drawn after the rest.
  lead = 0.05 * 10**duration
  if nucleation_relative:
    lead *= 2 / source.corner_frequency(magnitude, info['stress_drop_mpa'])
  info['nucleation_s'] = float(lead if nucleation < nucleation_fraction
                               else 0.0)
  info['nucleation_ratio'] = float(0.01 * 30**ratio)
  return info


def _band_power(level: float) -> float:
  """Mean power (counts^2) of Peterson noise after the record band-pass."""
  f, h = scipy.signal.sosfreqz(records.SOS, 4096, fs=FS)
  return float(np.sum(noise_lib.velocity_psd(f, level) * np.abs(h)**2)
               * (f[1] - f[0]))


def _noise(rng, level: float, pieces) -> np.ndarray:
  """RAW_SAMPLES of vertical noise in counts at a Peterson `level`."""
  if not pieces:
    # Levels that drift over hours are constant over 10 s: `level` alone.
    return noise_lib.synthetic_noise(
        rng, RAW_SAMPLES, FS, level=level, microseism_strength=0.0,
        cultural_strength=0.0, transient_rate=0.0)[:, 2].astype(np.float64)
  lengths = np.array([len(p) for p in pieces], np.float64)
  piece = pieces[rng.choice(len(pieces), p=lengths / lengths.sum())]
  start = rng.integers(len(piece) - RAW_SAMPLES + 1)
  x = piece[start:start + RAW_SAMPLES].astype(np.float64)
  # Real files come in unknown units: fix the level so the SNR
  # distribution is that of synthetic noise.
  power = np.mean(
      scipy.signal.sosfilt(records.SOS, x - x.mean())[PRE_ROLL:]**2)
  return x * np.sqrt(_band_power(level) / max(power, 1e-30))


def _signal(rng, info: dict) -> np.ndarray:
  """P, its coda and S in counts, (RAW_SAMPLES,), zero before P_INDEX."""
  n = RAW_SAMPLES - P_INDEX
  moment = 10.0 ** (1.5 * info['magnitude'] + 9.1)
  hypocentral_m = 1e3 * np.hypot(info['distance_km'], info['depth_km'])
  # Far-field P displacement per unit radiation, x2 at the free surface,
  # with a log-normal site factor; counts per m/s of the sensor.
  scale = (2 * moment / (4 * np.pi * source.DENSITY * source.VP**3
                         * hypocentral_m)
           * rng.lognormal(0.0, 0.5) * noise_lib.GAIN)
  pulse = source.velocity_pulse(n, info['corner_hz'], info['t_star'])
  # Scattered energy comes from the whole focal sphere: the coda keeps
  # near-nodal arrivals visible while their first motion is weak.
  coda = _coda(rng, pulse, rng.uniform(0.5, 3.0)) * (
      np.abs(pulse).max() * source.MEAN_RADIATION
      * rng.uniform(*((0.5, 1.5) if info['emergent'] else (0.1, 0.5))))
  p_wave = info['radiation'] * pulse + coda
  if info['emergent']:
    # Scattering spreads the onset: the first motion is a small part of a
    # wave train that grows over rise_s, as analysts see emergent P.
    p_wave *= np.minimum((np.arange(n) + 1) / (info['rise_s'] * FS), 1.0)
  signal = np.zeros(RAW_SAMPLES)
  signal[P_INDEX:] = scale * p_wave
  s_lag = int(round(info['travel_time'] * (source.VP_VS - 1) * FS))
  if s_lag < n:
    # S on the vertical: (vp/vs)^3 stronger at the source, a lower corner,
    # Q_S = 0.45 Q_P, and a random SV radiation and projection.
    s_pulse = source.velocity_pulse(
        n - s_lag, info['corner_hz'] / 1.5,
        source.VP_VS * info['travel_time'] / (0.45 * info['q'])
        + info['kappa'])
    s_pulse *= source.VP_VS**3 * rng.uniform(0.1, 0.6) * rng.choice([-1, 1])
    s_coda = _coda(rng, s_pulse, rng.uniform(0.5, 3.0))
    signal[P_INDEX + s_lag:] += scale * (
        s_pulse + 0.5 * np.abs(s_pulse).max() * s_coda)
  lead = int(round(info['nucleation_s'] * FS))
  if lead:
    # A weak copy of the waves leads the main rupture's.
    main = np.zeros(RAW_SAMPLES)
    main[P_INDEX + lead:] = signal[P_INDEX:-lead]
    signal = info['nucleation_ratio'] * signal + main
  return signal


def station_parts(seed: int, event: int, station: int, *, noise_pieces=(),
                  level_range=(0.45, 0.85), emergent_fraction=0.3,
                  max_distance_km=150.0, max_reverberation=0.0,
                  **event_kwargs):
  """Raw noise and signal of one station, before preprocessing.

  Args:
    seed, event, station: the record's key.
    noise_pieces: real 100 Hz vertical noise from `load_vertical_noise`;
      synthetic Peterson noise when empty.
    level_range: the Peterson noise level (0 NLNM, 1 NHNM) is uniform here.
    emergent_fraction: probability of an emergent onset.
    max_distance_km: epicentral distances are log-uniform from 3 km to
      the smaller of this and a magnitude-dependent detection range.
    max_reverberation: the signal goes through `reverberate` with r
      uniform up to this (0: not at all) and a layer frequency f0
      log-uniform in 2-20 Hz (rounded to a whole delay in samples).
    **event_kwargs: passed to `event_source`.

  Returns:
    (noise, signal, info): float64 (RAW_SAMPLES,) counts with the onset at
    P_INDEX (signal is zero before it), and a dict of the source, path and
    station parameters, including `radiation` (its sign is the polarity).
  """
  info = event_source(seed, event, **event_kwargs)
  rng, noise_rng = _rng(seed, event, station, 0), _rng(seed, event, station, 1)
  # Catalogues list picks where a network detects the event: small events
  # are only seen nearby.
  reach = min(max_distance_km, 10 ** (0.5 * info['magnitude'] + 0.8))
  distance = np.exp(rng.uniform(np.log(3.0), np.log(max(reach, 3.0))))
  travel, takeoff = source.first_arrival(distance, info['depth_km'])
  emergent = bool(rng.uniform() < emergent_fraction)
  info.update(
      distance_km=distance, azimuth=rng.uniform(0, 360), takeoff=takeoff,
      travel_time=travel, q=rng.uniform(200, 1000), emergent=emergent,
      rise_s=rng.uniform(0.1, 0.5) if emergent else 0.0,
      level=rng.uniform(*level_range), kappa=rng.uniform(0.02, 0.07),
      corner_hz=source.corner_frequency(info['magnitude'],
                                        info['stress_drop_mpa']))
  info['radiation'] = float(source.radiation_p(
      info['strike'], info['dip'], info['rake'], info['azimuth'], takeoff))
  # Path attenuation plus the near-surface kappa (Anderson and Hough).
  info['t_star'] = travel / info['q'] + info['kappa']
  signal = _signal(rng, info)
  if max_reverberation:
    site = _rng(seed, event, station, 2)  # Other draws stay as they were.
    delay = round(FS / 2 / np.exp(site.uniform(np.log(2.0), np.log(20.0))))
    info.update(site_f0=FS / 2 / delay,
                site_r=site.uniform(0.0, max_reverberation))
    signal = reverberate(signal, delay, info['site_r'])
  return _noise(noise_rng, info['level'], noise_pieces), signal, info


def first_motion(signal: np.ndarray) -> tuple[int, float]:
  """The first peak of the band-passed signal: the analyst's first motion.

  Args:
    signal: (RAW_SAMPLES,) raw signal, onset at P_INDEX.

  Returns:
    (samples after the onset, signed amplitude) of the first local extremum
    of the signal through the causal 1-20 Hz band-pass of the records.
  """
  y = scipy.signal.sosfilt(records.SOS, signal)[P_INDEX:]
  turns = np.flatnonzero(np.diff(np.sign(np.diff(y))) != 0)
  lag = int(turns[0] + 1 if len(turns) else len(y) - 1)
  return lag, float(y[lag])


def snr_db(waveform: np.ndarray, p_sample: int = records.P_SAMPLE) -> float:
  """10 log10 of the power in the 1 s from P over that in the 1 s before."""
  after = np.mean(np.square(waveform[p_sample:p_sample + SNR_SAMPLES],
                            dtype=np.float64))
  before = np.mean(np.square(waveform[p_sample - SNR_SAMPLES:p_sample],
                             dtype=np.float64))
  return float(10 * np.log10(after / max(before, 1e-30)))


def analyst_lag(noise: np.ndarray, signal: np.ndarray, k: float,
                display: float = 0.0, max_lag: int = 50) -> int:
  """Samples from the onset to the first break an analyst sees.

  Args:
    noise, signal: (RAW_SAMPLES,) raw noise and signal, onset at P_INDEX.
    k, display: the break is the first sample at which the band-passed
      signal exceeds both k times the RMS of the band-passed noise in the
      1 s before P and `display` times the signal's peak in its first
      second (what shows on a trace display scaled to the arrival).
    max_lag: the break is searched for within this many samples.

  Returns:
    The lag in samples, 0 where the signal never stands out within max_lag
    (the onset is then hidden in the noise and labelled where it is).
  """
  y = scipy.signal.sosfilt(records.SOS, signal)[P_INDEX:]
  n = scipy.signal.sosfilt(records.SOS, noise - noise.mean())
  rms = np.sqrt(np.mean(n[P_INDEX - SNR_SAMPLES:P_INDEX] ** 2))
  threshold = max(k * rms, display * np.abs(y[:SNR_SAMPLES]).max())
  above = np.flatnonzero(np.abs(y[:max_lag]) > threshold)
  return int(above[0]) if above.size else 0


def station_record(seed: int, event: int, station: int, *,
                   min_first_motion: float = 3.0, analyst_k: float = 3.0,
                   analyst_display: float = 0.0, **kwargs) -> dict:
  """One preprocessed record (`records.make_record`) of a station.

  Args:
    seed, event, station: the record's key.
    min_first_motion: polarity is UNKNOWN unless the first peak of the
      signal, read on the record, exceeds this multiple of the RMS of the
      record's 1 s before P, with the sign of the radiation pattern.
    analyst_k, analyst_display: the label is the first break above this
      multiple of the noise RMS and this fraction of the signal's peak
      (`analyst_lag`); both 0 label the true onset.
    **kwargs: passed to `station_parts`.

  Returns:
    A record dict, event id 'syn%06d' and trace '<event>.S<station>'.
  """
  noise, signal, info = station_parts(seed, event, station, **kwargs)
  # The signal moved earlier, so that its first visible break is at P.
  early = (analyst_lag(noise, signal, analyst_k, analyst_display)
           if analyst_k or analyst_display else 0)
  moved = np.concatenate([signal[early:], np.zeros(early)])
  record = records.make_record(
      noise + moved, FS, P_INDEX, event=f'syn{event:06d}',
      trace=f'syn{event:06d}.S{station:02d}',
      distance_km=info['distance_km'], magnitude=info['magnitude'])
  waveform = record['waveform']
  noise_rms = np.sqrt(np.mean(np.square(
      waveform[records.P_SAMPLE - SNR_SAMPLES:records.P_SAMPLE],
      dtype=np.float64)))
  lag, motion = first_motion(signal)
  # The first peak as recorded, noise included, must stand out with the
  # radiation's sign: a coda wiggle can come first near a nodal plane, and
  # noise can mask or flip a weak first peak.
  seen = waveform[records.P_SAMPLE + lag - early] * np.sign(info['radiation'])
  if (seen < min_first_motion * noise_rms
      or motion * info['radiation'] <= 0):
    record['polarity'] = np.int32(records.UNKNOWN)
  else:
    record['polarity'] = np.int32(records.UP if motion > 0 else records.DOWN)
  record['snr_db'] = np.float32(snr_db(waveform))
  return record


def load_vertical_noise(paths: str | os.PathLike | Sequence) -> list:
  """Contiguous vertical traces of real noise, detrended, at 100 Hz.

  Args:
    paths: file path(s) or glob(s) `obspy.read` accepts; traces whose
      channel does not end in Z are ignored, gaps split traces.

  Returns:
    A list of float32 arrays, each at least RAW_SAMPLES long.

  Raises:
    ValueError: when no vertical trace is long enough.
  """
  if isinstance(paths, (str, os.PathLike)):
    paths = [paths]
  stream = obspy.Stream()
  for path in paths:
    stream += obspy.read(str(path))
  pieces = []
  for trace in stream.select(component='Z'):
    x = scipy.signal.detrend(np.asarray(trace.data, np.float64))
    x = records.resample(x, trace.stats.sampling_rate)
    if len(x) >= RAW_SAMPLES and np.all(np.isfinite(x)):
      pieces.append(x.astype(np.float32))
  if not pieces:
    raise ValueError(f'no vertical trace of at least {RAW_SAMPLES / FS:g} s '
                     f'at 100 Hz in {paths}; found {stream}')
  return pieces
