"""Takeoff angles of the first P from 1-D velocity models, and trial angles.

HASH (Hardebeck & Shearer 2002) samples the uncertainty of the ray angles
with trials: the stated angles perturbed by their uncertainties (its
examples 1 and 5), or angles looked up in tables of several 1-D velocity
models for perturbed source depths (examples 2-4). This module builds those
tables and trials for the readers.

Velocity models follow HASH's `vz.*` files (and SKHASH's): a list of
(depth km, vp km/s) points, the velocity linear in depth between two
points, a discontinuity written as two points at one depth, and a
half-space of the last velocity below the last point.

Rays (flat earth, receivers at the model's top, station elevation ignored,
as HASH does) are traced exactly through linear-gradient layers. The first
arrival at each distance is the earliest of
  - the direct ray, leaving the source upwards (solved by bisection on the
    ray parameter, its range growing monotonically with it);
  - rays leaving downwards and turning in a gradient below the source
    (sampled in ray parameter; at each distance the earliest branch);
  - head waves along the top of every velocity jump below the source that
    is faster than everything above it, leaving at the critical angle.
HASH's MK_TABLE traces the same direct and turning rays (velocity
exponential, not linear, between points), but it has no head waves and it
keeps post-critical reflections off a jump as if they had turned. Here
reflections are never first arrivals (the head wave is earlier beyond the
critical distance), so they are dropped. HASH's `vz.*` models have no jumps
(gradients between points 1 km apart), so the two agree there up to the
interpolation between points; in layered models the head wave is the
physics.

Angle conventions (seisjax/focal/types.py): every takeoff angle taken or
returned here is in degrees from the DOWNWARD vertical (0 = down, 90 =
horizontal, 180 = up), azimuths in degrees clockwise from north, source to
station. HASH's tables and arrays measure takeoffs from the upward vertical:
`types.takeoff_to_hash` converts.
"""

import dataclasses
import logging
import pathlib

import numpy as np
from obspy.geodetics import gps2dist_azimuth

log = logging.getLogger(__name__)

# HASH's vel.inc table grid: source depths 0-39 km every 3 km, distances
# 0-200 km every 2 km.
HASH_DEPTHS_KM = np.arange(0.0, 39.0 + 1e-9, 3.0)
HASH_DISTANCES_KM = np.arange(0.0, 200.0 + 1e-9, 2.0)
KM_PER_DEGREE = 111.2  # HASH's flat-earth distance.
_N_RAYS = 3000  # Takeoff angles sampled for the turning rays.
_BISECTIONS = 60


@dataclasses.dataclass(frozen=True)
class VelocityModel:
  """A 1-D P velocity model, HASH's points joined linearly.

  Attributes:
    depth_km: (m,) non-decreasing depths of the points from the surface
      (a repeated depth is a discontinuity).
    vp: (m,) P velocities in km/s at the points.
    name: where it came from (a file name), for messages.
  """
  depth_km: np.ndarray
  vp: np.ndarray
  name: str = ''

  def __post_init__(self):
    depth = np.asarray(self.depth_km, np.float64)
    vp = np.asarray(self.vp, np.float64)
    if depth.ndim != 1 or depth.shape != vp.shape or not depth.size:
      raise ValueError(f'Velocity model {self.name!r}: depths {depth.shape} '
                       f'and velocities {vp.shape} must be equal, non-empty.')
    if np.any(np.diff(depth) < 0) or depth[0] < 0:
      raise ValueError(f'Velocity model {self.name!r}: depths must start at '
                       'or below 0 km and never decrease.')
    if not np.all(np.isfinite(vp) & (vp > 0)):
      raise ValueError(f'Velocity model {self.name!r}: velocities must be '
                       'positive.')
    if depth[0] > 0:  # HASH's models start at 0 km: extend the first.
      depth, vp = np.r_[0.0, depth], np.r_[vp[0], vp]
    object.__setattr__(self, 'depth_km', depth)
    object.__setattr__(self, 'vp', vp)

  def velocity(self, depth_km: float, below: bool = True) -> float:
    """vp at a depth (at a discontinuity: the one below, or above)."""
    z, v = self.depth_km, self.vp
    if depth_km >= z[-1]:
      return float(v[-1]) if below or depth_km > z[-1] else float(
          v[np.flatnonzero(z == z[-1])[0]])
    i = (np.searchsorted(z, depth_km, side='right') - 1 if below else
         max(np.searchsorted(z, depth_km, side='left') - 1, 0))
    if z[i + 1] == z[i]:  # a jump at the surface
      return float(v[i + 1])
    frac = (depth_km - z[i]) / (z[i + 1] - z[i])
    return float(v[i] + frac * (v[i + 1] - v[i]))


