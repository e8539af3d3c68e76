"""HASH's grid search as array code: all trial mechanisms, all trials, batched.

For each event and each trial of its ray angles (HASH's FOCALMC and
FOCALAMP_MC), every mechanism of the grid is scored against the
polarities: a polarity misfits where the predicted first motion, up where
(slip . x)(normal . x) > 0, differs from the observed one. The
mechanisms whose misfit is within HASH's bounds of the trial's best are
acceptable; the union over trials is the acceptable set, which
solutions.py reduces to the preferred mechanism and its uncertainty, and
rating.py rates.

Bounds (FOCALMC; weights w, 1 for HASH's picks, the sum of them W):
  ntotal = max(nint(W badfrac), 2), nextra = max(nint(W badfrac / 2), 2);
  per trial, with m0 the least misfit among impulsive picks and m01 the
  least total misfit of the mechanisms that reach m0:
    impulsive misfit <= max(ntotal, m0 + nextra) and
    total misfit <= max(ntotal if m0 = 0 else W, m01 + nextra).
With S/P ratios (FOCALAMP_MC; n of them): the summed |log10 observed -
log10 predicted| must also be <= max(qtotal, q0 + qextra), qtotal =
max(n qbadfac, 2), qextra = max(n qbadfac / 2, 2), q0 its least value; if
no mechanism passes both, q0 becomes the least value among those that
pass the polarities. With all picks impulsive the polarity bound reduces
to FOCALAMP_MC's. Weights are SKHASH's (its bounds are the same sums of
weights), rounded as HASH rounds, not as Python does.

A row of `Observations` with weight 0 is no polarity (SKHASH's consensus
polarity 0); a row with an S/P ratio counts for the ratios whatever its
weight, so a reader may give an amplitude-only station weight 0.

How it runs: events are sorted by size and scored in groups of
`Options.batch` (one jitted call, `lax.map` over the events), padded to a
power of two of picks and trials. For each `Options.chunk` trials of an
event, loops over its own picks add each pick's misfit to all
mechanisms x those trials at once: impulsive picks into one sum, emergent
ones into another (the total is the two together), S/P ratios into a
third. Padding costs no work, memory stays at about chunk x mechanisms x
12 bytes per event, and the results do not depend on the batch or the
chunk. Rays and misfits are float32, as in HASH; a ray on a nodal plane
(product exactly 0) is predicted down, as in FOCALMC.

Every acceptable mechanism is kept (HASH subsamples them to `maxout` at
random before averaging); `maxout` only bounds how many `invert_events`
returns for output, taken evenly over the set in grid order.
"""

from collections.abc import Sequence
import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np

from seisjax.focal import grid as grid_lib
from seisjax.focal import mechanism
from seisjax.focal import rating
from seisjax.focal import solutions
from seisjax.focal import types

_EPS = 1e-3  # Tolerance of misfit comparisons (sums of float32 weights).


@dataclasses.dataclass(frozen=True)
class Options:
  """HASH's control parameters (its examples' values) and how to run.

  Attributes:
    dang: grid spacing, degrees.
    maxout: most acceptable mechanisms returned for output per event.
    badfrac: assumed fraction of wrong polarities.
    qbadfac: assumed noise in log10 S/P ratios.
    cangle: angle defining "close" to the average, degrees.
    prob_max: least probability of a further solution.
    npolmin: fewer polarities than this: quality F.
    max_agap, max_pgap: larger azimuthal / takeoff gaps: quality E.
    chunk: trials scored at once per event (memory: about chunk x
      mechanisms x 12 bytes, 3 MB at dang 5 for 8).
    batch: events per jitted call.
    hash_compat: take the misfit weights as HASH v1.2 does (see
      `rating.misfit`), to reproduce its mfrac, stdr and letters.
    rate_misfit: grade by mfrac and stdr too (False: HASH's driver 3).
    trim: how the average is trimmed to within `cangle`: 'hash' (drop the
      farthest one at a time, MECH_PROB) or 'skhash' (SKHASH's default
      two threshold passes); `solutions.mech_prob`.
  """
  dang: float = 5.0
  maxout: int = 500
  badfrac: float = 0.1
  qbadfac: float = 0.3
  cangle: float = 45.0
  prob_max: float = 0.1
  npolmin: int = 8
  max_agap: float = 90.0
  max_pgap: float = 60.0
  chunk: int = 8
  batch: int = 8
  hash_compat: bool = False
  rate_misfit: bool = True
  trim: str = 'hash'


