"""Tests for seisjax.focal.mechanism and seisjax.focal.grid."""

import numpy as np
import pytest

from seisjax.focal import grid as grid_lib
from seisjax.focal import mechanism
from seisjax.focal import types
from seisjax.seismo import source

# Edge cases of the conventions: vertical planes, rakes of +-180 and 0,
# strikes at 0 and near 360, a shallow dip, and general planes.
MECHANISMS = np.array([
    [0, 90, 0], [0, 90, 180], [90, 90, -90], [359.5, 90, 45],
    [0, 45, 90], [0, 45, -90], [180, 30, 180], [270, 60, -135],
    [10, 1, 30], [123.4, 56.7, -89.1], [300, 89.9, 179.9], [45, 20, 170],
])


def _random_sdr(rng, n):
  return rng.uniform([0, 0, -180], [360, 90, 180], (n, 3))


def _same_sdr(a, b, atol=1e-8):
  """Equal strike (mod 360), dip and rake (mod 360)."""
  a, b = np.asarray(a), np.asarray(b)
  wrap = lambda d: (d + 180.0) % 360.0 - 180.0
  np.testing.assert_allclose(wrap(a[..., 0] - b[..., 0]), 0, atol=atol)
  np.testing.assert_allclose(a[..., 1], b[..., 1], atol=atol)
  np.testing.assert_allclose(wrap(a[..., 2] - b[..., 2]), 0, atol=atol)


def _same_plane_and_slip(a, b, atol=1e-9):
  """(normal, slip) of two strike/dip/rake equal up to a common sign.

  A vertical plane has two names, (strike, 90, rake) and (strike + 180,
  90, -rake): this compares what they mean.
  """
  n_a, s_a = mechanism.sdr_to_vectors(*a)
  n_b, s_b = mechanism.sdr_to_vectors(*b)
  sign = np.sign(np.dot(n_a, n_b))
  np.testing.assert_allclose(n_a, sign * n_b, atol=atol)
  np.testing.assert_allclose(s_a, sign * s_b, atol=atol)


def _rotation(axis, degrees):
  """Rotation matrix about a unit axis (Rodrigues)."""
  axis = np.asarray(axis, float) / np.linalg.norm(axis)
  k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]],
                [-axis[1], axis[0], 0]])
  a = np.radians(degrees)
  return np.eye(3) + np.sin(a) * k + (1 - np.cos(a)) * k @ k


@pytest.mark.parametrize('sdr', MECHANISMS.tolist())
def test_sdr_vectors_round_trip(sdr):
  normal, slip = mechanism.sdr_to_vectors(*sdr)
  np.testing.assert_allclose(np.linalg.norm(normal), 1, atol=1e-12)
  np.testing.assert_allclose(np.dot(normal, slip), 0, atol=1e-12)
  back = np.array(mechanism.vectors_to_sdr(normal, slip))
  _same_sdr(back, sdr)
  assert 0 <= back[0] < 360 and 0 <= back[1] <= 90
  assert -180 < back[2] <= 180


def test_round_trip_of_random_planes_and_of_the_other_sign():
  rng = np.random.default_rng(0)
  sdr = _random_sdr(rng, 500)
  normal, slip = mechanism.sdr_to_vectors(*sdr.T)
  _same_sdr(np.stack(mechanism.vectors_to_sdr(normal, slip), -1), sdr)
  # (-n, -s) is the same double couple: same strike, dip and rake.
  _same_sdr(np.stack(mechanism.vectors_to_sdr(-normal, -slip), -1), sdr)


def test_normal_points_up_and_vectors_follow_aki_richards():
  normal, slip = mechanism.sdr_to_vectors(0, 45, 90)  # Thrust striking N.
  np.testing.assert_allclose(normal, [0, np.sqrt(.5), -np.sqrt(.5)],
                             atol=1e-12)  # Dips east: normal up and east.
  np.testing.assert_allclose(slip, [0, -np.sqrt(.5), -np.sqrt(.5)],
                             atol=1e-12)  # Hanging wall moves up (z < 0).


def test_horizontal_plane_keeps_its_mechanism():
  # A downward normal (the grid's pole) with a northward slip: the same
  # double couple as the upward normal with a southward slip.
  strike, dip, rake = mechanism.vectors_to_sdr([0, 0, 1], [1, 0, 0])
  np.testing.assert_allclose(dip, 0, atol=1e-12)
  np.testing.assert_allclose(rake, -90, atol=1e-12)  # HASH's choice.
  normal, slip = mechanism.sdr_to_vectors(strike, dip, rake)
  np.testing.assert_allclose(normal, [0, 0, -1], atol=1e-12)
  np.testing.assert_allclose(slip, [-1, 0, 0], atol=1e-12)