def layered_model(tops_km, vp, name: str = '') -> VelocityModel:
  """A model of constant-velocity layers (a jump at each top below 0).

  Args:
    tops_km: (k,) increasing depths of the layer tops, the first 0.
    vp: (k,) velocity of each layer; the last is the half-space.
    name: a label.
  """
  tops = np.asarray(tops_km, np.float64)
  vp = np.asarray(vp, np.float64)
  depth = np.r_[tops[0], np.repeat(tops[1:], 2)]
  return VelocityModel(depth, np.repeat(vp, 2)[:-1], name)


def read_velocity_model(path) -> VelocityModel:
  """Reads a `vz.*` file: depth (km) and vp (km/s) per line.

  Whitespace or commas separate the two numbers; lines starting with '#'
  and blank lines are skipped (the Kumamoto `vz.iasp91` has a header).

  Raises:
    ValueError: naming the file and line of a line that is not two numbers.
  """
  depth, vp = [], []
  with open(path, encoding='latin-1') as f:
    for number, line in enumerate(f, 1):
      text = line.split('#', 1)[0].replace(',', ' ').split()
      if not text:
        continue
      try:
        z, v = (float(x) for x in text[:2])
        if len(text) < 2:
          raise ValueError
      except ValueError:
        raise ValueError(f'{path}:{number}: expected depth and vp, got '
                         f'{line.rstrip()!r}') from None
      depth.append(z)
      vp.append(v)
  return VelocityModel(np.array(depth), np.array(vp), pathlib.Path(path).name)


def _layers(model, source_km):
  """(top, bottom, v_top, v_bottom) above and below the source.

  Layers of zero thickness (discontinuities) are left out; the list below
  ends with the half-space (infinite bottom, constant velocity).
  """
  z, v = model.depth_km, model.vp
  keep = np.diff(z) > 0
  top, bot, vtop, vbot = z[:-1][keep], z[1:][keep], v[:-1][keep], v[1:][keep]
  top, bot = np.r_[top, z[-1]], np.r_[bot, np.inf]
  vtop, vbot = np.r_[vtop, v[-1]], np.r_[vbot, v[-1]]
  v_above = model.velocity(source_km, below=False)
  v_below = model.velocity(source_km, below=True)
  above = top < source_km
  up = (top[above], np.minimum(bot[above], source_km), vtop[above],
        np.where(bot[above] > source_km, v_above, vbot[above]))
  below = bot > source_km
  down = (np.maximum(top[below], source_km), bot[below],
          np.where(top[below] < source_km, v_below, vtop[below]), vbot[below])
  return up, down, v_above, v_below


def _through(p, top, bot, vtop, vbot):
  """Distance and time across whole layers; p (P, 1), layers (L,)."""
  h = bot - top
  eta_t = np.sqrt(np.maximum(1 - (p * vtop)**2, 0.0))
  eta_b = np.sqrt(np.maximum(1 - (p * vbot)**2, 0.0))
  with np.errstate(divide='ignore', invalid='ignore'):
    # (eta_t - eta_b) / (p g) without cancellation; exact for g = 0 too.
    dx = p * (vtop + vbot) * h / (eta_t + eta_b)
    constant = np.abs(vbot - vtop) <= 1e-12 * vtop
    g = np.where(constant, 1.0, (vbot - vtop) / np.where(np.isinf(h), 1, h))
    ratio = (vbot * (1 + eta_t)) / (vtop * (1 + eta_b))
    dt = np.where(constant, h / (vtop * eta_t), np.log(ratio) / g)
  return dx, dt


