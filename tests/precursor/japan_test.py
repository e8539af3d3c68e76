"""The Japan precursor ingest chain on a mocked FDSN client.

Catalogue -> cached download -> QC (rejecting the bad records) -> TFDS
build of every kind -> read back. The mock (seisjax/precursor/mock_fdsn.py)
serves real TA.O18A noise as IU.MAJO, except IV.BDI (gaps, 20 Hz) for one
set-A event and TA.W54A (teleseismic surface waves) for another, and no data
for one set-B event. A tiny windowing keeps records at 73072 samples (30 min).
"""

import csv
import glob
import json
import os
import shutil
import types

import ml_collections
import numpy as np
import obspy
from obspy import UTCDateTime
from obspy.core import event as ev
import pytest

from configs import experiments
from seisjax.engine import train
from seisjax.precursor import data as precursor_data
from seisjax.precursor import japan
from seisjax.precursor import japan_cli
from seisjax.precursor import mock_fdsn
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
# Eight Mw>=6 events near Japan: the earliest five form set A.
EVENTS = [('2012-03-14T09:08:35', 40.9, 144.9),
          ('2013-10-25T17:10:18', 37.2, 144.6),  # IV.BDI: gaps, 20 Hz
          ('2014-07-11T19:22:00', 37.0, 142.0),
          ('2015-05-30T11:23:02', 27.9, 140.7),  # TA.W54A: surface waves
          ('2016-04-15T16:25:06', 32.8, 130.7),
          ('2018-09-05T18:07:59', 42.7, 141.9),  # set B from here
          ('2019-06-18T13:22:19', 38.6, 139.5),  # no data on the server
          ('2021-02-13T14:07:50', 37.7, 141.8)]
BDI, W54A, NO_DATA = EVENTS[1][0], EVENTS[3][0], EVENTS[6][0]


def _client(**kwargs):
  catalog = ev.Catalog([
      mock_fdsn.event(f'e{k}', t, lat, lon, [(6.0 + k / 10, 'Mww')])
      for k, (t, lat, lon) in enumerate(EVENTS, 1)])
  return mock_fdsn.MockClient(
      catalog=catalog, stand_ins={BDI: 'BDI', W54A: 'W54A'},
      no_data=[NO_DATA], **kwargs)


def _n_calls(client):
  return sum(client.calls.values())


@pytest.fixture(scope='module')
def world(tmp_path_factory):
  """The catalogue CSV, the `config.data` fields and a build function."""
  if not mock_fdsn.CONTINUOUS.is_dir():
    pytest.skip(f'real recordings not found at {mock_fdsn.CONTINUOUS}')
  tmp = tmp_path_factory.mktemp('japan')
  rows = japan.rebuild_catalogue(_client(), n_set_a=5, n_test=2, seed=0)
  japan.write_catalogue(rows, tmp / 'catalogue.csv')
  data = ml_collections.ConfigDict(dict(
      catalogue=str(tmp / 'catalogue.csv'), waveform_dir=str(tmp / 'cache'),
      client='EARTHSCOPE', sampling_rate=FS, n_intervals=N_INTERVALS,
      interval_samples=INTERVAL, window_samples=WINDOW, window_stride=STRIDE,
      windows_per_interval=N_WINDOWS, n_noise_b=3, n_fake=2, noise_seed=0))
  built = {}

  def build(kind):
    """(builder, data source, mock client) of a kind, built once."""
    if kind not in built:
      client = _client()
      builder = builder_lib.make_builder(data, kind, str(tmp / 'tfds'),
                                         client)
      builder.download_and_prepare()
      built[kind] = (builder, builder.as_data_source(builder_lib.SPLIT),
                     client)
    return built[kind]

  return types.SimpleNamespace(tmp=tmp, rows=rows, data=data, build=build)


def _expected(start, n):
  """What the mock served from `start`: (n, 3) BH1, BH2, BHZ demeaned."""
  x = np.stack([mock_fdsn.counts(c, start, n).astype(np.float64)
                for c in ('BH1', 'BH2', 'BHZ')], axis=-1)
  return x - x.mean(axis=0)


def _examples(source):
  return [source[i] for i in range(len(source))]


def test_catalogue_gets_sets_splits_and_reads_back(world):
  rows = world.rows
  assert [r['time'] for r in rows] == [
      str(UTCDateTime(t)) for t, _, _ in EVENTS]
  assert [r['set'] for r in rows] == ['A'] * 5 + ['B'] * 3
  splits = [r['split'] for r in rows]
  assert sorted(splits[:5]) == ['test'] * 2 + ['train'] * 3
  assert splits[5:] == ['verify'] * 3
  assert {r['station'] for r in rows} == {'MAJO'}
  assert japan.read_catalogue(world.data.catalogue) == rows
  assert japan.assign_sets(rows, n_set_a=5, n_test=2, seed=1) != rows


