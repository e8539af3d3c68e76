"""The P-pick record: what every picking data source is turned into.

Ross et al. (2018) preprocessing, applied to the whole trace a source gives
before a record is cut from it: vertical component, linear detrend, resample
to 100 Hz, causal Butterworth band-pass 1-20 Hz (ObsPy's `bandpass` with 4
corners, not zero-phase; designed once here as `SOS`).

A record is RECORD_SAMPLES = 600 samples (6 s) with the P onset at
P_SAMPLE = 300, the layout of the published SCSN files. Training and
evaluation windows of WINDOW_SAMPLES = 400 (4 s) are cut from it with the
pick within MAX_SHIFT = 50 samples (0.5 s) of the window centre (`window`),
so the record leaves room for every shift. The networks see windows divided
by their peak absolute value (`normalize`).

Every reader and builder yields dicts with the fields of `features()`:
  waveform     (600,) float32, preprocessed vertical component
  p_sample     int32, P onset in `waveform` (P_SAMPLE)
  polarity     int32, DOWN / UP / UNKNOWN (the SCSN convention)
  event        str, event id (splits are by event)
  trace        str, trace or station name, for tables
  snr_db, distance_km, magnitude   float32, NaN where unknown
"""

import collections
import fractions

import numpy as np
import scipy.signal

SAMPLING_RATE = 100.0  # Hz
RECORD_SAMPLES = 600
P_SAMPLE = 300
WINDOW_SAMPLES = 400
MAX_SHIFT = 50
BAND = (1.0, 20.0)  # Hz
CORNERS = 4
DOWN, UP, UNKNOWN = 0, 1, 2
POLARITY_NAMES = ('down', 'up', 'unknown')
METADATA = ('snr_db', 'distance_km', 'magnitude')
MIN_SAMPLING_RATE = 2 * BAND[1]  # Below this the pass band is not recorded.
# The band-pass of `obspy.signal.filter.bandpass(x, 1, 20, 100, corners=4)`,
# designed once (ObsPy designs it again on every call).
SOS = scipy.signal.butter(CORNERS, BAND, 'bandpass', fs=SAMPLING_RATE,
                          output='sos')

# Spellings of polarity in SCSN, SeisBench, PhaseNet and Hi-net files.
_POLARITY_WORDS = {
    'd': DOWN, 'down': DOWN, 'negative': DOWN, '-': DOWN, '-1': DOWN,
    'c': UP, 'u': UP, 'up': UP, 'positive': UP, '+': UP, '1': UP,
    'k': UNKNOWN, 'x': UNKNOWN, 'n': UNKNOWN, 'unknown': UNKNOWN,
    'undecidable': UNKNOWN, '?': UNKNOWN, '': UNKNOWN, '0': UNKNOWN,
    'nan': UNKNOWN, 'none': UNKNOWN,
}


def polarity_code(value) -> int:
  """DOWN, UP or UNKNOWN from a label as files spell it (U, D, K, up...)."""
  word = str(value).strip().lower()
  if word not in _POLARITY_WORDS:
    raise ValueError(f'Unknown polarity label {value!r}; known: '
                     f'{sorted(_POLARITY_WORDS)}.')
  return _POLARITY_WORDS[word]


def resample(x: np.ndarray, sampling_rate: float,
             target: float = SAMPLING_RATE) -> np.ndarray:
  """Resamples the last axis from `sampling_rate` to `target` Hz."""
  if sampling_rate == target:
    return x
  if sampling_rate < MIN_SAMPLING_RATE:
    raise ValueError(
        f'Sampling rate {sampling_rate:g} Hz is too low: the 1-20 Hz band '
        f'needs at least {MIN_SAMPLING_RATE:g} Hz.')
  ratio = fractions.Fraction(target / sampling_rate).limit_denominator(1000)
  return scipy.signal.resample_poly(x, ratio.numerator, ratio.denominator,
                                    axis=-1)


def preprocess(x: np.ndarray, sampling_rate: float) -> np.ndarray:
  """Detrend, resample to 100 Hz and band-pass 1-20 Hz (causal), as float32.

  Args:
    x: (time,) one vertical trace in any units.
    sampling_rate: its rate in Hz (>= 40 Hz).

  Returns:
    (time * 100 / sampling_rate,) float32.

  Raises:
    ValueError: for NaNs or infinities, or a rate below 40 Hz.
  """
  x = np.asarray(x, np.float64)
  if not np.all(np.isfinite(x)):
    raise ValueError(f'{np.count_nonzero(~np.isfinite(x))} of {x.size} '
                     'samples are NaN or infinite.')
  x = scipy.signal.detrend(x)
  x = resample(x, sampling_rate)
  return scipy.signal.sosfilt(SOS, x).astype(np.float32)


