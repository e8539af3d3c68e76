"""Tests for seisjax.focal.solutions: averaging and trimming."""

import numpy as np
import pytest

from seisjax.focal import mechanism
from seisjax.focal import solutions


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


def _frame(n, s):
  return np.stack([n, s, np.cross(n, s)], -1)


def _matched_mean(frames, kept, ref):
  """Mean of the kept frames (m, 3, 3), each in its form nearest `ref`,
  made orthogonal as MECH_AVG does; float64."""
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
  return mean_n, mean_s


def _angles_to(normals, slips, mean_n, mean_s):
  return mechanism.kagan_angle(
      np.stack(mechanism.vectors_to_sdr(normals, slips), -1),
      np.array(mechanism.vectors_to_sdr(mean_n, mean_s)))


def _greedy_reference(normals, slips, cangle):
  """MECH_PROB's first cluster the plain way, in float64: every iteration
  matches all kept to the current mean, and drops the farthest."""
  frames = _frame(normals, slips)  # (m, 3, 3)
  kept = np.ones(len(normals), bool)
  ref = frames[0]
  while True:
    mean_n, mean_s = _matched_mean(frames, kept, ref)
    ref = _frame(mean_n, mean_s)
    angle = np.where(kept, _angles_to(normals, slips, mean_n, mean_s), -1)
    if angle.max() <= cangle:
      return kept, mean_n, mean_s
    kept[np.argmax(angle)] = False


def _threshold_reference(normals, slips, cangle):
  """SKHASH's default rule the plain way, in float64: each mean paired to
  itself (50 passes), then kept = within cangle of the second mean."""
  frames = _frame(normals, slips)

  def mean_of(kept, ref):
    for _ in range(50):
      mean = _matched_mean(frames, kept, ref)
      ref = _frame(*mean)
    return mean

  mean = mean_of(np.ones(len(normals), bool), frames[0])
  mean = mean_of(_angles_to(normals, slips, *mean) <= cangle, _frame(*mean))
  kept = _angles_to(normals, slips, *mean) <= cangle
  return kept, *mean_of(kept, _frame(*mean))


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


def test_skhash_rule_keeps_what_lies_within_cangle_of_the_mean():
  rng = np.random.default_rng(6)
  cluster = _scatter(rng, [40, 70, -20], 700, 35)
  outliers = _scatter(rng, [40, 70, -20], 300, 120)
  normals = np.concatenate([cluster[0], outliers[0]])
  slips = np.concatenate([cluster[1], outliers[1]])
  order = rng.permutation(1000)
  normals, slips = normals[order], slips[order]
  kept, mean_n, mean_s = _threshold_reference(normals, slips, 45.0)
  first = solutions.mech_prob(normals, slips, rule='skhash')[0]
  assert 0.6 < kept.mean() < 0.95
  assert first.prob == pytest.approx(kept.mean(), abs=2e-3)
  mean_sdr = np.array(mechanism.vectors_to_sdr(mean_n, mean_s))
  assert mechanism.kagan_angle(first.sdr, mean_sdr) < 0.05
  # Each mean is paired to itself, not to the set's first member: the
  # order of the set does not move it.
  backwards = solutions.mech_prob(normals[::-1], slips[::-1],
                                  rule='skhash')[0]
  assert backwards.prob == first.prob
  assert mechanism.kagan_angle(backwards.sdr, first.sdr) < 1e-2
  with pytest.raises(ValueError, match='trimming rule'):
    solutions.mech_prob(normals, slips, rule='median')


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
