"""Tests of seisjax.seismo.fdsn against a mocked ObsPy FDSN client.

No machine here reaches FDSN servers: the MockClient of
seisjax.precursor.mock_fdsn answers the three calls of
obspy.clients.fdsn.Client that fdsn uses, serving real TA.O18A noise from
../shared/data relabelled as IU.MAJO.00.BH{1,2,Z}. The catalogue calls are
tested in catalogue_test.py.
"""

import glob
import hashlib
import json
import os
import pathlib
import socket

import numpy as np
import obspy
from obspy import UTCDateTime
from obspy.clients.fdsn import header
import pytest

from seisjax.precursor import mock_fdsn
from seisjax.seismo import fdsn
from seisjax.seismo import qc

FS = mock_fdsn.FS
MockClient = mock_fdsn.MockClient
needs_data = pytest.mark.skipif(
    not mock_fdsn.CONTINUOUS.is_dir(),
    reason=f'real recordings not found at {mock_fdsn.CONTINUOUS}')
_channel, _inventory = mock_fdsn.channel, mock_fdsn.inventory


def _requests(n=4, minutes=10):
  t0 = UTCDateTime('2016-01-01')
  return [fdsn.Request('IU', 'MAJO', '00', ('BH1', 'BH2', 'BHZ'),
                       t0 + k * 86400, t0 + k * 86400 + minutes * 60)
          for k in range(n)]


def _manifest(cache):
  with open(os.path.join(cache, fdsn.MANIFEST)) as f:
    return json.load(f)['requests']


def _sha(path):
  with open(path, 'rb') as f:
    return hashlib.sha256(f.read()).hexdigest()


# Channels.


def test_choose_channels_picks_the_40_hz_location():
  client = MockClient()
  loc, chans = fdsn.choose_channels(client, 'IU', 'MAJO', '2016-01-01',
                                    '2016-01-01T10:00:00')
  assert (loc, chans) == ('00', ['BH1', 'BH2', 'BHZ'])
  assert client.kwargs['stations']['level'] == 'channel'


@pytest.mark.parametrize('span, expected', [
    (('2012-01-01', '2012-01-01T10:00'), '00'),
    # Across the metadata epoch boundary of '00' (two epochs, no gap).
    (('2014-12-31T20:00', '2015-01-01T06:00'), '00'),
    # Across the day-long metadata gap of '00': only '10' covers it.
    (('2015-06-01T20:00', '2015-06-03T06:00'), '10'),
    (('2016-01-01', '2016-01-01T10:00'), '00'),
])
def test_choose_channels_needs_the_whole_span(span, expected):
  channels = []
  for c in ('BH1', 'BH2', 'BHZ'):
    channels += [_channel('00', c, 40.0, '2000-01-01', '2015-01-01'),
                 _channel('00', c, 40.0, '2015-01-01', '2015-06-02'),
                 _channel('00', c, 40.0, '2015-06-03'),
                 _channel('10', c, 40.0, '2014-01-01')]
  loc, _ = fdsn.choose_channels(
      MockClient(inventory=_inventory(channels)), 'IU', 'MAJO', *span)
  assert loc == expected


def test_choose_channels_accepts_north_east_but_prefers_1_2():
  ne = _inventory([_channel('00', c, 40.0) for c in ('BHN', 'BHE', 'BHZ')])
  assert fdsn.choose_channels(MockClient(inventory=ne), 'IU', 'MAJO',
                              '2016-01-01', '2016-01-02') == (
                                  '00', ['BHN', 'BHE', 'BHZ'])
  both = _inventory([_channel('00', c, 40.0)
                     for c in ('BHN', 'BHE', 'BH1', 'BH2', 'BHZ')])
  assert fdsn.choose_channels(MockClient(inventory=both), 'IU', 'MAJO',
                              '2016-01-01', '2016-01-02')[1] == [
                                  'BH1', 'BH2', 'BHZ']


def test_choose_channels_error_lists_what_was_found():
  only_20 = _inventory([_channel('00', c, 20.0) for c in ('BH1', 'BH2',
                                                         'BHZ')])
  with pytest.raises(ValueError) as info:
    fdsn.choose_channels(MockClient(inventory=only_20), 'IU', 'MAJO',
                         '2016-01-01', '2016-01-02')
  message = str(info.value)
  assert 'at 40 Hz' in message and '00.BH2 20 Hz' in message


# Download.


