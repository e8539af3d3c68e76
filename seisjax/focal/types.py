"""Observations in, solutions out: the data model of the focal package.

Angle conventions (DESIGN.md: stated wherever a takeoff angle is taken):
  - takeoff angles are degrees from the downward vertical, as in QuakeML and
    TauP (0 = straight down, 90 = horizontal, 180 = straight up). HASH's
    files measure them from the upward vertical (< 90 up-going): readers
    convert with `hash_to_takeoff` on reading;
  - azimuths are degrees clockwise from north, from the source to the
    station;
  - strike, dip and rake are degrees in the convention of Aki & Richards.
"""

import dataclasses

import numpy as np

UP, DOWN = 1, -1  # Polarity codes of `Observations.polarity`.


def hash_to_takeoff(hash_takeoff):
  """HASH's takeoff (from the upward vertical) to ours (from downward)."""
  return 180.0 - np.asarray(hash_takeoff, np.float64)


def takeoff_to_hash(takeoff):
  """Our takeoff (from the downward vertical) to HASH's (from upward)."""
  return 180.0 - np.asarray(takeoff, np.float64)


@dataclasses.dataclass
class Observations:
  """The first motions of one event and the ray angles of each trial.

  Trials (HASH's `nmc`) are alternative ray angles: the stated angles
  perturbed by their uncertainties, or the angles from other source depths
  and velocity models. Row 0 is the best estimate (used for the gaps and
  the station distribution ratio).

  Attributes:
    event_id: the event's id, as the input names it.
    station: (n,) station names (network.station or as the input has them).
    polarity: (n,) int, UP (+1, compression) or DOWN (-1), after any
      polarity reversal of the station has been applied.
    impulsive: (n,) bool; HASH's onset quality 0 (impulsive) is True. The
      misfit among impulsive picks has its own bound.
    takeoff: (n_trials, n) degrees from the downward vertical.
    azimuth: (n_trials, n) degrees from north, source to station.
    sp_ratio: (n,) log10 of the S/P amplitude ratio after station
      corrections, NaN where there is none.
    weight: (n,) weight of each polarity in the misfit: 1 for HASH's
      inputs; SKHASH's consensus polarities p in [-1, 1] carry |p|.
    origin: what the output needs of the event: 'time' (ISO string),
      'latitude', 'longitude', 'depth_km', 'magnitude' where known.
  """
  event_id: str
  station: np.ndarray
  polarity: np.ndarray
  impulsive: np.ndarray
  takeoff: np.ndarray
  azimuth: np.ndarray
  sp_ratio: np.ndarray | None = None
  weight: np.ndarray | None = None
  origin: dict = dataclasses.field(default_factory=dict)

  def __post_init__(self):
    n = len(self.polarity)
    if self.weight is None:
      self.weight = np.ones(n)
    if self.sp_ratio is None:
      self.sp_ratio = np.full(n, np.nan)
    self.takeoff = np.atleast_2d(np.asarray(self.takeoff, np.float64))
    self.azimuth = np.atleast_2d(np.asarray(self.azimuth, np.float64))
    for name in ('station', 'impulsive', 'weight', 'sp_ratio'):
      if len(getattr(self, name)) != n:
        raise ValueError(f'{self.event_id}: {name} has '
                         f'{len(getattr(self, name))} entries, polarity {n}.')
    if self.takeoff.shape != self.azimuth.shape or self.takeoff.shape[1] != n:
      raise ValueError(f'{self.event_id}: takeoff {self.takeoff.shape} and '
                       f'azimuth {self.azimuth.shape} must be (trials, {n}).')
    if not np.all(np.isin(self.polarity, (UP, DOWN))):
      raise ValueError(f'{self.event_id}: polarities must be +1 or -1, got '
                       f'{sorted(set(np.asarray(self.polarity).tolist()))}.')
    bad = ~np.isfinite(self.takeoff) | (self.takeoff < 0) | (
        self.takeoff > 180)
    if bad.any():
      station = self.station[np.flatnonzero(bad.any(axis=0))[0]]
      raise ValueError(f'{self.event_id}: takeoff angle of {station} is NaN '
                       'or outside 0-180 degrees.')
    if not np.all(np.isfinite(self.azimuth)):
      raise ValueError(f'{self.event_id}: an azimuth is NaN.')

  @property
  def n_trials(self) -> int:
    return self.takeoff.shape[0]


@dataclasses.dataclass
class Solution:
  """One focal mechanism of an event; the preferred one comes first.

  Attributes:
    event_id: the event's id.
    strike, dip, rake: degrees (Aki & Richards), of the preferred plane.
    fault_plane_uncertainty, aux_plane_uncertainty: degrees, RMS angle of
      the acceptable fault normals and slips to the average.
    npol: polarities used.
    mfrac: weighted misfit fraction of the polarities (0-1).
    quality: 'A'-'D', or 'E' (gap too large), 'F' (too few polarities).
    prob: share of the acceptable mechanisms within the solution's cluster.
    stdr: station distribution ratio (0-1).
    n_sp, sp_misfit: S/P ratios used and their mean log10 misfit (0 and NaN
      without amplitudes).
    magap, mpgap: largest azimuthal and takeoff-angle gaps, degrees.
    reason: why there is no mechanism (quality E or F), else ''.
  """
  event_id: str
  strike: float = np.nan
  dip: float = np.nan
  rake: float = np.nan
  fault_plane_uncertainty: float = np.nan
  aux_plane_uncertainty: float = np.nan
  npol: int = 0
  mfrac: float = np.nan
  quality: str = 'F'
  prob: float = 0.0
  stdr: float = np.nan
  n_sp: int = 0
  sp_misfit: float = np.nan
  magap: float = np.nan
  mpgap: float = np.nan
  reason: str = ''
