"""Tests for seisjax.focal.solutions: averaging, misfit, gaps, quality."""

import numpy as np
import pytest

from seisjax.focal import mechanism
from seisjax.focal import solutions
from seisjax.focal import types
from seisjax.seismo import source


def _rotation(axis, degrees):
  axis = np.asarray(axis, float) / np.linalg.norm(axis)
  k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]],
                [-axis[1], axis[0], 0]])
  a = np.radians(degrees)
  return np.eye(3) + np.sin(a) * k + (1 - np.cos(a)) * k @ k


def _scatter(rng, sdr, n, max_degrees):
  """n mechanisms turned from `sdr` by up to max_degrees about random axes,
  each given in a random one of its four (normal, slip) forms."""
  normal, slip = mechanism.sdr_to_vectors(*sdr)
  normals, slips = [], []
  for _ in range(n):
    rotation = _rotation(rng.normal(size=3), rng.uniform(0, max_degrees))
    nv, sv = rotation @ normal, rotation @ slip
    if rng.random() < 0.5:
      nv, sv = sv, nv
    sign = rng.choice([-1.0, 1.0])
    normals.append(sign * nv)
    slips.append(sign * sv)
  return np.array(normals), np.array(slips)


def _rms_to(normals, slips, cluster):
  """RMS angles of normals and slips to a cluster's average, computed
  independently: each mechanism in its form nearest the average."""
  angles = []
  for nv, sv in zip(normals, slips):
    forms = [(nv, sv), (-nv, -sv), (sv, nv), (-sv, -nv)]
    frame = lambda n, s: np.stack([n, s, np.cross(n, s)], -1)
    mean = frame(cluster.normal, cluster.slip)
    traces = [np.trace(mean.T @ frame(*f)) for f in forms]
    n_best, s_best = forms[int(np.argmax(traces))]
    angles.append([np.arccos(np.clip(n_best @ cluster.normal, -1, 1)),
                   np.arccos(np.clip(s_best @ cluster.slip, -1, 1))])
  return np.degrees(np.sqrt(np.mean(np.square(angles), axis=0)))


def test_one_mechanism_is_its_own_average():
  normal, slip = mechanism.sdr_to_vectors(120, 35, -60)
  [cluster] = solutions.mech_prob(normal[None], slip[None])
  assert cluster.prob == 1.0
  assert cluster.rms_fault == pytest.approx(0, abs=1e-3)
  assert mechanism.kagan_angle(cluster.sdr, [120, 35, -60]) < 1e-3


def test_tight_cluster_in_mixed_forms_averages_to_its_centre():
  rng = np.random.default_rng(0)
  truth = [70, 50, 30]
  normals, slips = _scatter(rng, truth, 300, 20)
  [cluster] = solutions.mech_prob(normals, slips)
  assert cluster.prob == 1.0  # All within 20 of the centre, so of 45.
  # The scatter is symmetric about the centre: the mean is close to it.
  assert mechanism.kagan_angle(cluster.sdr, truth) < 2.0
  np.testing.assert_allclose(np.dot(cluster.normal, cluster.slip), 0,
                             atol=1e-6)
  np.testing.assert_allclose([cluster.rms_fault, cluster.rms_aux],
                             _rms_to(normals, slips, cluster), atol=1e-3)
  assert 5 < cluster.rms_fault < 20


def test_outliers_are_trimmed_and_form_a_second_solution():
  rng = np.random.default_rng(1)
  main = _scatter(rng, [10, 60, 90], 140, 15)
  other = _scatter(rng, [10, 60, 0], 60, 15)  # 90 degrees from `main`.
  normals = np.concatenate([main[0], other[0]])
  slips = np.concatenate([main[1], other[1]])
  order = rng.permutation(200)
  first, second = solutions.mech_prob(normals[order], slips[order])
  assert first.prob == pytest.approx(0.7)
  assert second.prob == pytest.approx(0.3)
  assert mechanism.kagan_angle(first.sdr, [10, 60, 90]) < 5
  assert mechanism.kagan_angle(second.sdr, [10, 60, 0]) < 5
  # Uncertainties are RMS angles to the average over the whole set, as
  # MECH_PROB's: the other cluster, on the same plane with the slip turned
  # by 90 degrees, makes the slip's large.
  np.testing.assert_allclose([first.rms_fault, first.rms_aux],
                             _rms_to(normals, slips, first), atol=1e-3)
  assert first.rms_fault < 15 and first.rms_aux > 30
  # A second solution needs a probability of prob_max at least.
  assert len(solutions.mech_prob(normals, slips, prob_max=0.31)) == 1
  assert len(solutions.mech_prob(normals, slips, prob_max=0.3)) == 2


