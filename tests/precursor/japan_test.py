"""The Japan precursor ingest chain on a mocked FDSN client.

The paper's catalogue (its 63 events, packaged) -> `seisjax-japan
download` into the cache -> QC (rejecting the bad records) -> TFDS build of
every kind, offline -> read back -> experiments 7.1 and fake; the builder
with a client on six of the events. The mock (seisjax/precursor/
mock_fdsn.py) serves real TA.O18A noise as IU.MAJO and IU.MA2, except
IV.BDI (gaps, 20 Hz) at one real set-A event and TA.W54A (teleseismic
surface waves) at another, and no data at one set-B event. A tiny
windowing keeps records at 73072 samples (30 min).
"""

import contextlib
import csv
import io
import json
import os
import shutil
import types

import ml_collections
import numpy as np
import obspy
from obspy import UTCDateTime
import pytest

from configs import experiments
from seisjax.engine import train
from seisjax.precursor import data as precursor_data
from seisjax.precursor import japan
from seisjax.precursor import japan_cli
from seisjax.precursor import mock_fdsn
from seisjax.precursor import paper_catalogue
from seisjax.precursor import task
from seisjax.precursor import windowing
from seisjax.seismo import fdsn
from seisjax_datasets.japan_precursor import (
    japan_precursor_dataset_builder as builder_lib)
from tests import clitools

FS = mock_fdsn.FS
INTERVAL, WINDOW, STRIDE, N_WINDOWS, N_INTERVALS = 2000, 2048, 128, 9, 36
LEAD = windowing.lead_in_samples(WINDOW, STRIDE, N_WINDOWS, INTERVAL)
SPAN = LEAD + INTERVAL
RECORD = LEAD + N_INTERVALS * INTERVAL
# The paper's 63 events in table order: plan ids row1..row63. Set A is
# rows 1-31 (24 train, then 7 test from row25, recorded at IU.MA2), set B
# rows 32-63.
ROWS = paper_catalogue.read_tables()
TIMES = [UTCDateTime(r['time']) for r in ROWS]
SET_A = [f'row{k}' for k in range(1, 32)]
SET_B = [f'row{k}' for k in range(32, 64)]
MA2 = 'row25'  # 2018-11-14T21:21:50, Kamchatka, a test event.
# Bad recordings at real events no other record reaches (30 min records):
# two set-A training events and one set-B event.
BDI, W54A, NO_DATA = ROWS[1]['time'], ROWS[3]['time'], ROWS[51]['time']
PASSED_A = [i for i in SET_A if i not in ('row2', 'row4')]  # 29 records
PASSED_B = [i for i in SET_B if i != 'row52']  # 31 records


def _client(**kwargs):
  return mock_fdsn.MockClient(
      catalog=mock_fdsn.catalog_of(ROWS), stand_ins={BDI: 'BDI',
                                                     W54A: 'W54A'},
      no_data=[NO_DATA], **kwargs)


def _row(target_id):
  return ROWS[int(target_id[3:]) - 1]


def _n_calls(client):
  return sum(client.calls.values())


# The layout flags of `seisjax-japan download` for the tiny records.
LAYOUT_FLAGS = ['--interval_samples', str(INTERVAL), '--lead_in_samples',
                str(LEAD), '--n_noise', '3', '--n_fake', '2']


@pytest.fixture(scope='module')
def world(tmp_path_factory):
  """The `config.data` fields (the paper's catalogue) and the steps.

  As docs/precursor.md runs them: `seisjax-japan download` of a kind
  through the mock (download), then the builder reads the cache offline
  (build), the way `client=` experiments do; each step runs once.
  """
  if not mock_fdsn.CONTINUOUS.is_dir():
    pytest.skip(f'real recordings not found at {mock_fdsn.CONTINUOUS}')
  tmp = tmp_path_factory.mktemp('japan')
  data = ml_collections.ConfigDict(dict(
      catalogue='', waveform_dir=str(tmp / 'cache'),  # '': the paper's
      client='', sampling_rate=FS, n_intervals=N_INTERVALS,
      interval_samples=INTERVAL, window_samples=WINDOW, window_stride=STRIDE,
      windows_per_interval=N_WINDOWS, n_noise_b=3, n_fake=2, noise_seed=0))
  downloaded, built = {}, {}

  def download(kind):
    """(mock client, printed lines) of the download command of a kind."""
    if kind not in downloaded:
      client, out = _client(), io.StringIO()
      with pytest.MonkeyPatch.context() as patch, (
          contextlib.redirect_stdout(out)):
        patch.setattr(japan_cli, 'Client', lambda name: client)
        japan_cli.main(['download', '--waveform_dir', data.waveform_dir,
                        '--kind', kind, *LAYOUT_FLAGS])
      downloaded[kind] = client, out.getvalue()
    return downloaded[kind]

  def build(kind):
    """(builder, data source) of a kind, built offline from the cache."""
    if kind not in built:
      download(kind)
      builder = builder_lib.make_builder(data, kind, str(tmp / 'tfds'))
      builder.download_and_prepare()
      built[kind] = (builder, builder.as_data_source(builder_lib.SPLIT))
    return built[kind]

  return types.SimpleNamespace(tmp=tmp, data=data, download=download,
                               build=build)


