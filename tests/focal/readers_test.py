"""Tests of the focal readers on HASH's, SKHASH's and the Kumamoto files,
and on QuakeML written as the picking module writes it.

Counts are checked against sources independent of the readers: HASH's own
reference outputs (the polarities each event used), line counts, csv.
Takeoffs are degrees from the DOWNWARD vertical unless a name says `hash`.
"""

import collections
import csv
import logging

import numpy as np
import obspy
from obspy.core import event as qml
from obspy.core.inventory import Channel, Inventory, Network, Station
import pytest

from seisjax.focal import hash_io
from seisjax.focal import hash_runs
from seisjax.focal import hash_stations
from seisjax.focal import hash_readers
from seisjax.focal import readers
from seisjax.focal import takeoffs
from seisjax.focal import types
from seisjax.picking import stream
from seisjax.seismo import source

from tests.focal.shared_data import HASH, KUMAMOTO, SKHASH
from tests.focal.shared_data import needs_hash, needs_kumamoto, needs_skhash
INPUT, OUTPUT = HASH / 'examples' / 'input', HASH / 'examples' / 'output'


@pytest.fixture(scope='module')
def hash_tables():
  """Tables of the five vz models, in the .inp files' order."""
  params = hash_runs.read_hash_inp(INPUT / 'example2.inp')
  return [takeoffs.build_table(takeoffs.read_velocity_model(p))
          for p in params.velocity_models]


@pytest.fixture(scope='module')
def examples(hash_tables):
  """{n: (params, reading)} of the five examples, one trial."""
  return {n: hash_readers.read_hash_example(INPUT / f'example{n}.inp',
                                            n_trials=1, tables=hash_tables)
          for n in range(1, 6)}


def _by_id(reading):
  return {e.event_id: e for e in reading.events}


def _misfit(obs, strike, dip, rake, flip=False):
  """Weighted share of polarities a mechanism predicts wrong (row 0)."""
  takeoff = 180.0 - obs.takeoff[0] if flip else obs.takeoff[0]
  sign = np.sign(source.radiation_p(strike, dip, rake, obs.azimuth[0],
                                    takeoff))
  return np.sum(obs.weight * (sign != obs.polarity)) / np.sum(obs.weight)


def test_fortran_fields():
  assert hash_io.real(' 1813', 2) == 18.13  # implied decimal point
  assert hash_io.real('18.5 ', 2) == 18.5  # an explicit one wins
  assert hash_io.real('    ', 2) == 0.0  # blank is zero
  assert hash_io.real(' -9', 0) == -9.0
  assert hash_io.cols('abc', 2, 5) == 'bc  '


@needs_hash
def test_inp_files():
  params = hash_runs.read_hash_inp(INPUT / 'example2.inp')
  assert params.driver == 2
  assert params.files['stfile'] == HASH / 'data' / 'stations' / 'scsn.stations'
  assert params.files['fpfile'] == INPUT / 'north2.phase'
  assert [p.name for p in params.velocity_models] == [
      'vz.socal', 'vz.north', 'vz.lab1', 'vz.sgm1', 'vz.vb1']
  assert params.values['nmc'] == 30 and params.values['maxout'] == 500
  assert params.values['delmax'] == 120.0
  assert params.values['badfrac'] == 0.1 and params.values['max_agap'] == 90
  three = hash_runs.read_hash_inp(INPUT / 'example3.inp')
  assert three.values['ratmin'] == 3.0 and three.values['qbadfac'] == 0.3
  assert three.files['ampfile'].name == 'north3.amp'
  five = hash_runs.read_hash_inp(INPUT / 'example5.inp')
  assert five.files['simulfile'].name == 'north5.simul'
  assert five.outputs == ['test5.out', 'test5.out2']


@needs_hash
def test_reference_output_example1():
  ref = hash_runs.read_hash_output(OUTPUT / 'example1.out')
  lines = (OUTPUT / 'example1.out').read_text().splitlines()
  assert sum(len(v) for v in ref.values()) == len(lines) == 25
  first = ref['3143312'][0]
  assert (first.strike, first.dip, first.rake) == (254, 60, 46)
  assert (first.fault_plane_uncertainty, first.aux_plane_uncertainty) == (
      26, 23)
  assert (first.npol, first.mfrac, first.quality) == (30, 0.09, 'B')
  assert (first.prob, first.stdr, first.n_sp) == (0.79, 0.66, 0)
  multiple = ref['3145744']
  assert [(s.strike, s.quality, s.prob) for s in multiple] == [
      (155, 'C', 0.54), (123, 'D', 0.26)]
  three = hash_runs.read_hash_output(OUTPUT / 'example3.out')['3143312'][0]
  assert (three.npol, three.n_sp, three.sp_misfit) == (27, 7, 0.64)