def test_set_a_download_qc_build_and_read_back(world):
  builder, source, client = world.build('set_a')
  assert _n_calls(client) == 5 and set(client.calls.values()) == {1}
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
    report = list(csv.DictReader(f))
  assert [r['passed'] for r in report] == ['True', 'False', 'True', 'False',
                                           'True']
  assert report[1]['reasons'] == '; '.join(bdi)
  qc_dir = os.path.dirname(meta['qc_report'])
  assert sorted(p for p in os.listdir(qc_dir) if p.endswith('.png')) == [
      f'row{k}.png' for k in range(1, 6)]

  records = builder_lib.records_of(builder)
  assert [r['id'] for r in records] == ['row1', 'row3', 'row5']
  assert [r['event'] for r in records] == [0, 1, 2]
  for r, row in zip(records, [world.rows[k] for k in (0, 2, 4)]):
    assert (r['split'], r['magnitude'], r['event_id']) == (
        row['split'], row['magnitude'], row['event_id'])
    assert UTCDateTime(r['end']) == UTCDateTime(row['time'])
    assert r['channels'] == ['BH1', 'BH2', 'BHZ'] and r['location'] == '00'
  assert (meta['n_intervals'], meta['lead_in_samples']) == (36, LEAD)
  reloaded = builder_lib.make_builder(world.data, 'set_a',
                                     str(world.tmp / 'tfds'))  # from disk
  assert builder_lib.records_of(reloaded) == records
  assert reloaded.info.metadata['rejected'] == meta['rejected']

  examples = _examples(source)
  assert len(examples) == 3 * N_INTERVALS
  assert [(e['event'], e['interval']) for e in examples] == [
      (k, i) for k in range(3) for i in range(1, N_INTERVALS + 1)]
  for e in examples:
    assert e['waveform'].shape == (SPAN, 3)
    assert e['waveform'].dtype == np.float32
    assert np.all(np.isfinite(e['waveform']))
  # Event 2 (row 5) against the source: the record ends at the origin time.
  origin = UTCDateTime(world.rows[4]['time'])
  expected = _expected(origin - RECORD / FS, RECORD)
  last = examples[2 * N_INTERVALS + N_INTERVALS - 1]['waveform']
  np.testing.assert_allclose(last, expected[-SPAN:], rtol=1e-6, atol=1e-3)
  first = examples[2 * N_INTERVALS]['waveform']
  np.testing.assert_allclose(first, expected[:SPAN], rtol=1e-6, atol=1e-3)


def test_noise_a_noise_b_fake_and_set_b(world):
  _, set_a, _ = world.build('set_a')
  builder, source, client = world.build('noise_a')
  assert _n_calls(client) == 0  # set A's cached records
  assert [(e['event'], e['interval']) for e in _examples(source)] == [
      (0, 1), (1, 1), (2, 1)]
  for k in range(3):
    np.testing.assert_array_equal(source[k]['waveform'],
                                  set_a[k * N_INTERVALS]['waveform'])
  assert builder.info.metadata['n_intervals'] == 1

  events = [UTCDateTime(t) for t, _, _ in EVENTS]
  far = lambda r: all(UTCDateTime(r['start']) >= e + 48 * 3600
                      or UTCDateTime(r['end']) <= e - 48 * 3600
                      for e in events)
  builder, source, _ = world.build('noise_b')
  records = builder_lib.records_of(builder)
  assert len(records) == len(source) == 3 and all(map(far, records))
  assert [source[k]['interval'] for k in range(3)] == [1, 1, 1]
  np.testing.assert_allclose(
      source[1]['waveform'],
      _expected(UTCDateTime(records[1]['start']), SPAN), rtol=1e-6, atol=1e-3)

  builder, source, _ = world.build('fake')
  records = builder_lib.records_of(builder)
  assert len(records) == 2 and all(map(far, records))
  assert len(source) == 2 * N_INTERVALS
  assert [r['set'] for r in records] == ['fake', 'fake']

  builder, source, _ = world.build('set_b')
  records = builder_lib.records_of(builder)
  assert [(r['id'], r['split']) for r in records] == [('row6', 'verify'),
                                                      ('row8', 'verify')]
  [gone] = builder.info.metadata['rejected']
  assert (gone['id'], gone['stage']) == ('row7', 'download')
  assert 'FDSNNoDataException' in gone['reasons'][0]
  assert len(source) == 2 * N_INTERVALS


