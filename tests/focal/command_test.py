"""The focal command: the QuakeML variant end to end, bad input, the
workdir contract, progress lines, and the command line itself.

The QuakeML case is synthetic: P picks (as seisjax/picking/stream.py
writes them) with the first motions of a known mechanism at stations of a
CSV list, takeoffs from a two-layer model, so it needs no ../shared.
"""

import csv
import fcntl
import logging
import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import obspy
from obspy.core import event as qml
import pytest

from configs import focal as focal_config
from seisjax import seismo
from seisjax.engine import workdir as workdir_lib
from seisjax.focal import mechanism
from seisjax.focal import run as run_lib
from seisjax.focal import sources
from seisjax.focal import takeoffs
from seisjax.picking import records
from seisjax.picking import stream
from seisjax.seismo import source

ROOT = pathlib.Path(__file__).resolve().parents[2]
HASH = seismo.SHARED_DATA / 'focal' / 'hash_v1.2'
needs_hash = pytest.mark.skipif(not HASH.is_dir(),
                                reason=f'HASH examples not found at {HASH}')
MECHANISM = (30.0, 60.0, 90.0)
ORIGIN = (35.0, -118.0, 8.0)  # latitude, longitude, depth km


def _event(event_id, stations, time, table, extra=()):
  """A QuakeML event: an origin and P picks with MECHANISM's first motions
  at `stations` ({'NET.STA': (lat, lon, elev km)}, takeoffs from `table`),
  plus picks at stations named in `extra` (not in the list)."""
  names = sorted(stations)
  distance, azimuth = takeoffs.distance_azimuth(
      ORIGIN[0], ORIGIN[1], *np.array([stations[n][:2] for n in names]).T)
  takeoff = table(distance, ORIGIN[2])
  up = source.radiation_p(*MECHANISM, azimuth, takeoff) > 0
  picks = []
  for k, name in enumerate(list(names) + list(extra)):
    network, station = name.split('.')
    polarity = records.UP if k >= len(names) or up[k] else records.DOWN
    picks.append(qml.Pick(
        time=time + 3.0 + k, phase_hint='P',
        waveform_id=qml.WaveformStreamID(network_code=network,
                                         station_code=station,
                                         location_code='', channel_code='HHZ'),
        polarity=stream.QUAKEML_POLARITY[polarity],
        method_id=qml.ResourceIdentifier(stream.METHOD_ID)))
  origin = qml.Origin(time=time, latitude=ORIGIN[0], longitude=ORIGIN[1],
                      depth=ORIGIN[2] * 1000.0)
  return qml.Event(resource_id=qml.ResourceIdentifier(f'smi:local/{event_id}'),
                   picks=picks, origins=[origin])



def _ring(n, first, last, radius_km=(1.0, 60.0), seed=0):
  """n stations at azimuths first..last degrees around the epicentre."""
  rng = np.random.default_rng(seed)
  out = {}
  for k, (azimuth, r) in enumerate(zip(
      np.linspace(first, last, n, endpoint=False),
      rng.uniform(*radius_km, n))):
    lat = ORIGIN[0] + r * np.cos(np.radians(azimuth)) / 111.2
    lon = ORIGIN[1] + r * np.sin(np.radians(azimuth)) / (
        111.2 * np.cos(np.radians(ORIGIN[0])))
    out[f'XX.S{seed}{k:02d}'] = (lat, lon, 0.1)
  return out


@pytest.fixture()
def quakeml_case(tmp_path):
  """(folder, stations) of picks.xml, stations.csv and vz.two_layers."""
  model = tmp_path / 'vz.two_layers'
  model.write_text('0.0 6.0\n30.0 6.0\n30.0 8.0\n60.0 8.0\n')
  table = takeoffs.build_table(takeoffs.read_velocity_model(model))
  good = _ring(30, 0.0, 360.0, seed=1)
  few = _ring(5, 0.0, 360.0, seed=2)
  one_side = _ring(12, 10.0, 70.0, seed=3)
  time = obspy.UTCDateTime('2021-06-01T12:00:00')
  catalog = qml.Catalog([
      _event('good', good, time, table, extra=['ZZ.GONE']),
      _event('few', few, time + 600, table),
      _event('one_side', one_side, time + 1200, table)])
  catalog.write(str(tmp_path / 'picks.xml'), format='QUAKEML')
  stations = {**good, **few, **one_side}
  with open(tmp_path / 'stations.csv', 'w') as f:
    f.write('network,station,latitude,longitude,elevation\n')
    for name, (lat, lon, elev) in stations.items():
      f.write(f'{name.replace(".", ",")},{lat},{lon},{elev * 1000}\n')
  return tmp_path


