"""Double couples as vectors: conversions, rays, polarities and the Kagan angle.

A double couple is a fault normal and a slip vector, two orthogonal unit
vectors; the grid search scores them, the averaging in solutions.py
averages them, and the outside world speaks strike, dip and rake. This
module converts between the two and predicts what a mechanism radiates.

Frame (HASH's, Aki & Richards p. 115): x north, y east, z down. The fault
normal of `sdr_to_vectors` points out of the footwall (up for dips under
90); the slip vector is the motion of the hanging wall. The pairs
(n, s), (-n, -s), (s, n) and (-s, -n) are the same double couple: the
moment tensor n s^T + s n^T does not change.

Angles are degrees: strike, dip and rake after Aki & Richards; azimuths
clockwise from north, source to station; takeoff angles from the DOWNWARD
vertical (0 = down, 90 = horizontal, 180 = up), as QuakeML and TauP, and
not as HASH (whose takeoff angles are from the upward vertical).

Everything here is numpy in float64, broadcasting over leading axes.
"""

import numpy as np

_HORIZONTAL = 1e-7  # 1 - |n_z| below this: a horizontal fault (HASH FPCOOR).


def sdr_to_vectors(strike, dip, rake) -> tuple[np.ndarray, np.ndarray]:
  """Fault normal and slip vector of strike, dip and rake (HASH's FPCOOR).

  Args:
    strike, dip, rake: degrees (Aki & Richards), broadcast together.

  Returns:
    (normal, slip): unit vectors (..., 3) in x north, y east, z down.
  """
  phi, delta, lam = (np.radians(np.asarray(a, np.float64))
                     for a in (strike, dip, rake))
  phi, delta, lam = np.broadcast_arrays(phi, delta, lam)
  normal = np.stack([-np.sin(delta) * np.sin(phi),
                     np.sin(delta) * np.cos(phi),
                     -np.cos(delta)], axis=-1)
  slip = np.stack([
      np.cos(lam) * np.cos(phi) + np.cos(delta) * np.sin(lam) * np.sin(phi),
      np.cos(lam) * np.sin(phi) - np.cos(delta) * np.sin(lam) * np.cos(phi),
      -np.sin(lam) * np.sin(delta)], axis=-1)
  return normal, slip


def vectors_to_sdr(normal, slip) -> tuple[np.ndarray, np.ndarray,
                                          np.ndarray]:
  """Strike, dip and rake of the plane with this normal and slip.

  The inverse of `sdr_to_vectors` up to the pair's sign: a normal that
  points down is first turned up together with its slip, (n, s) ->
  (-n, -s), the same double couple. (HASH's FPCOOR turns it for dipping
  planes but not for a horizontal one, whose sign it then loses.)

  Args:
    normal, slip: (..., 3) orthogonal vectors (normalised here).

  Returns:
    (strike, dip, rake) in degrees: strike in [0, 360), dip in [0, 90],
    rake in (-180, 180]. A horizontal plane has no strike: it gets the one
    that makes the rake -90, as in HASH.
  """
  normal = np.asarray(normal, np.float64)
  slip = np.asarray(slip, np.float64)
  normal = normal / np.linalg.norm(normal, axis=-1, keepdims=True)
  slip = slip / np.linalg.norm(slip, axis=-1, keepdims=True)
  down = normal[..., 2:3] > 0
  normal = np.where(down, -normal, normal)
  slip = np.where(down, -slip, slip)
  n1, n2, n3 = np.moveaxis(normal, -1, 0)
  s1, s2, s3 = np.moveaxis(slip, -1, 0)
  horizontal = 1.0 - np.abs(n3) <= _HORIZONTAL
  phi = np.where(horizontal, np.arctan2(-s1, s2), np.arctan2(-n1, n2))
  delta = np.where(horizontal, 0.0, np.arctan2(np.hypot(n1, n2), -n3))
  cos_lam = np.cos(phi) * s1 + np.sin(phi) * s2
  sin_delta = np.where(horizontal, 1.0, np.sin(delta))
  sin_lam = np.where(horizontal, np.sin(phi) * s1 - np.cos(phi) * s2,
                     -s3 / sin_delta)
  strike = np.degrees(phi) % 360.0 + 0.0  # + 0.0 turns -0.0 into 0.0.
  strike = np.where(strike >= 360.0, strike - 360.0, strike)
  rake = np.degrees(np.arctan2(sin_lam, cos_lam))
  rake = np.where(rake <= -180.0, rake + 360.0, rake)
  return strike, np.degrees(delta), rake


def auxiliary_plane(strike, dip, rake) -> tuple[np.ndarray, np.ndarray,
                                                np.ndarray]:
  """The other nodal plane: normal and slip exchange their roles.

  Args:
    strike, dip, rake: degrees, broadcast together.

  Returns:
    (strike, dip, rake) of the auxiliary plane, degrees.
  """
  normal, slip = sdr_to_vectors(strike, dip, rake)
  return vectors_to_sdr(slip, normal)