@needs_hash
@pytest.mark.parametrize('n', [1, 2, 3, 4, 5])
def test_examples_use_the_polarities_hash_used(examples, n):
  """Every event's polarity (and S/P) count equals HASH's own output's.

  HASH writes no line for quality E/F events: example 5 has 22 of its 24
  (3159027 and 3160206 have azimuthal gaps above 90 degrees).
  """
  _, reading = examples[n]
  ref = hash_runs.read_hash_output(OUTPUT / f'example{n}.out')
  events = _by_id(reading)
  assert len(reading.events) == 24
  assert len(ref) == (22 if n == 5 else 24)
  for event_id, solutions in ref.items():
    obs = events[event_id]
    assert int(np.sum(obs.weight > 0)) == solutions[0].npol, event_id
    assert int(np.sum(np.isfinite(obs.sp_ratio))) == solutions[0].n_sp
  if n == 2:  # every pick line is kept or rejected
    lines = (INPUT / 'north2.phase').read_text().splitlines()
    kept = sum(len(e.polarity) for e in reading.events)
    rejected = sum(len(r) for r in reading.rejected.values())
    assert kept + rejected == len(lines) - 2 * 24


@needs_hash
def test_north1_counts_and_rows(examples):
  _, reading = examples[1]
  lines = (INPUT / 'north1.phase').read_text().splitlines()
  ends = [line for line in lines if not line[:4].strip()]
  assert len(reading.events) == len(ends) == 24
  picks = len(lines) - 2 * len(ends)  # an event line and an end line each
  kept = sum(len(e.polarity) for e in reading.events)
  rejected = sum(len(r) for r in reading.rejected.values())
  assert kept + rejected == picks
  event = _by_id(reading)['3143312']
  assert event.origin['depth_km'] == 18.13
  np.testing.assert_allclose(event.origin['latitude'], 34.2425)
  assert event.origin['time'] == '1994-01-21T11:04:15.500000Z'
  row = dict(zip(event.station, range(len(event.station))))
  ir2 = row['IR2']  # 'IR2 IPD0 ... 258121 ... 51': 25.8 km, D, impulsive
  assert event.polarity[ir2] == types.DOWN and event.impulsive[ir2]
  assert event.takeoff[0, ir2] == 121.0 and event.azimuth[0, ir2] == 51.0
  assert types.takeoff_to_hash(event.takeoff[0, ir2]) == 59.0
  # GRH, 9 km from an 18 km deep source: up-going, near the straight ray.
  grh = row['GRH']
  assert event.takeoff[0, grh] == 152.0
  assert abs(152.0 - (180 - np.degrees(np.arctan2(9.0, 18.13)))) < 2
  assert ('SSN', 'beyond 120 km') in reading.rejected['3143312']


@needs_hash
def test_reversals_by_date(examples):
  """scsn.reverse: CPCP from 19940101 on, SWM 1991-1995, FIL from 1997."""
  event = _by_id(examples[1][1])['3143312']  # 1994-01-21
  polarity = dict(zip(event.station, event.polarity))
  assert polarity['CPCP'] == types.UP  # 'CPCPIPD0': D in the file
  assert polarity['SWM'] == types.DOWN  # 'SWM IPU0': U in the file
  assert polarity['FIL'] == types.UP  # 'FIL IPU0': not yet reversed
  reversals = hash_stations.read_reversals(HASH / 'data' / 'stations' /
                                     'scsn.reverse')
  assert reversals.reversed('SWM', 19940121)
  assert not reversals.reversed('SWM', 19950301)
  assert reversals.reversed('SWM', 19950601)
  assert reversals.reversed('ESG', 20200101)  # '0 0': always


