"""HASH v1.2's fixed-width polarity and amplitude files, parsed as its
Fortran drivers read them.

HASH (Hardebeck & Shearer 2002) ships five example drivers, each with its
own input format; the column positions here are those of the drivers'
FORMAT statements (hash_driver1.f-hash_driver5.f), which the comments of
those files do not always match. This module parses the event files and
holds the Fortran field helpers; hash_stations.py reads the station files,
hash_runs.py the .inp and .out files, and hash_readers.py turns the records
into `types.Observations`.

Fortran conventions kept: a numeric field without a decimal point has an
implied one (F5.2 reads ' 1813' as 18.13); blanks in a numeric field are
ignored and a blank field is 0. A line that cannot be read raises
`FormatError` naming the file and line number.

Takeoff angles in these files are in degrees from the DOWNWARD vertical
(FPFIT's convention: north1.phase, and SIMULPS's: north5.simul), as ours:
HASH's drivers turn them into its own upward convention with 180 - angle,
so readers keep them unchanged. The parsers below return them as written.
"""

import dataclasses
import datetime
import re

from seisjax.focal import types

POLARITY_CODES = {'U': types.UP, 'u': types.UP, '+': types.UP,
                  'D': types.DOWN, 'd': types.DOWN, '-': types.DOWN}


class FormatError(ValueError):
  """A line of a HASH file that does not read as its format says."""


def lines_of(path):
  """(number, text) of a file's lines, newline removed (latin-1: the
  example files hold a few stray bytes)."""
  with open(path, encoding='latin-1') as f:
    return [(i, line.rstrip('\r\n')) for i, line in enumerate(f, 1)]


def line_error(path, number, line, what):
  """A FormatError naming the file, line number and line."""
  return FormatError(f'{path}:{number}: {what}: {line!r}')


def cols(line: str, first: int, last: int) -> str:
  """Columns first..last (1-based, inclusive) of a line, blank-padded."""
  return line[first - 1:last].ljust(last - first + 1)


def real(text: str, decimals: int = 0) -> float:
  """A Fortran Fw.d field: implied decimal point, blanks ignored.

  Raises:
    ValueError: if the field is not a number.
  """
  s = text.replace(' ', '')
  if not s:
    return 0.0
  if re.fullmatch(r'[+-]?\d+', s):
    return int(s) / 10**decimals
  return float(s)


class FieldReader:
  """Reads fields of one line, naming the file and line on failure."""

  def __init__(self, path, number, line):
    self.path, self.number, self.line = path, number, line

  def str(self, first, last):
    return cols(self.line, first, last)

  def real(self, first, last, decimals=0, name='number'):
    try:
      return real(cols(self.line, first, last), decimals)
    except ValueError:
      raise line_error(self.path, self.number, self.line,
                   f'columns {first}-{last} ({name}) are not a number'
                   ) from None

  def fail(self, what):
    return line_error(self.path, self.number, self.line, what)


def _latitude(degrees, hemisphere, minutes):
  value = degrees + minutes / 60.0
  return -value if hemisphere.strip() == 'S' else value


def _longitude(degrees, hemisphere, minutes):
  """HASH's drivers: west unless marked 'E'."""
  value = degrees + minutes / 60.0
  return value if hemisphere.strip() == 'E' else -value


def _time(r, year, month, day, hour, minute, second):
  try:
    start = datetime.datetime(int(year), int(month), int(day), int(hour),
                              int(minute), tzinfo=datetime.UTC)
  except ValueError as e:
    raise r.fail(f'bad origin time ({e})') from None
  return (start + datetime.timedelta(seconds=second)).isoformat().replace(
      '+00:00', 'Z')


@dataclasses.dataclass
class PhaseEvent:
  """An event of a HASH polarity file and its pick lines, as written.

  Attributes:
    event_id: the event's id (stripped).
    origin: 'time' (ISO), 'latitude', 'longitude', 'depth_km',
      'magnitude', and where the file has them 'horizontal_uncertainty_km',
      'depth_uncertainty_km'.
    date: YYYYMMDD of the origin, for polarity reversals.
    picks: one dict per pick line (keys depend on the format), each with
      'line' (its line number).
    line: the event line's number.
  """
  event_id: str
  origin: dict
  date: int
  picks: list
  line: int


def _origin(r, time, lat, lon, depth, magnitude, **uncertainty):
  origin = {'time': time, 'latitude': lat, 'longitude': lon,
            'depth_km': depth, 'magnitude': magnitude}
  origin.update(uncertainty)
  return origin


def _date(origin):
  return int(origin['time'][:10].replace('-', ''))


