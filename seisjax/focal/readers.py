"""First motions from files, as `types.Observations`, with what was left out.

Every reader returns a `Reading`: the events (one `types.Observations`
each, in file order) and, per event id, the `Rejection`s (station and
reason) of the picks it left out; each event's rejections are also logged
as one warning. Readers of HASH's own example files are in hash_readers.py;
this module has the shared pieces and the other sources:

  read_skhash_polinfo    SKHASH's OUT/out_polinfo.csv: polarities with the
                         takeoffs and azimuths SKHASH used;
  read_skhash_polarities SKHASH's IN/pol_consensus.csv + station.csv
                         (+ reverse.csv), takeoffs from your tables;
  read_kumamoto          RPNet's Hi-net Kumamoto example: analysts' U/D;
  read_quakeml           QuakeML picks with polarities (as
                         seisjax/picking/stream.py writes them), stations
                         from StationXML or CSV, takeoffs from your tables.

Angles: every takeoff in an Observations is in degrees from the DOWNWARD
vertical (types.py); SKHASH's out_polinfo.csv writes HASH's upward
convention (its `flip_takeoff` is off in the maacama control file, and its
angles grow with distance, as up-going rays from the upward vertical do):
it is converted with `types.hash_to_takeoff`. Trials (`n_trials`) are drawn
with `numpy.random.default_rng(rng)`: the same seed, the same angles.
"""

import csv
import logging
import pathlib
from typing import NamedTuple

import numpy as np
import obspy

from seisjax.focal import takeoffs
from seisjax.focal import types
from seisjax.picking import records
from seisjax.picking import stream

log = logging.getLogger(__name__)

P_PHASES = ('P', 'Pg', 'Pn', 'Pb', 'p')  # QuakeML phase hints of a first P
_QUAKEML_POLARITY = {stream.QUAKEML_POLARITY[records.UP]: types.UP,
                     stream.QUAKEML_POLARITY[records.DOWN]: types.DOWN}


class Rejection(NamedTuple):
  """A pick a reader left out: its station and why."""
  station: str
  reason: str


class Reading(NamedTuple):
  """What a reader returns.

  Attributes:
    events: the events, in file order; an event may hold no polarity.
    rejected: {event id: [Rejection, ...]} of every event with one.
  """
  events: list
  rejected: dict


def report(event_id, rejections, rejected):
  """Logs an event's rejections (one warning) and stores them."""
  if not rejections:
    return
  rejected[event_id] = list(rejections)
  by_reason = {}
  for r in rejections:
    by_reason.setdefault(r.reason, []).append(r.station)
  log.warning('Event %s: left out %d picks: %s.', event_id, len(rejections),
              '; '.join(f'{reason} ({", ".join(stations)})'
                        for reason, stations in by_reason.items()))


def make_observations(event_id, rows, takeoff, azimuth, origin):
  """Observations from per-pick dicts and (n_trials, n) angles.

  Args:
    event_id: the event's id.
    rows: dicts with 'station', 'polarity', 'impulsive' and optionally
      'weight' and 'sp_ratio'.
    takeoff, azimuth: (n_trials, n); takeoffs from the DOWNWARD vertical.
    origin: the event's origin dict.
  """
  takeoff = np.atleast_2d(np.asarray(takeoff, np.float64))
  return types.Observations(
      event_id=str(event_id),
      station=np.array([r['station'] for r in rows], dtype=object),
      polarity=np.array([r['polarity'] for r in rows], int),
      impulsive=np.array([r['impulsive'] for r in rows], bool),
      takeoff=takeoff,
      azimuth=np.array(np.broadcast_to(azimuth, takeoff.shape), np.float64),
      sp_ratio=np.array([r.get('sp_ratio', np.nan) for r in rows], float),
      weight=np.array([r.get('weight', 1.0) for r in rows], float),
      origin=origin)


def depth_trial_angles(tables, distance_km, depth_km, depth_sigma_km,
                       n_trials, rng):
  """HASH example 2-4 takeoffs: perturbed depths, models cycled.

  Returns:
    (n_trials, n) takeoffs, degrees from the DOWNWARD vertical (row 0:
    the catalogue depth and the first table).
  """
  depths, models = takeoffs.depth_model_trials(
      depth_km, depth_sigma_km, n_trials, len(tables), rng)
  return takeoffs.table_trials(tables, distance_km, depths, models)


