"""Classical pickers on synthetic windows with a known onset and polarity."""

import numpy as np
import pytest

from seisjax.picking import baselines
from seisjax.picking import records

SHIFTS = (-45, -20, 0, 15, 40)  # Picks from 155 to 245 in the window.


def _windows(sign: int, snr: float = 30.0, freq_hz: float = 4.0,
             seed: int = 0):
  """Windows of a damped sinusoid in noise, through our preprocessing.

  The arrival starts at the record's P_SAMPLE with first motion `sign`; at
  4 Hz the first quarter cycle lasts 6 samples, longer than the pickers'
  lag, so the first motion they see is the true one.

  Returns:
    ((len(SHIFTS), 400) windows, (len(SHIFTS),) true picks).
  """
  rng = np.random.default_rng(seed)
  t = np.arange(records.RECORD_SAMPLES - records.P_SAMPLE) / 100.0
  windows, picks = [], []
  for shift in SHIFTS:
    x = rng.normal(size=records.RECORD_SAMPLES)
    x[records.P_SAMPLE:] += sign * snr * np.sin(2 * np.pi * freq_hz * t) * (
        np.exp(-2 * t))
    window, pick = records.window(records.preprocess(x, 100.0), shift)
    windows.append(window)
    picks.append(pick)
  return np.stack(windows), np.array(picks, np.float64)


def _noise(n: int = 6, seed: int = 1):
  rng = np.random.default_rng(seed)
  return np.stack([records.preprocess(rng.normal(size=records.WINDOW_SAMPLES),
                                      100.0) for _ in range(n)])


@pytest.mark.parametrize('name', sorted(set(baselines.BASELINES)
                                         - {'ar_pick'}))
@pytest.mark.parametrize('sign', [1, -1])
def test_picks_clear_arrival(name, sign):
  windows, true = _windows(sign, seed=10 + sign)
  pick = baselines.run(name, windows)['pick']
  assert pick.shape == true.shape
  error = np.abs(pick - true)
  # NaN fails both: every clear arrival must be picked.
  assert np.all(error <= 10), (name, pick - true)
  assert np.mean(error) <= 5, (name, pick - true)


def test_ar_pick_clear_arrivals():
  # ar_pick ends its AIC search just past the half-amplitude point of the
  # envelope, which an impulsive arrival reaches within a few samples of
  # onset; with so little signal in the search, a few percent of clear
  # picks land in the noise. So: most within 10 samples, median within 5.
  windows, true = zip(*(_windows(sign, seed=10 + sign) for sign in (1, -1)))
  pick = baselines.run('ar_pick', np.concatenate(windows))['pick']
  error = np.abs(pick - np.concatenate(true))
  assert np.mean(error <= 10) >= 0.8, pick - np.concatenate(true)
  assert np.median(error) <= 5, pick - np.concatenate(true)


@pytest.mark.parametrize('sign, code', [(1, records.UP),
                                        (-1, records.DOWN)])
def test_pk_baer_polarity(sign, code):
  windows, _ = _windows(sign, seed=20 + sign)
  polarity = baselines.run('pk_baer', windows)['polarity']
  assert polarity.dtype == np.int32
  np.testing.assert_array_equal(polarity, code)


def test_only_pk_baer_has_polarity():
  windows, _ = _windows(1)
  for name in baselines.BASELINES:
    has = baselines.run(name, windows[:1])['polarity'] is not None
    assert has == (name == 'pk_baer'), name


@pytest.mark.parametrize('name', sorted(baselines.BASELINES))
def test_zeros_and_bad_windows_give_nan(name):
  windows = np.zeros((3, records.WINDOW_SAMPLES))
  windows[1, 100] = np.nan
  windows[2, 5] = np.inf
  out = baselines.run(name, windows)
  assert np.all(np.isnan(out['pick']))
  if out['polarity'] is not None:
    np.testing.assert_array_equal(out['polarity'], records.UNKNOWN)


@pytest.mark.parametrize('name', sorted(baselines.BASELINES))
def test_noise_does_not_raise(name):
  pick = baselines.run(name, _noise())['pick']
  assert pick.shape == (6,)
  # A pick, where there is one, lies in the window.
  finite = pick[np.isfinite(pick)]
  assert np.all((finite >= 0) & (finite < records.WINDOW_SAMPLES))


@pytest.mark.parametrize('name', ['sta_lta', 'recursive_sta_lta', 'pk_baer'])
def test_detectors_stay_quiet_on_noise(name):
  # The thresholds were chosen so that band-passed noise does not trigger.
  assert np.all(np.isnan(baselines.run(name, _noise())['pick']))


@pytest.mark.parametrize('name', sorted(baselines.BASELINES))
def test_scale_invariant(name):
  # Traces in m/s are ~1e-9; pk_baer underflows there without the
  # per-window normalisation.
  windows, _ = _windows(1, seed=3)
  np.testing.assert_allclose(baselines.run(name, windows * 1e-9)['pick'],
                             baselines.run(name, windows)['pick'], atol=1e-3)


def test_single_window_and_overrides():
  windows, true = _windows(1, seed=4)
  one = baselines.run('sta_lta', windows[0])['pick']
  assert one.shape == (1,) and abs(one[0] - true[0]) <= 10
  deaf = baselines.run('sta_lta', windows, on=1e6)['pick']
  assert np.all(np.isnan(deaf))
  # Overrides do not leak into the defaults.
  assert baselines.BASELINES['sta_lta'].params['on'] == baselines.STA_LTA['on']
  assert np.all(np.isfinite(baselines.run('sta_lta', windows)['pick']))


def test_unknown_names_raise():
  with pytest.raises(KeyError, match='Unknown baseline'):
    baselines.run('phasenet', np.zeros((1, 400)))
  with pytest.raises(KeyError, match='thr3'):
    baselines.run('pk_baer', np.zeros((1, 400)), thr3=1.0)


@pytest.mark.parametrize('pfm, code', [
    ('IPU0', records.UP), ('EPD3', records.DOWN), ('ipd1', records.DOWN),
    ('', records.UNKNOWN), ('EP 2', records.UNKNOWN), ('?', records.UNKNOWN),
])
def test_first_motion_code(pfm, code):
  assert baselines.first_motion_code(pfm) == code


def test_aic_function_matches_maeda_formula():
  x = np.random.default_rng(5).normal(size=40)
  aic = baselines.aic_function(x)
  n = x.size
  # Maeda (1985) for a change at sample k, stored at k - 1 as the pick's
  # + 1 assumes.
  for k in range(2, n - 1):
    expected = (k * np.log(np.var(x[:k]))
                + (n - k - 1) * np.log(np.var(x[k:])))
    assert aic[k - 1] == pytest.approx(expected, rel=1e-6), k


def test_aic_picks_variance_step():
  # Without filtering, the AIC pick is the first sample of the loud part.
  x = np.random.default_rng(6).normal(size=records.WINDOW_SAMPLES)
  x[217:] *= 20
  assert baselines.run('aic', x)['pick'][0] == 217