def read_fpfit_phase(path) -> list[PhaseEvent]:
  """north1.phase: FPFIT-like lines with angles and their uncertainties.

  hash_driver1.f: event line (5i2,f4.2,i2,a1,f4.2,i3,a1,f4.2,f5.2,f2.1,44x,
  2f4.2,34x,a16) with a two-digit year (< 50: 20xx); pick lines (a4,2x,a1,
  i1,50x,f4.1,i3,10x,i3,1x,i3,1x,i3): station, polarity, quality digit,
  distance km, takeoff, azimuth, takeoff and azimuth uncertainties; a line
  with a blank station ends the event.

  Returns:
    Events with picks {'station', 'polarity' (the character), 'quality',
    'distance_km', 'takeoff' (degrees from the DOWNWARD vertical, as
    written), 'azimuth', 'takeoff_sigma', 'azimuth_sigma', 'line'}.
  """
  events, event = [], None
  for number, line in lines_of(path):
    r = FieldReader(path, number, line)
    if event is None:
      if not line.strip():
        continue
      year = int(r.real(1, 2, name='year'))
      year += 2000 if year < 50 else 1900
      origin = _origin(
          r, _time(r, year, r.real(3, 4), r.real(5, 6), r.real(7, 8),
                   r.real(9, 10), r.real(11, 14, 2, 'seconds')),
          _latitude(r.real(15, 16), r.str(17, 17), r.real(18, 21, 2)),
          _longitude(r.real(22, 24), r.str(25, 25), r.real(26, 29, 2)),
          r.real(30, 34, 2, 'depth'), r.real(35, 36, 1, 'magnitude'),
          horizontal_uncertainty_km=r.real(81, 84, 2),
          depth_uncertainty_km=r.real(85, 88, 2))
      event = PhaseEvent(r.str(123, 138).strip(), origin, _date(origin), [],
                         number)
      events.append(event)
      continue
    if not r.str(1, 4).strip():
      event = None
      continue
    event.picks.append({
        'station': r.str(1, 4).strip(), 'polarity': r.str(7, 7),
        'quality': int(r.real(8, 8, name='quality')),
        'distance_km': r.real(59, 62, 1, 'distance'),
        'takeoff': r.real(63, 65, name='takeoff'),
        'azimuth': r.real(76, 78, name='azimuth'),
        'takeoff_sigma': r.real(80, 82, name='takeoff uncertainty'),
        'azimuth_sigma': r.real(84, 86, name='azimuth uncertainty'),
        'line': number})
  return events


def read_scedc_phase(path, station_width: int = 4) -> list[PhaseEvent]:
  """north2.phase (4-character stations) or north4.phase (5).

  hash_driver2.f (4): event line (i4,4i2,f5.2,i2,a1,f5.2,i3,a1,f5.2,f5.2,
  49x,f5.2,1x,f5.2,40x,f4.2,6x,a16); pick lines (a4,1x,a2,2x,a3,1x,a1,1x,
  a1): station, network, component, onset (I/E), polarity; a blank station
  ends the event. Column 17 (HASH driver 5's quality digit) is kept too.

  hash_driver4.f (5): event line (i4,4i2,f4.2,i2,a1,f4.2,i3,a1,f4.2,f5.2,
  94x,a16,1x,f3.2), no uncertainties; pick lines (a5,a2,2x,a3,1x,a1,a1,a1,
  31x,a1): station, network, component, onset, 'P', polarity, ..., 'S' in
  column 48. A line with neither 'P' (15) nor 'S' (48) is the next event.

  Returns:
    Events with picks {'station', 'network', 'component', 'onset',
    'polarity', 'quality', 'phase' ('P', 'S' or ''), 'line'}.
  """
  if station_width not in (4, 5):
    raise ValueError(f'station_width must be 4 or 5, got {station_width}.')
  events, event = [], None
  for number, line in lines_of(path):
    r = FieldReader(path, number, line)
    if station_width == 5:
      is_pick = r.str(15, 15) == 'P' or r.str(48, 48) == 'S'
      if event is not None and is_pick:
        event.picks.append({
            'station': r.str(1, 5).strip(), 'network': r.str(6, 7).strip(),
            'component': r.str(10, 12).strip(), 'onset': r.str(14, 14),
            'polarity': r.str(16, 16), 'quality': 0,
            'phase': r.str(15, 15).strip() or r.str(48, 48).strip(),
            'line': number})
        continue
      if not line.strip():
        continue
      origin = _origin(
          r, _time(r, r.real(1, 4), r.real(5, 6), r.real(7, 8),
                   r.real(9, 10), r.real(11, 12),
                   r.real(13, 16, 2, 'seconds')),
          _latitude(r.real(17, 18), r.str(19, 19), r.real(20, 23, 2)),
          _longitude(r.real(24, 26), r.str(27, 27), r.real(28, 31, 2)),
          r.real(32, 36, 2, 'depth'), r.real(148, 150, 2, 'magnitude'))
      event = PhaseEvent(r.str(131, 146).strip(), origin, _date(origin), [],
                         number)
      events.append(event)
      continue
    if event is None:
      if not line.strip():
        continue
      origin = _origin(
          r, _time(r, r.real(1, 4), r.real(5, 6), r.real(7, 8),
                   r.real(9, 10), r.real(11, 12),
                   r.real(13, 17, 2, 'seconds')),
          _latitude(r.real(18, 19), r.str(20, 20), r.real(21, 25, 2)),
          _longitude(r.real(26, 28), r.str(29, 29), r.real(30, 34, 2)),
          r.real(35, 39, 2, 'depth'), r.real(140, 143, 2, 'magnitude'),
          horizontal_uncertainty_km=r.real(89, 93, 2),
          depth_uncertainty_km=r.real(95, 99, 2))
      event = PhaseEvent(r.str(150, 165).strip(), origin, _date(origin), [],
                         number)
      events.append(event)
    elif not r.str(1, 4).strip():
      event = None
    else:
      event.picks.append({
          'station': r.str(1, 4).strip(), 'network': r.str(6, 7).strip(),
          'component': r.str(10, 12).strip(), 'onset': r.str(14, 14),
          'polarity': r.str(16, 16),
          'quality': int(r.real(17, 17, name='quality')), 'phase': 'P',
          'line': number})
  return events