@needs_hash
def test_file_angles_match_the_socal_table(examples, hash_tables):
  """north1.phase's takeoffs (another program's) are those of vz.socal
  within a fraction of a degree: the rays and the conventions agree."""
  phase = {e.event_id: e for e in hash_io.read_fpfit_phase(
      INPUT / 'north1.phase')}
  diffs = []
  for obs in examples[1][1].events:
    distance = {p['station']: p['distance_km']
                for p in phase[obs.event_id].picks}
    computed = hash_tables[0]([distance[s] for s in obs.station],
                              obs.origin['depth_km'])
    diffs.append(computed - obs.takeoff[0])
  diffs = np.abs(np.concatenate(diffs))
  assert np.median(diffs) < 0.5 and np.percentile(diffs, 90) < 1.5


@needs_hash
@pytest.mark.parametrize('n', [1, 2, 5])
def test_reference_mechanisms_fit_as_hash_says(examples, n):
  """HASH's mechanisms misfit our row-0 angles as often as HASH reports;
  reading the takeoffs in the wrong convention doubles the misfit."""
  ref = hash_runs.read_hash_output(OUTPUT / f'example{n}.out')
  ours, flipped, hash_mfrac = [], [], []
  for obs in examples[n][1].events:
    if obs.event_id in ref:
      s = ref[obs.event_id][0]
      ours.append(_misfit(obs, s.strike, s.dip, s.rake))
      flipped.append(_misfit(obs, s.strike, s.dip, s.rake, flip=True))
      hash_mfrac.append(s.mfrac)
  assert abs(np.mean(ours) - np.mean(hash_mfrac)) < 0.03
  assert np.mean(flipped) > np.mean(ours) + 0.07


@needs_hash
def test_sp_ratios_with_corrections(examples):
  _, reading = examples[3]
  event = _by_id(reading)['3143312']
  sp = np.isfinite(event.sp_ratio)
  assert sp.sum() == 7 and np.all(event.weight[sp] == 0)
  assert np.all(np.isnan(event.sp_ratio[~sp])) and np.all(event.weight[~sp])
  assert event.impulsive[~sp].all()  # driver 3 keeps impulsive ones only
  row = list(event.station).index('CI.NHL.ELZ S/P')
  # 'NHL ELZ CI ... 0.620 2.068 1.937 16.295', statcor 'NHL VLZ 0.0210'.
  np.testing.assert_allclose(event.sp_ratio[row],
                             np.log10(16.295 / 1.937) - 0.0210)
  assert ('CI.SMF.ELZ S/P', 'signal-to-noise below 3') in (
      reading.rejected['3143312'])
  corrections = hash_stations.read_station_corrections(INPUT / 'north3.statcor')
  assert hash_stations.station_correction(corrections, 'GRH', 'EHZ') == 0.0940


@needs_hash
def test_trials_of_the_examples(hash_tables):
  _, one = hash_readers.read_hash_example(INPUT / 'example1.inp',
                                          n_trials=30, rng=7)
  _, again = hash_readers.read_hash_example(INPUT / 'example1.inp',
                                            n_trials=30, rng=7)
  event = one.events[0]
  assert event.takeoff.shape == (30, len(event.polarity))
  np.testing.assert_array_equal(event.takeoff, again.events[0].takeoff)
  spread = np.std(event.takeoff[1:] - event.takeoff[0], axis=0)
  assert 5 < np.median(spread) < 15  # north1 states 10 degrees
  _, two = hash_readers.read_hash_example(INPUT / 'example2.inp',
                                          n_trials=6, tables=hash_tables)
  event = two.events[0]
  depth = event.origin['depth_km']
  distance = takeoffs.distance_azimuth(
      event.origin['latitude'], event.origin['longitude'],
      [34.38807], [-118.39972])[0]  # IR2
  ir2 = list(event.station).index('CI.IR2.VHZ')
  np.testing.assert_allclose(event.takeoff[0, ir2],
                             hash_tables[0](distance, depth)[0])
  assert np.all(event.azimuth == event.azimuth[0])


@needs_hash
def test_five_character_stations(examples):
  event = _by_id(examples[4][1])['3143312']
  assert 'CI.IR2.VHZ' in event.station
  assert 'WR.PYR.VHZ' in event.station  # 'WR  PYR   EHZ': V and E alike
  assert event.origin['depth_km'] == 21.32
  assert event.origin['time'] == '1994-01-21T11:04:15.470000Z'
  missing = [r.station for r in examples[4][1].rejected['3143312']
             if r.reason == 'not in the station list']
  assert missing == ['LA.TPR.VHZ', 'LA.PVP.VLZ']  # no LA network listed


