"""The paper's catalogue shipped in the package (Tables 1 and 2 of Ong et al.).

Pins rows of seisjax/precursor/ong_tables.csv as the reader returns them,
the reader's errors, the `catalogue` command with and without a service
(a mocked one), what the FDSN rebuild's rule keeps of the 63 events, and
that the file is package data. Nothing here needs ../shared/data but the
byte-for-byte comparison with its copy, which skips without it.
"""

import collections
import csv
import os
import subprocess
import sys

from obspy import UTCDateTime
from obspy.geodetics import locations2degrees
import pytest

from configs import experiments
from seisjax.precursor import japan
from seisjax.precursor import japan_cli
from seisjax.precursor import mock_fdsn
from seisjax.precursor import paper_catalogue
from seisjax.seismo import SHARED_DATA
from seisjax_datasets.japan_precursor import (
    japan_precursor_dataset_builder as builder_lib)
from tests import clitools

ROWS = paper_catalogue.read_tables()
MA2_TIME = '2018-11-14T21:21:50'


def _row(time):
  [row] = [r for r in ROWS if r['time'].startswith(time)]
  return row


def _pin(row):
  return tuple(row[c] for c in ('time', 'magnitude', 'distance_deg', 'set',
                                'split', 'station'))


def test_the_tables_have_the_papers_sets_splits_and_stations():
  assert len(ROWS) == 63
  assert collections.Counter((r['set'], r['split']) for r in ROWS) == {
      ('A', 'train'): 24, ('A', 'test'): 7, ('B', 'verify'): 32}
  assert collections.Counter(r['station'] for r in ROWS) == {'MAJO': 62,
                                                             'MA2': 1}
  assert all(tuple(r) == japan.CATALOGUE_COLUMNS for r in ROWS)
  assert {r['magnitude_type'] for r in ROWS} == {'Mw'}
  assert len({r['event_id'] for r in ROWS}) == 63
  set_a = [r for r in ROWS if r['set'] == 'A']
  set_b = [r for r in ROWS if r['set'] == 'B']
  assert _pin(set_a[0]) == ('2019-06-18T13:22:19.000000Z', 6.4, 2.32, 'A',
                            'train', 'MAJO')
  assert _pin(set_a[-1]) == ('2013-10-25T17:10:17.000000Z', 7.1, 5.27, 'A',
                             'test', 'MAJO')
  assert _pin(set_b[0]) == ('2022-05-22T15:17:31.000000Z', 6.0, 4.61, 'B',
                            'verify', 'MAJO')
  assert _pin(set_b[-1]) == ('2019-07-27T18:31:08.000000Z', 6.3, 3.51, 'B',
                             'verify', 'MAJO')
  # Table 1's largest event, and the one recorded at IU.MA2 (row 25).
  assert _pin(_row('2014-11-09T14:38:15')) == (
      '2014-11-09T14:38:15.000000Z', 7.6, 10.54, 'A', 'train', 'MAJO')
  ma2 = ROWS[24]
  assert ma2 == {
      'time': f'{MA2_TIME}.000000Z', 'latitude': 55.6324,
      'longitude': 162.0008, 'depth_km': 50.2, 'magnitude': 6.1,
      'magnitude_type': 'Mw', 'distance_deg': 7.18,
      'event_id': f'ong:{MA2_TIME}', 'set': 'A', 'split': 'test',
      'station': 'MA2'}
  # Set A spans 2012-05 to 2019-06, set B 2019-07 to 2022-05.
  times = lambda rows: sorted(UTCDateTime(r['time']) for r in rows)
  assert times(set_a)[-1] < times(set_b)[0]
  assert (str(times(set_a)[0])[:10], str(times(set_b)[-1])[:10]) == (
      '2012-05-23', '2022-05-22')


