"""HASH v1.2's five examples as `types.Observations`, as its drivers read
them (hash_driver1.f-hash_driver5.f; formats in hash_io.py).

  example  reader                     angles of the trials
  1        read_hash1                 north1.phase's, perturbed by its
                                      stated uncertainties
  2        read_hash2                 vz.* tables: perturbed depth, the
                                      models cycled; 4-character stations
  3        read_hash3                 as 2, impulsive polarities only, and
                                      S/P amplitude ratios (north3.amp)
  4        read_hash2(station_width=5) as 2 on north4.phase, depth sigma 1
  5        read_hash5                 north5.simul's (SIMULPS), perturbed;
                                      polarities from north2.phase
`read_hash_example(path of example*.inp)` runs the right one with the
parameters and files of the .inp.

What each driver keeps (and these readers reject, with the reason):
stations missing from the station list; stations beyond `delmax` (not in
example 3, whose driver never applies it); picks without a U/u/+ or D/d/-
polarity; FPFIT quality digits above 1 (examples 1, 5); emergent onsets
(example 3). Polarities of stations that scsn.reverse lists as reversed on
the event's day are flipped. An event keeps its place even with too few
polarities (quality F or E: HASH's drivers then write no line for it).

Angles: takeoffs in degrees from the DOWNWARD vertical. north1.phase and
north5.simul already measure them so (the drivers' 180 - angle is HASH's
internal upward convention); the tables compute them so. Distances and
azimuths to stations are WGS84 (obspy) unless distance_method='hash'
(HASH's flat earth, 111.2 km per degree).

S/P ratios (example 3) have no polarity, which Observations cannot hold:
each is a row of its own after the polarities, with weight 0 (it counts
in no polarity misfit), polarity +1 as a placeholder, and its log10 S/P
after the station correction in `sp_ratio` (NaN on polarity rows). The
polarity count is the number of rows with weight > 0.
"""

import logging
import pathlib

import numpy as np

from seisjax.focal import hash_io
from seisjax.focal import hash_runs
from seisjax.focal import hash_stations
from seisjax.focal import readers
from seisjax.focal import takeoffs

log = logging.getLogger(__name__)


def _stations(value, width):
  if isinstance(value, hash_stations.StationList):
    return value
  return hash_stations.read_station_list(value, width)


def _reversals(value):
  if value is None:
    return hash_stations.Reversals()
  if isinstance(value, hash_stations.Reversals):
    return value
  return hash_stations.read_reversals(value)


def _polarity(pick, reversals, date, rejected, name):
  code = hash_io.POLARITY_CODES.get(pick['polarity'])
  if code is None:
    rejected.append(readers.Rejection(
        name, f'no polarity ({pick["polarity"]!r})'))
    return None
  return -code if reversals.reversed(pick['station'], date) else code


def read_hash1(phase_path, reversal_path=None, *,
               max_distance_km: float | None = 120.0, n_trials: int = 1,
               rng=0) -> readers.Reading:
  """HASH example 1: north1.phase, angles and uncertainties given.

  Args:
    phase_path: the FPFIT-like file.
    reversal_path: scsn.reverse (or hash_stations.Reversals, or None).
    max_distance_km: HASH's delmax on the file's distances (None: none).
    n_trials: rows of angles: row 0 as written, the others plus normal
      draws times the stated uncertainties (`takeoffs.perturbed_trials`).
    rng: seed or Generator.

  Returns:
    A Reading; impulsive = quality digit 0; takeoffs from the DOWNWARD
    vertical, as the file has them.
  """
  reversals = _reversals(reversal_path)
  rng = np.random.default_rng(rng)
  reading = readers.Reading([], {})
  for event in hash_io.read_fpfit_phase(phase_path):
    rows, rejected = [], []
    for pick in event.picks:
      name = pick['station']
      if max_distance_km is not None and pick['distance_km'] > max_distance_km:
        rejected.append(readers.Rejection(
            name, f'beyond {max_distance_km:g} km'))
        continue
      if pick['quality'] > 1:
        rejected.append(readers.Rejection(
            name, f'quality {pick["quality"]} > 1'))
        continue
      code = _polarity(pick, reversals, event.date, rejected, name)
      if code is not None:
        rows.append(dict(pick, polarity=code, impulsive=pick['quality'] == 0))
    take, azi = takeoffs.perturbed_trials(
        [r['takeoff'] for r in rows], np.mod([r['azimuth'] for r in rows],
                                             360.0),
        [r['takeoff_sigma'] for r in rows], [r['azimuth_sigma'] for r in rows],
        n_trials, rng)
    reading.events.append(readers.make_observations(
        event.event_id, rows, take, azi, event.origin))
    readers.report(event.event_id, rejected, reading.rejected)
  return reading