def _expected(start, n, station='MAJO'):
  """What the mock served from `start`: (n, 3) BH1, BH2, BHZ demeaned."""
  x = np.stack([mock_fdsn.counts(c, start, n, station).astype(np.float64)
                for c in ('BH1', 'BH2', 'BHZ')], axis=-1)
  return x - x.mean(axis=0)


def _cache_file(target):
  """The cache file of a target's record, named by its request's key."""
  [(_, request)], _ = japan.make_requests([target], _client(), FS)
  return request.key + '.mseed'


def _targets(builder, rows=ROWS):
  """The set-A targets of a catalogue in a builder's layout."""
  return japan.plan('set_a', rows, builder_lib.layout(builder.builder_config))


def test_set_a_download_qc_build_and_read_back(world):
  client, out = world.download('set_a')
  assert '31 of 31 records in' in out  # Bad recordings are QC's to reject.
  assert _n_calls(client) == 31 and set(client.calls.values()) == {1}
  assert client.stations == {'MAJO': 30, 'MA2': 1}
  # The MA2 event's request, and so its cache file, name IU.MA2.
  with open(os.path.join(world.data.waveform_dir, fdsn.MANIFEST)) as f:
    requests = json.load(f)['requests']
  builder, source = world.build('set_a')
  key = _cache_file(_targets(builder)[24])[:-len('.mseed')]
  assert key.startswith('IU.MA2.00.BH1_BH2_BHZ.20181114T')
  assert requests[key]['request']['station'] == 'MA2'

  meta = builder.info.metadata
  rejected = {r['id']: r for r in meta['rejected']}
  assert sorted(rejected) == ['row2', 'row4']
  assert {r['stage'] for r in rejected.values()} == {'qc'}
  bdi, w54a = rejected['row2']['reasons'], rejected['row4']['reasons']
  assert any(r.startswith('gap: ') for r in bdi)
  assert any(r.startswith('sampling rate 20.0 Hz') for r in bdi)
  assert any(r.startswith('earthquake signal (0.02-0.1 Hz)') for r in w54a)
  assert not any(r.startswith(('gap', 'sampling', 'missing')) for r in w54a)

  with open(meta['qc_report']) as f:
    report = {r['id']: r for r in csv.DictReader(f)}
  assert list(report) == SET_A
  assert [i for i, r in report.items() if r['passed'] == 'False'] == [
      'row2', 'row4']
  assert report['row2']['reasons'] == '; '.join(bdi)
  # Offline, the manual folder served row 25 from its IU.MA2 file.
  assert report[MA2]['record_id'].startswith('IU.MA2.00.BH?_2018-11-14T')
  assert report['row1']['record_id'].startswith('IU.MAJO.00.BH?_')
  qc_dir = os.path.dirname(meta['qc_report'])
  assert sorted(p for p in os.listdir(qc_dir) if p.endswith('.png')) == (
      sorted(f'{i}.png' for i in SET_A))

  records = builder_lib.records_of(builder)
  assert [r['id'] for r in records] == PASSED_A
  assert [r['event'] for r in records] == list(range(29))
  for r in records:
    row = _row(r['id'])
    assert (r['split'], r['magnitude'], r['event_id'], r['station']) == (
        row['split'], row['magnitude'], row['event_id'], row['station'])
    assert UTCDateTime(r['end']) == UTCDateTime(row['time'])
    assert r['channels'] == ['BH1', 'BH2', 'BHZ'] and r['location'] == '00'
  assert records[22]['record_id'].startswith('IU.MA2.00.BH?_')  # row25
  assert (meta['n_intervals'], meta['lead_in_samples']) == (36, LEAD)
  reloaded = builder_lib.make_builder(world.data, 'set_a',
                                     str(world.tmp / 'tfds'))  # from disk
  assert builder_lib.records_of(reloaded) == records
  assert reloaded.info.metadata['rejected'] == meta['rejected']

  assert len(source) == 29 * N_INTERVALS
  assert [(source[k]['event'], source[k]['interval'])
          for k in (0, N_INTERVALS - 1, len(source) - 1)] == [
              (0, 1), (0, N_INTERVALS), (28, N_INTERVALS)]
  # The MA2 record and the last record against what each station served:
  # the record ends at the origin time, and MA2's noise is not MAJO's.
  for record_id, station in ((MA2, 'MA2'), ('row31', 'MAJO')):
    event = PASSED_A.index(record_id)
    origin = UTCDateTime(_row(record_id)['time'])
    expected = _expected(origin - RECORD / FS, RECORD, station)
    first = source[event * N_INTERVALS]
    last = source[event * N_INTERVALS + N_INTERVALS - 1]
    assert (first['event'], last['interval']) == (event, N_INTERVALS)
    assert last['waveform'].shape == (SPAN, 3)
    assert last['waveform'].dtype == np.float32
    np.testing.assert_allclose(last['waveform'], expected[-SPAN:],
                               rtol=1e-6, atol=1e-3)
    np.testing.assert_allclose(first['waveform'], expected[:SPAN],
                               rtol=1e-6, atol=1e-3)
    if station == 'MA2':
      majo = _expected(origin - RECORD / FS, RECORD)[-SPAN:]
      assert not np.allclose(last['waveform'], majo, atol=1)