def _table(path):
  """Rows of a CSV file with the header's names, spaces stripped."""
  with open(path, newline='', encoding='utf-8') as f:
    rows = list(csv.reader(f, skipinitialspace=True))
  if not rows:
    raise ValueError(f'{path} is empty.')
  header = [h.strip() for h in rows[0]]
  return [(number, dict(zip(header, (v.strip() for v in row))))
          for number, row in enumerate(rows[1:], 2) if row]


def _number(path, number, row, key):
  try:
    return float(row[key])
  except (KeyError, ValueError):
    raise ValueError(f'{path}:{number}: column {key!r} is missing or not a '
                     f'number: {row}') from None


def _weighted(path, number, row, key, min_weight, rejections, station):
  """SKHASH's consensus polarity p: sign the polarity, |p| the weight."""
  p = _number(path, number, row, key)
  if p == 0 or abs(p) < min_weight:
    rejections.append(Rejection(station, f'weight {abs(p):g} below '
                                f'{max(min_weight, 0):g} or zero'))
    return None
  return {'station': station, 'polarity': types.UP if p > 0 else types.DOWN,
          'weight': abs(p), 'impulsive': True}


def _composite_origin(rows):
  """A composite event's origin: the median of its events' origins."""
  out = {key: float(np.median([r[key] for r in rows]))
         for key in ('latitude', 'longitude', 'depth_km')}
  out['composite_of'] = len({r['event_id2'] for r in rows})
  return out


def read_skhash_polinfo(path, *, n_trials: int = 1, rng=0,
                        min_weight: float = 0.0) -> Reading:
  """SKHASH's out_polinfo.csv: the polarities and angles SKHASH used.

  Columns read: event_id, sta_code, p_polarity (consensus p in [-1, 1]:
  sign the polarity, |p| the weight), event_id2, origin_lat, origin_lon,
  origin_depth_km, takeoff (degrees from the UPWARD vertical, HASH's
  convention: converted), azimuth, takeoff_uncertainty,
  azimuth_uncertainty. The polarities are those SKHASH used: no reversal is
  applied (the maacama control file names no reversal file).

  Args:
    path: the CSV file.
    n_trials: rows of angles; rows 1.. perturb the angles by normal draws
      times their uncertainties (`takeoffs.perturbed_trials`).
    rng: seed or Generator of the draws.
    min_weight: polarities with |p| below it are left out (p = 0 always).

  Returns:
    A Reading; each event's origin is the median of its events' origins
    (maacama's events are composites of many small ones) with
    'composite_of', the number of them. Takeoffs from the DOWNWARD vertical.
  """
  rng = np.random.default_rng(rng)
  events = {}
  for number, row in _table(path):
    event = events.setdefault(row['event_id'], {'rows': [], 'rejected': []})
    pick = _weighted(path, number, row, 'p_polarity', min_weight,
                     event['rejected'], row['sta_code'])
    if pick is None:
      continue
    for key in ('takeoff', 'azimuth', 'takeoff_uncertainty',
                'azimuth_uncertainty'):
      pick[key] = _number(path, number, row, key)
    for key, column in (('latitude', 'origin_lat'),
                        ('longitude', 'origin_lon'),
                        ('depth_km', 'origin_depth_km')):
      pick[key] = _number(path, number, row, column)
    pick['event_id2'] = row.get('event_id2', '')
    event['rows'].append(pick)
  reading = Reading([], {})
  for event_id, event in events.items():
    rows = event['rows']
    take, azi = takeoffs.perturbed_trials(
        types.hash_to_takeoff([r['takeoff'] for r in rows]),
        [r['azimuth'] for r in rows],
        np.abs([r['takeoff_uncertainty'] for r in rows]),
        np.abs([r['azimuth_uncertainty'] for r in rows]), n_trials, rng)
    reading.events.append(make_observations(
        event_id, rows, take, azi,
        _composite_origin(rows) if rows else {}))
    report(event_id, event['rejected'], reading.rejected)
  return reading


def read_skhash_stations(path) -> dict:
  """SKHASH's station.csv: {(station, location, channel): (lat, lon, elev
  km)}, the first of duplicate lines (elevation in m in the file)."""
  out = {}
  for number, row in _table(path):
    key = (row['station'], row.get('location', ''), row.get('channel', ''))
    out.setdefault(key, tuple(_number(path, number, row, k) for k in
                              ('latitude', 'longitude', 'elevation')))
  return {k: (a, b, c / 1000.0) for k, (a, b, c) in out.items()}


