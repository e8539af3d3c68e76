"""Tests for seisjax.focal.inversion: HASH's grid search, batched."""

import dataclasses

import numpy as np
import pytest

from seisjax.focal import grid as grid_lib
from seisjax.focal import inversion
from seisjax.focal import mechanism
from seisjax.focal import types
from tests.focal import synthetic

COARSE = inversion.Options(dang=10.0)  # 4,032 mechanisms: fast references.


def _nint(x):
  return int(np.floor(x + 0.5))


def _reference(event, options):
  """HASH's FOCALMC / FOCALAMP_MC rules, one trial at a time, float64.

  Returns:
    (acceptable, unsure): (m,) bool masks over the grid; unsure marks the
    mechanisms whose fate a float32 rounding could change (a product
    within 1e-5 of 0, or an S/P misfit within 5e-3 of its bound).
  """
  normal, slip = grid_lib.mechanism_grid(options.dang).vectors
  is_pol = event.weight > 0
  weight = np.where(is_pol, event.weight, 0.0)
  total = weight.sum()
  ntotal = max(_nint(total * options.badfrac), 2)
  nextra = max(_nint(total * options.badfrac * 0.5), 2)
  has_sp = np.isfinite(event.sp_ratio)
  n_sp = has_sp.sum()
  qtotal = max(n_sp * options.qbadfac, 2.0)
  qextra = max(n_sp * options.qbadfac * 0.5, 2.0)
  acceptable = np.zeros(len(normal), bool)
  unsure = np.zeros(len(normal), bool)
  for trial in range(event.n_trials):
    x = mechanism.ray_vectors(event.takeoff[trial], event.azimuth[trial])
    product = (slip @ x.T) * (normal @ x.T)  # (m, n)
    unsure |= np.any(np.abs(product[:, is_pol]) < 1e-5, axis=1)
    missed = ((product > 0) != (event.polarity > 0)) & is_pol
    nmiss = missed @ weight
    nmiss0 = (missed & event.impulsive) @ weight
    nmiss0min = nmiss0.min()
    nmiss01min = nmiss[nmiss0 == nmiss0min].min()
    nmiss0max, nmissmax = (ntotal, ntotal) if nmiss0min == 0 else (ntotal,
                                                                  total)
    nmiss0max = max(nmiss0max, nmiss0min + nextra)
    nmissmax = max(nmissmax, nmiss01min + nextra)
    ok = (nmiss0 <= nmiss0max) & (nmiss <= nmissmax)
    if n_sp:
      q = np.zeros(len(normal))
      for j in np.flatnonzero(has_sp):
        q += np.abs(event.sp_ratio[j] - mechanism.sp_log_ratio(
            normal, slip, x[j]))
      qmax = max(qtotal, q.min() + qextra)
      if not np.any(ok & (q <= qmax)):  # Loosen the amplitude bound.
        qmax = max(qtotal, q[ok].min() + qextra)
      ok &= q <= qmax
      unsure |= np.abs(q - qmax) < 5e-3
    acceptable |= ok
  return acceptable, unsure


def _events(seed, count, **kwargs):
  rng = np.random.default_rng(seed)
  out = []
  for i in range(count):
    sdr = synthetic.random_mechanism(rng)
    n = int(rng.integers(12, 40))
    obs, _ = synthetic.event(rng, sdr, n_stations=n, event_id=f'ev{i}',
                             **kwargs)
    out.append((sdr, obs))
  return out


def _assert_matches_reference(events, options):
  found = inversion.acceptable_sets(events, options)
  for event, indices in zip(events, found):
    want, unsure = _reference(event, options)
    got = np.zeros_like(want)
    got[indices] = True
    assert unsure.mean() < 0.05
    np.testing.assert_array_equal(got[~unsure], want[~unsure])


def test_hash_bounds_round_as_fortran():
  options = inversion.Options()
  make = lambda n: types.Observations(
      'e', np.arange(n).astype(str), np.ones(n, int), np.ones(n, bool),
      np.full((1, n), 90.0), np.zeros((1, n)))
  # 25 * 0.1 = 2.5: NINT gives 3 (Python's round would give 2).
  np.testing.assert_array_equal(inversion._bounds(make(25), options)[:3],
                                [3, 2, 25])
  np.testing.assert_array_equal(inversion._bounds(make(50), options)[:3],
                                [5, 3, 50])
  np.testing.assert_array_equal(inversion._bounds(make(12), options)[:3],
                                [2, 2, 12])  # At least 2 of each.