@needs_hash
def test_simul_angles_and_name_matching(examples):
  event = _by_id(examples[5][1])['3143312']
  row = list(event.station).index('IR2C')  # ' IR2C  25.9  50 118 ...'
  assert event.takeoff[0, row] == 118.0 and event.azimuth[0, row] == 50.0
  assert event.polarity[row] == types.DOWN  # 'IR2  CI  VHZ I D'
  exact = hash_readers.read_hash5(
      INPUT / 'north5.simul', INPUT / 'north2.phase',
      HASH / 'data' / 'stations' / 'scsn.reverse', hash_name_match=False)
  with_names = _by_id(exact)['3143312']
  assert {'LA00', 'LA01'} <= set(with_names.station)
  assert 'LA01' not in event.station  # HASH's 3 letters: LA01 -> LA00


@needs_hash
def test_corrupted_line_names_file_and_line(tmp_path):
  lines = (INPUT / 'north1.phase').read_text().splitlines()
  lines[2] = lines[2][:62] + 'x2' + lines[2][64:]  # the takeoff of PYR
  path = tmp_path / 'bad.phase'
  path.write_text('\n'.join(lines) + '\n')
  with pytest.raises(hash_io.FormatError,
                     match=r'bad\.phase:3: columns 63-65 \(takeoff\)'):
    hash_readers.read_hash1(path)
  amp = (INPUT / 'north3.amp').read_text().splitlines()
  amp[0] = '2148509     twelve'
  path = tmp_path / 'bad.amp'
  path.write_text('\n'.join(amp))
  with pytest.raises(hash_io.FormatError, match=r'bad\.amp:1: expected'):
    hash_io.read_amplitudes(path)


@needs_hash
def test_missing_station_is_reported_and_skipped(hash_tables, caplog):
  stations = hash_stations.read_station_list(HASH / 'data' / 'stations' /
                                       'scsn.stations')
  full = hash_readers.read_hash2(INPUT / 'north2.phase', stations, None,
                                 hash_tables)
  del stations.entries['IR2']
  with caplog.at_level(logging.WARNING):
    reading = hash_readers.read_hash2(INPUT / 'north2.phase', stations, None,
                                      hash_tables)
  assert ('CI.IR2.VHZ', 'not in the station list') in reading.rejected[
      '3143312']
  assert 'Event 3143312: left out' in caplog.text and 'CI.IR2.VHZ' in (
      caplog.text)
  before, after = _by_id(full)['3143312'], _by_id(reading)['3143312']
  assert len(after.polarity) == len(before.polarity) - 1
  assert 'CI.IR2.VHZ' not in after.station


@needs_skhash
def test_skhash_polinfo():
  path = SKHASH / 'OUT' / 'out_polinfo.csv'
  reading = readers.read_skhash_polinfo(path, n_trials=4, rng=0)
  with open(path) as f:
    counts = collections.Counter(row['event_id'] for row in csv.DictReader(f))
  assert [e.event_id for e in reading.events] == ['1', '2']
  assert [len(e.polarity) for e in reading.events] == [counts['1'],
                                                       counts['2']]
  assert sum(counts.values()) == 7163 and not reading.rejected
  first = reading.events[0]
  # '1,GTC.--.EHZ,0.02566,...,takeoff 83.4615 (HASH's), azimuth 277.8186'
  assert first.station[0] == 'GTC.--.EHZ' and first.polarity[0] == types.UP
  assert first.weight[0] == 0.02566
  np.testing.assert_allclose(first.takeoff[0, 0], 180.0 - 83.4615)
  assert first.azimuth[0, 0] == 277.8186
  assert first.takeoff.shape == (4, counts['1'])
  assert first.origin['composite_of'] > 100
  # The takeoffs are HASH's convention: converted, out.csv's mechanism of
  # event 1 (318.4/64.6/176.2) fits them; read as ours it fits far worse.
  fit = _misfit(first, 318.4265, 64.6409, 176.158)
  assert fit < 0.05 < _misfit(first, 318.4265, 64.6409, 176.158, flip=True)