def read_skhash_polarities(path, station_path, tables, *,
                           reversal_path=None, max_distance_km=None,
                           depth_sigma_km: float = 1.0, n_trials: int = 1,
                           rng=0, min_weight: float = 0.0) -> Reading:
  """SKHASH's pol_consensus.csv with its station list; takeoffs computed.

  Each row has its own origin (origin_latitude, origin_longitude,
  origin_depth_km): composite events are many events. Stations match on
  (station, location, channel) (the maacama file has no network).

  Args:
    path: pol_consensus.csv.
    station_path: station.csv.
    tables: TakeoffTables (the maacama model is not shipped: any you
      choose), cycled over trials as HASH does.
    reversal_path: reverse.csv; the rows have no origin time, so a listed
      channel is reversed whatever its period (as SKHASH does then).
    max_distance_km: picks farther are left out (None: none).
    depth_sigma_km: standard deviation of the trial depths.
    n_trials, rng: trials (`depth_trial_angles`, one draw per trial shared
      by the rows of an event).
    min_weight: as in `read_skhash_polinfo`.

  Returns:
    A Reading; takeoffs from the DOWNWARD vertical.
  """
  rng = np.random.default_rng(rng)
  stations = read_skhash_stations(station_path)
  reversed_channels = set()
  if reversal_path is not None:
    reversed_channels = {(r['station'], r.get('location', ''),
                          r.get('channel', ''))
                         for _, r in _table(reversal_path)}
    log.info('Applying the reversals of %s whatever their periods: the '
             'polarities have no origin time.', reversal_path)
  events = {}
  for number, row in _table(path):
    event = events.setdefault(row['event_id'], {'rows': [], 'rejected': []})
    key = (row['station'], row.get('location', ''), row.get('channel', ''))
    name = '.'.join(key)
    if key not in stations:
      event['rejected'].append(Rejection(name, 'not in the station list'))
      continue
    pick = _weighted(path, number, row, 'p_polarity', min_weight,
                     event['rejected'], name)
    if pick is None:
      continue
    lat, lon, depth = (_number(path, number, row, k) for k in (
        'origin_latitude', 'origin_longitude', 'origin_depth_km'))
    distance, azimuth = takeoffs.distance_azimuth(lat, lon,
                                                  *stations[key][:2])
    if max_distance_km is not None and distance[0] > max_distance_km:
      event['rejected'].append(Rejection(name, f'beyond {max_distance_km} '
                                         'km'))
      continue
    if key in reversed_channels:
      pick['polarity'] = -pick['polarity']
    pick.update(latitude=lat, longitude=lon, depth_km=depth,
                distance_km=distance[0], azimuth=azimuth[0],
                event_id2=row.get('event_id2', ''))
    event['rows'].append(pick)
  reading = Reading([], {})
  for event_id, event in events.items():
    rows = event['rows']
    noise = rng.standard_normal(max(n_trials - 1, 0))
    models = (np.arange(n_trials) + 1) % len(tables)
    models[0] = 0
    distance = np.array([r['distance_km'] for r in rows])
    depth = np.array([r['depth_km'] for r in rows])
    take = np.stack([tables[models[t]](distance, depth + shift) for t, shift
                     in enumerate(np.r_[0.0, depth_sigma_km * noise])])
    azi = np.broadcast_to([r['azimuth'] for r in rows], take.shape)
    reading.events.append(make_observations(
        event_id, rows, take, azi, _composite_origin(rows) if rows else {}))
    report(event_id, event['rejected'], reading.rejected)
  return reading


_KUMAMOTO_POLARITY = {'U': types.UP, 'D': types.DOWN}