def _config(folder, **fields):
  config = focal_config.get_config('quakeml')
  config.data_dir = str(folder)
  config.quakeml.update(picks='picks.xml', stations='stations.csv',
                        velocity_model='vz.two_layers')
  config.n_trials = 8
  config.update(fields)
  return config


def _rows(path):
  with open(path, newline='') as f:
    return list(csv.DictReader(f))


def test_quakeml_picks_to_mechanisms(quakeml_case, capsys):
  workdir = quakeml_case / 'run'
  summary = run_lib.run(_config(quakeml_case), str(workdir))
  rows = {r['event_id']: r for r in _rows(workdir / 'mechanisms.csv')}
  good = rows['good']
  assert list(good)[:11] == ['event_id', 'strike', 'dip', 'rake',
                             'fault_plane_uncertainty',
                             'aux_plane_uncertainty', 'npol', 'mfrac',
                             'quality', 'prob', 'stdr']
  found = [float(good[k]) for k in ('strike', 'dip', 'rake')]
  assert mechanism.kagan_angle(found, MECHANISM) < 15.0
  assert good['quality'] in 'ABC' and int(good['npol']) == 30
  # Too few polarities: F; all stations on one side: E; both say why.
  assert rows['few']['quality'] == 'F' and rows['few']['strike'] == ''
  assert rows['one_side']['quality'] == 'E'
  assert 'fewer than npolmin = 8' in summary['no_mechanism']['few']
  assert 'azimuthal gap' in summary['no_mechanism']['one_side']
  printed = capsys.readouterr().out
  assert 'few: quality F: 5 polarities, fewer than npolmin = 8' in printed
  assert 'one_side: quality E: azimuthal gap' in printed
  # A station missing from the list: reported, skipped.
  assert {'event_id': 'good', 'station': 'ZZ.GONE..HHZ',
          'reason': 'no station coordinates'} in _rows(workdir /
                                                       'rejected.csv')
  catalog = obspy.read_events(str(workdir / 'mechanisms.xml'))
  assert len(catalog) == 3
  by_id = {str(e.resource_id).split('/')[-1]: e for e in catalog}
  assert len(by_id['good'].focal_mechanisms) >= 1
  assert not by_id['few'].focal_mechanisms
  assert (workdir / 'figures' / 'quality.png').stat().st_size > 1000
  assert (workdir / 'figures' / 'beachball_good.png').is_file()
  assert not list(workdir.rglob('.tmp-*'))  # every file renamed into place


def test_progress_lines(quakeml_case, caplog):
  with caplog.at_level(logging.INFO, logger='seisjax'):
    run_lib.run(_config(quakeml_case, progress_every=1),
                str(quakeml_case / 'run'))
  lines = [r.getMessage() for r in caplog.records
           if r.getMessage().startswith('events ')]
  assert lines[0] == 'events 1/3'
  assert lines[-1].startswith('events 3/3 (100%) ') and 'events/s ETA' in (
      lines[-1])


def test_the_workdir_holds_one_run(quakeml_case):
  workdir = str(quakeml_case / 'run')
  run_lib.run(_config(quakeml_case), workdir)
  run_lib.run(_config(quakeml_case), workdir)  # the same run again
  with pytest.raises(workdir_lib.WorkdirError, match=r'seed 0 -> 3'):
    run_lib.run(_config(quakeml_case, seed=3), workdir)
  fd = os.open(os.path.join(workdir, workdir_lib.LOCK), os.O_RDWR)
  try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another process's
    with pytest.raises(workdir_lib.WorkdirError, match='in use'):
      run_lib.run(_config(quakeml_case), workdir)
  finally:
    os.close(fd)