@needs_skhash
def test_skhash_consensus_polarities_with_a_stand_in_model():
  table = takeoffs.build_table(takeoffs.layered_model([0.0, 30.0],
                                                      [6.0, 8.0]))
  args = (SKHASH / 'IN' / 'pol_consensus.csv', SKHASH / 'IN' / 'station.csv',
          [table])
  plain = readers.read_skhash_polarities(*args)
  flipped = readers.read_skhash_polarities(
      *args, reversal_path=SKHASH / 'IN' / 'reverse.csv')
  assert [len(e.polarity) for e in plain.events] == [2995, 4168]
  event, reversed_event = plain.events[0], flipped.events[0]
  al1 = event.station == 'AL1.--.DPZ'
  assert al1.sum() > 0
  np.testing.assert_array_equal(reversed_event.polarity[al1],
                                -event.polarity[al1])
  gtc = event.station == 'GTC.--.EHZ'
  np.testing.assert_array_equal(reversed_event.polarity[gtc],
                                event.polarity[gtc])


@needs_kumamoto
def test_kumamoto_analyst_polarities():
  table = takeoffs.build_table(
      takeoffs.read_velocity_model(KUMAMOTO / 'vz.iasp91'),
      np.arange(0.0, 411.0, 2.0))
  reading = readers.read_kumamoto(KUMAMOTO, [table])
  with open(KUMAMOTO / 'Kumamoto_phase.csv') as f:
    table_counts = collections.Counter(r['pol'] for r in csv.DictReader(f))
  # The phase table: 58 U, 18 D, 45 K picks; 21 of them (13 U, 3 D, 5 K)
  # have neither a waveform nor station coordinates.
  assert table_counts == {'U': 58, 'D': 18, 'K': 45}
  events = _by_id(reading)
  assert set(events) == {'J2016041507465204', 'J2016042016013028'}
  up = sum(int(np.sum(e.polarity == types.UP)) for e in reading.events)
  down = sum(int(np.sum(e.polarity == types.DOWN)) for e in reading.events)
  assert (up, down) == (45, 15)
  reasons = collections.Counter(r.reason for rs in reading.rejected.values()
                                for r in rs)
  assert reasons == {'unknown polarity (K)': 45,
                     'not in the station list': 16}
  with_waveforms = readers.read_kumamoto(KUMAMOTO, [table],
                                         require_waveform=True)
  assert [len(e.polarity) for e in with_waveforms.events] == [
      len(e.polarity) for e in reading.events]
  for obs in reading.events:  # the catalogue mechanisms fit every polarity
    assert _misfit(obs, *obs.origin['reference_mechanism']) == 0.0


def _picks(names, polarities, time):
  """P picks as seisjax/picking/stream.py makes them."""
  picks = []
  for k, (name, polarity) in enumerate(zip(names, polarities)):
    network, station = name.split('.')
    picks.append(qml.Pick(
        time=time + 5.0 + k, phase_hint='P',
        waveform_id=qml.WaveformStreamID(network_code=network,
                                         station_code=station,
                                         location_code='', channel_code='HHZ'),
        polarity=stream.QUAKEML_POLARITY[polarity],
        evaluation_mode='automatic',
        method_id=qml.ResourceIdentifier(stream.METHOD_ID)))
  return picks


def _stations(n):
  rng = np.random.default_rng(5)
  return {f'XX.S{k:02d}': (35.0 + rng.uniform(-0.5, 0.5),
                           -118.0 + rng.uniform(-0.5, 0.5), 0.1)
          for k in range(n)}


def test_quakeml_round_trip(tmp_path):
  """Polarities of a mechanism -> picks (picking/stream.py) -> QuakeML ->
  Observations with the same stations, polarities and angles."""
  stations = _stations(12)
  origin = {'time': '2020-01-01T00:00:00Z', 'latitude': 35.0,
            'longitude': -118.0, 'depth_km': 8.0}
  table = takeoffs.build_table(takeoffs.layered_model([0.0], [6.0]),
                               np.arange(0.0, 121.0, 1.0))
  names = sorted(stations)
  distance, azimuth = takeoffs.distance_azimuth(
      35.0, -118.0, *np.array([stations[n][:2] for n in names]).T)
  takeoff = table(distance, 8.0)
  sign = np.sign(source.radiation_p(30.0, 60.0, 90.0, azimuth, takeoff))
  codes = [1 if s > 0 else 0 for s in sign]  # records.UP, records.DOWN
  picks = _picks(names, codes, obspy.UTCDateTime(origin['time']))
  picks[3].polarity = 'undecidable'
  path = tmp_path / 'picks.xml'
  stream.write_quakeml(picks, path)  # one event, no origin
  with pytest.raises(ValueError, match='has no origin'):
    readers.read_quakeml(path, stations, [table])
  reading = readers.read_quakeml(path, stations, [table], origin=origin)
  (obs,) = reading.events
  keep = np.arange(12) != 3
  assert list(obs.station) == [f'{n}..HHZ' for n in np.array(names)[keep]]
  np.testing.assert_array_equal(obs.polarity, sign[keep])
  np.testing.assert_allclose(obs.takeoff[0], takeoff[keep])
  np.testing.assert_allclose(obs.azimuth[0], azimuth[keep])
  rejected = reading.rejected[obs.event_id]
  assert rejected == [readers.Rejection(f'{names[3]}..HHZ',
                                        'polarity undecidable')]