@pytest.mark.parametrize('sdr', MECHANISMS.tolist())
def test_auxiliary_plane_of_auxiliary_plane_is_the_plane(sdr):
  aux = np.array(mechanism.auxiliary_plane(*sdr))
  _same_plane_and_slip(mechanism.auxiliary_plane(*aux), sdr)
  n1, _ = mechanism.sdr_to_vectors(*sdr)
  n2, _ = mechanism.sdr_to_vectors(*aux)
  np.testing.assert_allclose(np.dot(n1, n2), 0, atol=1e-12)  # Orthogonal.


def test_auxiliary_plane_known_value():
  # A 45-degree thrust striking north: the auxiliary plane strikes south,
  # dips 45 west, pure thrust too.
  _same_sdr(np.array(mechanism.auxiliary_plane(0, 45, 90)), [180, 45, 90])


def test_kagan_angle_zero_symmetric_and_blind_to_the_plane():
  rng = np.random.default_rng(1)
  a, b = _random_sdr(rng, 200), _random_sdr(rng, 200)
  aux = np.stack(mechanism.auxiliary_plane(*a.T), -1)
  np.testing.assert_allclose(mechanism.kagan_angle(a, a), 0, atol=1e-5)
  np.testing.assert_allclose(mechanism.kagan_angle(a, aux), 0, atol=1e-5)
  np.testing.assert_allclose(mechanism.kagan_angle(a, b),
                             mechanism.kagan_angle(b, a), atol=1e-9)
  np.testing.assert_allclose(mechanism.kagan_angle(aux, b),
                             mechanism.kagan_angle(a, b), atol=1e-6)
  assert mechanism.kagan_angle(a, b).max() <= 120 + 1e-9


def _rotated(sdr, axis_of, degrees):
  """The mechanism turned by `degrees` about one of its own axes."""
  normal, slip = mechanism.sdr_to_vectors(*sdr)
  axes = {'null': np.cross(normal, slip), 'p': normal - slip,
          't': normal + slip}
  axis = axes[axis_of] if isinstance(axis_of, str) else axis_of
  rotation = _rotation(axis, degrees)
  return np.array(mechanism.vectors_to_sdr(rotation @ normal,
                                           rotation @ slip))


@pytest.mark.parametrize('sdr', [[30, 60, 20], [200, 80, -120],
                                 [0, 45, 90]])
def test_kagan_angle_of_constructed_rotations(sdr):
  # P and T turned by 90 about B: the opposite double couple, 90 away.
  np.testing.assert_allclose(
      mechanism.kagan_angle(sdr, _rotated(sdr, 'null', 90)), 90, atol=1e-6)
  # A half turn about any of the three axes is a symmetry.
  for axis in ('null', 'p', 't'):
    np.testing.assert_allclose(
        mechanism.kagan_angle(sdr, _rotated(sdr, axis, 180)), 0, atol=1e-5)
  # Small turns about any axis are their own angle; about B at most 90.
  rng = np.random.default_rng(2)
  for degrees in (1.0, 10.0, 33.0, 55.0):
    axis = rng.normal(size=3)
    np.testing.assert_allclose(
        mechanism.kagan_angle(sdr, _rotated(sdr, axis, degrees)), degrees,
        atol=1e-6)
  np.testing.assert_allclose(
      mechanism.kagan_angle(sdr, _rotated(sdr, 'null', 120)), 60, atol=1e-6)


def test_ray_vectors_take_takeoff_from_the_downward_vertical():
  np.testing.assert_allclose(mechanism.ray_vectors(0, 0), [0, 0, 1],
                             atol=1e-12)  # Straight down (z down).
  np.testing.assert_allclose(mechanism.ray_vectors(180, 0), [0, 0, -1],
                             atol=1e-12)
  np.testing.assert_allclose(mechanism.ray_vectors(90, 90), [0, 1, 0],
                             atol=1e-12)  # Horizontal, east.
  # HASH's takeoff of 30 (up-going, from the upward vertical) is our 150.
  np.testing.assert_allclose(
      mechanism.ray_vectors(types.hash_to_takeoff(30.0), 0),
      [0.5, 0, -np.cos(np.radians(30))], atol=1e-12)