def _turning(p, top, vtop, vbot, bot):
  """Distance and time down to the turning point inside a gradient layer."""
  g = (vbot - vtop) / (bot - top)
  eta_t = np.sqrt(np.maximum(1 - (p * vtop)**2, 0.0))
  with np.errstate(divide='ignore', invalid='ignore'):
    return eta_t / (p * g), np.log((1 + eta_t) / (p * vtop)) / g


def _direct(up, v_above, distances):
  """Time and takeoff of the up-going ray to each distance (inf: none)."""
  top, bot, vtop, vbot = up
  x = np.asarray(distances, np.float64)
  time = np.full(x.shape, np.inf)
  takeoff = np.full(x.shape, np.nan)
  if not top.size:  # Source at the surface: the grazing ray.
    time, takeoff = x / v_above, np.where(x > 0, 90.0, 180.0)
    return time, takeoff
  p_limit = 1.0 / max(vtop.max(), vbot.max())
  lo, hi = np.zeros(x.shape), np.full(x.shape, p_limit)
  for _ in range(_BISECTIONS):  # X(p) grows with p on this branch.
    mid = 0.5 * (lo + hi)
    reach = _through(mid[:, None], top, bot, vtop, vbot)[0].sum(axis=1)
    lo, hi = np.where(reach < x, mid, lo), np.where(reach < x, hi, mid)
  p = lo
  dx, dt = _through(p[:, None], top, bot, vtop, vbot)
  ok = np.abs(dx.sum(axis=1) - x) <= 1e-6 * np.maximum(x, 1.0)
  time[ok] = dt.sum(axis=1)[ok]
  takeoff[ok] = 180.0 - np.degrees(np.arcsin(np.clip(p[ok] * v_above, 0, 1)))
  return time, takeoff


def _ray_parameters(p_max, v_source, velocities):
  """Ray parameters below p_max: even in takeoff angle, and crowded just
  below each 1/v (rays grazing the top of a layer: in a weak gradient
  their range changes fast)."""
  angles = np.radians(np.linspace(0.0, 90.0, _N_RAYS + 1)[1:-1])
  grazing = 1.0 / np.unique(np.r_[velocities, v_source, 1.0 / p_max])
  near = grazing[:, None] * (1 - np.geomspace(1e-10, 0.05, 40))
  p = np.r_[np.sin(angles) / v_source, near.ravel()]
  return np.unique(p[(p > 0) & (p < p_max)])


def _diving(up, down, v_below, distances):
  """Time and takeoff of the earliest ray turning below the source."""
  x = np.asarray(distances, np.float64)
  vmax_up = max(up[2].max(), up[3].max(), v_below) if up[0].size else v_below
  top, bot, vtop, vbot = down
  p = _ray_parameters(1.0 / vmax_up, v_below, np.r_[vtop, vbot])[:, None]
  through = (p * vtop < 1) & (p * vbot < 1) & np.isfinite(bot)
  passed = np.cumprod(through, axis=1).astype(bool)  # reached below layer
  first = passed.sum(axis=1)  # first layer not passed through
  layer = np.minimum(first, top.size - 1)
  turns = ((first < top.size) & (p[:, 0] * vtop[layer] < 1)
           & (vbot[layer] > vtop[layer]) & np.isfinite(bot[layer]))
  dx, dt = _through(p, top, bot, vtop, vbot)
  dx, dt = np.where(passed, dx, 0).sum(axis=1), np.where(passed, dt, 0).sum(1)
  tx, tt = _turning(p[:, 0], top[layer], vtop[layer], vbot[layer], bot[layer])
  x_ray, t_ray = 2 * (dx + tx), 2 * (dt + tt)
  if up[0].size:
    ux, ut = _through(p, *up)
    x_ray, t_ray = x_ray + ux.sum(axis=1), t_ray + ut.sum(axis=1)
  takeoff = np.degrees(np.arcsin(np.clip(p[:, 0] * v_below, 0, 1)))
  # Join neighbouring rays turning in one layer, or in two layers that meet
  # without a jump in velocity (else rays reflected in between are missing).
  same = layer[1:] == layer[:-1]
  joined = (np.abs(layer[1:] - layer[:-1]) == 1) & np.isclose(
      vbot[np.minimum(layer[1:], layer[:-1])],
      vtop[np.maximum(layer[1:], layer[:-1])])
  seg = np.flatnonzero(turns[1:] & turns[:-1] & (same | joined))
  if not seg.size:
    return np.full(x.shape, np.inf), np.full(x.shape, np.nan)
  x0, x1 = x_ray[seg], x_ray[seg + 1]
  lo, hi = np.minimum(x0, x1), np.maximum(x0, x1)
  inside = (x[:, None] >= lo) & (x[:, None] <= hi)
  with np.errstate(divide='ignore', invalid='ignore'):
    frac = np.where(x1 != x0, (x[:, None] - x0) / (x1 - x0), 0.0)
  t = np.where(inside, t_ray[seg] + frac * (t_ray[seg + 1] - t_ray[seg]),
               np.inf)
  a = takeoff[seg] + frac * (takeoff[seg + 1] - takeoff[seg])
  best = np.argmin(t, axis=1)
  pick = np.arange(x.size)
  return t[pick, best], a[pick, best]