def _located(event, pick, stations, reversals, rejected, max_distance_km,
             impulsive_only, distance_method):
  """A pick row of drivers 2-4 with its distance and azimuth, or None."""
  name = '.'.join(x for x in (pick['network'], pick['station'],
                              pick['component']) if x)
  entry = stations.find(pick['station'], pick['component'], pick['network'],
                        event.date)
  if entry is None:
    rejected.append(readers.Rejection(name, 'not in the station list'))
    return None
  origin = event.origin
  distance, azimuth = takeoffs.distance_azimuth(
      origin['latitude'], origin['longitude'], entry.latitude,
      entry.longitude, distance_method)
  if max_distance_km is not None and distance[0] > max_distance_km:
    rejected.append(readers.Rejection(name, f'beyond {max_distance_km:g} km'))
    return None
  code = _polarity(pick, reversals, event.date, rejected, name)
  if code is None:
    return None
  impulsive = pick['onset'] in ('I', 'i')
  if impulsive_only and not impulsive:
    rejected.append(readers.Rejection(name, 'emergent onset'))
    return None
  return {'station': name, 'polarity': code, 'impulsive': impulsive,
          'distance_km': distance[0], 'azimuth': azimuth[0]}


def _depth_sigma(event, depth_sigma_km):
  """The drivers' depth uncertainty: the file's, 1 km where it is 0."""
  if depth_sigma_km is not None:
    return depth_sigma_km
  return event.origin.get('depth_uncertainty_km') or 1.0


def _with_angles(event, rows, tables, depth_sigma_km, n_trials, rng):
  """The event's Observations; its origin records the depth spread used."""
  sigma = _depth_sigma(event, depth_sigma_km)
  event.origin['depth_uncertainty_km'] = sigma
  take = readers.depth_trial_angles(
      tables, [r['distance_km'] for r in rows], event.origin['depth_km'],
      sigma, n_trials, rng)
  azi = np.broadcast_to([r['azimuth'] for r in rows], take.shape)
  return readers.make_observations(event.event_id, rows, take, azi,
                                   event.origin)


def read_hash2(phase_path, station_path, reversal_path, tables, *,
               station_width: int = 4, max_distance_km: float | None = 120.0,
               impulsive_only: bool = False, depth_sigma_km=None,
               n_trials: int = 1, rng=0,
               distance_method: str = 'geodetic') -> readers.Reading:
  """HASH examples 2 and 4: SCEDC phase files, takeoffs from tables.

  Args:
    phase_path: north2.phase (station_width 4) or north4.phase (5).
    station_path: scsn.stations / scsn.stations_5char (or a StationList).
    reversal_path: scsn.reverse (or Reversals, or None).
    tables: TakeoffTables of the velocity models, in the .inp's order.
    station_width: 4 (driver 2) or 5 (driver 4).
    max_distance_km: delmax (None: none).
    impulsive_only: keep only I/i onsets (driver 3).
    depth_sigma_km: trial depth spread; None: the file's (driver 4's
      files have none: 1 km, as the driver sets).
    n_trials, rng: trials (`readers.depth_trial_angles`: trial 0 the
      catalogue depth and first model).
    distance_method: 'geodetic' or 'hash' (`takeoffs.distance_azimuth`).

  Returns:
    A Reading; stations named NET.STA.CMP; takeoffs from the DOWNWARD
    vertical.
  """
  stations = _stations(station_path, station_width)
  reversals = _reversals(reversal_path)
  rng = np.random.default_rng(rng)
  reading = readers.Reading([], {})
  for event in hash_io.read_scedc_phase(phase_path, station_width):
    rows, rejected = [], []
    for pick in event.picks:
      if pick['phase'] != 'P':  # north4's S lines
        continue
      row = _located(event, pick, stations, reversals, rejected,
                     max_distance_km, impulsive_only, distance_method)
      if row is not None:
        rows.append(row)
    reading.events.append(_with_angles(event, rows, tables, depth_sigma_km,
                                       n_trials, rng))
    readers.report(event.event_id, rejected, reading.rejected)
  return reading