def test_predicted_polarities_match_the_radiation_pattern():
  rng = np.random.default_rng(3)
  sdr = _random_sdr(rng, 300)
  takeoff = rng.uniform(0, 180, 300)
  azimuth = rng.uniform(0, 360, 300)
  radiation = source.radiation_p(*sdr.T, azimuth, takeoff)
  clear = np.abs(radiation) > 1e-6
  normal, slip = mechanism.sdr_to_vectors(*sdr.T)
  polarity = mechanism.predict_polarity(normal, slip, takeoff, azimuth)
  np.testing.assert_array_equal(polarity[clear],
                                np.sign(radiation[clear]).astype(int))
  # The auxiliary plane predicts the same; the opposite slip the opposite.
  aux_n, aux_s = mechanism.sdr_to_vectors(*mechanism.auxiliary_plane(*sdr.T))
  np.testing.assert_array_equal(
      mechanism.predict_polarity(aux_n, aux_s, takeoff, azimuth)[clear],
      polarity[clear])
  np.testing.assert_array_equal(
      mechanism.predict_polarity(normal, -slip, takeoff, azimuth)[clear],
      -polarity[clear])
  np.testing.assert_allclose(
      mechanism.p_amplitude(normal, slip,
                            mechanism.ray_vectors(takeoff, azimuth)),
      np.abs(radiation), atol=1e-12)


def test_sp_ratio_follows_hash_angles():
  # A ray in the fault plane along the slip (theta = 90, phi = 0): P = 0,
  # HASH's ratio 4; at theta = 45, phi = 0: P = 1, S = 0, ratio -2.
  normal, slip = np.array([0., 0, -1]), np.array([1., 0, 0])
  along_slip = np.array([1., 0, 0])
  np.testing.assert_allclose(
      mechanism.sp_log_ratio(normal, slip, along_slip), 4.0)
  diagonal = np.array([1., 0, -1]) / np.sqrt(2)
  np.testing.assert_allclose(mechanism.p_amplitude(normal, slip, diagonal),
                             1.0, atol=1e-12)
  np.testing.assert_allclose(mechanism.sp_log_ratio(normal, slip, diagonal),
                             -2.0)
  # theta = 60 in the plane normal/null (phi = 90): P = 0, S = cos 60.
  ray = np.array([0., np.sin(np.radians(60)), -np.cos(np.radians(60))])
  np.testing.assert_allclose(mechanism.sv_sh_amplitude(normal, slip, ray),
                             0.5, atol=1e-12)
  # A general ray: HASH's formulas in theta and phi.
  ray = mechanism.ray_vectors(70, 20)
  theta = np.arccos(ray @ normal)
  in_plane = ray - (ray @ normal) * normal
  phi = np.arctan2(in_plane @ np.cross(normal, slip), in_plane @ slip)
  want = np.log10(4.9 * np.hypot(np.cos(2 * theta) * np.cos(phi),
                                 np.cos(theta) * np.sin(phi))
                  / abs(np.sin(2 * theta) * np.cos(phi)))
  np.testing.assert_allclose(mechanism.sp_log_ratio(normal, slip, ray), want)


@pytest.mark.parametrize('dang, n_normals, n_slips', [
    (10, 224, 18), (7, 401, 26), (5, 862, 36), (3, 2353, 60)])
def test_grid_counts_are_hash_ncoor(dang, n_normals, n_slips):
  grid = grid_lib.mechanism_grid(dang)
  assert (grid.n_normals, grid.n_slips) == (n_normals, n_slips)
  assert len(grid) == {10: 4032, 7: 10426, 5: 31032, 3: 141180}[dang]


def test_grid_vectors_are_orthonormal_and_in_hash_order():
  grid = grid_lib.mechanism_grid(5)
  assert len(grid) == 31032
  normal, slip = grid.vectors
  assert normal.shape == slip.shape == (31032, 3)
  np.testing.assert_allclose(np.linalg.norm(normal, axis=1), 1, atol=1e-12)
  np.testing.assert_allclose(np.linalg.norm(slip, axis=1), 1, atol=1e-12)
  np.testing.assert_allclose(np.sum(normal * slip, axis=1), 0, atol=1e-12)
  assert np.all(normal[:, 2] >= 0)  # Lower hemisphere (z down).
  # Normal-major order; the first normal is the pole, its slips turn from
  # north (HASH's bb1 at the pole) towards east.
  np.testing.assert_allclose(normal[:36], [[0, 0, 1]] * 36, atol=1e-12)
  np.testing.assert_allclose(slip[0], [1, 0, 0], atol=1e-12)
  np.testing.assert_allclose(slip[18], [0, 1, 0], atol=1e-12)
  sdr = grid.sdr
  np.testing.assert_allclose(
      mechanism.kagan_angle(sdr, np.stack(
          mechanism.vectors_to_sdr(normal, slip), -1)), 0, atol=1e-5)


def test_grid_covers_every_double_couple():
  grid = grid_lib.mechanism_grid(10)
  rng = np.random.default_rng(4)
  targets = _random_sdr(rng, 40)
  nearest = [mechanism.kagan_angle(grid.sdr, t).min() for t in targets]
  assert max(nearest) < grid.dang  # Within one spacing of the grid.
