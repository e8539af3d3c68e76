"""Tests of the P-pick readers and the scsn_ross2018 / seisbench builders.

Small files are written in the real layouts into tmp_path; the real
evaluation folders in ../shared/data/picks are read when present.
"""

import logging
import math

import h5py
import ml_collections
import numpy as np
import obspy.signal.filter
import pytest
import scipy.signal

from seisjax import seismo
from seisjax.picking import data as pick_data
from seisjax.picking import readers
from seisjax.picking import records
from seisjax_datasets.scsn_ross2018 import scsn_ross2018_dataset_builder as scsn
from seisjax_datasets.seisbench import seisbench_dataset_builder as sb

PICKS = seismo.SHARED_DATA / 'picks'


def _spiky(n, p, sign=1.0, seed=0):
  """(n,) weak noise with a spike of `sign` at sample p."""
  x = 1e-3 * np.random.default_rng(seed).standard_normal(n)
  x[p] += sign
  return x


def _row(p=1000, n=3000, rate=100.0, sign=1.0, i=0, **kwargs):
  fields = dict(event=f'ev{i // 2}', trace=f'tr{i}', polarity='up',
                snr_db=10.0 + i, distance_km=5.0 * i, magnitude=2.0)
  fields.update(kwargs)
  data = _spiky(n, p, sign, seed=i) if math.isfinite(p) else _spiky(n, 10)
  return readers.raw_row(data, rate, p, **fields)


def _assert_onset_at_p(record, sign=1.0):
  """The record is quiet before sample 300 and kicks `sign`-wards there."""
  x = record['waveform']
  assert x.shape == (records.RECORD_SAMPLES,)
  assert record['p_sample'] == records.P_SAMPLE == 300
  peak = np.abs(x).max()
  assert np.abs(x[:280]).max() < 0.05 * peak
  onset = 300 + np.argmax(np.abs(x[300:]) > 0.2 * peak)
  assert 300 <= onset <= 306
  assert np.sign(x[onset]) == sign


def _records(rows):
  rejections = records.Rejections()
  return list(readers.to_records(rows, rejections)), rejections


# SCSN --------------------------------------------------------------------


def _write_scsn(path, n=5, labels=(0, 1, 2, 0, 1), label_key='Y',
                skip=(), nan_row=None):
  x = np.stack([_spiky(600, 300, sign=1.0 if lab != 1 else -1.0, seed=i)
                for i, lab in zip(range(n), labels)]).astype(np.float32)
  if nan_row is not None:
    x[nan_row, 7] = np.nan
  arrays = {'X': x, label_key: np.array(labels[:n], np.int64),
            'evids': np.arange(n) // 2 + 100, 'mag': np.full(n, 1.5),
            'dist': np.arange(n, dtype=np.float64), 'snr': np.full(n, 20.0),
            'sncls': np.array([f'CI.ST{i}.HHZ'.encode() for i in range(n)])}
  with h5py.File(path, 'w') as f:
    for key, value in arrays.items():
      if key not in skip:
        f[key] = value


def test_scsn_rows_labels_and_metadata(tmp_path):
  path = tmp_path / 'scsn_p_2000_2017_6sec_0.5r_fm_train.hdf5'
  _write_scsn(path)
  recs, rejections = _records(readers.read_scsn(path, chunk_rows=2))
  assert not rejections.items and len(recs) == 5
  # Published labels are 0 up, 1 down, 2 unknown (SeisBench's decoding).
  assert [int(r['polarity']) for r in recs] == [
      records.UP, records.DOWN, records.UNKNOWN, records.UP, records.DOWN]
  assert [r['event'] for r in recs] == ['100', '100', '101', '101', '102']
  assert recs[3]['trace'] == '101_CI.ST3.HHZ_3'
  assert [float(r['distance_km']) for r in recs] == [0, 1, 2, 3, 4]
  assert recs[0]['magnitude'] == np.float32(1.5)
  assert recs[0]['snr_db'] == 20.0
  for record, sign in zip(recs, (1, -1, 1, 1, -1)):
    _assert_onset_at_p(record, sign)
  # Chunked reading gives the same rows as one chunk.
  whole = list(readers.read_scsn(path))
  for a, b in zip(readers.read_scsn(path, chunk_rows=2), whole):
    np.testing.assert_array_equal(a['data'], b['data'])