def _greedy_reference(normals, slips, cangle):
  """MECH_PROB's first cluster the plain way, in float64: every iteration
  matches all kept to the current mean, and drops the farthest."""
  frame = lambda n, s: np.stack([n, s, np.cross(n, s)], -1)
  frames = frame(normals, slips)  # (m, 3, 3)
  kept = np.ones(len(normals), bool)
  ref = frames[0]
  while True:
    forms = [frames, frames * [-1, -1, 1],
             frames[..., [1, 0, 2]] * [1, 1, -1],
             frames[..., [1, 0, 2]] * [-1, -1, -1]]
    traces = np.stack([np.einsum('ij,mij->m', ref, f) for f in forms])
    best = np.argmax(traces, axis=0)
    matched = np.stack(forms)[best, np.arange(len(frames))]
    sum_n = matched[kept, :, 0].sum(0)
    sum_s = matched[kept, :, 1].sum(0)
    count = kept.sum()
    rms = [np.sqrt(max(2 - 2 * np.linalg.norm(v) / count, 0))
           for v in (sum_n, sum_s)]
    share = 0.5 if sum(rms) < 1e-4 else rms[0] / sum(rms)
    u, v = sum_n / np.linalg.norm(sum_n), sum_s / np.linalg.norm(sum_s)
    alpha = np.arccos(np.clip(u @ v, -1, 1))
    e2 = (v - (u @ v) * u) / np.linalg.norm(v - (u @ v) * u)
    turn = np.pi / 2 - alpha
    mean_n = np.cos(turn * share) * u - np.sin(turn * share) * e2
    mean_s = (np.cos(alpha + turn * (1 - share)) * u
              + np.sin(alpha + turn * (1 - share)) * e2)
    ref = frame(mean_n, mean_s)
    angle = mechanism.kagan_angle(
        np.stack(mechanism.vectors_to_sdr(normals, slips), -1),
        np.array(mechanism.vectors_to_sdr(mean_n, mean_s)))
    angle = np.where(kept, angle, -1)
    if angle.max() <= cangle:
      return kept, mean_n, mean_s
    kept[np.argmax(angle)] = False


def test_trimming_finds_the_farthest_as_a_full_pass_would():
  # 1,500 mechanisms: more than the window of candidates, so the bound
  # that spares full passes is exercised.
  rng = np.random.default_rng(5)
  cluster = _scatter(rng, [150, 50, 60], 1000, 35)
  outliers = _scatter(rng, [150, 50, 60], 500, 120)
  normals = np.concatenate([cluster[0], outliers[0]])
  slips = np.concatenate([cluster[1], outliers[1]])
  order = rng.permutation(1500)
  normals, slips = normals[order], slips[order]
  kept, mean_n, mean_s = _greedy_reference(normals, slips, 30.0)
  first = solutions.mech_prob(normals, slips, cangle=30.0)[0]
  assert 0.3 < kept.mean() < 0.9  # Hundreds dropped.
  assert first.prob == kept.mean()
  assert mechanism.kagan_angle(
      first.sdr, np.array(mechanism.vectors_to_sdr(mean_n, mean_s))) < 0.05


def test_cut_off_angle_decides_what_is_kept():
  rng = np.random.default_rng(2)
  normals, slips = _scatter(rng, [200, 40, -100], 200, 40)
  [wide] = solutions.mech_prob(normals, slips, cangle=45)[:1]
  narrow = solutions.mech_prob(normals, slips, cangle=15)
  assert wide.prob == 1.0
  assert narrow[0].prob < 0.9
  kept = mechanism.kagan_angle(
      np.stack(mechanism.vectors_to_sdr(normals, slips), -1),
      narrow[0].sdr) <= 15 + 1e-3
  # Everything kept lies within the cut-off; at least the kept share does.
  assert kept.mean() >= narrow[0].prob - 1e-9


