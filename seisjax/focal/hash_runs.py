"""A HASH run's files: the driver parameters (example*.inp) and the
mechanisms it wrote (examples/output/example*.out), the reference the
inversion is compared with.
"""

import dataclasses
import pathlib
import re

import numpy as np

from seisjax.focal import hash_io
from seisjax.focal import types


def _field(line, first, last):
  """An integer field of an output line; NaN if blank or overflowed."""
  text = hash_io.cols(line, first, last).strip()
  return np.nan if not text or '*' in text else hash_io.real(text)


def read_hash_output(path) -> dict[str, list[types.Solution]]:
  """examples/output/example*.out: HASH's mechanisms, preferred first.

  hash_driver*.f FORMAT 411: id (1-16), ..., strike (132-135), dip
  (137-139), rake (141-144), fault and auxiliary plane uncertainties
  (148-149, 151-152), polarities (154-156), misfit % (158-159), quality
  (161), probability % (163-165), station distribution ratio % (167-168);
  example 3 adds S/P ratios (170-172) and their misfit x 100 (174-176).
  Lines of one event in a row are its multiple solutions.

  Returns:
    {event id: [types.Solution, ...]} in file order, fractions as 0-1,
    the no-mechanism values (999, 99) as NaN.
  """
  out = {}
  for number, line in hash_io.lines_of(path):
    if not line.strip():
      continue
    try:
      strike, dip, rake, unc1, unc2 = (_field(line, a, b) for a, b in (
          (132, 135), (137, 139), (141, 144), (148, 149), (151, 152)))
      has_sp = len(line.rstrip()) > 170
      solution = types.Solution(
          event_id=hash_io.cols(line, 1, 16).strip(),
          strike=np.nan if strike == 999 else strike,
          dip=np.nan if strike == 999 else dip,
          rake=np.nan if strike == 999 else rake,
          fault_plane_uncertainty=np.nan if unc1 == 99 else unc1,
          aux_plane_uncertainty=np.nan if unc2 == 99 else unc2,
          npol=int(_field(line, 154, 156)),
          mfrac=_field(line, 158, 159) / 100.0,
          quality=hash_io.cols(line, 161, 161),
          prob=_field(line, 163, 165) / 100.0,
          stdr=_field(line, 167, 168) / 100.0,
          n_sp=int(_field(line, 170, 172)) if has_sp else 0,
          sp_misfit=_field(line, 174, 176) / 100.0 if has_sp else np.nan)
    except ValueError as e:
      raise hash_io.line_error(path, number, line,
                               f'not a HASH output line ({e})') from None
    out.setdefault(solution.event_id, []).append(solution)
  return out


@dataclasses.dataclass
class HashParameters:
  """A HASH driver's parameter file (examples/input/example*.inp).

  Attributes:
    driver: 1-5, the hash_driver*.f that reads it.
    files: {HASH's variable name: path}: 'stfile' (stations), 'plfile'
      (reversals), 'fpfile' (polarities), 'corfile', 'ampfile', 'simulfile';
      found beside the .inp or in ../../data/{stations,velocity}.
    outputs: the output file names it asks for (not resolved).
    values: {HASH's variable name: value}: npolmin, max_agap, max_pgap,
      dang, nmc, maxout, badfrac, delmax, cangle, prob_max, and for driver
      3 ratmin, qbadfac.
    velocity_models: paths of the vz files (drivers 2-4).
  """
  driver: int
  files: dict
  outputs: list
  values: dict
  velocity_models: list


_INP = {  # driver -> the lines of its .inp, in the order it reads them.
    1: 'plfile fpfile out out npolmin max_agap max_pgap dang nmc maxout '
       'badfrac delmax cangle prob_max',
    2: 'stfile plfile fpfile out out npolmin max_agap max_pgap dang nmc '
       'maxout badfrac delmax cangle prob_max ntab',
    3: 'stfile plfile corfile ampfile fpfile out npolmin dang nmc maxout '
       'ratmin badfrac qbadfac delmax cangle prob_max ntab',
    5: 'plfile simulfile fpfile out out npolmin max_agap max_pgap dang nmc '
       'maxout badfrac delmax cangle prob_max',
}
_INP[4] = _INP[2]
_INTEGERS = ('npolmin', 'max_agap', 'max_pgap', 'nmc', 'maxout', 'ntab')


def read_hash_inp(path, driver: int | None = None,
                  search_dirs=None) -> HashParameters:
  """Reads example*.inp (driver from the file name unless given)."""
  path = pathlib.Path(path)
  if driver is None:
    match = re.search(r'(\d)', path.stem)
    if not match or int(match.group(1)) not in _INP:
      raise ValueError(f'{path}: cannot tell the driver from the name; '
                       'pass driver=1..5.')
    driver = int(match.group(1))
  if search_dirs is None:
    data = path.parent.parent.parent / 'data'
    search_dirs = [path.parent, data / 'stations', data / 'velocity']
  lines = [(n, t.strip()) for n, t in hash_io.lines_of(path)]
  names = _INP[driver].split()
  if len(lines) < len(names):
    raise hash_io.FormatError(f'{path}: driver {driver} reads '
                              f'{len(names)} lines, the file has '
                              f'{len(lines)}.')

  def find(number, name):
    for folder in search_dirs:
      if (pathlib.Path(folder) / name).is_file():
        return pathlib.Path(folder) / name
    raise hash_io.FormatError(f'{path}:{number}: {name!r} is in none of '
                              f'{[str(d) for d in search_dirs]}.')

  files, outputs, values = {}, [], {}
  for name, (number, text) in zip(names, lines):
    if name == 'out':
      outputs.append(text)
    elif name.endswith('file'):
      files[name] = find(number, text)
    else:
      try:
        values[name] = int(text) if name in _INTEGERS else float(text)
      except ValueError:
        raise hash_io.FormatError(f'{path}:{number}: {name} must be a '
                                  f'number, got {text!r}.') from None
  models = []
  if 'ntab' in values:
    rest = lines[len(names):len(names) + values['ntab']]
    if len(rest) < values['ntab']:
      raise hash_io.FormatError(f'{path}: {values["ntab"]} velocity '
                                f'models named, {len(rest)} given.')
    models = [find(n, t) for n, t in rest]
  return HashParameters(driver, files, outputs, values, models)
