"""Synthetic first motions of known mechanisms, for the focal tests."""

import numpy as np

from seisjax.focal import rating
from seisjax.focal import types
from seisjax.seismo import source


def random_mechanism(rng) -> np.ndarray:
  """(strike, dip, rake), uniform over the double couples' orientations."""
  strike = rng.uniform(0, 360)
  dip = np.degrees(np.arccos(rng.uniform(0, 1)))  # Uniform normals.
  return np.array([strike, dip, rng.uniform(-180, 180)])


def event(rng, sdr, n_stations=40, n_trials=10, flip=0.0, emergent=0.25,
          takeoff_sigma=3.0, azimuth_sigma=2.0, max_agap=90.0,
          max_pgap=60.0, event_id='synthetic'):
  """Observations of a mechanism at random stations, some polarities wrong.

  Takeoff angles are from the DOWNWARD vertical (uniform in cosine over
  +-0.95), azimuths uniform; stations are drawn until the gaps pass HASH's
  limits. Polarities are the signs of the P radiation at the true angles
  (row 0); then exactly round(flip * n) of them are reversed. Trials 1..
  perturb the angles by Gaussian errors, as HASH's perturbed depths and
  velocity models do.

  Returns:
    (observations, flipped (n,) bool).
  """
  while True:
    azimuth = rng.uniform(0, 360, n_stations)
    takeoff = np.degrees(np.arccos(rng.uniform(-0.95, 0.95, n_stations)))
    magap, mpgap = rating.gaps(takeoff, azimuth)
    if magap <= max_agap and mpgap <= max_pgap:
      break
  radiation = source.radiation_p(*sdr, azimuth, takeoff)
  polarity = np.where(radiation > 0, types.UP, types.DOWN)
  flipped = np.zeros(n_stations, bool)
  flipped[rng.choice(n_stations, round(flip * n_stations),
                     replace=False)] = True
  polarity = np.where(flipped, -polarity, polarity)
  noise = np.arange(n_trials)[:, None] > 0  # Row 0 is the best estimate.
  takeoffs = np.clip(takeoff + noise * rng.normal(
      0, takeoff_sigma, (n_trials, n_stations)), 0, 180)
  azimuths = (azimuth + noise * rng.normal(
      0, azimuth_sigma, (n_trials, n_stations))) % 360
  observations = types.Observations(
      event_id=event_id,
      station=np.array([f'XX.S{i:03d}' for i in range(n_stations)]),
      polarity=polarity, impulsive=rng.random(n_stations) >= emergent,
      takeoff=takeoffs, azimuth=azimuths)
  return observations, flipped
