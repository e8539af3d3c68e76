"""Tests of seisjax.focal.takeoffs: rays in 1-D models, tables, trials.

Angles are degrees from the DOWNWARD vertical unless a name says `hash`.
"""

import logging
import os

import numpy as np
import pytest

from seisjax import seismo
from seisjax.focal import takeoffs
from seisjax.focal import types
from seisjax.seismo import source

VELOCITY = str(seismo.SHARED_DATA / 'focal' / 'hash_v1.2' / 'data' /
               'velocity')
IASP91 = str(seismo.SHARED_DATA / 'picks' / 'kumamoto_hinet' / 'vz.iasp91')
needs_data = pytest.mark.skipif(
    not os.path.isdir(VELOCITY),
    reason=f'HASH velocity models not found at {VELOCITY}')
MODELS = ('socal', 'north', 'lab1', 'sgm1', 'vb1')


@pytest.mark.parametrize('depth', [0.5, 5.0, 18.0])
def test_half_space_is_straight_rays(depth):
  model = takeoffs.layered_model([0.0], [6.0])
  x = np.array([0.0, 0.3, 2.0, 10.0, 50.0, 150.0])
  time, takeoff = takeoffs.first_arrival(model, x, depth)
  np.testing.assert_allclose(takeoff,
                             180.0 - np.degrees(np.arctan2(x, depth)),
                             atol=1e-7)
  np.testing.assert_allclose(time, np.hypot(x, depth) / 6.0, rtol=1e-9)


def test_source_at_the_surface_of_a_half_space_leaves_horizontally():
  model = takeoffs.layered_model([0.0], [6.0])
  time, takeoff = takeoffs.first_arrival(model, [10.0, 40.0], 0.0)
  np.testing.assert_allclose(takeoff, 90.0)
  np.testing.assert_allclose(time, [10.0 / 6.0, 40.0 / 6.0])


def test_two_layers_match_the_crust_of_seismo_source():
  """Pg then Pn at the critical angle, as seismo/source.first_arrival."""
  model = takeoffs.layered_model([0.0, source.CRUST_KM],
                                 [source.V_CRUST, source.V_MANTLE])
  critical = np.degrees(np.arcsin(source.V_CRUST / source.V_MANTLE))
  distances = np.array([1.0, 20.0, 60.0, 100.0, 140.0, 200.0, 300.0])
  for depth in (2.0, 10.0, 25.0):
    time, takeoff = takeoffs.first_arrival(model, distances, depth)
    want = np.array([source.first_arrival(x, depth) for x in distances])
    np.testing.assert_allclose(time, want[:, 0], rtol=1e-7)
    np.testing.assert_allclose(takeoff, want[:, 1], atol=1e-6)
    head = want[:, 1] < 90.0
    assert head[-1] and not head[0]  # beyond the crossover: the head wave
    np.testing.assert_allclose(takeoff[head], critical, atol=1e-9)


def test_gradient_rays_from_the_surface_are_circles():
  """v = v0 + g z: a ray leaving at i0 returns at 2 v0 / (g tan i0)."""
  v0, g = 4.0, 0.05
  model = takeoffs.VelocityModel([0.0, 200.0], [v0, v0 + 200.0 * g])
  x = np.array([10.0, 40.0, 90.0, 160.0])
  time, takeoff = takeoffs.first_arrival(model, x, 0.0)
  i0 = np.arctan(2.0 * v0 / (g * x))
  np.testing.assert_allclose(takeoff, np.degrees(i0), atol=0.02)
  p = np.sin(i0) / v0
  np.testing.assert_allclose(time, 2.0 / g * np.log((1 + np.cos(i0)) /
                                                    (p * v0)), rtol=1e-4)


def test_source_at_a_discontinuity_has_the_velocity_below():
  model = takeoffs.layered_model([0.0, 10.0], [5.0, 7.0])
  assert model.velocity(10.0) == 7.0
  assert model.velocity(10.0, below=False) == 5.0
  assert model.velocity(5.0) == 5.0
  assert model.velocity(50.0) == 7.0


