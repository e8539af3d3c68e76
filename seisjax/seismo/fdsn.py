"""Waveforms from FDSN services: channel choice and a resumable cache.

The station service says which location and channels cover a span; the
dataselect service fills a cache of MiniSEED files that a rerun resumes
(a manifest records what is complete, with its checksum):

  from obspy.clients.fdsn import Client
  dmc = Client('EARTHSCOPE')  # the former IRIS DMC: stations and waveforms
  loc, chans = fdsn.choose_channels(dmc, 'IU', 'MAJO', t0, t1)
  report = fdsn.download(dmc, [fdsn.Request('IU', 'MAJO', loc, chans, t0, t1)],
                         'cache/')

Offline, `manual_folder` serves files put in a folder through the same
`get_waveforms` call, so `download` works on it unchanged.
"""

import dataclasses
import datetime
import fnmatch
import glob
import hashlib
import http.client
import json
import logging
import math
import os
import re
import socket
import time
from typing import Any, Sequence
import urllib.error

import obspy
from obspy import UTCDateTime
from obspy.clients.fdsn import header

from seisjax.seismo import qc

# Errors a retry cannot fix: the request or the credentials are wrong. Every
# other FDSNException (timeouts, 429, 5xx, lost connections) and the socket
# errors of TRANSIENT_ERRORS are retried with exponential back-off.
PERMANENT_ERRORS = tuple(getattr(header, f'FDSN{n}Exception') for n in (
    'BadRequest', 'Unauthorized', 'Forbidden', 'RequestTooLarge',
    'NotImplemented', 'NoService', 'InvalidRequest', 'DoubleAuthentication',
    'NoAuthenticationService'))
TRANSIENT_ERRORS = (header.FDSNException, ConnectionError, TimeoutError,
                    socket.timeout, urllib.error.URLError,
                    http.client.HTTPException)
MANIFEST = 'manifest.json'


def _covers(epochs, start, end) -> bool:
  """Whether the union of (start, end or None = open) epochs covers a span."""
  reached = start
  for lo, hi in sorted(epochs, key=lambda e: e[0]):
    if lo > reached:
      return False
    if hi is None or hi >= end:
      return True
    reached = max(reached, hi)
  return False


def choose_channels(client, network: str, station: str, starttime, endtime,
                    components: Sequence[str] = ('1', '2', 'Z'),
                    band: str = 'BH', rate: float = 40.0
                    ) -> tuple[str, list[str]]:
  """A location with every component at `rate` Hz over the whole span.

  The rate is read from the station metadata (the channel epochs, which may
  be several), never assumed. N and E stand in for 1 and 2 as in
  qc.COMPONENT_ALIASES, the exact letter preferred. Of several fitting
  locations the first in sort order wins ('' < '00' < '10'): the primary
  sensor at GSN stations.

  Args:
    client: obspy FDSN Client with a station service.
    network, station: SEED codes.
    starttime, endtime: span the channels must cover.
    components, band: last letters (in output order), first two letters of
      the channel codes.
    rate: required sampling rate in Hz.

  Returns:
    (location code, [channel code of each component]); ValueError listing
    every channel found when no location fits.
  """
  starttime, endtime = UTCDateTime(starttime), UTCDateTime(endtime)
  inventory = client.get_stations(
      network=network, station=station, channel=band + '?',
      starttime=starttime, endtime=endtime, level='channel')
  epochs = {}
  for cha in (c for n in inventory.select(network=network, station=station)
              for s in n for c in s):
    epochs.setdefault((cha.location_code, cha.code), []).append(cha)
  fits, found = {}, []
  for (loc, code), chans in sorted(epochs.items()):
    found.append(f'{loc or "--"}.{code} ' + ', '.join(
        f'{c.sample_rate or 0:g} Hz {c.start_date}..{c.end_date or "open"}'
        for c in chans))
    spans = [(c.start_date or starttime, c.end_date) for c in chans
             if math.isclose(c.sample_rate or 0, rate, rel_tol=1e-6)]
    for comp in components:
      aliases = qc.COMPONENT_ALIASES.get(comp, (comp,))
      if (code[:-1] == band and code[-1] in aliases
          and _covers(spans, starttime, endtime)):
        fits.setdefault(loc, {}).setdefault(comp, []).append(
            (aliases.index(code[-1]), code))
  good = [loc for loc in sorted(fits) if len(fits[loc]) == len(components)]
  if not good:
    raise ValueError(
        f'{network}.{station}: no location has {band}[{"".join(components)}] '
        f'at {rate:g} Hz over {starttime}..{endtime}; found: '
        + ('; '.join(found) or 'no channels'))
  if len(good) > 1:
    logging.info('%s.%s: locations %s fit; using %r', network, station, good,
                 good[0])
  return good[0], [min(fits[good[0]][comp])[1] for comp in components]