def test_noise_b_fake_and_set_b(world):
  far = lambda r: all(UTCDateTime(r['start']) >= e + 48 * 3600
                      or UTCDateTime(r['end']) <= e - 48 * 3600
                      for e in TIMES)
  builder, source = world.build('noise_b')
  assert world.download('noise_b')[0].stations == {'MAJO': 3}
  records = builder_lib.records_of(builder)
  assert len(records) == len(source) == 3 and all(map(far, records))
  assert [source[k]['interval'] for k in range(3)] == [1, 1, 1]
  np.testing.assert_allclose(
      source[1]['waveform'],
      _expected(UTCDateTime(records[1]['start']), SPAN), rtol=1e-6, atol=1e-3)

  builder, source = world.build('fake')
  records = builder_lib.records_of(builder)
  assert len(records) == 2 and all(map(far, records))
  assert len(source) == 2 * N_INTERVALS
  assert [r['set'] for r in records] == ['fake', 'fake']

  client, out = world.download('set_b')
  assert client.stations == {'MAJO': 32}
  assert '31 of 32 records in' in out
  assert 'rejected row52 2021-02-13T14:07:51' in out
  assert 'FDSNNoDataException' in out
  builder, source = world.build('set_b')
  records = builder_lib.records_of(builder)
  assert [r['id'] for r in records] == PASSED_B
  assert {r['split'] for r in records} == {'verify'}
  [gone] = builder.info.metadata['rejected']
  assert (gone['id'], gone['stage']) == ('row52', 'download')
  assert 'missing: no IU.MAJO.' in gone['reasons'][0]  # Not in the cache.
  assert len(source) == 31 * N_INTERVALS
  first = _expected(UTCDateTime(records[0]['time']) - RECORD / FS, RECORD)
  last = _expected(UTCDateTime(records[-1]['time']) - RECORD / FS, RECORD)
  np.testing.assert_allclose(source[0]['waveform'], first[:SPAN], rtol=1e-6,
                             atol=1e-3)
  np.testing.assert_allclose(source[len(source) - 1]['waveform'],
                             last[-SPAN:], rtol=1e-6, atol=1e-3)