def test_same_set_same_result():
  rng = np.random.default_rng(3)
  normals, slips = _scatter(rng, [300, 80, 170], 500, 50)
  a = solutions.mech_prob(normals, slips)
  b = solutions.mech_prob(normals, slips)
  assert len(a) == len(b)
  for x, y in zip(a, b):
    np.testing.assert_array_equal(x.normal, y.normal)
    np.testing.assert_array_equal(x.slip, y.slip)
    assert (x.prob, x.rms_fault, x.rms_aux) == (y.prob, y.rms_fault,
                                                 y.rms_aux)


def test_mech_prob_refuses_an_empty_set():
  with pytest.raises(ValueError):
    solutions.mech_prob(np.zeros((0, 3)), np.zeros((0, 3)))


def _stations(n=30, seed=4):
  rng = np.random.default_rng(seed)
  return rng.uniform(0, 180, n), rng.uniform(0, 360, n)


def test_misfit_of_perfect_and_of_wrong_polarities():
  sdr = (40.0, 70.0, -20.0)
  takeoff, azimuth = _stations()
  radiation = source.radiation_p(*sdr, azimuth, takeoff)
  polarity = np.where(radiation > 0, 1, -1)
  ones, impulsive = np.ones(30), np.ones(30, bool)
  mfrac, stdr, sp = solutions.misfit(sdr, takeoff, azimuth, polarity, ones,
                                     impulsive)
  wt = np.sqrt(np.abs(radiation))  # FPFIT's weights.
  assert mfrac == 0 and np.isnan(sp)
  assert stdr == pytest.approx(np.mean(wt))
  wrong = polarity.copy()
  wrong[[3, 7]] *= -1
  mfrac, _, _ = solutions.misfit(sdr, takeoff, azimuth, wrong, ones,
                                 impulsive)
  assert mfrac == pytest.approx(wt[[3, 7]].sum() / wt.sum())
  # An emergent pick weighs half; a weight scales it; weight 0 is no pick.
  impulsive[3] = False
  weight = ones.copy()
  weight[7] = 0.25
  mfrac, stdr, _ = solutions.misfit(sdr, takeoff, azimuth, wrong, weight,
                                    impulsive)
  wo = np.where(impulsive, 1.0, 0.5) * weight
  assert mfrac == pytest.approx((wt * wo)[[3, 7]].sum() / (wt * wo).sum())
  assert stdr == pytest.approx((wt * wo).sum() / wo.sum())
  weight[7] = 0.0
  assert solutions.misfit(sdr, takeoff, azimuth, wrong, weight,
                          impulsive)[0] == pytest.approx(
                              0.5 * wt[3] / (wt * wo)[weight > 0].sum())


def test_hash_compat_takes_weights_from_the_twice_converted_mechanism():
  sdr = (40.0, 70.0, -20.0)
  takeoff, azimuth = _stations()
  polarity = np.where(source.radiation_p(*sdr, azimuth, takeoff) > 0, 1, -1)
  polarity[5] *= -1
  args = (takeoff, azimuth, polarity, np.ones(30), np.ones(30, bool))
  exact = solutions.misfit(sdr, *args)
  compat = solutions.misfit(sdr, *args, hash_compat=True)
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
  mfrac, stdr, sp = solutions.misfit(sdr, takeoff, azimuth, polarity,
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
  assert solutions.gaps(takeoff, azimuth) == pytest.approx((90, 80))
  # The same rays given down-going: azimuths turn by 180, same gaps.
  assert solutions.gaps(180 - takeoff, (azimuth + 180) % 360) == (
      pytest.approx((90, 80)))
  # A down-going ray at azimuth 10 fills the gap at 190.
  magap, mpgap = solutions.gaps([100, 100, 100, 30], [0, 90, 180, 10])
  assert magap == pytest.approx(170)  # 190 -> 360 is the largest now.
  assert mpgap == pytest.approx(50)  # 30 -> 80 from the vertical.
  # HASH's convention, converted: takeoff 60 (HASH) is 120 (ours).
  magap, mpgap = solutions.gaps(types.hash_to_takeoff([60, 70, 85]),
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
  assert solutions.quality(prob, unc, mfrac, stdr) == want
  assert solutions.quality(prob, unc, mfrac, stdr,
                           rate_misfit=False) == want_no_misfit