def test_bad_fields_and_missing_inputs(quakeml_case, tmp_path):
  with pytest.raises(ValueError, match=r'inversion\.dang=0\.0 is out'):
    config = _config(quakeml_case)
    config.inversion.dang = 0.0
    run_lib.run(config, str(tmp_path / 'a'))
  with pytest.raises(ValueError, match=r'inversion\.trim=median is out'):
    config = _config(quakeml_case)
    config.inversion.trim = 'median'
    run_lib.run(config, str(tmp_path / 'a'))
  with pytest.raises(ValueError, match=r'needs --config\.quakeml\.picks'):
    run_lib.run(_config(quakeml_case, quakeml={'picks': ''}),
                str(tmp_path / 'b'))
  with pytest.raises(FileNotFoundError, match='nothere.xml'):
    run_lib.run(_config(quakeml_case, quakeml={'picks': 'nothere.xml'}),
                str(tmp_path / 'c'))
  # The failed run left no config behind: the corrected one goes on.
  assert not (tmp_path / 'c' / 'config.json').exists()
  run_lib.run(_config(quakeml_case), str(tmp_path / 'c'))
  with pytest.raises(ValueError, match='one variant'):
    focal_config.get_config('example1,maacama')
  with pytest.raises(ValueError, match='polarity_workdir'):
    focal_config.get_config('kumamoto,polarities=cnn')


def _hash_copy(tmp_path, line_3):
  """HASH's example 1 layout with line 3 of north1.phase replaced."""
  root = tmp_path / 'hash'
  (root / 'examples' / 'input').mkdir(parents=True)
  (root / 'data' / 'stations').mkdir(parents=True)
  shutil.copy(HASH / 'examples' / 'input' / 'example1.inp',
              root / 'examples' / 'input')
  shutil.copy(HASH / 'data' / 'stations' / 'scsn.reverse',
              root / 'data' / 'stations')
  lines = (HASH / 'examples' / 'input' / 'north1.phase').read_text(
      encoding='latin-1').splitlines()
  lines[2] = line_3(lines[2])
  (root / 'examples' / 'input' / 'north1.phase').write_text(
      '\n'.join(lines) + '\n', encoding='latin-1')
  return root


@needs_hash
@pytest.mark.parametrize('takeoff, message', [
    ('nan', r'3143312: takeoff angle of SWM is NaN or outside 0-180'),
    ('200', r'3143312: takeoff angle of SWM is NaN or outside 0-180')])
def test_nan_or_out_of_range_takeoffs_are_refused(tmp_path, takeoff,
                                                  message):
  root = _hash_copy(tmp_path, lambda line: line[:62] + takeoff + line[65:])
  config = focal_config.get_config('example1')
  config.data_dir = str(root)
  with pytest.raises(ValueError, match=message):
    run_lib.run(config, str(tmp_path / 'run'))


@needs_hash
def test_the_command_reports_an_unreadable_line(tmp_path):
  """The console script: one error line naming file and line, exit 1;
  --debug shows the traceback."""
  root = _hash_copy(tmp_path, lambda line: line[:62] + 'x2' + line[64:])
  script = pathlib.Path(sys.executable).parent / 'seisjax-focal'
  command = [str(script) if script.exists() else sys.executable,
             *([] if script.exists() else ['-m', 'seisjax.focal']),
             '--config=configs/focal.py:example1',
             f'--config.data_dir={root}', f'--workdir={tmp_path / "run"}']
  done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                        timeout=300)
  assert done.returncode == 1, done.stderr
  errors = [line for line in done.stderr.splitlines()
            if line.startswith('seisjax-focal:')]
  assert errors[0].startswith('seisjax-focal: error: ')
  assert 'north1.phase:3: columns 63-65 (takeoff)' in errors[0]
  assert errors[1] == 'seisjax-focal: (--debug shows the traceback)'
  assert 'Traceback' not in done.stderr


def test_origin_of_picks_without_one():
  assert sources.parse_origin('2021-06-01T12:00:00Z, 35.0, -118.0, 8.0') == {
      'time': '2021-06-01T12:00:00Z', 'latitude': 35.0, 'longitude': -118.0,
      'depth_km': 8.0}
  assert sources.parse_origin('') is None
  with pytest.raises(ValueError, match="'time,latitude,longitude,depth_km'"):
    sources.parse_origin('35.0,-118.0')