def read_simul(path) -> list[PhaseEvent]:
  """north5.simul: SIMULPS locations, distances, azimuths and takeoffs.

  hash_driver5.f: an event line (1x,3i2,1x,2i2,1x,f5.2,1x,i2,a1,f5.2,1x,
  i3,a1,f5.2,1x,f6.2,3x,f4.2,i3,1x,a8,f5.2) follows a 'DATE ORIGIN' header;
  station lines (1x,a4,1x,f5.1,i4,i4,46x,f4.0,f4.0) follow an 'STN DIST'
  header, up to a blank line. SIMULPS station names are 3 characters and a
  network letter ('IR2C'), or 4 characters ('BRCY').

  Returns:
    Events (two-digit years < 50 are 20xx; no location uncertainty) with
    picks {'station', 'distance_km', 'azimuth', 'takeoff' (degrees from the
    DOWNWARD vertical, as written), 'azimuth_sigma', 'takeoff_sigma',
    'line'}.
  """
  events, state = [], 'header'
  for number, line in lines_of(path):
    r = FieldReader(path, number, line)
    if 'DATE' in line and 'ORIGIN' in line:
      state = 'event'
    elif state == 'event' and line.strip():
      year = int(r.real(2, 3, name='year'))
      year += 2000 if year < 50 else 1900
      origin = _origin(
          r, _time(r, year, r.real(4, 5), r.real(6, 7), r.real(9, 10),
                   r.real(11, 12), r.real(14, 18, 2, 'seconds')),
          _latitude(r.real(20, 21), r.str(22, 22), r.real(23, 27, 2)),
          _longitude(r.real(29, 31), r.str(32, 32), r.real(33, 37, 2)),
          r.real(39, 44, 2, 'depth'), r.real(48, 51, 2, 'magnitude'),
          rms_s=r.real(64, 68, 2, 'rms'))
      events.append(PhaseEvent(r.str(56, 63).strip(), origin, _date(origin),
                               [], number))
      state = 'between'
    elif 'STN' in line and 'DIST' in line:
      if not events or state != 'between':
        raise r.fail('station header without an event line before it')
      state = 'stations'
    elif state == 'stations':
      if not r.str(2, 5).strip():
        state = 'header'
        continue
      events[-1].picks.append({
          'station': r.str(2, 5).strip(),
          'distance_km': r.real(7, 11, 1, 'distance'),
          'azimuth': r.real(12, 15, name='azimuth'),
          'takeoff': r.real(16, 19, name='takeoff'),
          'azimuth_sigma': r.real(66, 69, name='azimuth uncertainty'),
          'takeoff_sigma': r.real(70, 73, name='takeoff uncertainty'),
          'line': number})
  return events


def read_amplitudes(path) -> dict[str, list[dict]]:
  """north3.amp: per event 'id count', then count amplitude lines.

  hash_driver3.f: amplitude lines (a4,1x,a3,1x,a2,17x,f10.3,1x,f10.3,1x,
  f10.3,1x,f10.3): station, component, network, P noise, S noise, P and S
  amplitudes.

  Returns:
    {event id: [{'station', 'component', 'network', 'noise_p', 'noise_s',
    'amplitude_p', 'amplitude_s', 'line'}]}.
  """
  out, lines = {}, lines_of(path)
  i = 0
  while i < len(lines):
    number, line = lines[i]
    i += 1
    if not line.strip():
      continue
    head = line.split()
    if len(head) != 2 or not all(h.isdigit() for h in head):
      raise line_error(path, number, line,
                       'expected an event id and a count')
    rows = out.setdefault(head[0], [])
    for number, line in lines[i:i + int(head[1])]:
      r = FieldReader(path, number, line)
      rows.append({'station': r.str(1, 4).strip(),
                   'component': r.str(6, 8).strip(),
                   'network': r.str(10, 11).strip(),
                   'noise_p': r.real(29, 38, name='P noise'),
                   'noise_s': r.real(40, 49, name='S noise'),
                   'amplitude_p': r.real(51, 60, name='P amplitude'),
                   'amplitude_s': r.real(62, 71, name='S amplitude'),
                   'line': number})
    if i + int(head[1]) > len(lines):
      raise line_error(path, number, line, f'event {head[0]} promises '
                   f'{head[1]} lines; the file ends first')
    i += int(head[1])
  return out