def test_quakeml_with_origin_and_stationxml(tmp_path):
  stations = _stations(4)
  inventory = Inventory(networks=[Network('XX', stations=[
      Station(name.split('.')[1], lat, lon, elev * 1000.0, channels=[
          Channel('HHZ', '', lat, lon, elev * 1000.0, 0.0)])
      for name, (lat, lon, elev) in stations.items()])])
  xml = tmp_path / 'stations.xml'
  inventory.write(str(xml), format='STATIONXML')
  coordinates = readers.stations_from_inventory(xml)
  np.testing.assert_allclose(coordinates['XX.S01'], stations['XX.S01'])
  csv_path = tmp_path / 'stations.csv'
  csv_path.write_text(
      'network,station,latitude,longitude,elevation\n' + ''.join(
          f'XX,{n[3:]},{a},{b},{c * 1000}\n'
          for n, (a, b, c) in stations.items()))
  assert readers.read_station_csv(csv_path).keys() == stations.keys()
  time = obspy.UTCDateTime('2021-06-01T12:00:00')
  names = sorted(stations)[:3] + ['ZZ.NONE']
  picks = _picks(names, [1, 0, 1, 1], time)
  picks[1].onset = 'emergent'
  picks.append(_picks([names[0]], [0], time + 30)[0])  # a second P pick
  origin = qml.Origin(time=time, latitude=35.0, longitude=-118.0,
                      depth=6000.0,
                      depth_errors=qml.QuantityError(uncertainty=2000.0))
  event = qml.Event(resource_id=qml.ResourceIdentifier('smi:local/ev/42'),
                    picks=picks, origins=[origin])
  path = tmp_path / 'event.xml'
  qml.Catalog([event]).write(str(path), format='QUAKEML')
  table = takeoffs.build_table(takeoffs.layered_model([0.0], [6.0]),
                               np.arange(0.0, 121.0, 1.0))
  reading = readers.read_quakeml(path, coordinates, [table], n_trials=3)
  (obs,) = reading.events
  assert obs.event_id == '42'
  assert obs.polarity.tolist() == [types.UP, types.DOWN, types.UP]
  assert obs.impulsive.tolist() == [True, False, True]
  assert obs.origin['depth_km'] == 6.0
  assert obs.origin['depth_uncertainty_km'] == 2.0
  assert obs.takeoff.shape == (3, 3)
  assert sorted(r.reason for r in reading.rejected['42']) == [
      'a second P pick of the station', 'no station coordinates']
  reversals = hash_stations.Reversals({'S01': [(20210101, 99999999)],
                                       'S02': [(20200101, 20201231)]})
  flipped = readers.read_quakeml(path, coordinates, [table],
                                 reversals=reversals).events[0]
  assert flipped.polarity.tolist() == [types.UP, types.UP, types.UP]


def test_bad_csv_value_names_file_and_line(tmp_path):
  path = tmp_path / 'polinfo.csv'
  path.write_text(
      'event_id,sta_code,p_polarity,event_id2,origin_lat,origin_lon,'
      'origin_depth_km,takeoff,azimuth,takeoff_uncertainty,'
      'azimuth_uncertainty\n'
      '1,A.--.EHZ,0.5,9,39.0,-123.0,7.0,80.0,10.0,2.0,0.0\n'
      '1,B.--.EHZ,-0.5,9,39.0,-123.0,7.0,eighty,20.0,2.0,0.0\n')
  with pytest.raises(ValueError, match=r"polinfo\.csv:3: column 'takeoff'"):
    readers.read_skhash_polinfo(path)