def read_kumamoto(folder, tables, *, max_distance_km=None,
                  depth_sigma_km: float = 1.0, n_trials: int = 1, rng=0,
                  require_waveform: bool = False,
                  polarities: dict | None = None) -> Reading:
  """RPNet's Kumamoto example: the analysts' P polarities of two events.

  Kumamoto_phase.csv (event_id, data_id, sta, ptime, stime, pol: U, D or K
  unknown), Kumamoto_catalog.csv (location, magnitude, catalogue mechanism)
  and hinet_station.csv (sta, lat, lon, elv m). K picks are left out
  ('unknown polarity (K)'), and so are stations missing from the station
  list: in the shipped files these are exactly the 21 picks without a
  waveform file.

  Args:
    folder: the kumamoto_hinet folder.
    tables: TakeoffTables (e.g. of vz.iasp91) reaching the farthest station
      (405 km without max_distance_km).
    max_distance_km: picks farther are left out (None: none).
    depth_sigma_km: standard deviation of the trial depths.
    n_trials, rng: trials (`depth_trial_angles`).
    require_waveform: also leave out picks without waveform/<data_id>/
      <sta>.U.SAC.
    polarities: {(event_id, sta): 'U', 'D' or 'K'} to use instead of the
      analysts' (a classifier's); a pick missing from it is left out.

  Returns:
    A Reading; each origin has 'reference_mechanism' (strike, dip, rake)
    of the catalogue, and as 'time' its column 'jst' as written (the
    strings end in 'Z'; the phase times are on the same clock). Takeoffs
    from the DOWNWARD vertical.
  """
  folder = pathlib.Path(folder)
  rng = np.random.default_rng(rng)
  stations = {row['sta']: row for _, row in
              _table(folder / 'hinet_station.csv')}
  picks = {}
  for number, row in _table(folder / 'Kumamoto_phase.csv'):
    picks.setdefault(row['event_id'], []).append((number, row))
  reading = Reading([], {})
  path = folder / 'Kumamoto_catalog.csv'
  for number, event in _table(path):
    lat, lon, depth = (_number(path, number, event, k)
                       for k in ('lat', 'lon', 'dep'))
    origin = {'time': event['jst'], 'latitude': lat, 'longitude': lon,
              'depth_km': depth, 'magnitude': _number(path, number, event,
                                                      'mag'),
              'reference_mechanism': tuple(_number(path, number, event, k)
                                           for k in ('strike', 'dip',
                                                     'slip'))}
    rows, rejected = [], []
    for _, pick in picks.get(event['event_id'], []):
      name = pick['sta']
      pol = pick['pol'] if polarities is None else polarities.get(
          (event['event_id'], name))
      if pol not in _KUMAMOTO_POLARITY:
        rejected.append(Rejection(name, f'unknown polarity ({pol})' if pol
                                  else 'not classified (no usable record)'))
        continue
      if name not in stations:
        rejected.append(Rejection(name, 'not in the station list'))
        continue
      sac = folder / 'waveform' / pick['data_id'] / f'{name}.U.SAC'
      if require_waveform and not sac.is_file():
        rejected.append(Rejection(name, 'no waveform file'))
        continue
      distance, azimuth = takeoffs.distance_azimuth(
          lat, lon, float(stations[name]['lat']),
          float(stations[name]['lon']))
      if max_distance_km is not None and distance[0] > max_distance_km:
        rejected.append(Rejection(name, f'beyond {max_distance_km} km'))
        continue
      rows.append({'station': name, 'impulsive': True,
                   'polarity': _KUMAMOTO_POLARITY[pol],
                   'distance_km': distance[0], 'azimuth': azimuth[0]})
    take = depth_trial_angles(tables, [r['distance_km'] for r in rows],
                              depth, depth_sigma_km, n_trials, rng)
    azi = np.broadcast_to([r['azimuth'] for r in rows], take.shape)
    reading.events.append(make_observations(event['event_id'], rows, take,
                                            azi, origin))
    report(event['event_id'], rejected, reading.rejected)
  return reading


def stations_from_inventory(inventory) -> dict:
  """{'NET.STA': (lat, lon, elevation km)} of an obspy Inventory (or the
  path of a StationXML file)."""
  if not isinstance(inventory, obspy.Inventory):
    inventory = obspy.read_inventory(str(inventory))
  return {f'{net.code}.{sta.code}': (sta.latitude, sta.longitude,
                                     sta.elevation / 1000.0)
          for net in inventory for sta in net}


def read_station_csv(path) -> dict:
  """A CSV of network, station, latitude, longitude, elevation (m):
  {'NET.STA': (lat, lon, elevation km)}."""
  out = {}
  for number, row in _table(path):
    out[f'{row["network"]}.{row["station"]}'] = (
        _number(path, number, row, 'latitude'),
        _number(path, number, row, 'longitude'),
        _number(path, number, row, 'elevation') / 1000.0)
  return out