def test_interrupted_download_resumes_with_the_remaining_records(world,
                                                                 tmp_path):
  """The builder with a client: resumes, equals offline, feeds noise A."""
  # Six real set-A events, the MA2 one among them: enough to interrupt.
  data = ml_collections.ConfigDict(world.data.to_dict())
  data.catalogue = str(_write(tmp_path / 'catalogue.csv', ROWS[22:28]))
  data.waveform_dir = str(tmp_path / 'cache')
  data.client = 'EARTHSCOPE'
  interrupted = _client(interrupt_after=2)
  with pytest.raises(KeyboardInterrupt):
    builder_lib.make_builder(data, 'set_a', str(tmp_path / 'tfds'),
                             interrupted).download_and_prepare()
  with open(os.path.join(data.waveform_dir, fdsn.MANIFEST)) as f:
    done = json.load(f)['requests']
  assert len(done) == 2

  client = _client()
  builder = builder_lib.make_builder(data, 'set_a', str(tmp_path / 'tfds'),
                                     client)
  builder.download_and_prepare()
  asked = {(k[2], k[3]) for k in client.calls}
  assert _n_calls(client) == 4 and len(asked) == 4
  assert not asked & {(r['request']['starttime'], r['request']['endtime'])
                      for r in done.values()}
  source = builder.as_data_source(builder_lib.SPLIT)
  assert len(source) == 6 * N_INTERVALS
  stations = ['MAJO', 'MAJO', 'MA2', 'MAJO', 'MAJO', 'MAJO']
  assert [r['station'] for r in builder_lib.records_of(builder)] == stations
  # Row 3 here is row 25 of the tables: the same samples as offline.
  _, offline = world.build('set_a')
  for interval in (0, N_INTERVALS - 1):
    np.testing.assert_array_equal(
        source[2 * N_INTERVALS + interval]['waveform'],
        offline[PASSED_A.index(MA2) * N_INTERVALS + interval]['waveform'])

  # Noise A: interval 1 of the same records, from the cache.
  client = _client()
  noise_a = builder_lib.make_builder(data, 'noise_a', str(tmp_path / 'tfds'),
                                     client)
  noise_a.download_and_prepare()
  assert _n_calls(client) == 0  # set A's cached records
  assert noise_a.info.metadata['n_intervals'] == 1
  assert [r['station'] for r in builder_lib.records_of(noise_a)] == stations
  noise = noise_a.as_data_source(builder_lib.SPLIT)
  for k in range(6):
    assert (noise[k]['event'], noise[k]['interval']) == (k, 1)
    np.testing.assert_array_equal(noise[k]['waveform'],
                                  source[k * N_INTERVALS]['waveform'])


def _write(path, rows):
  japan.write_catalogue(rows, path)
  return path


@pytest.mark.parametrize('column, value, message', [
    ('magnitude', 'big', "line 3, column 'magnitude': 'big' is not a number"),
    ('time', 'yesterday', "line 3, column 'time'"),
    ('set', 'C', "line 3, column 'set': 'C'"),
    ('split', 'verify', "line 3, column 'split': 'verify': set A events"),
    ('station', 'MAJ0', "line 3, column 'station'"),
])
def test_bad_catalogue_names_file_line_and_column(tmp_path, column, value,
                                                  message):
  rows = [dict(r) for r in ROWS]
  rows[1][column] = value
  path = _write(tmp_path / 'bad.csv', rows)
  with pytest.raises(ValueError) as info:
    paper_catalogue.load(path)  # A catalogue CSV: japan.read_catalogue.
  assert str(info.value).startswith(f'{path}, {message}')


def test_missing_column_and_all_rejected_are_clear_errors(world, tmp_path):
  path = tmp_path / 'short.csv'
  path.write_text('time,latitude,set\n2012-01-01,1,A\n')
  with pytest.raises(ValueError, match=r"missing columns \['longitude'"):
    japan.read_catalogue(path)

  bad = [dict(ROWS[k], set='A', split='train') for k in (1, 3, 51)]
  data = ml_collections.ConfigDict(world.data.to_dict())
  data.catalogue = str(_write(tmp_path / 'bad_events.csv', bad))
  builder = builder_lib.make_builder(data, 'set_a', str(tmp_path / 'tfds'),
                                     _client())
  with pytest.raises(ValueError) as info:
    builder.download_and_prepare()
  message = str(info.value)
  assert message.startswith('None of the 3 records passed')
  assert '\n' not in message  # One line: the reasons are in the report.
  report = {r['id']: r for r in _report(message.split(' in ')[-1][:-1])}
  assert 'sampling rate 20.0 Hz' in report['row1']['reasons']
  assert 'earthquake signal' in report['row2']['reasons']
  assert report['row3']['stage'] == 'download'
  assert 'missing' in report['row3']['reasons']