def test_offline_build_and_qc_command_read_the_cache(world, capsys):
  world.build('set_a')  # the cache the qc command reads
  _, online, _ = world.build('set_b')
  data = ml_collections.ConfigDict(world.data.to_dict())
  data.client = ''
  builder = builder_lib.make_builder(data, 'set_b',
                                     str(world.tmp / 'tfds_offline'))
  builder.download_and_prepare()
  offline = builder.as_data_source(builder_lib.SPLIT)
  assert len(offline) == len(online)
  for k in (0, len(online) - 1):
    np.testing.assert_array_equal(offline[k]['waveform'],
                                  online[k]['waveform'])
  assert [r['stage'] for r in builder.info.metadata['rejected']] == [
      'download']

  japan_cli.main(['qc', '--catalogue', world.data.catalogue,
                  '--waveform_dir', world.data.waveform_dir,
                  '--qc_dir', str(world.tmp / 'qc_cli'), '--kind', 'set_a',
                  '--interval_samples', str(INTERVAL),
                  '--lead_in_samples', str(LEAD)])
  out = capsys.readouterr().out
  assert '3 of 5 records passed' in out
  assert 'rejected row2' in out and 'rejected row4' in out


def test_interrupted_download_resumes_with_the_remaining_records(world,
                                                                 tmp_path):
  data = ml_collections.ConfigDict(world.data.to_dict())
  data.waveform_dir = str(tmp_path / 'cache')
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
  assert _n_calls(client) == 3 and len(asked) == 3
  assert not asked & {(r['request']['starttime'], r['request']['endtime'])
                      for r in done.values()}
  assert len(builder.as_data_source(builder_lib.SPLIT)) == 3 * N_INTERVALS


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
def test_bad_catalogue_names_file_line_and_column(world, tmp_path, column,
                                                  value, message):
  rows = [dict(r) for r in world.rows]
  rows[1][column] = value
  path = _write(tmp_path / 'bad.csv', rows)
  with pytest.raises(ValueError) as info:
    japan.read_catalogue(path)
  assert str(info.value).startswith(f'{path}, {message}')


def test_missing_column_and_all_rejected_are_clear_errors(world, tmp_path):
  path = tmp_path / 'short.csv'
  path.write_text('time,latitude,set\n2012-01-01,1,A\n')
  with pytest.raises(ValueError, match=r"missing columns \['longitude'"):
    japan.read_catalogue(path)

  bad = [dict(world.rows[k], set='A', split='train') for k in (1, 3, 6)]
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


def test_qc_rejects_a_corrupt_file_and_reports_every_record(world, tmp_path,
                                                            capsys):
  world.build('set_a')  # Fills the cache.
  cache = str(tmp_path / 'cache')
  shutil.copytree(world.data.waveform_dir, cache)
  files = sorted(glob.glob(os.path.join(cache, '*.mseed')))
  # Record 1: Steim2 garbage after a readable header, as a broken transfer
  # or disk leaves it; record 3: not in the cache at all.
  stream = obspy.read(files[0])
  for tr in stream:
    tr.data = tr.data.astype(np.int32)
  stream.write(files[0], format='MSEED', encoding='STEIM2', reclen=4096)
  raw = bytearray(open(files[0], 'rb').read())
  rng = np.random.default_rng(0)
  for start in range(4096, len(raw), 4096):
    raw[start + 64:start + 4096] = rng.integers(0, 256, 4032,
                                                np.uint8).tobytes()
  with open(files[0], 'wb') as f:
    f.write(raw)
  os.remove(files[2])
  before = clitools.snapshot(cache)
  qc_dir = str(tmp_path / 'qc')
  japan_cli.main(['qc', '--catalogue', world.data.catalogue,
                  '--waveform_dir', cache, '--qc_dir', qc_dir,
                  '--kind', 'set_a', '--interval_samples', str(INTERVAL),
                  '--lead_in_samples', str(LEAD)])
  out = capsys.readouterr().out
  assert 'of 5 records passed' in out
  rows = _report(os.path.join(qc_dir, 'qc_report.csv'))
  assert [r['id'] for r in rows] == [f'row{k}' for k in range(1, 6)]
  stages = {r['id']: r['stage'] for r in rows}
  corrupt = [r for r in rows if r['stage'] == 'read']
  assert len(corrupt) == 1 and files[0] in corrupt[0]['reasons']
  assert 'ObsPy cannot read it' in corrupt[0]['reasons']
  assert 'download' in stages.values()  # The missing file.
  assert all(r['passed'] == 'False' for r in rows if r['stage'] != 'qc')
  assert clitools.snapshot(cache) == before