def _sp_rows(event, amplitudes, corrections, stations, min_snr,
             distance_method, rejected):
  """Driver 3's S/P rows of an event (log10 S/|P| minus the correction)."""
  rows = []
  for amp in amplitudes.get(event.event_id, []):
    name = f'{amp["network"]}.{amp["station"]}.{amp["component"]} S/P'
    entry = stations.find(amp['station'], amp['component'], amp['network'],
                          event.date)
    correction = hash_stations.station_correction(corrections, amp['station'],
                                            amp['component'])
    p, s = abs(amp['amplitude_p']), amp['amplitude_s']
    with np.errstate(divide='ignore', invalid='ignore'):  # noise 0: inf
      snr = min(np.float64(p) / amp['noise_p'], np.float64(s) / amp['noise_s'])
    reason = None
    if entry is None:
      reason = 'not in the station list'
    elif correction is None:
      reason = 'no station correction'
    elif p == 0:
      reason = 'zero P amplitude'
    elif snr < min_snr:
      reason = f'signal-to-noise below {min_snr:g}'
    if reason:
      rejected.append(readers.Rejection(name, reason))
      continue
    distance, azimuth = takeoffs.distance_azimuth(
        event.origin['latitude'], event.origin['longitude'], entry.latitude,
        entry.longitude, distance_method)
    rows.append({'station': name, 'polarity': 1, 'impulsive': True,
                 'weight': 0.0, 'sp_ratio': np.log10(s / p) - correction,
                 'distance_km': distance[0], 'azimuth': azimuth[0]})
  return rows


def read_hash3(phase_path, amplitude_path, correction_path, station_path,
               reversal_path, tables, *, min_snr: float = 3.0,
               depth_sigma_km=None, n_trials: int = 1, rng=0,
               distance_method: str = 'geodetic') -> readers.Reading:
  """HASH example 3: impulsive polarities and S/P amplitude ratios.

  As hash_driver3.f: polarities of north2.phase with I/i onsets (no
  distance limit), then per event the amplitudes of north3.amp whose
  station is listed, has a correction in north3.statcor (name and
  component; V and E alike) and P and S signal-to-noise ratios of at least
  `min_snr` (HASH's ratmin): log10(S/|P|) minus the correction. Amplitude
  rows come after the polarity rows, with weight 0 (module docstring).

  Returns:
    A Reading; takeoffs from the DOWNWARD vertical.
  """
  stations = _stations(station_path, 4)
  reversals = _reversals(reversal_path)
  amplitudes = hash_io.read_amplitudes(amplitude_path)
  corrections = hash_stations.read_station_corrections(correction_path)
  rng = np.random.default_rng(rng)
  reading = readers.Reading([], {})
  for event in hash_io.read_scedc_phase(phase_path, 4):
    rows, rejected = [], []
    for pick in event.picks:
      row = _located(event, pick, stations, reversals, rejected, None, True,
                     distance_method)
      if row is not None:
        rows.append(row)
    rows += _sp_rows(event, amplitudes, corrections, stations, min_snr,
                     distance_method, rejected)
    reading.events.append(_with_angles(event, rows, tables, depth_sigma_km,
                                       n_trials, rng))
    readers.report(event.event_id, rejected, reading.rejected)
  return reading


def _simul_match(simul_names, name, hash_name_match):
  """Index of the SIMULPS station a polarity's station name belongs to."""
  for k, simul in enumerate(simul_names):
    if hash_name_match:
      if simul[:3] == name[:3]:
        return k
    elif simul == name or (len(name) == 3 and simul[:3] == name):
      return k
  return None