@dataclasses.dataclass
class EventResult:
  """What the inversion found for one event.

  Attributes:
    solutions: preferred solution first (one E or F solution if none).
    acceptable: (k, 3) strike, dip, rake of up to `maxout` acceptable
      mechanisms, evenly spaced over the set in grid order.
    n_acceptable: size of the whole acceptable set (0 for E and F).
  """
  solutions: list[types.Solution]
  acceptable: np.ndarray
  n_acceptable: int


def _nint(x) -> int:
  """Fortran's NINT of a non-negative float32 product."""
  return int(np.floor(np.float32(x) + np.float32(0.5)))


def _bounds(event: types.Observations, options: Options) -> np.ndarray:
  """(ntotal, nextra, W, qtotal, qextra) of an event, float32."""
  is_pol = event.weight > 0
  total = np.float32(np.sum(event.weight[is_pol], dtype=np.float32))
  n_sp = np.float32(np.sum(np.isfinite(event.sp_ratio)))
  badfrac, qbadfac = np.float32(options.badfrac), np.float32(options.qbadfac)
  return np.array([max(_nint(total * badfrac), 2),
                   max(_nint(total * badfrac * np.float32(0.5)), 2),
                   total, max(n_sp * qbadfac, 2.0),
                   max(n_sp * qbadfac * np.float32(0.5), 2.0)], np.float32)


def _used(event: types.Observations) -> np.ndarray:
  """Rows that count: polarities (weight > 0) and S/P ratios."""
  return (event.weight > 0) | np.isfinite(event.sp_ratio)


def _sp_log_ratio(nx, sx, bx):
  """log10(4.9 S / P) from the ray's projections on normal, slip, null.

  `mechanism.sp_log_ratio` in float32 JAX, clipped to HASH's [-2, 4].
  """
  sin2 = sx * sx + bx * bx
  s_amp = jnp.sqrt(((2 * nx * nx - 1)**2 * sx * sx + nx * nx * bx * bx)
                   / jnp.maximum(sin2, 1e-30))
  ratio = jnp.log10(4.9 * s_amp) - jnp.log10(2.0 * jnp.abs(nx * sx))
  return jnp.clip(jnp.nan_to_num(ratio, nan=4.0), -2.0, 4.0)


def _accept(total, impulsive, sp_misfit, bounds):
  """HASH's acceptance per trial: (c, mechanisms) misfits -> bool mask."""
  ntotal, nextra, weight, qtotal, qextra = (bounds[i] for i in range(5))
  axes = tuple(range(1, total.ndim))
  least = lambda a: jnp.min(a, axis=axes, keepdims=True)
  min0 = least(impulsive)  # HASH's nmiss0min.
  min01 = least(jnp.where(impulsive <= min0 + _EPS, total, jnp.inf))
  max0 = jnp.maximum(ntotal, min0 + nextra)
  max_total = jnp.maximum(jnp.where(min0 <= _EPS, ntotal, weight),
                          min01 + nextra)
  ok = (impulsive <= max0 + _EPS) & (total <= max_total + _EPS)
  if sp_misfit is None:
    return ok
  strict = ok & (sp_misfit <= jnp.maximum(qtotal, least(sp_misfit) + qextra)
                 + _EPS)
  loose_min = least(jnp.where(ok, sp_misfit, jnp.inf))
  loose = ok & (sp_misfit <= jnp.maximum(qtotal, loose_min + qextra) + _EPS)
  none = ~jnp.any(strict, axis=axes, keepdims=True)
  return jnp.where(none, loose, strict)


def _project(x, vectors):
  """(c, 3) rays . (n, 3) vectors -> (c, n), in a fixed order of terms."""
  return (x[:, 0, None] * vectors[:, 0] + x[:, 1, None] * vectors[:, 1]
          + x[:, 2, None] * vectors[:, 2])