def _stamp(t: UTCDateTime) -> str:
  return t.strftime('%Y%m%dT%H%M%S') + (f'.{t.microsecond:06d}'
                                        if t.microsecond else '')


@dataclasses.dataclass(frozen=True)
class Request:
  """One waveform request; channels may also be given as 'BH1,BH2,BHZ'."""

  network: str
  station: str
  location: str  # '' or '--' for blank
  channels: tuple[str, ...]
  starttime: UTCDateTime
  endtime: UTCDateTime

  def __post_init__(self):
    chans = self.channels
    chans = chans.split(',') if isinstance(chans, str) else chans
    for name, value in (
        ('channels', tuple(c.strip() for c in chans)),
        ('location', '' if self.location in (None, '--') else self.location),
        ('starttime', UTCDateTime(self.starttime)),
        ('endtime', UTCDateTime(self.endtime))):
      object.__setattr__(self, name, value)  # frozen
    if self.endtime <= self.starttime:
      raise ValueError(f'{self.key}: endtime is not after starttime')

  def __hash__(self):  # UTCDateTime is not hashable in ObsPy 1.5.
    return hash(self.key)

  @property
  def channel(self) -> str:
    """The FDSN channel parameter: a comma-separated list."""
    return ','.join(self.channels)

  @property
  def key(self) -> str:
    """Stable file-name-safe id: NET.STA.LOC.CHA_CHA.START_END."""
    raw = (f'{self.network}.{self.station}.{self.location or "--"}.'
           f'{"_".join(self.channels)}.{_stamp(self.starttime)}_'
           f'{_stamp(self.endtime)}')
    safe = re.sub(r'[^A-Za-z0-9._-]', '-', raw)  # wildcards such as BH?
    return raw if safe == raw else (
        f'{safe}-{hashlib.sha1(raw.encode()).hexdigest()[:8]}')

  def as_dict(self) -> dict[str, Any]:
    return {'network': self.network, 'station': self.station,
            'location': self.location, 'channels': list(self.channels),
            'starttime': str(self.starttime), 'endtime': str(self.endtime)}


@dataclasses.dataclass
class DownloadReport:
  """Request keys fetched now or found cached; missing/failed with reasons.

  missing: the server has no data (FDSNNoDataException, empty stream); not
  asked again unless refetch_missing. failed: a permanent error or retries
  used up; asked again on the next run.
  """

  fetched: list[str] = dataclasses.field(default_factory=list)
  cached: list[str] = dataclasses.field(default_factory=list)
  missing: dict[str, str] = dataclasses.field(default_factory=dict)
  failed: dict[str, str] = dataclasses.field(default_factory=dict)

  def __str__(self):
    return (f'{len(self.fetched)} fetched, {len(self.cached)} cached, '
            f'{len(self.missing)} missing, {len(self.failed)} failed')


def _sha256(path) -> str:
  digest = hashlib.sha256()
  with open(path, 'rb') as f:
    for block in iter(lambda: f.read(1 << 20), b''):
      digest.update(block)
  return digest.hexdigest()


def _reason(e: BaseException) -> str:
  return f'{type(e).__name__}: {" ".join(str(e).split())}'[:300]


