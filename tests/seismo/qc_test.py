"""Tests of seisjax.seismo.qc on synthetic records and on real recordings."""

import csv
import os

import numpy as np
import obspy
import pytest

from seisjax import seismo
from seisjax.seismo import qc

DATA = str(seismo.SHARED_DATA / 'continuous')
needs_data = pytest.mark.skipif(
    not os.path.isdir(DATA), reason=f'real recordings not found at {DATA}')

FS = 40.0
DURATION_S = 3600.0
START = obspy.UTCDateTime('2014-03-17T00:00:00')


def _record(seed=0, channels=('BH1', 'BH2', 'BHZ'), npts=None):
  """A clean 1 h 40 Hz record of unit white noise."""
  rng = np.random.default_rng(seed)
  npts = npts or int(DURATION_S * FS)
  return obspy.Stream([
      obspy.Trace(rng.standard_normal(npts), header={
          'network': 'XX', 'station': 'SYN', 'channel': c,
          'sampling_rate': FS, 'starttime': START})
      for c in channels])


def _has(result, prefix):
  return any(r.startswith(prefix) for r in result.reasons)


def test_clean_record_passes():
  result = qc.check_record(_record())
  assert result.passed, result.reasons
  assert result.reasons == []
  assert result.record_id == 'XX.SYN..BH?_2014-03-17T00:00:00'
  assert result.details['n_spikes'] == 0


def test_north_east_names_count_as_horizontals():
  result = qc.check_record(_record(channels=('BHN', 'BHE', 'BHZ')))
  assert result.passed, result.reasons


def test_single_spike_is_a_spike_not_an_earthquake():
  st = _record()
  st[2].data[50000] = 50 * st[2].data.std()
  result = qc.check_record(st)
  assert not result.passed
  assert [r for r in result.reasons if r.startswith('spikes')] == [
      'spikes: 1 in BHZ at 2014-03-17T00:20:50']
  assert not _has(result, 'earthquake signal')


def test_wave_train_is_earthquake_signal():
  st = _record()
  t = np.arange(int(300 * FS)) / FS  # 5 min at 0.05 Hz, 20x the noise
  wave = 20 * np.sin(2 * np.pi * 0.05 * t) * np.hanning(t.size)
  onset = int(1800 * FS)
  for tr in st:
    tr.data[onset:onset + t.size] += wave
  result = qc.check_record(st)
  assert not result.passed
  assert [r for r in result.reasons if not r.startswith('earthquake')] == []
  assert _has(result, 'earthquake signal (0.02-0.1 Hz)')
  assert result.details['eq_ratio_0.02-0.1hz'] > qc.EQ_FACTOR
  # The flagged windows lie on the wave train.
  spans = [(s - START, e - START) for k, s, e in result.flags
           if k == 'earthquake']
  assert spans and all(1800 - 60 <= s and e <= 2100 + 60 for s, e in spans)


def test_nan_sample():
  st = _record()
  st[0].data[1000] = np.nan
  result = qc.check_record(st)
  assert result.reasons == ['masked/NaN/inf samples: 1 in BH1']


def test_missing_channel():
  result = qc.check_record(_record(channels=('BH1', 'BHZ')))
  assert result.reasons == ['missing channels: BH2']


def test_different_lengths():
  st = _record()
  st[1].data = st[1].data[:-400]  # 10 s short
  result = qc.check_record(st)
  assert len(result.reasons) == 1
  assert result.reasons[0].startswith('channel lengths differ')
  assert 'BH2 3590.0 s' in result.reasons[0]


def test_one_sample_difference_is_tolerated():
  st = _record()
  st[1].data = st[1].data[:-1]
  assert qc.check_record(st).passed


def test_gap_and_expected_duration():
  st = _record()
  first, second = st[0].copy(), st[0].copy()
  first.trim(endtime=START + 600)
  second.trim(starttime=START + 630)
  st[0:1] = [first, second]
  result = qc.check_record(st, expected_duration_s=7200)
  assert _has(result, 'gap: 1 gaps/overlaps, longest 30.0 s in BH1')
  assert _has(result, 'duration shorter than 7200 s')


def test_write_report(tmp_path):
  streams = [_record(), _record(channels=('BHZ',))]
  results = [qc.check_record(st) for st in streams]
  path = qc.write_report(results, streams, str(tmp_path))
  with open(path) as f:
    rows = list(csv.DictReader(f))
  assert [r['record_id'] for r in rows] == [r.record_id for r in results]
  assert [r['passed'] for r in rows] == ['True', 'False']
  assert rows[1]['reasons'] == 'missing channels: BH1, BH2'
  assert rows[0]['n_spikes'] == '0'
  pngs = sorted(os.listdir(tmp_path))
  assert pngs == ['XX.SYN..BH__2014-03-17T00_00_00.png', 'qc_report.csv']
  with open(tmp_path / pngs[0], 'rb') as f:
    assert f.read(8) == b'\x89PNG\r\n\x1a\n'


def test_write_report_without_streams(tmp_path):
  results = [qc.check_record(_record())]
  qc.write_report(results, None, str(tmp_path))
  assert os.listdir(tmp_path) == ['qc_report.csv']


@needs_data
def test_gappy_20hz_record_is_rejected():
  st = obspy.read(os.path.join(DATA, 'IV.BDI.BH_.2014-04-04.example.mseed'))
  result = qc.check_record(st)
  assert not result.passed
  assert _has(result, 'gap: 3 gaps/overlaps')
  assert _has(result, 'sampling rate 20.0 Hz, expected 40.0 Hz')


@needs_data
def test_teleseism_is_flagged(tmp_path):
  st = obspy.read(os.path.join(DATA, 'TA.W54A..BHZ.M.2014_076_04_11_34.SAC'))
  result = qc.check_record(st)
  assert not result.passed
  assert _has(result, 'missing channels: BH1, BH2')
  assert _has(result, 'earthquake signal (0.02-0.1 Hz)')
  qc.plot_record(st, result, tmp_path / 'w54a.png')
  assert (tmp_path / 'w54a.png').stat().st_size > 1000


@needs_data
def test_quiet_record_passes():
  st = obspy.read(os.path.join(DATA, 'TA.O18A..BH?.M.2008.227.120000.SAC'))
  result = qc.check_record(st)
  assert result.passed, result.reasons
  assert result.reasons == []
