"""The trial mechanisms of the grid search, laid out as HASH lays them out.

Fault normals sample the lower hemisphere (z down) at a spacing `dang`:
colatitude theta = 0, dang, ... up to 90 degrees, and at each theta
round(360 / dang * sin theta) equally spaced azimuths from north (one at the
pole). In the plane of each normal the slip turns from the down-dip
direction of theta through zeta = 0, dang, ... below 180 degrees. Each
double couple has two such forms (one per nodal plane), so the half turn
of slip covers the double couples about once; at dang = 5 that is 862
normals x 36 slips = 31,032 mechanisms, HASH's `ncoor`.

The order is HASH's (FOCALMC): normal-major, slip-minor, so mechanism
`i * n_slips + k` is normal i with slip k. The inversion scores the slips
of a normal from three projections of each ray (on the normal and on the
two in-plane axes), which is why the grid keeps them.
"""

import dataclasses
import functools

import numpy as np

from seisjax.focal import mechanism


@dataclasses.dataclass(frozen=True)
class Grid:
  """Trial mechanisms at one spacing (x north, y east, z down).

  Attributes:
    dang: spacing in degrees.
    normals: (n_normals, 3) fault normals, z >= 0.
    dip_axes: (n_normals, 3) unit vector in each normal's plane along its
      dip, pointing up: the slip at zeta = 0 (HASH's bb1).
    null_axes: (n_normals, 3) normals x dip_axes (HASH's bb2).
    zeta: (n_slips,) slip angles in the plane, radians.
  """
  dang: float
  normals: np.ndarray
  dip_axes: np.ndarray
  null_axes: np.ndarray
  zeta: np.ndarray

  @property
  def n_normals(self) -> int:
    return len(self.normals)

  @property
  def n_slips(self) -> int:
    return len(self.zeta)

  def __len__(self) -> int:
    return self.n_normals * self.n_slips

  @functools.cached_property
  def vectors(self) -> tuple[np.ndarray, np.ndarray]:
    """(normal, slip) of every mechanism, each (m, 3), in HASH's order."""
    cos, sin = np.cos(self.zeta), np.sin(self.zeta)  # (k,)
    slip = (cos[None, :, None] * self.dip_axes[:, None, :]
            + sin[None, :, None] * self.null_axes[:, None, :])  # (n, k, 3)
    normal = np.broadcast_to(self.normals[:, None, :], slip.shape)
    return normal.reshape(-1, 3), slip.reshape(-1, 3)

  @functools.cached_property
  def sdr(self) -> np.ndarray:
    """(m, 3) strike, dip, rake in degrees of every mechanism."""
    return np.stack(mechanism.vectors_to_sdr(*self.vectors), axis=-1)


def _nint(x: float) -> int:
  """Fortran's NINT: to the nearest integer, halves away from zero."""
  return int(np.sign(x) * np.floor(abs(x) + 0.5))


@functools.lru_cache(maxsize=8)
def mechanism_grid(dang: float = 5.0) -> Grid:
  """HASH's grid of trial mechanisms at a spacing of `dang` degrees.

  The counts are HASH's `ncoor`: 4,032 at 10 degrees, 10,426 at 7, 31,032
  at 5, 141,180 at 3 and 472,410 at 2.

  Args:
    dang: grid spacing in degrees.

  Returns:
    The `Grid` (cached per spacing; its arrays are read-only).
  """
  if not 0 < dang <= 90:
    raise ValueError(f'dang must be in (0, 90] degrees, got {dang}.')
  normals, dip_axes = [], []
  for i_theta in range(int(90.1 / dang) + 1):
    theta = np.radians(i_theta * dang)
    n_phi = _nint(360.0 / dang * np.sin(theta))
    d_phi = 360.0 / n_phi if n_phi else 10000.0  # One normal at the pole.
    phi = np.radians(np.arange(int(359.9 / d_phi) + 1) * d_phi)
    normals.append(np.stack([np.sin(theta) * np.cos(phi),
                             np.sin(theta) * np.sin(phi),
                             np.full_like(phi, np.cos(theta))], -1))
    dip_axes.append(np.stack([np.cos(theta) * np.cos(phi),
                              np.cos(theta) * np.sin(phi),
                              np.full_like(phi, -np.sin(theta))], -1))
  normals = np.concatenate(normals)
  dip_axes = np.concatenate(dip_axes)
  zeta = np.radians(np.arange(int(179.9 / dang) + 1) * dang)
  grid = Grid(dang=float(dang), normals=normals, dip_axes=dip_axes,
              null_axes=np.cross(normals, dip_axes), zeta=zeta)
  for array in (grid.normals, grid.dip_axes, grid.null_axes, grid.zeta):
    array.flags.writeable = False
  return grid