def _fetch(client, req: Request, path, retries, backoff_s, sleep):
  """Fetches one request into `path`; returns its manifest entry."""
  for attempt in range(retries + 1):
    try:
      stream = client.get_waveforms(req.network, req.station, req.location,
                                    req.channel, req.starttime, req.endtime)
      break
    except header.FDSNNoDataException as e:
      return {'status': 'missing', 'reason': _reason(e)}
    except PERMANENT_ERRORS as e:
      return {'status': 'failed', 'reason': _reason(e)}
    except TRANSIENT_ERRORS as e:
      if attempt == retries:
        return {'status': 'failed',
                'reason': f'{attempt + 1} attempts, last {_reason(e)}'}
      delay = backoff_s * 2**attempt
      logging.warning('%s: %s; retry in %g s', req.key, _reason(e), delay)
      sleep(delay)
  if not len(stream):
    return {'status': 'missing', 'reason': 'empty stream'}
  part = path + '.part'  # a kill leaves this, never a short `path`
  try:
    with open(part, 'wb') as f:
      stream.write(f, format='MSEED')
      f.flush()
      os.fsync(f.fileno())
    digest = _sha256(part)
    os.replace(part, path)
  finally:
    if os.path.exists(part):
      os.remove(part)
  return {'status': 'ok', 'file': os.path.basename(path), 'sha256': digest,
          'bytes': os.path.getsize(path),
          'traces': sorted({tr.id for tr in stream})}


def download(client, requests: Sequence[Request], cache_dir, *,
             retries: int = 4, backoff_s: float = 2.0, sleep=time.sleep,
             refetch_missing: bool = False) -> DownloadReport:
  """Fetches each request to cache_dir/<key>.mseed, resuming safely.

  cache_dir/manifest.json holds each request's outcome and its file's
  sha256, rewritten (atomically) after every request, so an interrupted run
  resumes where it stopped; a file that no longer matches its checksum is
  fetched again. Transient errors are retried after backoff_s, 2 backoff_s,
  4 backoff_s...; other exceptions propagate, the manifest kept.

  Args:
    client: obspy FDSN Client, or anything with its `get_waveforms`.
    requests: the Requests.
    cache_dir: folder for the files and the manifest; created if needed.
    retries, backoff_s: retries after a first transient error; first delay.
    sleep: called with each delay (injectable for tests).
    refetch_missing: ask again for requests recorded as having no data.

  Returns:
    The DownloadReport.
  """
  os.makedirs(cache_dir, exist_ok=True)
  manifest_path = os.path.join(cache_dir, MANIFEST)
  manifest = {'format': 1, 'requests': {}}
  if os.path.exists(manifest_path):
    with open(manifest_path) as f:
      manifest = json.load(f)
  entries, report, todo = manifest['requests'], DownloadReport(), []
  for req in requests:
    entry = entries.get(req.key, {})
    path = os.path.join(cache_dir, req.key + '.mseed')
    if entry.get('status') == 'ok':
      if os.path.exists(path) and _sha256(path) == entry['sha256']:
        report.cached.append(req.key)
        continue
      logging.warning('%s: cached file lost or corrupt; fetching again',
                      req.key)
    elif entry.get('status') == 'missing' and not refetch_missing:
      report.missing[req.key] = entry['reason']
      continue
    todo.append((req, path))
  logging.info('download: %d requests: %d cached, %d known missing, %d to '
               'fetch', len(requests), len(report.cached),
               len(report.missing), len(todo))
  began = time.monotonic()
  for i, (req, path) in enumerate(todo, 1):
    entry = _fetch(client, req, path, retries, backoff_s, sleep)
    entries[req.key] = {**entry, 'request': req.as_dict()}
    with open(manifest_path + '.part', 'w') as f:
      json.dump(manifest, f, indent=1, sort_keys=True)
    os.replace(manifest_path + '.part', manifest_path)
    if entry['status'] == 'ok':
      report.fetched.append(req.key)
    else:
      getattr(report, entry['status'])[req.key] = entry['reason']
    elapsed = time.monotonic() - began
    eta = datetime.timedelta(seconds=round(elapsed / i * (len(todo) - i)))
    logging.info('[%d/%d] %s: %s, %.1f MB; ETA %s', i, len(todo), req.key,
                 entry.get('reason', 'ok'), entry.get('bytes', 0) / 1e6, eta)
  logging.info('download: %s', report)
  return report