def _score_event(event, axes, chunk: int, amplitudes: bool):
  """The acceptable set of one padded event.

  Args:
    event: a tuple of
      pol_rays: (t, p, 3) rays of the polarities, impulsive ones first;
      polarity, threshold, weight: (p,); a polarity misfits where
        (slip . x)(polarity normal . x) <= threshold (0 for up, minus the
        least normal float32 for down: HASH's "up where the product is
        positive", with the polarity folded in);
      sp_rays: (t, r, 3) rays of the S/P ratios, sp_ratio (r,);
      counts: (impulsive, polarities, S/P ratios, trial chunks) int32;
      bounds: (5,) of `_bounds`.
      Rows and trials beyond the counts are never read.
    axes: (normals, dip_axes, null_axes) (n, 3) and (cos, sin) (k,) of zeta.
    chunk, amplitudes: static; amplitudes scores the S/P ratios.

  Returns:
    (n * k,) bool, acceptable in any trial.
  """
  (pol_rays, polarity, threshold, weight, sp_rays, sp_ratio, counts,
   bounds) = event
  normals, dip_axes, null_axes, cos_zeta, sin_zeta = axes
  shape = (chunk, len(normals), len(cos_zeta))  # (trials, normals, slips)

  def trial_chunk(c, accepted):
    rays = jax.lax.dynamic_slice_in_dim(pol_rays, c * chunk, chunk)

    # Each pick adds to one sum only: misfits of impulsive picks, then of
    # emergent ones; the total is their sum.
    def add_polarity(j, misfit):
      x = rays[:, j]  # (c, 3)
      nx = (_project(x, normals) * polarity[j])[..., None]  # (c, n, 1)
      sx = (cos_zeta * _project(x, dip_axes)[..., None]
            + sin_zeta * _project(x, null_axes)[..., None])  # (c, n, k)
      return misfit + jnp.where(sx * nx <= threshold[j], weight[j], 0.0)

    zeros = jnp.zeros(shape, jnp.float32)
    impulsive = jax.lax.fori_loop(0, counts[0], add_polarity, zeros)
    emergent = jax.lax.fori_loop(counts[0], counts[1], add_polarity, zeros)
    sp_misfit = None
    if amplitudes:
      sp_chunk = jax.lax.dynamic_slice_in_dim(sp_rays, c * chunk, chunk)

      def add_ratio(j, misfit):
        x = sp_chunk[:, j]
        nx = _project(x, normals)[..., None]
        c1 = _project(x, dip_axes)[..., None]
        c2 = _project(x, null_axes)[..., None]
        sx = cos_zeta * c1 + sin_zeta * c2
        bx = cos_zeta * c2 - sin_zeta * c1  # null axis . x
        return misfit + jnp.abs(sp_ratio[j] - _sp_log_ratio(nx, sx, bx))

      sp_misfit = jax.lax.fori_loop(0, counts[2], add_ratio, zeros)
    ok = _accept(impulsive + emergent, impulsive, sp_misfit, bounds)
    return accepted | jnp.any(ok, axis=0)

  accepted = jax.lax.fori_loop(0, counts[3], trial_chunk,
                               jnp.zeros(shape[1:], bool))
  return accepted.reshape(-1)


@functools.partial(jax.jit, static_argnames=('chunk', 'amplitudes'))
def _score_group(events, axes, chunk: int, amplitudes: bool):
  """`_score_event` over a group of events (leading axis), one at a time."""
  return jax.lax.map(
      lambda event: _score_event(event, axes, chunk, amplitudes), events)


def _power_of_two(n: int, least: int) -> int:
  return max(least, 1 << int(np.ceil(np.log2(max(n, 1)))))


def _rows(event: types.Observations):
  """Polarity rows (impulsive first, in order) and S/P rows of an event."""
  is_pol = event.weight > 0
  impulsive = np.asarray(event.impulsive, bool)
  pol_rows = np.concatenate([np.flatnonzero(is_pol & impulsive),
                             np.flatnonzero(is_pol & ~impulsive)])
  return pol_rows, np.flatnonzero(np.isfinite(event.sp_ratio))


