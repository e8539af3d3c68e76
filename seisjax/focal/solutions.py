"""From the set of acceptable mechanisms to average solutions.

HASH (Hardebeck & Shearer 2002) reduces the acceptable mechanisms of an
event to a preferred mechanism and its uncertainty, and to any further
solutions (MECH_PROB, MECH_AVG and MECH_ROT of uncert_subs.f); `rating.py`
then rates them. This module does the same, with these choices:

  - The averaging runs on the whole acceptable set; HASH first draws up to
    `maxout` (500) of them at random. Same input, same output.
  - The rotation between two mechanisms is the exact angle of the rotation
    between their (normal, slip, null) frames, minimised over the four
    forms of a double couple (the Kagan angle); HASH's MECH_ROT reaches the
    same angle through difference vectors, with a rounding of its own.
  - HASH matches every mechanism to the first of the set before summing
    (MECH_AVG); here the first average does that too, and later ones match
    to the average of the last full pass over the set (see `_trim`), so
    that an outlier that happens to come first does not decide how the
    others are paired.
  - The two mean vectors are made orthogonal in one exact step, sharing
    the correction in the ratio of the planes' RMS scatter (as chords,
    which the running sums give; HASH takes angles and iterates to within
    0.01 degrees).

SKHASH (Skoumal et al. 2024) trims by default in two threshold passes
instead (`_threshold_trim`, `mech_prob(rule='skhash')`); on a broad
acceptable set the two rules keep different parts of it, and SKHASH's
outputs are reproduced only with its own.

The trimming (drop the mechanism farthest from the average, average again,
until all lie within `cangle`) runs in one jitted while loop per solution,
over the acceptable set padded to a power of two (at least 256) so that
few shapes are compiled. A poorly constrained event can have 10,000
acceptable mechanisms and drop thousands: running sums and a window of
candidates certified by the triangle inequality (`_trim`) make a drop cost
a few microseconds rather than a pass over the set, and give the same
farthest mechanism as the pass would.
"""

import dataclasses
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from seisjax.focal import mechanism

MAX_SOLUTIONS = 5  # HASH reports at most five (str_avg(5)).
_MIN_PAD = 256


@dataclasses.dataclass(frozen=True)
class Cluster:
  """One average mechanism of the acceptable set (HASH's MECH_PROB).

  Attributes:
    normal, slip: (3,) unit vectors of the average (x north, y east, z down).
    prob: share of the acceptable mechanisms within the cluster.
    rms_fault, rms_aux: degrees, RMS angle of the normals (slips) of all the
      acceptable mechanisms to the average's, each matched to it first.
  """
  normal: np.ndarray
  slip: np.ndarray
  prob: float
  rms_fault: float
  rms_aux: float

  @property
  def sdr(self) -> tuple[float, float, float]:
    return tuple(float(a) for a in mechanism.vectors_to_sdr(self.normal,
                                                            self.slip))


# The loops below hold vectors as (3, p) arrays, components first, so that
# every operation runs along the long axis.


def _dot(a, b):
  """Row-wise dot products of (3, ...) arrays (broadcast)."""
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _unit(v):
  return v / jnp.sqrt(_dot(v, v))


def _cross(a, b):
  return jnp.stack([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                    a[0] * b[1] - a[1] * b[0]])


def _match(normals, slips, nulls, ref_n, ref_s):
  """Each mechanism in the form closest to a reference frame.

  Args:
    normals, slips, nulls: (3, p) mechanisms and their null axes n x s.
    ref_n, ref_s: (3,) the reference normal and slip.

  Returns:
    (trace, normal, slip): (p,) largest trace of ref^T M g over the four
    forms g (rotation angle acos((trace - 1) / 2)) and the (3, p) vectors
    of that form.
  """
  ref_b = _unit(_cross(ref_n, ref_s))[:, None]
  ref_n, ref_s = ref_n[:, None], ref_s[:, None]
  same = _dot(normals, ref_n) + _dot(slips, ref_s)
  swap = _dot(slips, ref_n) + _dot(normals, ref_s)
  d_bb = _dot(nulls, ref_b)
  t_same, t_swap = jnp.abs(same) + d_bb, jnp.abs(swap) - d_bb
  use_same = t_same >= t_swap  # Ties keep the form given, as MECH_ROT.
  sign = jnp.where(jnp.where(use_same, same, swap) < 0, -1.0, 1.0)
  normal = sign * jnp.where(use_same, normals, slips)
  slip = sign * jnp.where(use_same, slips, normals)
  return jnp.maximum(t_same, t_swap), normal, slip