def _report(path):
  with open(path) as f:
    return list(csv.DictReader(f))


def test_qc_command_rejects_bad_and_corrupt_records_and_reports_all(
    world, tmp_path, capsys):
  """`seisjax-japan qc` on five real set-A events of the downloaded cache."""
  world.download('set_a')  # Fills the cache.
  cache = str(tmp_path / 'cache')
  shutil.copytree(world.data.waveform_dir, cache)
  # Tables rows 2-5 (BDI, a clean one, W54A, a clean one) and 25 (MA2).
  catalogue = _write(tmp_path / 'catalogue.csv', ROWS[1:5] + [ROWS[24]])
  files = [os.path.join(cache, _cache_file(t)) for t in _targets(
      world.build('set_a')[0], paper_catalogue.load(catalogue))]
  # Record 2: Steim2 garbage after a readable header, as a broken transfer
  # or disk leaves it; record 4: not in the cache at all.
  stream = obspy.read(files[1])
  for tr in stream:
    tr.data = tr.data.astype(np.int32)
  stream.write(files[1], format='MSEED', encoding='STEIM2', reclen=4096)
  raw = bytearray(open(files[1], 'rb').read())
  rng = np.random.default_rng(0)
  for start in range(4096, len(raw), 4096):
    raw[start + 64:start + 4096] = rng.integers(0, 256, 4032,
                                                np.uint8).tobytes()
  with open(files[1], 'wb') as f:
    f.write(raw)
  os.remove(files[3])
  before = clitools.snapshot(cache)
  qc_dir = str(tmp_path / 'qc')
  japan_cli.main(['qc', '--catalogue', str(catalogue),
                  '--waveform_dir', cache, '--qc_dir', qc_dir,
                  '--kind', 'set_a', '--interval_samples', str(INTERVAL),
                  '--lead_in_samples', str(LEAD)])
  out = capsys.readouterr().out
  assert '1 of 5 records passed' in out
  assert all(f'rejected row{k}' in out for k in (1, 2, 3, 4))
  rows = _report(os.path.join(qc_dir, 'qc_report.csv'))
  assert [r['id'] for r in rows] == [f'row{k}' for k in range(1, 6)]
  assert [(r['stage'], r['passed']) for r in rows] == [
      ('qc', 'False'), ('read', 'False'), ('qc', 'False'),
      ('download', 'False'), ('qc', 'True')]
  assert 'sampling rate 20.0 Hz' in rows[0]['reasons']  # BDI
  assert files[1] in rows[1]['reasons']
  assert 'ObsPy cannot read it' in rows[1]['reasons']
  assert 'earthquake signal' in rows[2]['reasons']  # W54A
  assert rows[4]['record_id'].startswith('IU.MA2.00.BH?_')
  assert clitools.snapshot(cache) == before


def test_noise_and_fake_times_keep_48_h_from_every_catalogue_event():
  # Only days around a set-B event are open: set A alone would allow them.
  near = UTCDateTime('2020-11-30T22:54:35')  # 10 days from the others.
  assert near in TIMES
  layout = japan.Layout(n_intervals=N_INTERVALS, interval_samples=INTERVAL,
                        lead_in_samples=LEAD, n_noise=20, n_fake=5,
                        noise_start=str(near - 3 * 86400),
                        noise_end=str(near + 3 * 86400))
  for kind, n, length in (('noise_b', 20, SPAN), ('fake', 5, RECORD)):
    targets = japan.plan(kind, ROWS, layout)
    assert len(targets) == n
    for t in targets:
      assert t.n_samples == length and t.end - t.start == length / FS
      assert t.start >= near + 48 * 3600 or t.end <= near - 48 * 3600
      assert t.station == 'MAJO'


