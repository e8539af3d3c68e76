"""Tests for seisjax.focal.rating: misfit, gaps, quality letters."""

import numpy as np
import pytest

from seisjax.focal import mechanism
from seisjax.focal import rating
from seisjax.focal import types
from seisjax.seismo import source


def _stations(n=30, seed=4):
  rng = np.random.default_rng(seed)
  return rng.uniform(0, 180, n), rng.uniform(0, 360, n)


def test_misfit_of_perfect_and_of_wrong_polarities():
  sdr = (40.0, 70.0, -20.0)
  takeoff, azimuth = _stations()
  radiation = source.radiation_p(*sdr, azimuth, takeoff)
  polarity = np.where(radiation > 0, 1, -1)
  ones, impulsive = np.ones(30), np.ones(30, bool)
  mfrac, stdr, sp = rating.misfit(sdr, takeoff, azimuth, polarity, ones,
                                     impulsive)
  wt = np.sqrt(np.abs(radiation))  # FPFIT's weights.
  assert mfrac == 0 and np.isnan(sp)
  assert stdr == pytest.approx(np.mean(wt))
  wrong = polarity.copy()
  wrong[[3, 7]] *= -1
  mfrac, _, _ = rating.misfit(sdr, takeoff, azimuth, wrong, ones,
                                 impulsive)
  assert mfrac == pytest.approx(wt[[3, 7]].sum() / wt.sum())
  # An emergent pick weighs half; a weight scales it; weight 0 is no pick.
  impulsive[3] = False
  weight = ones.copy()
  weight[7] = 0.25
  mfrac, stdr, _ = rating.misfit(sdr, takeoff, azimuth, wrong, weight,
                                    impulsive)
  wo = np.where(impulsive, 1.0, 0.5) * weight
  assert mfrac == pytest.approx((wt * wo)[[3, 7]].sum() / (wt * wo).sum())
  assert stdr == pytest.approx((wt * wo).sum() / wo.sum())
  weight[7] = 0.0
  assert rating.misfit(sdr, takeoff, azimuth, wrong, weight,
                          impulsive)[0] == pytest.approx(
                              0.5 * wt[3] / (wt * wo)[weight > 0].sum())


def test_hash_compat_takes_weights_from_the_twice_converted_mechanism():
  sdr = (40.0, 70.0, -20.0)
  takeoff, azimuth = _stations()
  polarity = np.where(source.radiation_p(*sdr, azimuth, takeoff) > 0, 1, -1)
  polarity[5] *= -1
  args = (takeoff, azimuth, polarity, np.ones(30), np.ones(30, bool))
  exact = rating.misfit(sdr, *args)
  compat = rating.misfit(sdr, *args, hash_compat=True)
  # HASH's weights: those of strike, dip, rake = radians of the solution.
  bogus = np.degrees(np.radians(np.radians(sdr)))
  wt = np.sqrt(np.abs(source.radiation_p(*np.radians(sdr), azimuth,
                                         takeoff)))
  assert np.allclose(bogus, np.radians(np.radians(sdr)) * 180 / np.pi)
  assert compat[0] == pytest.approx(wt[5] / wt.sum())
  assert compat[1] == pytest.approx(np.mean(wt))
  assert compat[0] != pytest.approx(exact[0])


def test_sp_misfit_is_the_mean_absolute_log_error():
  sdr = (40.0, 70.0, -20.0)
  takeoff, azimuth = _stations()
  normal, slip = mechanism.sdr_to_vectors(*sdr)
  predicted = mechanism.sp_log_ratio(
      normal, slip, mechanism.ray_vectors(takeoff, azimuth), clip=False)
  sp_ratio = predicted + np.where(np.arange(30) % 2, 0.2, -0.2)
  sp_ratio[:10] = np.nan
  weight = np.ones(30)
  weight[20:] = 0  # Amplitude-only rows.
  polarity = np.where(source.radiation_p(*sdr, azimuth, takeoff) > 0, 1, -1)
  mfrac, stdr, sp = rating.misfit(sdr, takeoff, azimuth, polarity,
                                     weight, np.ones(30, bool), sp_ratio)
  assert sp == pytest.approx(0.2)
  wt = np.sqrt(np.abs(source.radiation_p(*sdr, azimuth, takeoff)))
  # GET_MISF_AMP: 20 polarities and 20 ratios (10 on the same rows).
  assert stdr == pytest.approx((wt[:20].sum() + wt[10:].sum()) / 40)
  assert mfrac == 0


def test_gaps_fold_rays_onto_the_upper_hemisphere():
  # Four up-going rays (our takeoff 100 = HASH's 80) at the compass points.
  takeoff = np.full(4, 100.0)
  azimuth = np.array([0.0, 90, 180, 270])
  assert rating.gaps(takeoff, azimuth) == pytest.approx((90, 80))
  # The same rays given down-going: azimuths turn by 180, same gaps.
  assert rating.gaps(180 - takeoff, (azimuth + 180) % 360) == (
      pytest.approx((90, 80)))
  # A down-going ray at azimuth 10 fills the gap at 190.
  magap, mpgap = rating.gaps([100, 100, 100, 30], [0, 90, 180, 10])
  assert magap == pytest.approx(170)  # 190 -> 360 is the largest now.
  assert mpgap == pytest.approx(50)  # 30 -> 80 from the vertical.
  # HASH's convention, converted: takeoff 60 (HASH) is 120 (ours).
  magap, mpgap = rating.gaps(types.hash_to_takeoff([60, 70, 85]),
                                [0, 120, 240])
  assert (magap, mpgap) == pytest.approx((120, 60))


@pytest.mark.parametrize('prob, unc, mfrac, stdr, want, want_no_misfit', [
    (0.9, 20, 0.1, 0.6, 'A', 'A'),
    (0.8, 20, 0.1, 0.6, 'B', 'B'),  # prob must exceed 0.8.
    (0.9, 25, 0.15, 0.5, 'A', 'A'),  # The other bounds are inclusive.
    (0.9, 20, 0.16, 0.6, 'B', 'A'),
    (0.9, 20, 0.1, 0.45, 'B', 'A'),
    (0.7, 40, 0.1, 0.6, 'C', 'C'),
    (0.9, 20, 0.35, 0.6, 'D', 'A'),
    (0.5, 20, 0.1, 0.6, 'D', 'D'),
    (0.9, 46, 0.0, 1.0, 'D', 'D'),
])
def test_quality_letters(prob, unc, mfrac, stdr, want, want_no_misfit):
  assert rating.quality(prob, unc, mfrac, stdr) == want
  assert rating.quality(prob, unc, mfrac, stdr,
                           rate_misfit=False) == want_no_misfit