def test_noise_and_fake_times_keep_48_h_from_every_catalogue_event(world):
  # Only days around a set-B event are open: set A alone would allow them.
  near = UTCDateTime(world.rows[5]['time'])
  layout = japan.Layout(n_intervals=N_INTERVALS, interval_samples=INTERVAL,
                        lead_in_samples=LEAD, n_noise=20, n_fake=5,
                        noise_start=str(near - 3 * 86400),
                        noise_end=str(near + 3 * 86400))
  for kind, n, length in (('noise_b', 20, SPAN), ('fake', 5, RECORD)):
    targets = japan.plan(kind, world.rows, layout)
    assert len(targets) == n
    for t in targets:
      assert t.n_samples == length and t.end - t.start == length / FS
      assert t.start >= near + 48 * 3600 or t.end <= near - 48 * 3600


def test_config_names_follow_fields_and_catalogue_contents(world, tmp_path):
  builder = builder_lib.make_builder(world.data, 'noise_b')
  config = builder.builder_config
  assert (config.lead_in_samples, config.n_noise, config.client_name) == (
      LEAD, 3, 'EARTHSCOPE')
  same = builder_lib.make_config(**{
      f: getattr(config, f) for f in ('kind', 'catalogue', 'waveform_dir',
                                      'client_name', 'interval_samples',
                                      'lead_in_samples', 'n_noise')})
  assert same is config
  assert builder_lib.make_config(kind='set_a', n_noise=7) is (
      builder_lib.make_config(kind='set_a'))  # unused by set_a
  copy = _write(tmp_path / 'catalogue.csv', world.rows)
  edited = _write(tmp_path / 'edited.csv', world.rows[:-1])
  names = {builder_lib.make_config(catalogue=str(p)).name
           for p in (copy, edited)}
  assert len(names) == 2
  with pytest.raises(ValueError, match='kind must be one of'):
    builder_lib.make_config(kind='set_c')


def test_an_experiment_trains_and_reports_on_the_cached_records(world,
                                                                tmp_path):
  """The chain's end: train on the cache offline, test and verify."""
  for kind in ('set_a', 'set_b', 'noise_b'):
    world.build(kind)  # Through the mock, into the cache.
  config = experiments.get_config(
      f'exp=7.1,tiny,data=japan,catalogue={world.data.catalogue},'
      f'waveforms={world.data.waveform_dir},client=')
  assert (config.data.interval_samples, config.data.window_samples,
          config.data.window_stride) == (INTERVAL, WINDOW, STRIDE)
  # 3 set-A records pass QC: too few for the catalogue's split.
  config.data.update(data_dir=str(tmp_path / 'tfds'), split='random',
                     n_test_events=1, n_val_events=1, n_noise_b=3)
  # 27 training windows: a batch of 32 would train no step (refused).
  config.train.update(num_epochs=1, batch_size=8)
  summary = train.train_and_evaluate(config, str(tmp_path / 'run'),
                                     task.TASK)

  # Records: set A 0-2, set B 3-4 (row7 had no data), noise B 5-7.
  assert summary['verify_events'] == [3, 4]
  assert len(summary['test_events']) == 2 and summary['test_events'][1] >= 5
  assert len(summary['member_verify_accuracy']) == config.n_members
  with open(tmp_path / 'run' / 'run.json') as f:
    names = json.load(f)['dataset']
  assert [n.split('-')[0] for n in names.split(' + ')] == [
      'japan_precursor/set_a', 'japan_precursor/set_b',
      'japan_precursor/noise_b']
  for name in ('per_event_verify.md', 'per_event_test.csv',
               'confusion_verify.png', 'interval_fractions.csv'):
    assert (tmp_path / 'run' / name).exists()
  # Tables name real records by their origin time.
  with open(tmp_path / 'run' / 'per_event_verify.csv') as f:
    assert [r['event'] for r in csv.DictReader(f)] == [EVENTS[5][0],
                                                       EVENTS[7][0]]


def test_the_fake_event_control_reads_the_fake_records(world, tmp_path):
  world.build('fake')  # Through the mock, into the cache.
  config = experiments.get_config(
      f'exp=fake,tiny,data=japan,catalogue={world.data.catalogue},'
      f'waveforms={world.data.waveform_dir},client=')
  config.data.update(n_fake=2, n_noise_b=3)
  records = precursor_data.load_records(config.data, str(tmp_path))
  assert [n.split('-')[0] for n in records.names] == [
      'japan_precursor/fake', 'japan_precursor/noise_b']
  assert list(records.group) == ['A'] * 2 + ['noise_b'] * 3
  assert config.data.split == 'random'  # Fake records have no catalogue split.