def test_the_printed_distances_and_the_rebuild_rule():
  """Set A prints great-circle distances, set B flat ones; one event is out."""
  majo = japan.STATION['latitude'], japan.STATION['longitude']
  ma2 = japan.STATION_MA2['latitude'], japan.STATION_MA2['longitude']
  for r in ROWS:
    station = ma2 if r['station'] == 'MA2' else majo
    great_circle = locations2degrees(*station, r['latitude'], r['longitude'])
    flat = ((r['latitude'] - majo[0]) ** 2
            + (r['longitude'] - majo[1]) ** 2) ** 0.5
    if r['set'] == 'B':
      assert r['distance_deg'] == pytest.approx(flat, abs=0.006), r['time']
    elif r['time'][:19] not in ('2016-01-11T17:08:03', '2016-04-14T12:26:35'):
      assert r['distance_deg'] == pytest.approx(great_circle, abs=0.025), (
          r['time'])
  # The two set-A distances that are neither (printed 6.93 and 7.18).
  assert locations2degrees(*majo, 44.4761, 141.0867) == pytest.approx(
      8.23, abs=0.005)
  assert paper_catalogue.outside_rebuild_rules(ROWS) == {
      f'ong:{MA2_TIME}': '24.98 deg from MAJO > 20 (recorded at MA2)'}
  assert sum(r['distance_deg'] > 20 for r in ROWS) == 7  # All set B, flat.


def test_a_rebuild_from_a_service_holding_the_63_events():
  """The FDSN rule keeps 62; assign_sets does not reproduce the split."""
  client = mock_fdsn.MockClient(catalog=mock_fdsn.catalog_of(ROWS))
  rebuilt = japan.rebuild_catalogue(client)
  assert len(rebuilt) == 62
  assert {r['event_id'] for r in ROWS} - {r['event_id'] for r in rebuilt} == {
      f'ong:{MA2_TIME}'}
  assert max(r['distance_deg'] for r in rebuilt) == pytest.approx(19.82,
                                                                  abs=0.005)
  # Earliest 31 as set A: the paper's 30 MAJO set-A events and 2019-07-27.
  paper_a = {r['event_id'] for r in ROWS if r['set'] == 'A'}
  rebuilt_a = {r['event_id'] for r in rebuilt if r['set'] == 'A'}
  assert rebuilt_a - paper_a == {'ong:2019-07-27T18:31:08'}
  assert paper_a - rebuilt_a == {f'ong:{MA2_TIME}'}
  assert {r['station'] for r in rebuilt} == {'MAJO'}


def test_the_catalogue_command_writes_the_papers_or_the_services(
    tmp_path, monkeypatch, capsys):
  out = tmp_path / 'catalogue.csv'
  japan_cli.main(['catalogue', '--out', str(out)])
  assert '63 events written' in capsys.readouterr().out
  assert japan.read_catalogue(out) == ROWS == paper_catalogue.load(out)
  assert paper_catalogue.load(None) == ROWS == paper_catalogue.load('')

  services = []
  def client(name):
    services.append(name)
    return mock_fdsn.MockClient(catalog=mock_fdsn.catalog_of(ROWS))
  monkeypatch.setattr(japan_cli, 'Client', client)
  rebuilt = tmp_path / 'rebuilt.csv'
  japan_cli.main(['catalogue', '--out', str(rebuilt), '--client', 'USGS',
                  '--seed', '1'])
  assert services == ['USGS']
  assert '62 events written' in capsys.readouterr().out
  assert len(japan.read_catalogue(rebuilt)) == 62


def test_rebuild_flags_without_a_service_are_refused(tmp_path, capsys):
  with pytest.raises(SystemExit) as info:
    japan_cli.main(['catalogue', '--out', str(tmp_path / 'c.csv'),
                    '--n_test', '3'])
  assert info.value.code == 1
  error = capsys.readouterr().err.splitlines()[0]
  assert error.startswith('seisjax-japan: error: --n_test: only for a '
                          'rebuild from an FDSN event service')
  assert not (tmp_path / 'c.csv').exists()