@needs_data
def test_read_vz_files():
  model = takeoffs.read_velocity_model(os.path.join(VELOCITY, 'vz.socal'))
  assert model.depth_km.size == 61
  assert (model.depth_km[0], model.vp[0]) == (0.0, 4.7)
  assert (model.depth_km[-1], model.vp[-1]) == (60.0, 7.9)
  if not os.path.isfile(IASP91):
    pytest.skip(f'{IASP91} not found')
  iasp = takeoffs.read_velocity_model(IASP91)  # '#' header, commas
  assert iasp.depth_km[:3].tolist() == [0.0, 20.0, 35.0]
  assert iasp.vp[:3].tolist() == [5.8, 6.5, 8.04]


def test_read_velocity_model_names_the_bad_line(tmp_path):
  path = tmp_path / 'vz.bad'
  path.write_text('0.0 5.0\n10.0 six\n')
  with pytest.raises(ValueError, match=r'vz\.bad:2: expected depth and vp'):
    takeoffs.read_velocity_model(path)


@pytest.fixture(scope='module')
def hash_tables():
  return [takeoffs.build_table(takeoffs.read_velocity_model(
      os.path.join(VELOCITY, f'vz.{name}'))) for name in MODELS]


@needs_data
def test_tables_fall_with_distance(hash_tables):
  """The first P's takeoff never grows with distance: the direct ray
  flattens, then rays dive deeper."""
  tables = list(hash_tables)
  if os.path.isfile(IASP91):
    tables.append(takeoffs.build_table(
        takeoffs.read_velocity_model(IASP91), np.arange(0.0, 411.0, 2.0)))
  for table in tables:
    assert table.takeoff.shape == (table.depth_km.size,
                                   table.distance_km.size)
    assert np.all(np.diff(table.takeoff, axis=1) <= 1e-9), table.model
    np.testing.assert_array_equal(table.takeoff[:, 0], 180.0)
    crust = table.depth_km < 30.0  # far from a crustal source: down-going
    assert np.all(table.takeoff[crust, -1] < 90.0), table.model


@needs_data
def test_table_conventions_both_ways(hash_tables):
  """Near a deep source rays go up: above 90 degrees from the downward
  vertical, below 90 in HASH's upward convention; far ones the reverse."""
  table = hash_tables[0]
  near, far = table(10.0, 15.0), table(150.0, 15.0)
  assert 90.0 < near < 180.0 and far < 90.0
  assert types.takeoff_to_hash(near) < 90.0 < types.takeoff_to_hash(far)
  np.testing.assert_allclose(types.hash_to_takeoff(
      types.takeoff_to_hash(near)), near)


@needs_data
def test_table_interpolates_between_exact_rays(hash_tables):
  table = hash_tables[1]
  model = takeoffs.read_velocity_model(os.path.join(VELOCITY, 'vz.north'))
  exact = takeoffs.first_arrival(model, [30.0, 64.0], 9.0)[1]
  np.testing.assert_allclose(table([30.0, 64.0], 9.0), exact, atol=1e-9)
  between = table(31.0, 10.5)
  corners = [table(30.0, 9.0), table(32.0, 9.0), table(30.0, 12.0),
             table(32.0, 12.0)]
  assert min(corners) <= between <= max(corners)
  assert table(30.0, -3.0) == table(30.0, 0.0)  # depths clipped


@needs_data
def test_table_extrapolates_beyond_its_range(hash_tables, caplog):
  table = hash_tables[0]
  with caplog.at_level(logging.WARNING):
    far = table(210.0, 9.0)
  assert 'extrapolating' in caplog.text
  assert 0.0 <= far <= table(200.0, 9.0) + 1e-9
  with pytest.raises(ValueError, match='NaN or below'):
    table(np.nan, 9.0)