# arccos(x) = sqrt(1 - x) * polynomial(x) on [0, 1], error below 2e-8 rad
# (Abramowitz & Stegun 4.4.46): XLA's arccos on CPU is several times
# slower, and the loops below take two per mechanism and iteration.
_ACOS = (-0.0012624911, 0.0066700901, -0.0170881256, 0.0308918810,
         -0.0501743046, 0.0889789874, -0.2145988016, 1.5707963050)


def _arccos(x):
  a = jnp.abs(x)
  poly = functools.reduce(lambda acc, c: acc * a + c, _ACOS[1:],
                          jnp.full_like(a, _ACOS[0]))
  angle = jnp.sqrt(jnp.maximum(1.0 - a, 0.0)) * poly
  return jnp.where(x < 0, jnp.pi - angle, angle)


def _angles(vectors, reference):
  """Angles (p,) in radians between columns of `vectors` and `reference`."""
  return _arccos(jnp.clip(_dot(vectors, reference[:, None]), -1.0, 1.0))


def _orthogonalise(u, v, share_u):
  """Turns unit u and v apart (or together) in their plane to 90 degrees.

  u turns by `share_u` of the correction and v by the rest (MECH_AVG's
  rule, in one step).
  """
  cos = jnp.clip(_dot(u, v), -1.0, 1.0)
  alpha = jnp.arccos(cos)
  e2 = _unit(v - cos * u)  # In-plane axis orthogonal to u, towards v.
  turn = jnp.pi / 2 - alpha
  turn_u, turn_v = turn * share_u, turn * (1.0 - share_u)
  return (jnp.cos(turn_u) * u - jnp.sin(turn_u) * e2,
          jnp.cos(alpha + turn_v) * u + jnp.sin(alpha + turn_v) * e2)


def _mean(sum_n, sum_s, count):
  """Mean mechanism from sums of matched normals and slips (MECH_AVG).

  The correction to orthogonality is shared in the ratio of the RMS
  scatter of the normals and of the slips about their means; the scatter
  is taken as chords, sqrt(2 - 2 |sum| / count), which the sums give at
  once (MECH_AVG takes angles, which need every mechanism again; the two
  agree to second order, and the share only splits a small correction).
  """
  len_n, len_s = jnp.sqrt(_dot(sum_n, sum_n)), jnp.sqrt(_dot(sum_s, sum_s))
  count = jnp.maximum(count, 1)
  rms_n = jnp.sqrt(jnp.maximum(2.0 - 2.0 * len_n / count, 0.0))
  rms_s = jnp.sqrt(jnp.maximum(2.0 - 2.0 * len_s / count, 0.0))
  share = jnp.where(rms_n + rms_s < 1e-4, 0.5, rms_n / (rms_n + rms_s))
  return _orthogonalise(sum_n / len_n, sum_s / len_s, share)


def _angle_of_trace(trace):
  """Rotation angle in radians of a rotation with this trace."""
  return _arccos(jnp.clip((trace - 1.0) / 2.0, -1.0, 1.0))


class _Trim(NamedTuple):
  """State of the trimming loop (`_trim`)."""
  kept: jax.Array  # (p,) bool
  count: jax.Array  # number kept
  matched_n: jax.Array  # (3, p) forms matched to the checkpoint's mean
  matched_s: jax.Array
  sum_n: jax.Array  # (3,) sums of the kept matched forms
  sum_s: jax.Array
  anchor_n: jax.Array  # (3,) the checkpoint's mean
  anchor_s: jax.Array
  window: jax.Array  # (w,) the farthest kept from the checkpoint's mean
  bound: jax.Array  # largest angle to it of a kept one outside the window
  mean_n: jax.Array  # (3,) the mean when done
  mean_s: jax.Array
  done: jax.Array


_WINDOW = 512  # Candidates for the farthest mechanism between checkpoints.
_SLACK = 2e-3  # Radians: float32 rounding of the angles in the bound.