def _tables(tmp_path, edit=None, drop=None):
  with open(paper_catalogue.PATH, newline='') as f:
    rows = list(csv.DictReader(f))
  if edit:
    rows[edit[0]][edit[1]] = edit[2]
  columns = [c for c in paper_catalogue.TABLE_COLUMNS if c != drop]
  path = tmp_path / 'tables.csv'
  with open(path, 'w', newline='') as f:
    writer = csv.DictWriter(f, columns, extrasaction='ignore')
    writer.writeheader()
    writer.writerows(rows)
  return path


@pytest.mark.parametrize('edit, message', [
    ((2, 'mw', 'six'), "line 4, column 'mw': 'six' is not a number"),
    ((2, 'mw', '-1'), "line 4, column 'mw': '-1' is not a magnitude"),
    ((2, 'station', 'MAIO'), "line 4, column 'station': 'MAIO'"),
    ((2, 'split', 'verify'), "line 4, column 'split'"),
    ((2, 'time', 'noon'), "line 4, column 'time'"),
    ((2, 'time', '2019-06-18T13:22:19'),
     "line 4, column 'time': '2019-06-18T13:22:19' is also on line 2"),
])
def test_a_bad_table_names_file_line_and_column(tmp_path, edit, message):
  path = _tables(tmp_path, edit)
  with pytest.raises(ValueError) as info:
    paper_catalogue.load(path)
  assert str(info.value).startswith(f'{path}, {message}')


def test_a_table_without_a_column_or_a_file_is_a_clear_error(tmp_path):
  path = _tables(tmp_path, drop='depth_km')
  with pytest.raises(ValueError, match=r"missing columns \['depth_km'\]"):
    paper_catalogue.read_tables(path)
  with pytest.raises(ValueError, match='no such catalogue file'):
    paper_catalogue.load(tmp_path / 'absent.csv')


def test_the_real_data_experiments_default_to_the_papers_catalogue():
  for exp in set(experiments.EXPERIMENTS) - {'detect'}:
    config = experiments.get_config(f'exp={exp},data=japan')
    assert config.data.catalogue == paper_catalogue.PATH
  with pytest.raises(ValueError, match='synthetic only'):
    experiments.get_config('exp=detect,data=japan')  # It plants precursors.
  config = experiments.get_config('exp=7.1,data=japan')
  assert (config.data.split, config.data.n_verify_events) == ('catalogue', 32)
  layout = japan.Layout()
  set_a = japan.plan('set_a', paper_catalogue.load(config.data.catalogue),
                     layout)
  set_b = japan.plan('set_b', ROWS, layout)
  assert (len(set_a), len(set_b)) == (31, 32)
  assert [t.id for t in set_a if t.station == 'MA2'] == ['row25']
  assert collections.Counter(t.info['split'] for t in set_a) == {
      'train': 24, 'test': 7}
  assert {t.station for t in japan.plan('fake', ROWS, layout)} == {'MAJO'}
  for t in set_a + set_b:
    assert t.end == UTCDateTime(ROWS[int(t.id[3:]) - 1]['time'])
  # The builders too, without a catalogue: the paper's, read by `load`.
  assert builder_lib.make_config(kind='set_b').catalogue == (
      paper_catalogue.PATH)


def test_the_tables_are_package_data(tmp_path):
  """A non-editable install gets the file: build_py is what a wheel holds."""
  root = clitools.ROOT
  built = subprocess.run(
      [sys.executable, 'setup.py', '-q', 'build_py', '--build-lib',
       str(tmp_path)], cwd=root, capture_output=True, text=True)
  assert built.returncode == 0, built.stderr
  copy = tmp_path / 'seisjax' / 'precursor' / 'ong_tables.csv'
  with open(copy, 'rb') as a, open(paper_catalogue.PATH, 'rb') as b:
    assert a.read() == b.read()


def test_the_package_copy_is_the_shared_file_byte_for_byte():
  shared = SHARED_DATA / 'japan_catalogue' / 'ong_tables.csv'
  if not shared.is_file():
    pytest.skip(f'the transcribed tables are not at {shared}')
  with open(shared, 'rb') as a, open(paper_catalogue.PATH, 'rb') as b:
    assert a.read() == b.read()
  assert os.path.basename(paper_catalogue.PATH) == shared.name