def test_scsn_pick_file_fm_key_and_missing_labels(tmp_path):
  path = tmp_path / 'pick.hdf5'
  _write_scsn(path, labels=(1, 0, 2), n=3, label_key='fm')
  assert [r['polarity'] for r in readers.read_scsn(path)] == [
      'down', 'up', 'unknown']
  _write_scsn(path, n=3, skip=('Y', 'mag'))
  rows = list(readers.read_scsn(path))
  assert [r['polarity'] for r in rows] == [records.UNKNOWN] * 3
  assert all(math.isnan(r['magnitude']) for r in rows)


def test_scsn_errors_list_keys_found(tmp_path):
  path = tmp_path / 'bad.hdf5'
  _write_scsn(path, skip=('X',))
  with pytest.raises(KeyError, match=r"keys found: \['Y', 'dist', 'evids'"):
    list(readers.read_scsn(path))
  with h5py.File(path, 'a') as f:
    f['X'] = np.zeros((4, 600))
  with pytest.raises(ValueError, match='has 5 rows'):
    list(readers.read_scsn(path))


def test_scsn_builder(tmp_path):
  folder = tmp_path / 'scsn'
  folder.mkdir()
  config = scsn.make_config(path=str(folder), kind='fm')
  with pytest.raises(FileNotFoundError, match='_fm_train.hdf5.*_fm_test'):
    scsn.files(config)
  _write_scsn(folder / 'scsn_p_2000_2017_6sec_0.5r_fm_train.hdf5', nan_row=1)
  _write_scsn(folder / 'scsn_p_2000_2017_6sec_0.5r_fm_test.hdf5', n=3)
  data_dir = str(tmp_path / 'tfds')
  scsn.Builder(config=config, data_dir=data_dir).download_and_prepare()
  builder = scsn.Builder(config=config, data_dir=data_dir)  # From disk.
  source = builder.as_data_source(scsn.SPLIT)
  assert len(source) == 5 + 3 - 1
  assert [source[i]['trace'] for i in (0, 1, 4)] == [
      b'100_CI.ST0.HHZ_0', b'101_CI.ST2.HHZ_2', b'100_CI.ST0.HHZ_0']
  _assert_onset_at_p(source[2], sign=1.0)
  metadata = builder.info.metadata
  assert metadata['kind'] == 'fm' and metadata['n_rejected'] == 1
  assert metadata['rejected'][0]['trace'] == '100_CI.ST1.HHZ_1'
  assert metadata['rejected'][0]['reason'].startswith('NaN samples: 1 of')
  assert scsn.make_config(path=str(folder), kind='pick') is not config


# SeisBench ---------------------------------------------------------------


def _seisbench_rows():
  return [_row(p=1000, i=0), _row(p=2000, sign=-1.0, polarity='negative', i=1),
          _row(p=math.nan, i=2), _row(p=50, i=3),
          _row(p=400, n=1200, rate=40.0, i=4, polarity='')]


@pytest.mark.parametrize('blocks', [False, True])
def test_seisbench_folder(tmp_path, blocks):
  readers.write_seisbench(_seisbench_rows(), tmp_path, blocks=blocks,
                          bucket_size=3)
  with h5py.File(tmp_path / 'waveforms.hdf5') as f:
    assert len(f['data']) == (2 if blocks else 5)
  recs, rejections = _records(readers.read_seisbench(tmp_path))
  assert [r['trace'][:6] for r in recs] == (
      ['bucket', 'bucket', 'bucket'] if blocks else ['trace0', 'trace1',
                                                     'trace4'])
  assert [int(r['polarity']) for r in recs] == [
      records.UP, records.DOWN, records.UNKNOWN]
  for record, sign in zip(recs, (1, -1, 1)):  # The last one is 40 Hz.
    _assert_onset_at_p(record, sign)
  assert [r['event'] for r in recs] == ['ev0', 'ev0', 'ev2']
  assert [float(r['snr_db']) for r in recs] == [10, 11, 14]
  assert [float(r['distance_km']) for r in recs] == [0, 5, 20]
  assert rejections.counts() == {'no P pick': 1, 'P too close to edge': 1}
  assert rejections.items[1][1].startswith('P too close to edge: P at sample')