def test_acceptable_sets_follow_focalmc_with_emergent_picks():
  events = [obs for _, obs in _events(0, 4, flip=0.1, emergent=0.4,
                                      n_trials=4)]
  _assert_matches_reference(events, COARSE)


def test_acceptable_sets_follow_focalmc_with_weights():
  events = []
  for sdr, obs in _events(1, 3, flip=0.1, n_trials=3):
    rng = np.random.default_rng(len(events))
    # Dyadic weights sum exactly in float32; 0 drops a row.
    obs.weight = rng.choice([0.0, 0.25, 0.5, 1.0], obs.weight.shape)
    events.append(obs)
  _assert_matches_reference(events, COARSE)


def test_acceptable_sets_follow_focalamp_mc_with_sp_ratios():
  rng = np.random.default_rng(2)
  events = []
  for sdr, obs in _events(2, 3, flip=0.05, emergent=0.0, n_trials=3):
    normal, slip = mechanism.sdr_to_vectors(*sdr)
    rays = mechanism.ray_vectors(obs.takeoff[0], obs.azimuth[0])
    sp = mechanism.sp_log_ratio(normal, slip, rays) + rng.normal(
        0, 0.2, len(rays))
    obs.sp_ratio = np.where(rng.random(len(rays)) < 0.5, sp, np.nan)
    events.append(obs)
  # Ratios far off: no mechanism passes both bounds, HASH loosens.
  bad = dataclasses.replace(events[0], event_id='bad')
  bad.sp_ratio = np.where(np.isfinite(bad.sp_ratio), 9.0, np.nan)
  events.append(bad)
  _assert_matches_reference(events, COARSE)
  without = [dataclasses.replace(e, sp_ratio=np.full(len(e.polarity),
                                                     np.nan))
             for e in events]
  with_sp = inversion.acceptable_sets(events, COARSE)
  without_sp = inversion.acceptable_sets(without, COARSE)
  for a, b in zip(with_sp, without_sp):
    assert set(a) <= set(b)  # Ratios only ever remove mechanisms.
  assert sum(map(len, with_sp[:3])) < 0.8 * sum(map(len, without_sp[:3]))


def test_batch_padding_and_chunks_do_not_change_results():
  pairs = _events(3, 5, flip=0.05, n_trials=7)
  events = [obs for _, obs in pairs]
  events[1].sp_ratio = np.where(np.arange(len(events[1].polarity)) < 5,
                                0.5, np.nan)
  alone = [inversion.invert_events([e], COARSE)[0] for e in events]
  for options in (COARSE, dataclasses.replace(COARSE, batch=2, chunk=3),
                  dataclasses.replace(COARSE, batch=16, chunk=16)):
    batched = inversion.invert_events(events[::-1], options)[::-1]
    for a, b in zip(alone, batched):
      assert a.solutions == b.solutions
      np.testing.assert_array_equal(a.acceptable, b.acceptable)
      assert a.n_acceptable == b.n_acceptable


def test_rows_without_a_polarity_change_nothing():
  [(_, obs)] = _events(4, 1, flip=0.05)
  n = len(obs.polarity)
  padded = types.Observations(
      obs.event_id, np.concatenate([obs.station, ['A', 'B']]),
      np.concatenate([obs.polarity, [1, -1]]),
      np.concatenate([obs.impulsive, [True, True]]),
      np.concatenate([obs.takeoff, np.full((obs.n_trials, 2), 45.0)], 1),
      np.concatenate([obs.azimuth, np.full((obs.n_trials, 2), 10.0)], 1),
      weight=np.concatenate([np.ones(n), [0.0, 0.0]]))
  a, b = inversion.invert([obs, padded], COARSE)
  assert a == b


def test_repeated_calls_are_identical():
  events = [obs for _, obs in _events(5, 3, flip=0.1)]
  first = inversion.invert_events(events, COARSE)
  second = inversion.invert_events(events, COARSE)
  for a, b in zip(first, second):
    assert a.solutions == b.solutions
    np.testing.assert_array_equal(a.acceptable, b.acceptable)


