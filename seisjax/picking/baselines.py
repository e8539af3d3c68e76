"""Classical P pickers from ObsPy, run on the very windows the CNN sees.

Each baseline takes the (n, 400) windows of `seisjax.picking.records` (100
Hz, vertical, detrended and causally band-passed 1-20 Hz, P within +-50
samples of the centre) and returns a pick per window in samples from the
window start, NaN where the method finds nothing:

  out = baselines.run('pk_baer', windows)
  out['pick']      # (n,) float samples, NaN = no pick
  out['polarity']  # (n,) int DOWN/UP/UNKNOWN for pk_baer, None for others

The parameters (one dict per method, `BASELINES[name].params`) are
defaults chosen for 4 s windows with P near 2 s and at least 1.5 s of noise
before it: long-term windows of at most 1 s so that the average is settled
before the earliest P, thresholds that stay quiet on band-passed Gaussian
noise. They were set by reasoning and a coarse check on synthetic damped
sinusoids in Gaussian noise (not the unit tests' windows), NOT tuned on any
real or test data; override them with `run(name, windows, **params)`.

Every window is divided by its peak before picking: the pickers are scale
invariant in principle, but pk_baer works in float32 on the fourth power of
the data, which underflows for traces in m/s. A window of zeros or with
non-finite values gets NaN and UNKNOWN without calling ObsPy.

STA/LTA and pk_baer are detectors and return NaN on noise; ar_pick and AIC
always return a sample, noise or not. On clear synthetic arrivals the
trigger-based picks come about 3 samples after the onset of the raw trace
(the causal filter's rise plus the threshold), a bias left uncorrected.
"""

from typing import Any, Callable, NamedTuple

import numpy as np
from obspy.signal import trigger

from seisjax.picking import records

# Picker(window, sampling_rate, params) -> (pick in samples or NaN, polarity
# code or None).
Picker = Callable[[np.ndarray, float, dict], tuple[float, int | None]]


class Baseline(NamedTuple):
  """One classical picker.

  Attributes:
    fn: the picker on one peak-normalised window (see `Picker`).
    params: its default parameters; `run` overrides them by keyword.
    has_polarity: whether it also returns a first-motion polarity.
  """

  fn: Picker
  params: dict[str, Any]
  has_polarity: bool = False


# Classic STA/LTA on the squared trace; the pick is the first sample where
# the ratio reaches `on`. The 1 s LTA is full (ObsPy zeroes the ratio before
# it) 0.5 s before the earliest P; the 0.1 s STA spans a 10 Hz cycle. At
# on = 4, 5% of band-passed noise windows triggered; at 5 none of 300.
STA_LTA = {'sta_s': 0.1, 'lta_s': 1.0, 'on': 5.0, 'off': 1.5}

# Recursive (exponential) STA/LTA with the same lengths. Its ratio cannot
# exceed about lta/sta (the LTA takes in the arrival at once), so a 0.5 s
# LTA missed a third of SNR-10 arrivals at on = 4. The recursion starts
# from an LTA of 0 and ObsPy zeroes only the first LTA length, so the ratio
# stays inflated after it (by 1 / (1 - exp(-t / lta)), 1.3 at the earliest
# P); `skip_s` ignores triggers before 1.2 s.
RECURSIVE_STA_LTA = {'sta_s': 0.1, 'lta_s': 1.0, 'on': 5.0, 'off': 1.5,
                     'skip_s': 1.2}

# ar_pick needs Z, N and E; we only have Z, so Z is passed as all three and
# only the P pick is kept (s_pick=False; the S parameters are unused but
# required). f1/f2 repeat our 1-20 Hz band (ar_pick band-passes again, with
# its own filter), the 1 s LTA and 0.1 s STA are those of STA_LTA, and m_p
# = 2 AR coefficients over an l_p = 0.1 s variance window are ObsPy's
# example values. The pick is placed l_p before the AIC minimum, so a
# longer l_p biases it early (0.2 s put half the clear picks > 10 samples
# off). ar_pick always picks something: it is not a detector. It also
# ends its AIC search just past the half-amplitude point of the envelope,
# which an impulsive arrival reaches within a few samples of onset, so a few
# percent of even clear picks land in the noise before it.
AR_PICK = {'f1': 1.0, 'f2': 20.0, 'lta_p': 1.0, 'sta_p': 0.1, 'lta_s': 1.0,
           'sta_s': 0.1, 'm_p': 2, 'm_s': 8, 'l_p': 0.1, 'l_s': 0.2}