def test_seisbench_component_order_picks_z(tmp_path):
  rng = np.random.default_rng(1)
  z = _spiky(3000, 1200, sign=-1.0)
  data = np.stack([rng.standard_normal(3000), -rng.standard_normal(3000), z])
  row = _row(p=1200) | {'data': data}
  readers.write_seisbench([row, row], tmp_path, component_order='ENZ',
                          blocks=True)
  recs, _ = _records(readers.read_seisbench(tmp_path))
  want = records.make_record(z, 100.0, 1200, event='e', trace='t')
  for record in recs:
    np.testing.assert_array_equal(record['waveform'], want['waveform'])


@pytest.mark.parametrize('cell, order, want', [
    ('[12.3 10.1 15.0]', 'ZNE', 12.3), ('[12.3 10.1 15.0]', 'ENZ', 15.0),
    ('[12.  nan]', 'ZNE', 12.0), ('7.5', 'ZNE', 7.5), ('', 'ZNE', math.nan)])
def test_snr_per_component(cell, order, want):
  np.testing.assert_equal(readers._snr_db(cell, order), want)


def test_seisbench_chunks_and_missing_columns(tmp_path, caplog):
  rows = _seisbench_rows()[:2]
  for chunk, row in zip(('_a', '_b'), rows):
    readers.write_seisbench([row], tmp_path / chunk)
    for stem, ext in (('metadata', 'csv'), ('waveforms', 'hdf5')):
      (tmp_path / chunk / f'{stem}.{ext}').rename(
          tmp_path / f'{stem}{chunk}.{ext}')
  (tmp_path / 'chunks').write_text('_a\n_b\n')
  metadata = tmp_path / 'metadata_b.csv'
  lines = metadata.read_text().splitlines()
  lines = [','.join(c for i, c in enumerate(line.split(',')) if i not in (
      1, 4)) for line in lines]  # Drop the sampling rate and source_id.
  metadata.write_text('\n'.join(lines) + '\n')
  with h5py.File(tmp_path / 'waveforms_b.hdf5', 'a') as f:
    f['data_format/sampling_rate'] = 50.0  # The rate is read from here.
  with caplog.at_level(logging.WARNING):
    recs, _ = _records(readers.read_seisbench(tmp_path))
  assert [r['event'] for r in recs] == ['ev0', 'trace0']
  # Read at 50 Hz, the P pick at sample 2000 lands 40 s in, not 20 s.
  np.testing.assert_array_equal(recs[1]['waveform'], records.make_record(
      rows[1]['data'], 50.0, 2000, event='e', trace='t')['waveform'])
  assert 'no source_id column' in caplog.text


def test_seisbench_builder(tmp_path):
  folder = tmp_path / 'folder'
  readers.write_seisbench(_seisbench_rows(), folder, blocks=True)
  config = sb.make_config(path=str(folder))
  data_dir = str(tmp_path / 'tfds')
  sb.Builder(config=config, data_dir=data_dir).download_and_prepare()
  builder = sb.Builder(config=config, data_dir=data_dir)
  source = builder.as_data_source(sb.SPLIT)
  assert len(source) == 3
  _assert_onset_at_p(source[1], sign=-1.0)
  assert source[1]['polarity'] == records.DOWN
  assert builder.info.metadata['rejected_counts'] == {
      'no P pick': 1, 'P too close to edge': 1}
  assert config.name.startswith('seisbench-folder-')
  assert sb.make_config(path=str(tmp_path / 'other' / 'folder')) is not config
  with pytest.raises(ValueError, match='reader must be one of'):
    sb.make_config(path=str(folder), reader='instance')
  with pytest.raises(ValueError, match='Unknown reader'):
    readers.read('instance', folder)