def _trim(normals, slips, nulls, members, min_trace):
  """Drops the farthest member until all are within the cut-off angle.

  MECH_PROB's loop: average, find the member farthest from the average,
  stop if it is within the cut-off, else drop it and repeat. Run as is it
  costs a pass over the set per drop, and a poorly constrained event drops
  thousands. Here the sums of the members' matched forms are updated per
  drop, and the farthest is sought among the `_WINDOW` members farthest
  from the mean of the last full pass (the checkpoint): no other member can
  be farther from the current mean than its angle to the checkpoint's mean
  plus the angle between the two means (the Kagan angle is a metric), so
  when the best of the window beats that bound it is the farthest of all.
  When it does not, a full pass finds the farthest, matches every member
  to the current mean anew, sums them again and picks a new window; every
  pass drops one or stops. The first pass matches the members to the
  first of them, as MECH_AVG does.

  Returns:
    (kept (p,) bool, mean normal (3,), mean slip (3,)).
  """
  window = min(_WINDOW, normals.shape[1])

  def full_pass(kept, count, mean_n, mean_s, stop_at_farthest):
    trace, matched_n, matched_s = _match(normals, slips, nulls, mean_n,
                                         mean_s)
    trace = jnp.where(kept, trace, jnp.inf)
    farthest = jnp.argmin(trace)  # The first of equals, as MECH_PROB.
    done = (count == 0) | (stop_at_farthest & (trace[farthest] >= min_trace))
    drop = stop_at_farthest & ~done
    kept = kept.at[farthest].set(kept[farthest] & ~drop)
    count = count - drop
    key, index = jax.lax.top_k(jnp.where(kept, -trace, -jnp.inf), window)
    bound = jnp.where(count > window, _angle_of_trace(-key[-1]), -jnp.inf)
    return _Trim(kept, count, matched_n, matched_s,
                 jnp.sum(jnp.where(kept, matched_n, 0.0), axis=1),
                 jnp.sum(jnp.where(kept, matched_s, 0.0), axis=1), mean_n,
                 mean_s, index, bound, mean_n, mean_s, done)

  def body(state):
    mean_n, mean_s = _mean(state.sum_n, state.sum_s, state.count)
    # Both means are in the same form: the plain trace gives their angle.
    between = _angle_of_trace(
        _dot(state.anchor_n, mean_n) + _dot(state.anchor_s, mean_s)
        + _dot(_cross(state.anchor_n, state.anchor_s),
               _cross(mean_n, mean_s)))
    index = state.window
    trace, _, _ = _match(normals[:, index], slips[:, index],
                         nulls[:, index], mean_n, mean_s)
    trace = jnp.where(state.kept[index], trace, jnp.inf)
    farthest = jnp.argmin(trace)
    angle = jnp.where(jnp.isfinite(trace[farthest]),
                      _angle_of_trace(trace[farthest]), -jnp.inf)
    sure = angle >= state.bound + between + _SLACK

    def from_window(state):
      done = trace[farthest] >= min_trace
      i = index[farthest]
      drop = jnp.where(done, 0.0, 1.0)
      return state._replace(
          kept=state.kept.at[i].set(done), count=state.count - (1 - done),
          sum_n=state.sum_n - drop * state.matched_n[:, i],
          sum_s=state.sum_s - drop * state.matched_s[:, i],
          mean_n=mean_n, mean_s=mean_s, done=done)

    return jax.lax.cond(
        sure, from_window,
        lambda state: full_pass(state.kept, state.count, mean_n, mean_s,
                                True), state)

  count = jnp.sum(members)
  first = jnp.argmax(members)
  state = full_pass(members, count, normals[:, first], slips[:, first],
                    False)
  state = jax.lax.while_loop(lambda state: ~state.done, body, state)
  return state.kept, state.mean_n, state.mean_s


_MAX_PASSES = 16  # Of `_consistent_mean`; the pairing settles in 2 or 3.


def _consistent_mean(normals, slips, nulls, members, ref_n, ref_s):
  """The members' mean with each paired to that mean itself.

  Pairs the members to the reference, averages, pairs them to the average,
  and so on until the pairing stops changing (the mean then repeats
  exactly) or `_MAX_PASSES`. A mean paired to one member depends on which
  (SKHASH's, on maacama's event 2, lies 9.1 degrees from out.csv paired to
  the first in grid order, 2.5 in the median over random orders:
  bench/maacama_rules.py); this one came out the same from 20 random
  starts there.
  """
  def step(state):
    passes, ref_n, ref_s, _ = state
    _, matched_n, matched_s = _match(normals, slips, nulls, ref_n, ref_s)
    mean_n, mean_s = _mean(
        jnp.sum(jnp.where(members, matched_n, 0.0), axis=1),
        jnp.sum(jnp.where(members, matched_s, 0.0), axis=1),
        jnp.sum(members))
    moved = jnp.any(mean_n != ref_n) | jnp.any(mean_s != ref_s)
    return passes + 1, mean_n, mean_s, moved

  _, mean_n, mean_s, _ = jax.lax.while_loop(
      lambda state: state[3] & (state[0] < _MAX_PASSES), step,
      (0, ref_n, ref_s, jnp.bool_(True)))
  return mean_n, mean_s


def _within(normals, slips, nulls, members, mean_n, mean_s, min_trace):
  """Members within the cut-off angle of a mean (the nearest if none)."""
  trace, _, _ = _match(normals, slips, nulls, mean_n, mean_s)
  near = members & (trace >= min_trace)
  nearest = jnp.argmax(jnp.where(members, trace, -jnp.inf))
  return near | (~jnp.any(near) & (jnp.arange(members.size) == nearest))