def test_config_names_follow_fields_and_catalogue_contents(world, tmp_path):
  builder = builder_lib.make_builder(world.data, 'noise_b')
  config = builder.builder_config
  assert (config.lead_in_samples, config.n_noise, config.client_name) == (
      LEAD, 3, '')
  same = builder_lib.make_config(**{
      f: getattr(config, f) for f in ('kind', 'catalogue', 'waveform_dir',
                                      'client_name', 'interval_samples',
                                      'lead_in_samples', 'n_noise')})
  assert same is config
  assert builder_lib.make_config(kind='set_a', n_noise=7) is (
      builder_lib.make_config(kind='set_a'))  # unused by set_a
  assert builder_lib.make_config(kind='set_a') is builder_lib.make_config(
      kind='set_a', catalogue=paper_catalogue.PATH)
  copy = _write(tmp_path / 'catalogue.csv', ROWS)
  edited = _write(tmp_path / 'edited.csv', ROWS[:-1])
  names = {builder_lib.make_config(catalogue=str(p)).name
           for p in (copy, edited)}
  assert len(names) == 2
  with pytest.raises(ValueError, match='kind must be one of'):
    builder_lib.make_config(kind='set_c')


def test_an_experiment_trains_and_reports_on_the_cached_records(world,
                                                                tmp_path):
  """The chain's end: 7.1 on the paper's split, offline, tested and verified.

  With the same fields as the world's builds, the experiment reads them
  (the data sets are named by their fields): nothing is built twice.
  """
  builders = [world.build(kind)[0] for kind in ('set_a', 'set_b', 'noise_b')]
  config = experiments.get_config(
      f'exp=7.1,tiny,data=japan,waveforms={world.data.waveform_dir},client=')
  assert (config.data.interval_samples, config.data.window_samples,
          config.data.window_stride) == (INTERVAL, WINDOW, STRIDE)
  assert (config.data.catalogue, config.data.split) == (
      paper_catalogue.PATH, 'catalogue')
  config.data.update(data_dir=str(world.tmp / 'tfds'), n_noise_b=3)
  config.train.update(num_epochs=1, batch_size=8)
  summary = train.train_and_evaluate(config, str(tmp_path / 'run'),
                                     task.TASK)

  with open(tmp_path / 'run' / 'run.json') as f:
    run = json.load(f)
  assert run['dataset'] == ' + '.join(
      f'{b.name}/{b.builder_config.name}' for b in builders)
  # Records: set A 0-28 (rows 1, 3, 5-31), set B 29-59 (row52 had no data),
  # noise B 60-62. The paper's test events, rows 25-31, are records 22-28;
  # its 24 training events less the 2 QC rejected are records 0-21.
  splits = run['splits']
  assert [e for e in splits['test'] if e < 29] == list(range(22, 29))
  assert sorted(e for e in splits['train'] + splits['val'] if e < 29) == (
      list(range(22)))
  assert summary['verify_events'] == list(range(29, 60))
  assert len(summary['member_verify_accuracy']) == config.n_members
  for name in ('per_event_verify.md', 'per_event_test.csv',
               'confusion_verify.png', 'interval_fractions.csv'):
    assert (tmp_path / 'run' / name).exists()
  # Tables name real records by their origin time (sorted), MA2's included.
  with open(tmp_path / 'run' / 'per_event_verify.csv') as f:
    assert [r['event'] for r in csv.DictReader(f)] == sorted(
        _row(i)['time'][:19] for i in PASSED_B)
  with open(tmp_path / 'run' / 'per_event_test.csv') as f:
    tested = [r['event'] for r in csv.DictReader(f)]
  assert [t for t in tested if not t.startswith('noise_b')] == sorted(
      _row(f'row{k}')['time'][:19] for k in range(25, 32))
  assert '2018-11-14T21:21:50' in tested


def test_the_fake_event_control_reads_the_fake_records(world):
  built = [world.build(kind)[0] for kind in ('fake', 'noise_b')]
  config = experiments.get_config(
      f'exp=fake,tiny,data=japan,waveforms={world.data.waveform_dir},client=')
  config.data.update(n_fake=2, n_noise_b=3)
  records = precursor_data.load_records(config.data, str(world.tmp / 'tfds'))
  assert records.names == [f'{b.name}/{b.builder_config.name}'
                           for b in built]
  assert list(records.group) == ['A'] * 2 + ['noise_b'] * 3
  assert config.data.split == 'random'  # Fake records have no catalogue split.