def test_too_few_polarities_is_f_and_too_wide_a_gap_is_e():
  rng = np.random.default_rng(6)
  sdr = synthetic.random_mechanism(rng)
  few, _ = synthetic.event(rng, sdr, n_stations=6, max_agap=360,
                           max_pgap=90, event_id='few')
  good, _ = synthetic.event(rng, sdr, n_stations=30, event_id='good')
  # All rays up-going, azimuths within 72 degrees (a down-going ray would
  # count at the opposite azimuth).
  one_side = dataclasses.replace(
      good, event_id='one-side', azimuth=good.azimuth * 0.2,
      takeoff=np.maximum(good.takeoff, 180 - good.takeoff))
  f, ok, e = inversion.invert([few, good, one_side])
  assert [s.quality for s in f] == ['F']
  assert f[0].npol == 6 and 'npolmin = 8' in f[0].reason
  assert np.isnan(f[0].strike)
  assert ok[0].quality in 'ABCD' and ok[0].reason == ''
  assert [s.quality for s in e] == ['E']
  assert 'azimuthal gap' in e[0].reason and 'max_agap = 90' in e[0].reason
  assert e[0].magap > 270 and np.isnan(e[0].strike)
  flat = dataclasses.replace(good, event_id='flat',
                             takeoff=np.full_like(good.takeoff, 100.0))
  [[flat_solution]] = inversion.invert([flat])
  assert flat_solution.quality == 'E'
  assert 'takeoff angle gap 80.0 > max_pgap = 60' in flat_solution.reason


def test_bad_angles_never_reach_the_inversion():
  rng = np.random.default_rng(7)
  obs, _ = synthetic.event(rng, synthetic.random_mechanism(rng))
  for bad in (np.nan, -1.0, 181.0):
    takeoff = obs.takeoff.copy()
    takeoff[0, 3] = bad
    with pytest.raises(ValueError, match='takeoff'):
      dataclasses.replace(obs, takeoff=takeoff)
  obs.takeoff[1, 2] = np.nan  # Changed after it was checked.
  with pytest.raises(ValueError, match='takeoff'):
    inversion.invert([obs])


def _truth_run(flip, seed, count=40):
  """Preferred solutions of `count` synthetic events with `flip` wrong."""
  rng = np.random.default_rng(seed)
  truths, events = [], []
  for i in range(count):
    sdr = synthetic.random_mechanism(rng)
    obs, _ = synthetic.event(rng, sdr, n_stations=int(rng.integers(20, 61)),
                             flip=flip, emergent=0.25, event_id=f'{i}')
    truths.append(sdr)
    events.append(obs)
  preferred = [solutions[0] for solutions in inversion.invert(events)]
  found = np.array([[s.strike, s.dip, s.rake] for s in preferred])
  kagan = mechanism.kagan_angle(np.array(truths), found)
  larger = np.array([max(s.fault_plane_uncertainty,
                         s.aux_plane_uncertainty) for s in preferred])
  combined = np.array([np.hypot(s.fault_plane_uncertainty,
                                s.aux_plane_uncertainty) for s in preferred])
  return {'within': np.mean(kagan <= combined),
          'within_larger': np.mean(kagan <= larger),
          'mfrac': np.mean([s.mfrac for s in preferred]),
          'prob': np.mean([s.prob for s in preferred]),
          'a_share': np.mean([s.quality == 'A' for s in preferred]),
          'kagan': np.median(kagan)}


def test_recovers_synthetic_mechanisms_within_their_uncertainty():
  """Known mechanisms, 20-60 stations, 25% emergent, 0/5/10% flipped.

  Criterion: the Kagan angle from the truth to the preferred solution is
  at most hypot(fault plane, auxiliary plane uncertainty), for at least
  80% of 40 events per level. That is the largest rotation the two
  uncertainties allow together: a rotation by t moves the normal and the
  slip by angles a, b with sin^2(a/2) + sin^2(b/2) = sin^2(t/2) (2 -
  sin^2 c), c the angle of the rotation axis to the null axis, so t is at
  most about hypot(a, b). And mfrac rises, the share of A falls, with the
  errors.
  """
  runs = [_truth_run(flip, seed) for flip, seed in ((0.0, 10), (0.05, 11),
                                                     (0.1, 12))]
  for run in runs:
    assert run['within'] >= 0.8, runs
  mfrac = [run['mfrac'] for run in runs]
  assert mfrac[0] < mfrac[1] < mfrac[2] < 2 * 0.1, runs
  assert runs[0]['a_share'] > runs[2]['a_share'], runs
