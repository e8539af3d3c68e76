"""The paper's catalogue: Tables 1 and 2 of Ong et al., shipped as data.

`ong_tables.csv` (beside this module, installed with the package) is the
paper's 63 events as printed: set A (Table 1: 24 training and 7 test
events, one recorded at IU.MA2) and set B (Table 2: 32 verification
events), columns TABLE_COLUMNS. It is the catalogue the real-data path uses
when none is given, because the paper's events and split are facts, while
an FDSN rebuild (`japan.rebuild_catalogue`) returns whatever the service
holds today and only approximates the split.

  rows = paper_catalogue.read_tables()  # japan.CATALOGUE_COLUMNS rows
  rows = paper_catalogue.load(path)  # either format; None: the paper's

What the tables print, and what a rebuild would do with it (checked in
tests/precursor/paper_catalogue_test.py):
- distance_deg is kept as printed. Set A prints the great-circle distance
  from the recording station (from IU.MA2 for the MA2 event), set B
  sqrt(dlat^2 + dlon^2) from MAJO in degrees, which runs up to 3.4 deg
  longer; a rebuild computes great-circle distances from MAJO.
- `outside_rebuild_rules` names the events the rebuild's rule (Mw >= 6
  within 20 deg of MAJO in the span) cannot return: only the MA2 event,
  25.0 deg from MAJO.
"""

import csv
import math
import os
from typing import Any, Sequence

from obspy import UTCDateTime
from obspy.geodetics import locations2degrees

from seisjax.precursor import japan

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    'ong_tables.csv')
TABLE_COLUMNS = ('time', 'latitude', 'longitude', 'depth_km', 'mw',
                 'distance_deg', 'set', 'split', 'station')
MAGNITUDE_TYPE = 'Mw'  # The tables print moment magnitudes.
_ID_PREFIX = 'ong:'


def event_id(time: str) -> str:
  """The stable id of a table event: 'ong:' + its origin time as printed.

  The origin time is unique in the tables (pairs of events seconds apart
  included), and does not depend on row order, set or split.
  """
  return _ID_PREFIX + time


def _error(path, line, column, message):
  return ValueError(f'{path}, line {line}, column {column!r}: {message}')


def _catalogue_row(raw: dict[str, str], path, line: int) -> dict[str, Any]:
  """One table row as a japan.CATALOGUE_COLUMNS row, checked."""
  mw = (raw['mw'] or '').strip()
  try:
    magnitude = float(mw)
  except ValueError:
    raise _error(path, line, 'mw', f'{mw!r} is not a number') from None
  if not math.isfinite(magnitude) or magnitude <= 0:
    raise _error(path, line, 'mw', f'{mw!r} is not a magnitude')
  time = (raw['time'] or '').strip()
  # japan.parse_row checks every other column, naming line and column.
  row = japan.parse_row(
      {**{c: raw[c] for c in TABLE_COLUMNS if c != 'mw'},
       'magnitude': mw, 'magnitude_type': MAGNITUDE_TYPE,
       'event_id': event_id(time)}, path, line)
  row['time'] = str(UTCDateTime(time))  # As rebuild_catalogue writes it.
  return row


def read_tables(path=PATH) -> list[dict[str, Any]]:
  """The tables' events as the catalogue rows of the real-data path.

  Args:
    path: a CSV with TABLE_COLUMNS (any order, more allowed); the packaged
      paper tables by default.

  Returns:
    japan.CATALOGUE_COLUMNS rows in file order: `mw` as magnitude with
    magnitude_type 'Mw', event_id from `event_id`, time in ObsPy's ISO
    form, distance_deg, set, split and station as printed. ValueError
    naming the file, line and column of the first bad value, the missing
    columns, or both lines of a repeated origin time.
  """
  with open(path, newline='') as f:
    reader = csv.DictReader(f)
    missing = [c for c in TABLE_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
      raise ValueError(f'{path}: missing columns {missing}; found '
                       f'{reader.fieldnames}')
    rows, lines = [], {}
    for raw in reader:
      row = _catalogue_row(raw, path, reader.line_num)
      if row['event_id'] in lines:
        raise _error(path, reader.line_num, 'time',
                     f'{raw["time"]!r} is also on line '
                     f'{lines[row["event_id"]]}: one row per event')
      lines[row['event_id']] = reader.line_num
      rows.append(row)
  if not rows:
    raise ValueError(f'{path}: no events')
  return rows


def is_tables_file(path) -> bool:
  """Whether a CSV has the tables' columns (mw) rather than the catalogue's."""
  with open(path, newline='') as f:
    header = next(csv.reader(f), [])
  return 'mw' in header and 'magnitude' not in header


def load(path=None) -> list[dict[str, Any]]:
  """The catalogue rows of a CSV in either format; the paper's by default.

  Args:
    path: None or '' for the packaged tables; a file with TABLE_COLUMNS
      (`read_tables`) or with japan.CATALOGUE_COLUMNS
      (`japan.read_catalogue`, e.g. what `seisjax-japan catalogue` wrote).

  Returns:
    japan.CATALOGUE_COLUMNS rows in file order.
  """
  path = path or PATH
  if not os.path.isfile(path):
    raise ValueError(f'{path}: no such catalogue file')
  return read_tables(path) if is_tables_file(path) else (
      japan.read_catalogue(path))


def outside_rebuild_rules(
    rows: Sequence[dict[str, Any]], *, start='2012-01-01',
    end='2023-01-01', min_magnitude: float = 6.0,
    max_radius_deg: float = 20.0) -> dict[str, str]:
  """The events `japan.rebuild_catalogue` would not return, and why.

  Its rule (seisjax/seismo/catalogue.py): origin time in [start, end], Mw
  >= min_magnitude, great-circle distance from IU.MAJO <= max_radius_deg,
  computed here from the coordinates, whatever distance a row prints. It
  assumes the service's origin and Mw are the rows' own.

  Returns:
    {event_id: reason} of the rows outside the rule, in row order.
  """
  out = {}
  for r in rows:
    distance = locations2degrees(japan.STATION['latitude'],
                                 japan.STATION['longitude'], r['latitude'],
                                 r['longitude'])
    reasons = []
    if not UTCDateTime(start) <= UTCDateTime(r['time']) <= UTCDateTime(end):
      reasons.append(f'time {r["time"]} outside {start}..{end}')
    if r['magnitude'] < min_magnitude:
      reasons.append(f'Mw {r["magnitude"]:g} < {min_magnitude:g}')
    if distance > max_radius_deg:
      reasons.append(f'{distance:.2f} deg from MAJO > {max_radius_deg:g} '
                     f'(recorded at {r["station"]})')
    if reasons:
      out[r['event_id']] = '; '.join(reasons)
  return out