# The real evaluation folders ----------------------------------------------


def _real_folder(name):
  folder = PICKS / name
  if not folder.is_dir():
    pytest.skip(f'{folder} is absent (real data lives outside the repo).')
  return folder


def test_phasenet_ncedc_real(tmp_path):
  folder = _real_folder('phasenet_ncedc')
  config = sb.make_config(path=str(folder), reader='phasenet_ncedc')
  builder = sb.Builder(config=config, data_dir=str(tmp_path))
  builder.download_and_prepare()
  source = builder.as_data_source(sb.SPLIT)
  assert len(source) == 154 and builder.info.metadata['n_rejected'] == 0
  recs = [source[i] for i in range(len(source))]
  events = {r['trace'].decode(): r['event'].decode() for r in recs}
  assert events['NC_MEM_2017100709282692.npz'] == '2017100709282692'
  assert events['NC_MTU_2014071807051236_02.npz'] == '2014071807051236'
  assert events['NN_CAS_1987070910023014_N1.npz'] == '1987070910023014'
  assert {r['polarity'] for r in recs} == {records.UNKNOWN}
  assert len({r['event'] for r in recs}) == 154
  waves = np.stack([r['waveform'] for r in recs])
  # Most picks are clear: the P coda outweighs the noise before it.
  ratio = np.abs(waves[:, 300:400]).mean(1) / np.abs(waves[:, 150:290]).mean(1)
  assert np.mean(ratio > 2) > 0.9


def test_kumamoto_hinet_real():
  folder = _real_folder('kumamoto_hinet')
  rows = list(readers.read_kumamoto(folder))
  assert len(rows) == 121
  ps = [r['p_sample'] / r['sampling_rate'] for r in rows if 'reject' not in r]
  assert 20.5 < min(ps) and max(ps) < 76.5  # Seconds after trace start.
  recs, rejections = _records(rows)
  assert len(recs) == 100
  assert rejections.counts() == {'no waveform file': 21}
  polarity = [int(r['polarity']) for r in recs]
  assert [polarity.count(c) for c in (records.UP, records.DOWN,
                                      records.UNKNOWN)] == [45, 15, 40]
  assert {float(r['magnitude']) for r in recs} == {np.float32(4.0),
                                                   np.float32(4.4)}
  distances = np.array([r['distance_km'] for r in recs])
  assert np.all((distances > 1) & (distances < 500))
  # Labelled first motions agree with the sign of the record's onset.
  agree = []
  for r in recs:
    if r['polarity'] != records.UNKNOWN:
      x = r['waveform']
      k = 298 + np.argmax(np.abs(x[298:330]) > np.abs(x[200:295]).max())
      agree.append((x[k] > 0) == (r['polarity'] == records.UP))
  assert np.mean(agree) > 0.9


def test_preprocessing_band_pass_is_obspys():
  x = np.random.default_rng(0).normal(size=1000)
  expected = obspy.signal.filter.bandpass(
      scipy.signal.detrend(x), 1.0, 20.0, 100.0, corners=4, zerophase=False)
  np.testing.assert_allclose(records.preprocess(x, 100.0), expected,
                             rtol=1e-5, atol=1e-6 * np.abs(expected).max())


# STEAD (original layout) and DeepDenoiser ------------------------------

_STEAD_COLUMNS = ('trace_name', 'trace_category', 'p_arrival_sample',
                  'source_id', 'source_magnitude', 'source_distance_km',
                  'snr_db')