def _threshold_trim(normals, slips, nulls, members, min_trace):
  """SKHASH 1.1.5's default rule (`iterative_avg` False) instead of the
  drop-one-at-a-time loop: average the members, keep those within the
  cut-off of the average, average them, keep the members within the
  cut-off of that average, and average those. Means are self-consistent
  (`_consistent_mean`); SKHASH pairs to the first member of a random
  subset of 500.

  Returns:
    (kept (p,) bool, mean normal (3,), mean slip (3,)).
  """
  first = jnp.argmax(members)
  mean = _consistent_mean(normals, slips, nulls, members, normals[:, first],
                          slips[:, first])
  near = _within(normals, slips, nulls, members, *mean, min_trace)
  mean = _consistent_mean(normals, slips, nulls, near, *mean)
  kept = _within(normals, slips, nulls, members, *mean, min_trace)
  return (kept, *_consistent_mean(normals, slips, nulls, kept, *mean))


TRIM_RULES = {'hash': _trim, 'skhash': _threshold_trim}


@functools.partial(jax.jit, static_argnames='rule')
def _cluster(normals, slips, members, valid, min_trace, rule='hash'):
  """One MECH_PROB cluster of a padded set, vectors (3, p).

  Returns:
    (kept (p,) bool, mean normal (3,), mean slip (3,), RMS angles in
    degrees of the normals and of the slips of all valid mechanisms to the
    mean).
  """
  nulls = _cross(normals, slips)
  kept, mean_n, mean_s = TRIM_RULES[rule](normals, slips, nulls, members,
                                          min_trace)
  _, n_to_mean, s_to_mean = _match(normals, slips, nulls, mean_n, mean_s)
  total = jnp.sum(valid)
  rms = lambda a: jnp.sqrt(jnp.sum(jnp.where(valid, a * a, 0.0)) / total)
  return (kept, mean_n, mean_s, jnp.degrees(rms(_angles(n_to_mean, mean_n))),
          jnp.degrees(rms(_angles(s_to_mean, mean_s))))


def padded_size(n: int) -> int:
  """The padded length of a set of n: a power of two, at least 256."""
  return max(_MIN_PAD, 1 << int(np.ceil(np.log2(max(n, 1)))))


def mech_prob(normals, slips, cangle: float = 45.0,
              prob_max: float = 0.1, rule: str = 'hash') -> list[Cluster]:
  """The average mechanism(s) of an acceptable set and their probability.

  HASH's MECH_PROB: average the set, drop the mechanism farthest from the
  average, average again, until every one left is within `cangle`; their
  share of the set is the probability. The dropped ones are averaged the
  same way for a second solution, and so on, while a solution's
  probability is at least `prob_max` (up to five).

  Args:
    normals, slips: (m, 3) the acceptable mechanisms, m >= 1, in a fixed
      order (the first one seeds the pairing of the first average).
    cangle: cut-off angle in degrees.
    prob_max: least probability of a further solution.
    rule: how a cluster is trimmed to within `cangle`: 'hash' (above) or
      'skhash' (SKHASH's default, `_threshold_trim`).

  Returns:
    The clusters, the preferred (the first, from the whole set) first.
  """
  if rule not in TRIM_RULES:
    raise ValueError(f'Unknown trimming rule {rule!r}; known: '
                     f'{sorted(TRIM_RULES)}.')
  normals = np.asarray(normals, np.float32)
  slips = np.asarray(slips, np.float32)
  m = len(normals)
  if m < 1:
    raise ValueError('mech_prob needs at least one mechanism.')
  size = padded_size(m)
  pad = lambda a: np.concatenate([a, np.repeat(a[:1], size - m, 0)])
  valid = np.arange(size) < m
  min_trace = np.float32(1.0 + 2.0 * np.cos(np.radians(cangle)))
  normals = np.ascontiguousarray(pad(normals).T)  # (3, size)
  slips = np.ascontiguousarray(pad(slips).T)
  remaining = valid
  clusters = []
  while len(clusters) < MAX_SOLUTIONS and remaining.any():
    kept, mean_n, mean_s, rms_n, rms_s = jax.device_get(_cluster(
        normals, slips, remaining, valid, min_trace, rule=rule))
    count = int(kept.sum())
    # float32, as HASH's prob and prob_max.
    if clusters and np.float32(count) / np.float32(m) < np.float32(prob_max):
      break
    clusters.append(Cluster(normal=np.float64(mean_n),
                            slip=np.float64(mean_s), prob=count / m,
                            rms_fault=float(rms_n), rms_aux=float(rms_s)))
    remaining = remaining & ~kept
  return clusters