def _head_waves(up, down, v_below, distances):
  """Time and takeoff of the earliest head wave below the source."""
  x = np.asarray(distances, np.float64)
  time, takeoff = np.full(x.shape, np.inf), np.full(x.shape, np.nan)
  top, bot, vtop, vbot = down
  vmax = max(up[2].max(), up[3].max(), v_below) if up[0].size else v_below
  for j in range(1, top.size):
    vmax = max(vmax, vtop[j - 1], vbot[j - 1])
    if vtop[j] <= vmax:  # No jump to a velocity above all those above.
      continue
    p = 1.0 / vtop[j]
    legs = [(2.0, (top[:j], bot[:j], vtop[:j], vbot[:j]))]
    if up[0].size:
      legs.append((1.0, up))
    x_min = t_min = 0.0
    for factor, layers in legs:
      dx, dt = _through(np.array([[p]]), *layers)
      x_min += factor * dx.sum()
      t_min += factor * dt.sum()
    t = np.where(x >= x_min, t_min + p * (x - x_min), np.inf)
    better = t < time
    time[better] = t[better]
    takeoff[better] = np.degrees(np.arcsin(min(p * v_below, 1.0)))
  return time, takeoff


def first_arrival(model: VelocityModel, distance_km, depth_km: float):
  """Travel time and takeoff angle of the first P (see the module docstring).

  Args:
    model: the velocity model.
    distance_km: (n,) epicentral distances, flat earth.
    depth_km: source depth below the model's top (negative: clipped to 0).

  Returns:
    (time_s, takeoff) arrays of shape (n,); takeoff in degrees from the
    DOWNWARD vertical (180 = straight up at zero distance). NaN takeoff and
    infinite time where no ray arrives.
  """
  distances = np.atleast_1d(np.asarray(distance_km, np.float64))
  depth = max(float(depth_km), 0.0)
  up, down, v_above, v_below = _layers(model, depth)
  candidates = [_direct(up, v_above, distances),
                _diving(up, down, v_below, distances),
                _head_waves(up, down, v_below, distances)]
  times = np.stack([c[0] for c in candidates])
  angles = np.stack([c[1] for c in candidates])
  best = np.argmin(times, axis=0)
  pick = np.arange(distances.size)
  return times[best, pick], angles[best, pick]