def _write_stead(folder, group='earthquake/local'):
  """Three STEAD traces (two events) and one noise trace, as STEAD has."""
  folder.mkdir()
  rows = [('A.ST1_EV', 'earthquake_local', 700.0, '8556349', 3.6, 102.1,
           '[56.8 55.4 47.4]', 1.0),
          ('A.ST2_EV', 'earthquake_local', 500.0, '8556349', 3.6, 80.0,
           '[10. 11. 12.]', -1.0),
          ('A.ST1_EV2', 'earthquake_local', 900.0, 'ci14311528', 2.1, 20.0,
           '[30. 30. 30.]', 1.0),
          ('A.ST1_NO', 'noise', '', 'None', '', '', '[nan nan nan]', 0.0)]
  with h5py.File(folder / 'waveforms.hdf5', 'w') as f:
    for i, (name, category, p, *_, sign) in enumerate(rows):
      data = np.zeros((6000, 3))
      data[:, 0] = 1e-3 * np.random.default_rng(i).standard_normal(6000)
      data[:, 2] = _spiky(6000, int(p or 10), sign or 1.0, seed=i)
      path = (f'{group}/{name}' if category != 'noise'
              else f'non_earthquake/noise/{name}')
      f[path] = data
  with open(folder / 'metadata.csv', 'w') as f:
    f.write(','.join(_STEAD_COLUMNS) + '\n')
    for row in rows:
      f.write(','.join(f'"{v}"' if isinstance(v, str) and ' ' in v
                       else str(v) for v in row[:-1]) + '\n')
  return rows


@pytest.mark.parametrize('group', ['earthquake/local', 'data'])
def test_stead_original_layout(tmp_path, group):
  _write_stead(tmp_path / 'stead', group)
  rows = list(readers.read('stead', tmp_path / 'stead'))
  assert rows[0]['p_sample'] == 700.0 and rows[0]['sampling_rate'] == 100.0
  assert rows[0]['snr_db'] == pytest.approx(47.4)  # Z of [E N Z].
  assert rows[0]['distance_km'] == pytest.approx(102.1)
  recs, rejections = _records(rows)
  assert len(recs) == 3
  assert rejections.counts() == {'no P pick': 1}
  assert [r['event'] for r in recs] == ['8556349', '8556349', 'ci14311528']
  for record, sign in zip(recs, (1.0, -1.0, 1.0)):
    _assert_onset_at_p(record, sign)  # The Z component, not E.
    assert record['polarity'] == records.UNKNOWN


def test_stead_builder_and_source(tmp_path):
  _write_stead(tmp_path / 'stead')
  data = ml_collections.ConfigDict({'data_dir': str(tmp_path / 'tfds')})
  pick_data.set_source(data, f'stead:{tmp_path / "stead"}')
  assert (data.name, data.reader) == ('seisbench', 'stead')
  recs, builder = pick_data.load_records(data, data.data_dir)
  assert len(recs) == 3 and builder.info.metadata['n_rejected'] == 1


def test_stead_missing_waveform_is_rejected(tmp_path):
  _write_stead(tmp_path / 'stead')
  with h5py.File(tmp_path / 'stead' / 'waveforms.hdf5', 'a') as f:
    del f['earthquake/local/A.ST2_EV']
  _, rejections = _records(readers.read_stead(tmp_path / 'stead'))
  assert rejections.counts() == {'no P pick': 1, 'no waveform': 1}


def test_stead_ta109c_real():
  folder = _real_folder('stead_ta109c')
  rows = list(readers.read_stead(folder))
  recs, rejections = _records(rows)
  assert len(recs) == 50 and not rejections.items
  assert len({r['event'] for r in recs}) == 50
  ps = [r['p_sample'] for r in rows]
  assert 400 <= min(ps) and max(ps) <= 900
  assert np.all(np.isfinite([r['snr_db'] for r in recs]))
  waves = np.stack([r['waveform'] for r in recs])
  ratio = np.abs(waves[:, 300:400]).mean(1) / np.abs(waves[:, 150:290]).mean(1)
  assert np.mean(ratio > 2) > 0.8


def test_deepdenoiser_ncedc_real():
  folder = _real_folder('deepdenoiser_ncedc')
  recs, rejections = _records(readers.read('deepdenoiser_ncedc', folder))
  assert len(recs) == 100 and not rejections.items
  assert len({r['event'] for r in recs}) == 99
  phasenet = PICKS / 'phasenet_ncedc' / 'waveform.csv'
  if phasenet.is_file():  # No record in common with the PhaseNet set.
    assert not {r['trace'] for r in recs} & set(
        phasenet.read_text().split())