def _pack(group: Sequence[types.Observations], options: Options):
  """Padded arrays of a group of events for `_score_group`."""
  chunk = options.chunk
  rows = [_rows(e) for e in group]
  n_trials = np.array([e.n_trials for e in group])
  p_pad = _power_of_two(max(len(p) for p, _ in rows), 32)
  r_pad = _power_of_two(max(len(r) for _, r in rows), 1)
  t_pad = chunk * _power_of_two(-(-n_trials.max() // chunk), 1)
  e = len(group)
  pol_rays = np.zeros((e, t_pad, p_pad, 3), np.float32)
  sp_rays = np.zeros((e, t_pad, r_pad, 3), np.float32)
  polarity, threshold, weight = (np.zeros((e, p_pad), np.float32)
                                 for _ in range(3))
  sp_ratio = np.zeros((e, r_pad), np.float32)
  counts = np.zeros((e, 4), np.int32)
  down = -np.finfo(np.float32).tiny
  for i, (event, (pol_rows, sp_rows)) in enumerate(zip(group, rows)):
    t, p, r = event.n_trials, len(pol_rows), len(sp_rows)
    for out, index in ((pol_rays, pol_rows), (sp_rays, sp_rows)):
      x = mechanism.ray_vectors(event.takeoff[:, index],
                                event.azimuth[:, index])
      out[i, :t, :len(index)] = x
      out[i, t:, :len(index)] = x[:1]  # Spare trials repeat the best.
    polarity[i, :p] = event.polarity[pol_rows]
    threshold[i, :p] = np.where(event.polarity[pol_rows] > 0, 0.0, down)
    weight[i, :p] = event.weight[pol_rows]
    sp_ratio[i, :r] = event.sp_ratio[sp_rows]
    counts[i] = (np.sum(np.asarray(event.impulsive, bool)[pol_rows]), p, r,
                 -(-t // chunk))
  bounds = np.stack([_bounds(event, options) for event in group])
  return (pol_rays, polarity, threshold, weight, sp_rays, sp_ratio, counts,
          bounds)


@functools.lru_cache(maxsize=4)
def _grid_axes(dang: float):
  grid = grid_lib.mechanism_grid(dang)
  return tuple(jnp.asarray(a, jnp.float32) for a in (
      grid.normals, grid.dip_axes, grid.null_axes, np.cos(grid.zeta),
      np.sin(grid.zeta)))


def _check(event: types.Observations) -> None:
  """Refuses angles changed to NaN or out of range after construction."""
  takeoff, azimuth = event.takeoff, event.azimuth
  if not (np.all(np.isfinite(takeoff)) and np.all(np.isfinite(azimuth))
          and np.all((takeoff >= 0) & (takeoff <= 180))):
    raise ValueError(f'{event.event_id}: takeoff angles must be finite and '
                     'within 0-180 degrees, azimuths finite.')


def acceptable_sets(events: Sequence[types.Observations],
                    options: Options = Options()) -> list[np.ndarray]:
  """Grid indices of every event's acceptable mechanisms (union of trials).

  No checks of polarity counts or gaps: every event is scored (one without
  polarities or ratios finds every mechanism acceptable).

  Args:
    events: the observations.
    options: bounds, grid spacing and how to batch.

  Returns:
    One sorted int array of indices into `grid.mechanism_grid(dang)` per
    event.
  """
  for event in events:
    _check(event)
  axes = _grid_axes(float(options.dang))
  order = sorted(range(len(events)),
                 key=lambda i: (_used(events[i]).sum(), events[i].n_trials))
  batch = max(1, min(options.batch, len(order)))
  found = [None] * len(events)
  for begin in range(0, len(order), batch):
    index = order[begin:begin + batch]
    index += [index[-1]] * (batch - len(index))  # One shape per batch.
    packed = _pack([events[i] for i in index], options)
    amplitudes = bool(packed[6][:, 2].any())
    accepted = np.asarray(_score_group(packed, axes, options.chunk,
                                       amplitudes))
    for i, mask in zip(index, accepted):
      found[i] = np.flatnonzero(mask)
  return found


def _without_mechanism(event, npol, reason, quality, gap=(np.nan, np.nan)):
  return types.Solution(event_id=event.event_id, npol=npol, quality=quality,
                        n_sp=int(np.isfinite(event.sp_ratio).sum()),
                        magap=gap[0], mpgap=gap[1], reason=reason)


def _screen(event: types.Observations, options: Options):
  """The E or F solution of an event that gets no mechanism, else None."""
  npol = int(np.sum(event.weight > 0))
  used = _used(event)
  if npol < options.npolmin or not used.any():
    return _without_mechanism(
        event, npol, f'{npol} polarities, fewer than npolmin = '
        f'{options.npolmin}', 'F')
  gap = rating.gaps(event.takeoff[0, used], event.azimuth[0, used])
  too_wide = []
  if gap[0] > options.max_agap:
    too_wide.append(f'azimuthal gap {gap[0]:.1f} > max_agap = '
                    f'{options.max_agap:g}')
  if gap[1] > options.max_pgap:
    too_wide.append(f'takeoff angle gap {gap[1]:.1f} > max_pgap = '
                    f'{options.max_pgap:g}')
  if too_wide:
    return _without_mechanism(event, npol, '; '.join(too_wide) + ' degrees',
                              'E', gap)
  return None


def _solutions(event, indices, options) -> list[types.Solution]:
  """Clusters of an acceptable set, rated (MECH_PROB, GET_MISF, quality)."""
  grid = grid_lib.mechanism_grid(float(options.dang))
  normals, slips = grid.vectors
  clusters = solutions.mech_prob(normals[indices], slips[indices],
                                 options.cangle, options.prob_max,
                                 options.trim)
  used = _used(event)
  takeoff, azimuth = event.takeoff[0, used], event.azimuth[0, used]
  magap, mpgap = rating.gaps(takeoff, azimuth)
  sp_ratio = event.sp_ratio[used]
  out = []
  for cluster in clusters:
    sdr = cluster.sdr
    mfrac, stdr, sp_misfit = rating.misfit(
        sdr, takeoff, azimuth, event.polarity[used], event.weight[used],
        event.impulsive[used], sp_ratio, options.hash_compat)
    uncertainty = (cluster.rms_fault + cluster.rms_aux) / 2
    out.append(types.Solution(
        event_id=event.event_id, strike=sdr[0], dip=sdr[1], rake=sdr[2],
        fault_plane_uncertainty=cluster.rms_fault,
        aux_plane_uncertainty=cluster.rms_aux,
        npol=int(np.sum(event.weight > 0)), mfrac=mfrac,
        quality=rating.quality(cluster.prob, uncertainty, mfrac, stdr,
                                  options.rate_misfit),
        prob=cluster.prob, stdr=stdr, n_sp=int(np.isfinite(sp_ratio).sum()),
        sp_misfit=sp_misfit, magap=magap, mpgap=mpgap))
  return out


def invert_events(events: Sequence[types.Observations],
                  options: Options = Options()) -> list[EventResult]:
  """Focal mechanisms of a batch of events, with their acceptable sets.

  Args:
    events: observations; takeoff angles from the DOWNWARD vertical.
    options: HASH's parameters and the batching.

  Returns:
    One `EventResult` per event, in order.
  """
  for event in events:
    _check(event)
  screened = [_screen(event, options) for event in events]
  scored = [i for i, s in enumerate(screened) if s is None]
  sets = acceptable_sets([events[i] for i in scored], options)
  sdr = grid_lib.mechanism_grid(float(options.dang)).sdr
  results = [EventResult([s], np.zeros((0, 3)), 0) if s is not None
             else None for s in screened]
  for i, indices in zip(scored, sets):
    shown = indices[np.unique(np.linspace(
        0, len(indices) - 1, min(options.maxout, len(indices))).round()
                              .astype(int))]
    results[i] = EventResult(_solutions(events[i], indices, options),
                             sdr[shown], len(indices))
  return results


def invert(events: Sequence[types.Observations],
           options: Options = Options()) -> list[list[types.Solution]]:
  """Focal mechanisms of a batch of events, HASH's way.

  Args:
    events: observations; takeoff angles from the DOWNWARD vertical
      (0 = down), azimuths from north.
    options: HASH's parameters and the batching.

  Returns:
    One list per event, preferred solution first; an event with too few
    polarities (F) or too large a gap (E) gets one solution of that
    quality, without a mechanism, saying why in `reason`.
  """
  return [result.solutions for result in invert_events(events, options)]