def read_waveforms(path) -> obspy.Stream:
  """obspy.read of one file; ValueError naming the file if it is corrupt.

  A file whose headers read (so it was indexed or cached) can still fail on
  its data, e.g. garbage in a Steim2 record; ObsPy's own error does not
  name the file.
  """
  try:
    return obspy.read(str(path))
  except Exception as e:  # pylint: disable=broad-except
    lines = str(e).strip().splitlines() or ['']
    more = f' (+{len(lines) - 1} more lines)' if len(lines) > 1 else ''
    raise ValueError(f'{path}: ObsPy cannot read it ({type(e).__name__}: '
                     f'{lines[0]}{more})') from e


def _matches(pattern: str, code: str) -> bool:
  """A SEED code against an FDSN pattern: comma list, wildcards, '--'."""
  return any(fnmatch.fnmatchcase(code, '' if p == '--' else p)
             for p in pattern.split(','))


class ManualFolder:
  """Waveform files put in a folder by hand, served like an FDSN client.

  Every file under the folder that ObsPy reads (MiniSEED above all) is
  indexed by trace id and span once; data are read when asked for.
  """

  def __init__(self, folder):
    self.folder, self._index = str(folder), []  # (path, id, start, end)
    for path in sorted(glob.glob(os.path.join(self.folder, '**'),
                                 recursive=True)):
      try:
        st = obspy.read(path, headonly=True) if os.path.isfile(path) else []
      except Exception:  # pylint: disable=broad-except
        logging.debug('%s: not a waveform file; skipped', path)
        continue
      self._index += [(path, tr.id, tr.stats.starttime, tr.stats.endtime)
                      for tr in st]
    if not self._index:
      raise FileNotFoundError(f'no waveform file ObsPy can read in {folder}')

  def get_waveforms(self, network, station, location, channel, starttime,
                    endtime, **unused_kwargs) -> obspy.Stream:
    """The FDSN client's call; FDSNNoDataException when nothing matches."""
    starttime, endtime = UTCDateTime(starttime), UTCDateTime(endtime)
    patterns = (network, station, location or '--', channel)
    wanted = lambda seed_id: all(
        _matches(p, c) for p, c in zip(patterns, seed_id.split('.')))
    st = obspy.Stream()
    for path in sorted({p for p, i, s, e in self._index
                        if wanted(i) and s <= endtime and e >= starttime}):
      st += obspy.Stream([tr for tr in read_waveforms(path)
                          if wanted(tr.id)])
    st.trim(starttime, endtime)
    st.merge(method=-1)  # joins contiguous files (day files), keeps gaps
    if not len(st):
      raise header.FDSNNoDataException(
          f'no {".".join(patterns)} in {starttime}..{endtime} under '
          f'{self.folder}')
    return st

  def select(self, request: Request) -> obspy.Stream:
    """The request's traces; ValueError naming each missing channel or span."""
    try:
      st = self.get_waveforms(request.network, request.station,
                              request.location, request.channel,
                              request.starttime, request.endtime)
    except header.FDSNNoDataException:
      st = obspy.Stream()
    problems = []
    for cha in request.channels:
      seed_id = '.'.join((request.network, request.station, request.location,
                          cha))
      trs = st.select(id=seed_id)
      if not trs:
        problems.append(f'{seed_id}: no data')
        continue
      first = min(tr.stats.starttime for tr in trs)
      last = max(tr.stats.endtime + tr.stats.delta for tr in trs)
      if max(first - request.starttime,
             request.endtime - last) > trs[0].stats.delta:
        problems.append(f'{seed_id}: only {first}..{last}')
    if problems:
      raise ValueError(
          f'{self.folder} lacks part of {request.starttime}..'
          f'{request.endtime}: ' + '; '.join(problems) + '. Ids there: '
          + ', '.join(sorted({i for _, i, _, _ in self._index})))
    return st


def manual_folder(folder) -> ManualFolder:
  """The offline source: the files in `folder` behind the FDSN client API."""
  return ManualFolder(folder)