@needs_data
def test_download_writes_files_with_checksums_then_uses_the_cache(tmp_path):
  requests, cache = _requests(), str(tmp_path / 'cache')
  client = MockClient()
  report = fdsn.download(client, requests, cache)
  keys = [r.key for r in requests]
  assert report.fetched == keys and not report.cached
  assert set(client.calls.values()) == {1}
  assert client.calls[('00', 'BH1,BH2,BHZ', str(requests[0].starttime),
                       str(requests[0].endtime))] == 1
  manifest = _manifest(cache)
  for req in requests:
    path = os.path.join(cache, req.key + '.mseed')
    assert manifest[req.key]['sha256'] == _sha(path)
    st = obspy.read(path)
    assert sorted(tr.id for tr in st) == [
        f'IU.MAJO.00.{c}' for c in ('BH1', 'BH2', 'BHZ')]
    assert st[0].stats.starttime == req.starttime
  assert not glob.glob(os.path.join(cache, '*.part'))

  again = MockClient()
  report = fdsn.download(again, requests, cache)
  assert report.cached == keys and not report.fetched
  assert not again.calls


@needs_data
@pytest.mark.parametrize('exc', [KeyboardInterrupt, RuntimeError('boom')])
def test_interrupted_download_resumes_with_the_missing_pieces(tmp_path, exc):
  requests, cache = _requests(), str(tmp_path / 'cache')
  with pytest.raises(type(exc) if isinstance(exc, Exception) else exc):
    fdsn.download(MockClient(interrupt_after=2, interrupt_exc=exc),
                  requests, cache)
  assert sorted(_manifest(cache)) == sorted(r.key for r in requests[:2])
  assert not glob.glob(os.path.join(cache, '*.part'))

  client = MockClient()
  report = fdsn.download(client, requests, cache)
  assert report.cached == [r.key for r in requests[:2]]
  assert report.fetched == [r.key for r in requests[2:]]
  assert {k[2] for k in client.calls} == {
      str(r.starttime) for r in requests[2:]}


@needs_data
@pytest.mark.parametrize('damage', ['flip', 'delete'])
def test_corrupt_or_lost_cache_file_is_fetched_again(tmp_path, damage):
  requests, cache = _requests(3), str(tmp_path / 'cache')
  fdsn.download(MockClient(), requests, cache)
  path = os.path.join(cache, requests[1].key + '.mseed')
  if damage == 'flip':
    data = bytearray(pathlib.Path(path).read_bytes())
    data[1000] ^= 0xFF
    pathlib.Path(path).write_bytes(bytes(data))
  else:
    os.remove(path)
  client = MockClient()
  report = fdsn.download(client, requests, cache)
  assert report.fetched == [requests[1].key]
  assert sum(client.calls.values()) == 1
  assert _manifest(cache)[requests[1].key]['sha256'] == _sha(path)


@needs_data
def test_transient_errors_are_retried_with_growing_delays(tmp_path):
  delays = []
  client = MockClient(failures=[
      header.FDSNTimeoutException('Timed Out'),
      header.FDSNServiceUnavailableException('Service unavailable', '503'),
      header.FDSNException('Unknown Error (ConnectionResetError)')])
  report = fdsn.download(client, _requests(1), str(tmp_path), backoff_s=1.5,
                         sleep=delays.append)
  assert delays == [1.5, 3.0, 6.0]
  assert len(report.fetched) == 1 and sum(client.calls.values()) == 4


@needs_data
def test_retries_give_up_and_the_next_run_tries_again(tmp_path):
  delays, req = [], _requests(1)
  client = MockClient(failures=[socket.timeout('timed out')] * 10)
  report = fdsn.download(client, req, str(tmp_path), retries=2,
                         backoff_s=1.0, sleep=delays.append)
  assert delays == [1.0, 2.0]
  assert '3 attempts' in report.failed[req[0].key]
  assert not report.fetched and sum(client.calls.values()) == 3
  report = fdsn.download(MockClient(), req, str(tmp_path))
  assert report.fetched == [req[0].key]


@needs_data
def test_permanent_errors_are_not_retried(tmp_path):
  delays, req = [], _requests(1)
  client = MockClient(failures=[
      header.FDSNBadRequestException('Bad request', 'bad channel')])
  report = fdsn.download(client, req, str(tmp_path), sleep=delays.append)
  assert not delays and sum(client.calls.values()) == 1
  assert 'FDSNBadRequestException' in report.failed[req[0].key]


@needs_data
def test_no_data_is_reported_missing_and_not_asked_again(tmp_path):
  requests, cache, delays = _requests(3), str(tmp_path), []
  gone = requests[1]
  client = MockClient(no_data=[str(gone.starttime)])
  report = fdsn.download(client, requests, cache, sleep=delays.append)
  assert list(report.missing) == [gone.key]
  assert 'FDSNNoDataException' in report.missing[gone.key]
  assert 'no matching data' in report.missing[gone.key]
  assert not delays and len(report.fetched) == 2
  assert not os.path.exists(os.path.join(cache, gone.key + '.mseed'))

  again = MockClient()
  report = fdsn.download(again, requests, cache)
  assert list(report.missing) == [gone.key] and not again.calls
  report = fdsn.download(again, requests, cache, refetch_missing=True)
  assert report.fetched == [gone.key] and sum(again.calls.values()) == 1