# pk_baer, parameters in samples at 100 Hz as ObsPy takes them. It cannot
# trigger before 2 * preset_len, so preset_len = 60 (0.6 s of noise for the
# variance) keeps the earliest P (sample 150) pickable. thr1 = 10, thr2 =
# 12: with ObsPy's example thr1 = 7 noise spikes triggered just before P.
# A trigger must last tupevent = 0.2 s with drop-outs of at most tdownmax
# = 0.1 s; a longer tdownmax let a noise trigger up to that long before P
# survive into the arrival, taking its pick and first motion with it.
# p_dur = 1 s for the amplitude that grades the pick.
PK_BAER = {'tdownmax': 10, 'tupevent': 20, 'thr1': 10.0, 'thr2': 12.0,
           'preset_len': 60, 'p_dur': 100}

# Maeda (1985) AIC on the whole window; the pick is its minimum. `margin_s`
# keeps the minimum off the ends, where one variance is of a few samples.
AIC = {'margin_s': 0.1}


def _first_onset(cf: np.ndarray, on: float, off: float,
                 start: int = 0) -> float:
  """First trigger-on sample of `cf` at or after `start`, NaN if none."""
  cf = np.array(cf, np.float64)
  cf[:start] = 0.0
  onsets = trigger.trigger_onset(cf, on, off)
  return float(onsets[0][0]) if len(onsets) else np.nan


def _sta_lta(x, sampling_rate, p):
  nsta = int(round(p['sta_s'] * sampling_rate))
  nlta = int(round(p['lta_s'] * sampling_rate))
  cf = trigger.classic_sta_lta(x, nsta, nlta)
  return _first_onset(cf, p['on'], p['off']), None


def _recursive_sta_lta(x, sampling_rate, p):
  nsta = int(round(p['sta_s'] * sampling_rate))
  nlta = int(round(p['lta_s'] * sampling_rate))
  cf = trigger.recursive_sta_lta(x, nsta, nlta)
  start = int(round(p['skip_s'] * sampling_rate))
  return _first_onset(cf, p['on'], p['off'], start), None


def _ar_pick(x, sampling_rate, p):
  p_time, _ = trigger.ar_pick(
      x, x, x, sampling_rate, p['f1'], p['f2'], p['lta_p'], p['sta_p'],
      p['lta_s'], p['sta_s'], p['m_p'], p['m_s'], p['l_p'], p['l_s'],
      s_pick=False)
  pick = p_time * sampling_rate
  # With no AIC minimum ar_pick returns -l_p seconds (index 0 less the
  # variance window): no pick.
  return (pick if 0 < pick < len(x) else np.nan), None


def first_motion_code(pfm: str) -> int:
  """DOWN, UP or UNKNOWN from pk_baer's first-motion string.

  Args:
    pfm: e.g. 'IPU0' (impulsive P, up, quality 0), 'EPD3'; '' when there
      is no pick. The third character is U, D or blank.

  Returns:
    records.UP, records.DOWN or records.UNKNOWN.
  """
  direction = pfm[2:3].upper()
  return {'U': records.UP, 'D': records.DOWN}.get(direction, records.UNKNOWN)


def _pk_baer(x, sampling_rate, p):
  pick, pfm = trigger.pk_baer(
      x.astype(np.float32), int(round(sampling_rate)), p['tdownmax'],
      p['tupevent'], p['thr1'], p['thr2'], p['preset_len'], p['p_dur'])
  # ObsPy adds 1 to the C routine's 0 for "no pick"; the routine cannot
  # trigger before sample 2 * preset_len anyway.
  if pick <= 1:
    return np.nan, records.UNKNOWN
  return float(pick), first_motion_code(pfm)


def aic_function(x: np.ndarray) -> np.ndarray:
  """Maeda (1985) AIC of a trace, ObsPy's `aic_simple`.

  Element k - 1 is k log var(x[:k]) + (N - k - 1) log var(x[k:]), the AIC
  of a change at sample k (the first sample of the second segment); the
  last element is repeated to keep N values.
  """
  return trigger.aic_simple(np.asarray(x, np.float64))