def _quakeml_origin(event, origin, path):
  """The event's origin as an origin dict (or the given one)."""
  found = event.preferred_origin() or (event.origins[0] if event.origins
                                       else None)
  if found is None:
    if origin is None:
      raise ValueError(f'{path}: event {event.resource_id} has no origin; '
                       'pass origin= (a dict with time, latitude, '
                       'longitude, depth_km).')
    return dict(origin)
  out = {'time': str(found.time), 'latitude': found.latitude,
         'longitude': found.longitude, 'depth_km': found.depth / 1000.0}
  if found.depth_errors and found.depth_errors.uncertainty:
    out['depth_uncertainty_km'] = found.depth_errors.uncertainty / 1000.0
  magnitude = event.preferred_magnitude() or (event.magnitudes[0] if
                                              event.magnitudes else None)
  if magnitude is not None:
    out['magnitude'] = magnitude.mag
  out['resource_id'] = str(found.resource_id)
  return out


def read_quakeml(path, stations, tables, *, origin=None,
                 max_distance_km=None, depth_sigma_km=None,
                 reversals=None, n_trials: int = 1, rng=0) -> Reading:
  """Picks with first-motion polarities from QuakeML (or a Catalog).

  The P picks (phase hint P, Pg, Pn, Pb) of each event with polarity
  'positive' (UP) or 'negative' (DOWN) are kept; 'undecidable' or no
  polarity, a station without coordinates, a second P pick of one station
  (the earliest is kept) are left out. Onset 'emergent' is not impulsive,
  any other (none, as the picker writes) is.

  Args:
    path: a QuakeML file, or an obspy Catalog.
    stations: {'NET.STA': (lat, lon, elevation km)} (`stations_from_
      inventory`, `read_station_csv`).
    tables: TakeoffTables, cycled over trials.
    origin: the origin dict of events without one (the picker writes none);
      an event without either raises ValueError.
    max_distance_km: picks farther are left out (None: none).
    depth_sigma_km: trial depth spread; None: the origin's depth
      uncertainty, else 1 km (HASH's default).
    reversals: hash_stations.Reversals keyed by station code, applied on
      the origin's day (None: none).
    n_trials, rng: trials (`depth_trial_angles`).

  Returns:
    A Reading; event ids are the last part of the resource ids; station
    names are NET.STA.LOC.CHA. Takeoffs from the DOWNWARD vertical.
  """
  catalog = path if isinstance(path, obspy.Catalog) else obspy.read_events(
      str(path), format='QUAKEML')
  rng = np.random.default_rng(rng)
  reading = Reading([], {})
  for event in catalog:
    event_id = str(event.resource_id).rstrip('/').split('/')[-1]
    where = _quakeml_origin(event, origin, path)
    day = (int(str(where['time'])[:10].replace('-', ''))
           if where.get('time') else None)
    rows, rejected, seen = [], [], set()
    for pick in sorted(event.picks, key=lambda p: p.time):
      if pick.phase_hint not in P_PHASES:
        continue
      wid = pick.waveform_id
      name = wid.get_seed_string()
      key = f'{wid.network_code}.{wid.station_code}'
      if pick.polarity not in _QUAKEML_POLARITY:
        rejected.append(Rejection(name, f'polarity {pick.polarity}'))
      elif key not in stations:
        rejected.append(Rejection(name, 'no station coordinates'))
      elif key in seen:
        rejected.append(Rejection(name, 'a second P pick of the station'))
      else:
        seen.add(key)
        distance, azimuth = takeoffs.distance_azimuth(
            where['latitude'], where['longitude'], *stations[key][:2])
        if max_distance_km is not None and distance[0] > max_distance_km:
          rejected.append(Rejection(name, f'beyond {max_distance_km} km'))
          continue
        polarity = _QUAKEML_POLARITY[pick.polarity]
        if reversals is not None and day is not None and reversals.reversed(
            wid.station_code, day):
          polarity = -polarity
        rows.append({'station': name, 'impulsive': pick.onset != 'emergent',
                     'polarity': polarity,
                     'distance_km': distance[0], 'azimuth': azimuth[0]})
    sigma = depth_sigma_km or where.get('depth_uncertainty_km') or 1.0
    take = depth_trial_angles(tables, [r['distance_km'] for r in rows],
                              where['depth_km'], sigma, n_trials, rng)
    azi = np.broadcast_to([r['azimuth'] for r in rows], take.shape)
    reading.events.append(make_observations(event_id, rows, take, azi,
                                            where))
    report(event_id, rejected, reading.rejected)
  return reading