@needs_data
def test_downloaded_10_h_record_passes_quality_control(tmp_path):
  t0 = UTCDateTime('2016-04-15T06:25:06')
  client = MockClient()
  loc, chans = fdsn.choose_channels(client, 'IU', 'MAJO', t0, t0 + 36000)
  req = fdsn.Request('IU', 'MAJO', loc, chans, t0, t0 + 36000)
  report = fdsn.download(client, [req], str(tmp_path))
  st = obspy.read(os.path.join(str(tmp_path), req.key + '.mseed'))
  result = qc.check_record(st, expected_duration_s=36000.0)
  assert report.fetched == [req.key]
  assert result.passed, result.reasons
  assert result.record_id == 'IU.MAJO.00.BH?_2016-04-15T06:25:06'


def test_request_key_is_stable_and_file_name_safe():
  a = fdsn.Request('IU', 'MAJO', '', 'BH1,BH2,BHZ', '2016-01-01',
                   '2016-01-01T10:00:00')
  b = fdsn.Request('IU', 'MAJO', '--', ['BH1', 'BH2', 'BHZ'],
                   UTCDateTime('2016-01-01'), UTCDateTime('2016-01-01T10'))
  assert a == b and a.key == b.key and hash(a) == hash(b)
  assert a.key == 'IU.MAJO.--.BH1_BH2_BHZ.20160101T000000_20160101T100000'
  wild = fdsn.Request('IU', 'MAJO', '00', 'BH?', '2016-01-01', '2016-01-02')
  star = fdsn.Request('IU', 'MAJO', '00', 'BH*', '2016-01-01', '2016-01-02')
  assert '?' not in wild.key and wild.key != star.key
  with pytest.raises(ValueError):
    fdsn.Request('IU', 'MAJO', '00', 'BHZ', '2016-01-02', '2016-01-01')


# Offline folder.


def _folder(tmp_path, channels=('BH1', 'BH2', 'BHZ')):
  """Two contiguous hour-long MiniSEED files of IU.MAJO.00 and a stray file."""
  folder = tmp_path / 'manual'
  folder.mkdir()
  t0 = UTCDateTime('2016-01-01')
  n, data = int(3600 * FS), mock_fdsn.o18a()
  for hour in range(2):
    obspy.Stream([obspy.Trace(
        np.round(data[c][hour * n:(hour + 1) * n]).astype(np.int32),
        {'network': 'IU', 'station': 'MAJO', 'location': '00', 'channel': c,
         'sampling_rate': FS, 'starttime': t0 + hour * 3600})
                  for c in channels]).write(
                      str(folder / f'hour{hour}.mseed'), format='MSEED')
  (folder / 'notes.txt').write_text('where the files came from\n')
  return folder, t0


@needs_data
def test_manual_folder_joins_files_and_names_what_is_missing(tmp_path):
  folder, t0 = _folder(tmp_path)
  source = fdsn.manual_folder(folder)
  req = fdsn.Request('IU', 'MAJO', '00', 'BH1,BH2,BHZ', t0 + 1800, t0 + 5400)
  st = source.select(req)
  assert len(st) == 3  # one segment per channel across the file boundary
  assert all(tr.stats.npts == 3600 * FS + 1 for tr in st)
  assert qc.check_record(st, expected_duration_s=3600.0).passed

  with pytest.raises(ValueError, match=r'IU\.MAJO\.00\.BHZ: only'):
    source.select(fdsn.Request('IU', 'MAJO', '00', 'BHZ', t0 + 3600,
                               t0 + 9000))
  report = fdsn.download(source, [req, fdsn.Request(
      'IU', 'MAJO', '00', 'BHZ', t0 + 86400, t0 + 90000)], tmp_path / 'c')
  assert report.fetched == [req.key] and len(report.missing) == 1


@needs_data
def test_manual_folder_error_names_the_missing_channel(tmp_path):
  folder, t0 = _folder(tmp_path, channels=('BH1', 'BHZ'))
  with pytest.raises(ValueError, match=r'IU\.MAJO\.00\.BH2: no data'):
    fdsn.manual_folder(folder).select(fdsn.Request(
        'IU', 'MAJO', '00', 'BH1,BH2,BHZ', t0, t0 + 600))