def test_depth_trials_follow_hash():
  depths, models = takeoffs.depth_model_trials(12.0, 0.5, 12, 5, rng=3)
  assert depths[0] == 12.0 and models[0] == 0
  # hash_driver2.f: index(nm) = mod(nm, ntab) + 1 for trials nm = 2, 3, ...
  assert models.tolist() == [0, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2]
  again, _ = takeoffs.depth_model_trials(12.0, 0.5, 12, 5, rng=3)
  np.testing.assert_array_equal(depths, again)
  other, _ = takeoffs.depth_model_trials(12.0, 0.5, 12, 5, rng=4)
  assert not np.array_equal(depths, other)
  big, _ = takeoffs.depth_model_trials(12.0, 0.5, 4001, 5, rng=0)
  assert abs(np.std(big[1:]) - 0.5) < 0.03


def test_perturbed_trials_keep_row_zero_and_the_rays():
  takeoff = np.array([10.0, 95.0, 175.0])
  azimuth = np.array([0.0, 120.0, 359.0])
  t, a = takeoffs.perturbed_trials(takeoff, azimuth, [5.0, 5.0, 10.0],
                                   [2.0, 2.0, 2.0], 2000, rng=0)
  assert t.shape == a.shape == (2000, 3)
  np.testing.assert_array_equal(t[0], takeoff)
  np.testing.assert_array_equal(a[0], azimuth)
  assert t.min() >= 0.0 and t.max() <= 180.0
  assert a.min() >= 0.0 and a.max() < 360.0
  assert abs(np.std(t[1:, 1]) - 5.0) < 0.3
  t2, _ = takeoffs.perturbed_trials(takeoff, azimuth, 5.0, 2.0, 2000, rng=0)
  np.testing.assert_array_equal(t2[:, :2], t[:, :2])  # same seed, same draws


def test_fold_is_the_same_ray():
  def ray(t, a):
    t, a = np.radians(t), np.radians(a)
    return np.stack([np.sin(t) * np.cos(a), np.sin(t) * np.sin(a),
                     np.cos(t)])
  takeoff = np.array([-20.0, 5.0, 185.0, 200.0, 370.0])
  azimuth = np.array([10.0, 20.0, 30.0, 340.0, -15.0])
  t, a = takeoffs.fold(takeoff, azimuth)
  assert np.all((t >= 0) & (t <= 180) & (a >= 0) & (a < 360))
  np.testing.assert_allclose(ray(t, a), ray(takeoff, azimuth), atol=1e-12)


def test_table_trials_use_each_trials_table():
  one = takeoffs.build_table(takeoffs.layered_model([0.0], [6.0]),
                             np.arange(0.0, 51.0, 5.0), [0.0, 10.0, 20.0])
  two = takeoffs.build_table(takeoffs.layered_model([0.0], [5.0]),
                             np.arange(0.0, 51.0, 5.0), [0.0, 10.0, 20.0])
  out = takeoffs.table_trials([one, two], [10.0, 20.0], [10.0, 20.0, 10.0],
                              [0, 1, 1])
  np.testing.assert_allclose(out[0], [135.0, 180.0 - np.degrees(
      np.arctan(2.0))])
  np.testing.assert_allclose(out[1], [180.0 - np.degrees(np.arctan(0.5)),
                                      135.0])
  np.testing.assert_allclose(out[2], out[0])


def test_distance_azimuth_both_methods():
  distance, azimuth = takeoffs.distance_azimuth(34.0, -118.0, [34.5, 34.0],
                                                [-118.0, -117.5])
  flat_d, flat_a = takeoffs.distance_azimuth(
      34.0, -118.0, [34.5, 34.0], [-118.0, -117.5], method='hash')
  np.testing.assert_allclose(azimuth[0], 0.0, atol=1e-6)
  np.testing.assert_allclose(azimuth[1], 90.0, atol=0.2)
  np.testing.assert_allclose(flat_a, [0.0, 90.0], atol=1e-9)
  np.testing.assert_allclose(distance, flat_d, rtol=0.01)
  np.testing.assert_allclose(flat_d[0], 0.5 * 111.2)
  with pytest.raises(ValueError, match='Unknown distance method'):
    takeoffs.distance_azimuth(0, 0, [1], [1], method='sphere')