@dataclasses.dataclass(frozen=True)
class TakeoffTable:
  """First-P takeoff angles on a grid of distances and source depths.

  Attributes:
    model: name of the velocity model.
    distance_km: (nx,) increasing distances.
    depth_km: (nd,) increasing source depths.
    takeoff: (nd, nx) degrees from the DOWNWARD vertical.
  """
  model: str
  distance_km: np.ndarray
  depth_km: np.ndarray
  takeoff: np.ndarray
  # The farthest distance extrapolated to so far: each table logs a
  # distance beyond its range once, and again only for a farther one.
  _logged: list = dataclasses.field(default_factory=lambda: [-np.inf],
                                    compare=False, repr=False)

  def __call__(self, distance_km, depth_km) -> np.ndarray:
    """Bilinear interpolation, as HASH's GET_TTS (distance, then depth).

    Args:
      distance_km: distances, broadcast with depth_km; beyond the table
        the last interval is extrapolated, as GET_TTS does (logged once
        per table and farthest distance).
      depth_km: source depths, clipped to the table's range (HASH flags
        them and returns 999; a perturbed depth above the surface is 0 km).

    Returns:
      Takeoff angles in degrees from the DOWNWARD vertical, in [0, 180].

    Raises:
      ValueError: for a negative or NaN distance.
    """
    x, z = np.broadcast_arrays(np.asarray(distance_km, np.float64),
                               np.asarray(depth_km, np.float64))
    xs, zs = self.distance_km, self.depth_km
    if np.any((x < xs[0]) | ~np.isfinite(x)):
      raise ValueError(f'Table of {self.model}: a distance is NaN or below '
                       f'{xs[0]:g} km.')
    if np.any(x > xs[-1]) and x.max() > self._logged[0]:
      self._logged[0] = float(x.max())
      log.warning('Table of %s: extrapolating to %.1f km beyond its %g km.',
                  self.model, x.max(), xs[-1])
    z = np.clip(z, zs[0], zs[-1])
    ix = np.clip(np.searchsorted(xs, x, side='right') - 1, 0, xs.size - 2)
    iz = np.clip(np.searchsorted(zs, z, side='right') - 1, 0, zs.size - 2)
    fx = (x - xs[ix]) / (xs[ix + 1] - xs[ix])
    fz = (z - zs[iz]) / (zs[iz + 1] - zs[iz])
    t = self.takeoff
    near = t[iz, ix] + fx * (t[iz, ix + 1] - t[iz, ix])
    far = t[iz + 1, ix] + fx * (t[iz + 1, ix + 1] - t[iz + 1, ix])
    return np.clip(near + fz * (far - near), 0.0, 180.0)


def build_table(model: VelocityModel, distance_km=HASH_DISTANCES_KM,
                depth_km=HASH_DEPTHS_KM) -> TakeoffTable:
  """The takeoff table of a model (HASH's MK_TABLE; default its grid).

  Returns:
    A TakeoffTable, angles from the DOWNWARD vertical; where no ray arrives
    (never in models whose velocity increases with depth) the nearest
    distance's angle.
  """
  xs = np.asarray(distance_km, np.float64)
  zs = np.asarray(depth_km, np.float64)
  rows = []
  for depth in zs:
    angles = first_arrival(model, xs, depth)[1]
    good = np.isfinite(angles)
    if not good.any():
      raise ValueError(f'{model.name}: no ray from {depth} km reaches the '
                       'surface.')
    rows.append(np.interp(xs, xs[good], angles[good]))
  return TakeoffTable(model.name, xs, zs, np.array(rows))


def distance_azimuth(latitude: float, longitude: float, station_latitude,
                     station_longitude, method: str = 'geodetic'):
  """Epicentral distances (km) and azimuths (degrees), source to station.

  Args:
    latitude, longitude: the epicentre, degrees.
    station_latitude, station_longitude: (n,) station coordinates.
    method: 'geodetic' (WGS84, obspy.geodetics.gps2dist_azimuth) or 'hash'
      (HASH's drivers: flat earth, 111.2 km per degree, longitude degrees
      shortened by the cosine of the source latitude).

  Returns:
    (distance_km, azimuth) arrays of shape (n,), azimuths in [0, 360).
  """
  lat = np.atleast_1d(np.asarray(station_latitude, np.float64))
  lon = np.atleast_1d(np.asarray(station_longitude, np.float64))
  if method == 'hash':
    dx = (lon - longitude) * KM_PER_DEGREE * np.cos(np.radians(latitude))
    dy = (lat - latitude) * KM_PER_DEGREE
    return np.hypot(dx, dy), np.mod(90.0 - np.degrees(np.arctan2(dy, dx)),
                                    360.0)
  if method != 'geodetic':
    raise ValueError(f'Unknown distance method {method!r}.')
  out = np.array([gps2dist_azimuth(latitude, longitude, a, b)[:2]
                  for a, b in zip(lat, lon)]).reshape(-1, 2)
  return out[:, 0] / 1000.0, np.mod(out[:, 1], 360.0)