def ray_vectors(takeoff, azimuth) -> np.ndarray:
  """Unit ray directions leaving the source (HASH's TO_CAR, our angles).

  Args:
    takeoff: degrees from the DOWNWARD vertical (0 = down, 180 = up).
    azimuth: degrees clockwise from north, source to station.

  Returns:
    (..., 3) in x north, y east, z down.
  """
  i = np.radians(np.asarray(takeoff, np.float64))
  a = np.radians(np.asarray(azimuth, np.float64))
  i, a = np.broadcast_arrays(i, a)
  return np.stack([np.sin(i) * np.cos(a), np.sin(i) * np.sin(a),
                   np.cos(i)], axis=-1)


def predict_polarity(normal, slip, takeoff, azimuth) -> np.ndarray:
  """First motions a mechanism predicts, by HASH's rule of the grid search.

  Up (+1) where (slip . x)(normal . x) > 0 for the ray x, else down (-1):
  a ray on a nodal plane counts as down, as in HASH's FOCALMC.

  Args:
    normal, slip: (..., 3) vectors of the mechanism.
    takeoff: degrees from the DOWNWARD vertical (0 = down, 180 = up).
    azimuth: degrees clockwise from north, source to station.

  Returns:
    int array of +1 / -1, broadcast over the arguments.
  """
  ray = ray_vectors(takeoff, azimuth)
  product = (np.sum(np.asarray(slip) * ray, axis=-1)
             * np.sum(np.asarray(normal) * ray, axis=-1))
  return np.where(product > 0, 1, -1)


def p_amplitude(normal, slip, ray) -> np.ndarray:
  """|P radiation| of unit double couples along rays: 2 |(n.x)(s.x)|.

  HASH writes it |sin 2 theta cos phi|, theta the angle of the ray to the
  normal and phi its azimuth in the fault plane from the slip: the same.
  """
  return 2.0 * np.abs(np.sum(normal * ray, -1) * np.sum(slip * ray, -1))


def sv_sh_amplitude(normal, slip, ray) -> np.ndarray:
  """HASH's S amplitude, sqrt((cos 2 theta cos phi)^2 + (cos theta sin phi)^2).

  With c = n.x = cos theta, a = s.x = sin theta cos phi and b = (n x s).x =
  sin theta sin phi; 0 for a ray along the normal (theta = 0).
  """
  c = np.sum(normal * ray, -1)
  a = np.sum(slip * ray, -1)
  b = np.sum(np.cross(normal, slip) * ray, -1)
  sin2 = a * a + b * b
  with np.errstate(invalid='ignore', divide='ignore'):
    squared = ((2 * c * c - 1)**2 * a * a + c * c * b * b) / sin2
  return np.sqrt(np.where(sin2 > 0, squared, 0.0))


def sp_log_ratio(normal, slip, ray, clip: bool = True) -> np.ndarray:
  """Predicted log10 S/P amplitude ratio, log10(4.9 S / P), as HASH.

  Args:
    normal, slip, ray: (..., 3) vectors.
    clip: limit to [-2, 4], HASH's values for S = 0 and P = 0 (its
      amplitude table makes every near-nodal ratio one or the other).

  Returns:
    (...,) log10 ratios.
  """
  with np.errstate(divide='ignore', invalid='ignore'):
    ratio = np.log10(4.9 * sv_sh_amplitude(normal, slip, ray)
                     / p_amplitude(normal, slip, ray))
  if clip:
    ratio = np.clip(np.nan_to_num(ratio, nan=4.0), -2.0, 4.0)
  return ratio


def _frames(strike, dip, rake) -> np.ndarray:
  """Rotation matrices (..., 3, 3) whose columns are normal, slip, null."""
  normal, slip = sdr_to_vectors(strike, dip, rake)
  return np.stack([normal, slip, np.cross(normal, slip)], axis=-1)


def best_trace(frame_a, frame_b) -> np.ndarray:
  """Largest trace of A^T B g over the four symmetries g of a double couple.

  The symmetries are the identity and the half turns about the null axis,
  (n, s) -> (-n, -s), and about the P and T axes, (n, s) -> (s, n) and
  (-s, -n); the rotation angle of A^T B g is acos((trace - 1) / 2).

  Args:
    frame_a, frame_b: (..., 3, 3) with columns normal, slip, null (n x s).

  Returns:
    (...,) traces in [-1, 3].
  """
  d = np.einsum('...ki,...kj->...ij', frame_a, frame_b)  # A^T B
  same = np.abs(d[..., 0, 0] + d[..., 1, 1]) + d[..., 2, 2]
  swapped = np.abs(d[..., 0, 1] + d[..., 1, 0]) - d[..., 2, 2]
  return np.maximum(same, swapped)


def kagan_angle(sdr_a, sdr_b) -> np.ndarray:
  """Minimum rotation between two double couples (Kagan 1991), degrees.

  Symmetric, blind to which nodal plane is given, 0 for the same double
  couple and at most 120.

  Args:
    sdr_a, sdr_b: (..., 3) strike, dip, rake in degrees, broadcast
      together.

  Returns:
    (...,) angles in degrees.
  """
  frame_a = _frames(*np.moveaxis(np.asarray(sdr_a, np.float64), -1, 0))
  frame_b = _frames(*np.moveaxis(np.asarray(sdr_b, np.float64), -1, 0))
  cos_angle = (best_trace(frame_a, frame_b) - 1.0) / 2.0
  return np.degrees(np.arccos(np.clip(cos_angle, -1.0, 1.0)))