def read_hash5(simul_path, phase_path, reversal_path=None, *,
               max_distance_km: float | None = 120.0, n_trials: int = 1,
               rng=0, hash_name_match: bool = True) -> readers.Reading:
  """HASH example 5: SIMULPS angles (north5.simul), north2.phase polarities.

  As hash_driver5.f: the SIMULPS stations within delmax, uncertainties of
  0 read as 0.5 degrees; each polarity line of the event (same id) with
  quality digit (column 17: blank, so 0, in north2.phase) at most 1 gives
  its polarity to the first SIMULPS station whose name starts with the same
  3 letters (hash_name_match; else the same name, or the 3-letter name plus
  a network letter, 'IR2' -> 'IR2C'); a later match overwrites. SIMULPS
  stations without a polarity are left out. HASH's 3-letter rule gives
  LA01's polarity to LA00 when both are listed (logged).

  Returns:
    A Reading; stations named as SIMULPS does; takeoffs from the DOWNWARD
    vertical (as SIMULPS writes them; HASH flips them to its convention).
  """
  reversals = _reversals(reversal_path)
  rng = np.random.default_rng(rng)
  polarities = {e.event_id: e for e in hash_io.read_scedc_phase(phase_path)}
  reading = readers.Reading([], {})
  for event in hash_io.read_simul(simul_path):
    rejected, picks = [], []
    for pick in event.picks:
      if max_distance_km is not None and pick['distance_km'] > max_distance_km:
        rejected.append(readers.Rejection(pick['station'],
                                  f'beyond {max_distance_km:g} km'))
      else:
        picks.append(dict(pick, polarity=None))
    names = [p['station'] for p in picks]
    found = polarities.get(event.event_id)
    for line in found.picks if found else []:
      k = _simul_match(names, line['station'], hash_name_match)
      if k is None or line['quality'] > 1:
        continue
      code = _polarity(line, reversals, event.date, [], line['station'])
      if code is None:
        continue
      if names[k][:4].rstrip() != line['station'] and len(line['station']) > 3:
        log.warning('Event %s: polarity of %s given to SIMULPS station %s '
                    "(HASH's 3-letter match).", event.event_id,
                    line['station'], names[k])
      picks[k].update(polarity=code, impulsive=line['quality'] == 0)
    rows = []
    for pick in picks:
      if pick['polarity'] is None:
        rejected.append(readers.Rejection(pick['station'], 'no polarity in '
                                  f'{pathlib.Path(phase_path).name}'))
      else:
        rows.append(pick)
    take, azi = takeoffs.perturbed_trials(
        [r['takeoff'] for r in rows], np.mod([r['azimuth'] for r in rows],
                                             360.0),
        [r['takeoff_sigma'] or 0.5 for r in rows],
        [r['azimuth_sigma'] or 0.5 for r in rows], n_trials, rng)
    origin = dict(event.origin, horizontal_uncertainty_km=0.0,
                  depth_uncertainty_km=0.0)
    reading.events.append(readers.make_observations(
        event.event_id, rows, take, azi, origin))
    readers.report(event.event_id, rejected, reading.rejected)
  return reading


def read_hash_example(inp_path, *, n_trials: int | None = None, rng=0,
                      tables=None, distance_method: str = 'geodetic'):
  """Reads a HASH example as its driver does, with its .inp's parameters.

  Args:
    inp_path: examples/input/example<N>.inp (its files are looked up beside
      it and in ../../data/{stations,velocity}).
    n_trials: trials; None: the .inp's nmc.
    rng: seed or Generator of the trials.
    tables: TakeoffTables to use instead of building the .inp's models'
      on HASH's grid (drivers 2-4).
    distance_method: 'geodetic' or 'hash'.

  Returns:
    (hash_runs.HashParameters, readers.Reading).
  """
  params = hash_runs.read_hash_inp(inp_path)
  files, values = params.files, params.values
  n_trials = values['nmc'] if n_trials is None else n_trials
  if params.driver in (2, 3, 4) and tables is None:
    tables = [takeoffs.build_table(takeoffs.read_velocity_model(p))
              for p in params.velocity_models]
  common = {'n_trials': n_trials, 'rng': rng}
  if params.driver == 1:
    reading = read_hash1(files['fpfile'], files['plfile'],
                         max_distance_km=values['delmax'], **common)
  elif params.driver in (2, 4):
    reading = read_hash2(
        files['fpfile'], files['stfile'], files['plfile'], tables,
        station_width=4 if params.driver == 2 else 5,
        max_distance_km=values['delmax'],
        depth_sigma_km=1.0 if params.driver == 4 else None,
        distance_method=distance_method, **common)
  elif params.driver == 3:
    reading = read_hash3(files['fpfile'], files['ampfile'], files['corfile'],
                         files['stfile'], files['plfile'], tables,
                         min_snr=values['ratmin'],
                         distance_method=distance_method, **common)
  else:
    reading = read_hash5(files['simulfile'], files['fpfile'], files['plfile'],
                         max_distance_km=values['delmax'], **common)
  return params, reading
