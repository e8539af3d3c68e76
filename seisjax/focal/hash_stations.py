"""HASH v1.2's station files: coordinates, polarity reversals, and the
station corrections of S/P amplitude ratios (station_subs.f: GETSTAT_TRI,
GETSTAT_SCSN, CHECK_POL, GET_COR), read as its drivers read them.
"""

import dataclasses

from seisjax.focal import hash_io


@dataclasses.dataclass(frozen=True)
class Station:
  """A station list entry (coordinates in degrees, elevation in km)."""
  network: str
  station: str
  component: str
  latitude: float
  longitude: float
  elevation_km: float
  start: int = 0  # YYYYMMDD
  end: int = 99999999


def _components(component):
  """HASH's component matches: the first two letters, V and E swapped."""
  swap = {'V': 'E', 'E': 'V'}
  first = component[:2]
  return {first, swap.get(first[:1], first[:1]) + first[1:]}


class StationList:
  """Station coordinates looked up as HASH's GETSTAT_TRI/GETSTAT_SCSN do:
  same name, and the first two letters of the component (V and E
  interchangeable) and the network equal, or both given as 'XX'."""

  def __init__(self, entries):
    self.entries = {}
    for entry in entries:
      self.entries.setdefault(entry.station, []).append(entry)

  def find(self, station, component, network, date=None):
    """The matching entry (active on `date` if several match), or None."""
    found = [e for e in self.entries.get(station, [])
             if (e.component[:2] in _components(component)
                 and e.network == network)
             or (component[:2] == 'XX' and network == 'XX')]
    active = [e for e in found if date is None or e.start <= date <= e.end]
    return (active or found or [None])[0]


def _yyyymmdd(text):
  digits = text.replace('/', '').strip()
  return int(digits) if digits.isdigit() else 0


def read_station_list(path, station_width: int = 4) -> StationList:
  """scsn.stations (4-character names) or scsn.stations_5char (5).

  GETSTAT_TRI (4): (a4,1x,a3,33x,f9.5,1x,f10.5,1x,i5,23x,a2): name,
  component, latitude, longitude, elevation m, network in 91-92; dates
  in 69-78 and 80-89. GETSTAT_SCSN (5): (a2,2x,a5,1x,a3,37x,f9.5,1x,
  f10.5,1x,i5): network, name, component, latitude, longitude, elevation;
  dates in 78-87 and 89-98.
  """
  if station_width not in (4, 5):
    raise ValueError(f'station_width must be 4 or 5, got {station_width}.')
  entries = []
  for number, line in hash_io.lines_of(path):
    if not line.strip():
      continue
    r = hash_io.FieldReader(path, number, line)
    if station_width == 4:
      entries.append(Station(
          r.str(91, 92).strip(), r.str(1, 4).strip(), r.str(6, 8).strip(),
          r.real(42, 50, name='latitude'), r.real(52, 61, name='longitude'),
          r.real(63, 67, name='elevation') / 1000.0,
          _yyyymmdd(r.str(69, 78)), _yyyymmdd(r.str(80, 89)) or 99999999))
    else:
      entries.append(Station(
          r.str(1, 2).strip(), r.str(5, 9).strip(), r.str(11, 13).strip(),
          r.real(51, 59, name='latitude'), r.real(61, 70, name='longitude'),
          r.real(72, 76, name='elevation') / 1000.0,
          _yyyymmdd(r.str(78, 87)), _yyyymmdd(r.str(89, 98)) or 99999999))
  return StationList(entries)


class Reversals:
  """Polarity-reversal periods per station name (HASH's CHECK_POL).

  `periods[station]` is a list of (first, last) YYYYMMDD days, inclusive; a
  0 start is 'always', a 0 end 'still reversed'.
  """

  def __init__(self, periods=None):
    self.periods = periods or {}

  def reversed(self, station: str, date: int) -> bool:
    """Whether the station's polarity was reversed on that day."""
    return any(a <= date <= b for a, b in self.periods.get(station, ()))


def read_reversals(path) -> Reversals:
  """scsn.reverse: (a5,i8,1x,i8) name, first and last day (YYYYMMDD)."""
  periods = {}
  for number, line in hash_io.lines_of(path):
    if not line.strip():
      continue
    r = hash_io.FieldReader(path, number, line)
    first = int(r.real(6, 13, name='first day'))
    last = int(r.real(15, 22, name='last day')) or 99999999
    periods.setdefault(r.str(1, 5).strip(), []).append((first, last))
  return Reversals(periods)


def read_station_corrections(path) -> dict[tuple[str, str], float]:
  """north3.statcor: (a4,2x,a3,a2,1x,f7.4) name, component, network, and
  the correction subtracted from log10(S/P).

  Returns:
    {(station, first two component letters): correction}; HASH's GET_COR
    ignores the network (the file has 'XX').
  """
  out = {}
  for number, line in hash_io.lines_of(path):
    if not line.strip():
      continue
    r = hash_io.FieldReader(path, number, line)
    key = (r.str(1, 4).strip(), r.str(7, 9).strip()[:2])
    out.setdefault(key, r.real(13, 19, name='correction'))
  return out


def station_correction(corrections, station, component):
  """GET_COR's match: name and component letters, V and E swapped."""
  for letters in sorted(_components(component)):
    if (station, letters) in corrections:
      return corrections[(station, letters)]
  return None