def _aic(x, sampling_rate, p):
  aic = aic_function(x)
  margin = int(round(p['margin_s'] * sampling_rate))
  inner = aic[margin:len(aic) - margin]
  # A stretch of constant samples has var 0, so log 0 = -inf: no pick there.
  finite = np.isfinite(inner)
  if not finite.any():
    return np.nan, None
  # + 1: element k - 1 scores a change at sample k (see aic_function).
  k = margin + np.argmin(np.where(finite, inner, np.inf)) + 1
  return float(k), None


BASELINES = {
    'sta_lta': Baseline(_sta_lta, STA_LTA),
    'recursive_sta_lta': Baseline(_recursive_sta_lta, RECURSIVE_STA_LTA),
    'ar_pick': Baseline(_ar_pick, AR_PICK),
    'pk_baer': Baseline(_pk_baer, PK_BAER, has_polarity=True),
    'aic': Baseline(_aic, AIC),
}


def run(name: str, windows, sampling_rate: float = 100.0,
        **params) -> dict[str, np.ndarray | None]:
  """Runs one baseline on every window.

  Args:
    name: a key of BASELINES.
    windows: (n, time) or (time,) preprocessed vertical windows.
    sampling_rate: Hz.
    **params: overrides of the method's default parameters.

  Returns:
    {'pick': (n,) float64 pick in samples from the window start, NaN where
    nothing was picked; 'polarity': (n,) int32 DOWN/UP/UNKNOWN for methods
    with a first motion (pk_baer), else None}.

  Raises:
    KeyError: an unknown method or parameter.
  """
  if name not in BASELINES:
    raise KeyError(f'Unknown baseline {name!r}; known: {sorted(BASELINES)}.')
  baseline = BASELINES[name]
  unknown = set(params) - set(baseline.params)
  if unknown:
    raise KeyError(f'Unknown parameters {sorted(unknown)} for {name}; '
                   f'known: {sorted(baseline.params)}.')
  p = {**baseline.params, **params}
  windows = np.atleast_2d(np.asarray(windows, np.float64))
  picks = np.full(len(windows), np.nan)
  polarity = np.full(len(windows), records.UNKNOWN, np.int32)
  for i, x in enumerate(windows):
    peak = np.max(np.abs(x)) if x.size else 0.0
    if not np.isfinite(peak) or peak == 0:
      continue
    pick, code = baseline.fn(x / peak, sampling_rate, p)
    picks[i] = pick
    if code is not None:
      polarity[i] = code
  return {'pick': picks,
          'polarity': polarity if baseline.has_polarity else None}


# Refinement of another picker's pick (e.g. the CNN's) by AIC in a short
# window around it: 0.4 s either side, AIC's 0.1 s margin, so the refined
# pick lies within 0.3 s of the first. Fixed before any result.
REFINE_HALF_S = 0.4


def aic_refine(windows, picks, sampling_rate: float = 100.0,
               half_s: float = REFINE_HALF_S) -> np.ndarray:
  """AIC picks in a window of +-`half_s` around each of `picks`.

  Args:
    windows: (n, time) preprocessed windows.
    picks: (n,) picks in samples from each window start (NaN: none).
    sampling_rate: Hz.
    half_s: half the length of the short window, in seconds.

  Returns:
    (n,) refined picks in samples from the window start; the pick itself
    where it is NaN or its short window leaves the window.
  """
  windows = np.atleast_2d(np.asarray(windows, np.float64))
  picks = np.asarray(picks, np.float64)
  half = int(round(half_s * sampling_rate))
  out = picks.copy()
  for i, (x, pick) in enumerate(zip(windows, picks)):
    if not np.isfinite(pick):
      continue
    start = int(round(pick)) - half
    if start < 0 or start + 2 * half > len(x):
      continue
    short = x[start:start + 2 * half]
    peak = np.max(np.abs(short))
    if not np.isfinite(peak) or peak == 0:
      continue
    got, _ = _aic(short / peak, sampling_rate, AIC)
    if np.isfinite(got):
      out[i] = start + got
  return out