def cut(x: np.ndarray, p_sample: int) -> np.ndarray:
  """The RECORD_SAMPLES of `x` with the P onset at P_SAMPLE.

  Raises:
    ValueError: when P is too close to either end of `x`.
  """
  start = int(p_sample) - P_SAMPLE
  if start < 0 or start + RECORD_SAMPLES > len(x):
    raise ValueError(
        f'P at sample {p_sample} of {len(x)} leaves less than '
        f'{P_SAMPLE} samples before or {RECORD_SAMPLES - P_SAMPLE} after.')
  return x[start:start + RECORD_SAMPLES]


def window(record: np.ndarray, shift: int,
           p_sample: int = P_SAMPLE) -> tuple[np.ndarray, int]:
  """A WINDOW_SAMPLES window with the pick `shift` samples before centre.

  Args:
    record: (..., time) records.
    shift: in [-MAX_SHIFT, MAX_SHIFT]; the window starts `shift` samples
      later than the centred one, so the pick sits at WINDOW_SAMPLES // 2
      - shift.
    p_sample: the pick in `record`.

  Returns:
    (window (..., WINDOW_SAMPLES), pick sample in the window).
  """
  if abs(shift) > MAX_SHIFT:
    raise ValueError(f'shift {shift} is beyond +-{MAX_SHIFT} samples.')
  start = int(p_sample) - WINDOW_SAMPLES // 2 + int(shift)
  return record[..., start:start + WINDOW_SAMPLES], WINDOW_SAMPLES // 2 - shift


def normalize(windows: np.ndarray) -> np.ndarray:
  """Divides each window (last axis) by its peak absolute value."""
  peak = np.max(np.abs(windows), axis=-1, keepdims=True)
  return (windows / np.where(peak > 0, peak, 1.0)).astype(np.float32)


def make_record(x: np.ndarray, sampling_rate: float, p_sample: float, *,
                event: str, trace: str, polarity=UNKNOWN,
                snr_db=np.nan, distance_km=np.nan, magnitude=np.nan) -> dict:
  """Preprocesses a whole vertical trace and cuts the record around P.

  Args:
    x: (time,) vertical trace.
    sampling_rate: Hz.
    p_sample: P onset in samples of `x` (at `sampling_rate`).
    event, trace: ids.
    polarity: a code or a label `polarity_code` reads.
    snr_db, distance_km, magnitude: metadata (NaN when unknown).

  Returns:
    A record dict (see the module docstring).

  Raises:
    ValueError: NaNs, a low rate, or P too close to an end.
  """
  y = preprocess(x, sampling_rate)
  p = int(round(float(p_sample) * SAMPLING_RATE / sampling_rate))
  code = polarity if isinstance(polarity, (int, np.integer)) else (
      polarity_code(polarity))
  return {'waveform': cut(y, p), 'p_sample': np.int32(P_SAMPLE),
          'polarity': np.int32(code), 'event': str(event),
          'trace': str(trace), 'snr_db': np.float32(snr_db),
          'distance_km': np.float32(distance_km),
          'magnitude': np.float32(magnitude)}


def features():
  """The TFDS FeaturesDict of a record."""
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  return tfds.features.FeaturesDict({
      'waveform': tfds.features.Tensor(
          shape=(RECORD_SAMPLES,), dtype=np.float32,
          encoding=tfds.features.Encoding.BYTES),
      'p_sample': tfds.features.Scalar(dtype=np.int32),
      'polarity': tfds.features.Scalar(dtype=np.int32),
      'event': tfds.features.Text(),
      'trace': tfds.features.Text(),
      **{name: tfds.features.Scalar(dtype=np.float32) for name in METADATA},
  })


class Rejections:
  """Records that could not be used, with the reason for each.

  Builders add to it instead of skipping silently, log `summary()` and
  store `as_metadata()` in the data set's metadata.
  """

  def __init__(self):
    self.items: list[tuple[str, str]] = []

  def add(self, trace: str, reason: str) -> None:
    self.items.append((str(trace), str(reason)))

  def counts(self) -> dict[str, int]:
    return dict(collections.Counter(reason.split(':')[0]
                                    for _, reason in self.items))

  def summary(self) -> str:
    if not self.items:
      return 'no records rejected'
    return f'{len(self.items)} records rejected: ' + ', '.join(
        f'{n} {reason}' for reason, n in sorted(self.counts().items()))

  def as_metadata(self) -> dict:
    return {'n_rejected': len(self.items), 'rejected_counts': self.counts(),
            'rejected': [{'trace': t, 'reason': r} for t, r in self.items]}