def fold(takeoff, azimuth):
  """The same rays with takeoffs in [0, 180] and azimuths in [0, 360).

  A perturbed takeoff past 180 (or below 0) is the ray at 360 - takeoff
  (or -takeoff) on the opposite azimuth: the same direction.
  """
  takeoff = np.mod(np.asarray(takeoff, np.float64), 360.0)
  azimuth = np.asarray(azimuth, np.float64)
  over = takeoff > 180.0
  return (np.where(over, 360.0 - takeoff, takeoff),
          np.mod(azimuth + np.where(over, 180.0, 0.0), 360.0))


def perturbed_trials(takeoff, azimuth, takeoff_sigma, azimuth_sigma,
                     n_trials: int, rng):
  """HASH example 1/5 trials: the stated angles plus normal errors.

  Args:
    takeoff: (n,) stated takeoffs, degrees from the DOWNWARD vertical.
    azimuth: (n,) stated azimuths.
    takeoff_sigma, azimuth_sigma: (n,) or scalar standard deviations.
    n_trials: rows to return; row 0 is the stated angles.
    rng: a numpy Generator or a seed.

  Returns:
    (takeoff, azimuth) of shape (n_trials, n); takeoffs from the DOWNWARD
    vertical. Rows 1.. are folded into [0, 180] and [0, 360) (`fold`);
    row 0 keeps the stated takeoffs, so that a NaN or out-of-range one
    reaches `types.Observations`, which refuses it, rather than being
    folded into another ray.
  """
  rng = np.random.default_rng(rng)
  takeoff = np.asarray(takeoff, np.float64)
  azimuth = np.asarray(azimuth, np.float64)
  noise = rng.standard_normal((max(n_trials - 1, 0), 2, takeoff.size))
  t, a = fold(takeoff + np.asarray(takeoff_sigma) * noise[:, 1],
              azimuth + np.asarray(azimuth_sigma) * noise[:, 0])
  return np.vstack([takeoff, t]), np.vstack([np.mod(azimuth, 360.0), a])


def depth_model_trials(depth_km: float, depth_sigma_km: float,
                       n_trials: int, n_models: int, rng):
  """HASH example 2-4 trials: source depths and velocity models.

  As HASH's drivers: trial 0 is the catalogue depth with the first model;
  trial i >= 1 (trial i + 1 counting from 1, as HASH does) has the depth
  plus `depth_sigma_km` times a normal draw and model (i + 1) mod n_models,
  so with 5 models trials 1, 2, ... use models 2, 3, 4, 0, 1, 2, ...

  Returns:
    (depths (n_trials,), model indices (n_trials,)).
  """
  rng = np.random.default_rng(rng)
  depths = np.full(n_trials, float(depth_km))
  depths[1:] += depth_sigma_km * rng.standard_normal(n_trials - 1)
  models = (np.arange(n_trials) + 1) % n_models
  models[0] = 0
  return depths, models


def table_trials(tables, distance_km, depths_km, models) -> np.ndarray:
  """Takeoffs (n_trials, n) of each trial's depth and model's table.

  Args:
    tables: TakeoffTables, indexed by `models`.
    distance_km: (n,) station distances.
    depths_km, models: (n_trials,) from `depth_model_trials`.

  Returns:
    Degrees from the DOWNWARD vertical.
  """
  distance = np.asarray(distance_km, np.float64)
  return np.stack([tables[m](distance, d) for d, m in zip(depths_km, models)]
                  ).reshape(len(models), distance.size)
