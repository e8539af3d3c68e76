"""The real Japan precursor data (Ong et al.): from a catalogue to arrays.

The paper uses 10 h of 3-component (BH1, BH2, BHZ) 40 Hz records of IU.MAJO
(IU.MA2 for one event) ending at each Mw>=6 event within 20 deg of the
station (set A: 24 training and 7 test events; set B: 32 verification
events), and "noise B" windows at least 48 h from any such event. The
events are catalogue rows (CATALOGUE_COLUMNS): by default the paper's
Tables 1 and 2, shipped with the package (paper_catalogue.py), or a
catalogue CSV that the user edits or rebuilds from an FDSN event service
(`rebuild_catalogue`) to check or extend them.

  rows = japan.read_catalogue('catalogue.csv')  # or paper_catalogue.load()
  targets = japan.plan('set_a', rows, japan.Layout())
  result = japan.ingest(targets, client=Client('EARTHSCOPE'),
                        waveform_dir='cache/', qc_dir='qc/')
  x = result.array(0)  # (samples, 3) float32: BH1, BH2, BHZ of record 0

`ingest` downloads through the resumable cache of `fdsn.download` (or,
with client=None, reads a folder of MiniSEED/SAC files), checks every
record with `qc.check_record`, rejects (never repairs) failing ones and
writes the QC report. The TFDS builder datasets/japan_precursor calls it;
`seisjax-japan` (japan_cli.py) runs its steps from the shell.
"""

import csv
import dataclasses
import logging
import os
from typing import Any, Sequence

import numpy as np
import obspy
from obspy import UTCDateTime
from obspy.clients.fdsn import header

from seisjax.engine import writers
from seisjax.seismo import catalogue
from seisjax.seismo import fdsn
from seisjax.seismo import qc

# IU.MAJO (Matsushiro, Japan): the FDSN station service's coordinates as
# quoted in public code: 28 of Table 1's 30 MAJO distances agree within
# 0.03 deg (paper_catalogue.py). IU.MA2 (Magadan, Russia; one event in the
# paper): Table 1's distance of that event (7.18 deg) agrees too. Station
# metadata (`get_stations`) is authoritative.
STATION = {'network': 'IU', 'station': 'MAJO',
           'latitude': 36.5457, 'longitude': 138.2041}
STATION_MA2 = {'network': 'IU', 'station': 'MA2',
               'latitude': 59.5756, 'longitude': 150.77}

KINDS = ('set_a', 'set_b', 'noise_a', 'noise_b', 'fake')
SPLITS = {'A': ('train', 'test'), 'B': ('verify',)}
STATIONS = ('MAJO', 'MA2')  # Network IU.
CATALOGUE_COLUMNS = catalogue.CATALOGUE_COLUMNS + ('set', 'split', 'station')
_TEXT = ('time', 'magnitude_type', 'event_id', 'set', 'split', 'station')
COMPONENTS = ('1', '2', 'Z')  # Array columns: BH1, BH2, BHZ (or N, E).
# Offline the location is unknown: any location, either horizontal naming.
_ANY_CHANNEL = ('BH1', 'BH2', 'BHZ', 'BHN', 'BHE')
# Servers' sample times need not fall on the request's grid: a margin each
# side keeps every needed sample in the file; records are cut to it later.
MARGIN_S = 1.0


@dataclasses.dataclass(frozen=True)
class Layout:
  """Record lengths and noise draws (the builder config's fields of them).

  A record is lead_in_samples + n_intervals * interval_samples samples
  ending at its event; a noise B window is lead_in_samples +
  interval_samples samples. Noise B and fake records are drawn with
  `catalogue.noise_times` in [noise_start, noise_end] (the paper's 2012-2022).
  """
  sampling_rate: float = 40.0
  n_intervals: int = 36
  interval_samples: int = 40000
  lead_in_samples: int = 12744
  n_noise: int = 100  # Noise B windows (our choice; not in the paper).
  n_fake: int = 31  # Fake-event records: as many as set A has events.
  noise_seed: int = 0
  noise_start: str = '2012-01-01'
  noise_end: str = '2023-01-01'

  @property
  def record_samples(self) -> int:
    return self.lead_in_samples + self.n_intervals * self.interval_samples

  @property
  def span_samples(self) -> int:
    return self.lead_in_samples + self.interval_samples


@dataclasses.dataclass(frozen=True)
class Target:
  """One record to fetch: n_samples ending (exclusive) at `end`.

  Attributes:
    id: file-name-safe name: 'row<k>' for the k-th event of the catalogue
      (1-based, header not counted), 'noise<k>' or 'fake<k>'.
    station: 'MAJO' or 'MA2'.
    start, end: UTCDateTime of the first sample and of the sample after the
      last (the origin time for events).
    n_samples: record length.
    info: what the metadata keeps of it: time, set, split, station,
      magnitude, distance_deg, event_id.
  """
  id: str
  station: str
  start: UTCDateTime
  end: UTCDateTime
  n_samples: int
  info: dict[str, Any]


def _error(path, line, column, message):
  return ValueError(f'{path}, line {line}, column {column!r}: {message}')


def parse_row(raw: dict[str, str], path, line: int) -> dict[str, Any]:
  """One CSV row checked and converted; ValueError naming line and column.

  Args:
    raw: {column: text} of CATALOGUE_COLUMNS (more keys are ignored).
    path, line: where the row is, for the message.
  """
  row = {}
  for column in CATALOGUE_COLUMNS:
    value = (raw[column] or '').strip()
    if column in _TEXT:
      row[column] = value
    elif value or column != 'depth_km':  # Only the depth may be unknown.
      try:
        row[column] = float(value)
      except ValueError:
        raise _error(path, line, column, f'{value!r} is not a number') from None
    else:
      row[column] = None
  try:
    UTCDateTime(row['time'])
  except (TypeError, ValueError):
    raise _error(path, line, 'time', f'{row["time"]!r} is not a time') from None
  if row['set'] not in SPLITS:
    raise _error(path, line, 'set', f'{row["set"]!r} is not one of '
                 f'{sorted(SPLITS)}')
  if row['split'] not in SPLITS[row['set']]:
    raise _error(path, line, 'split', f'{row["split"]!r}: set {row["set"]} '
                 f'events are {" or ".join(SPLITS[row["set"]])}')
  if row['station'] not in STATIONS:
    raise _error(path, line, 'station', f'{row["station"]!r} is not one of '
                 f'{STATIONS}')
  return row


def read_catalogue(path) -> list[dict[str, Any]]:
  """Reads and validates a catalogue CSV (CATALOGUE_COLUMNS, any order).

  Args:
    path: the CSV file.

  Returns:
    The rows in file order: floats for the numbers (depth_km may be None),
    strings for the rest. ValueError naming the file, line and column of
    the first bad value, or the missing columns.
  """
  with open(path, newline='') as f:
    reader = csv.DictReader(f)
    missing = [c for c in CATALOGUE_COLUMNS if c not in (reader.fieldnames
                                                         or ())]
    if missing:
      raise ValueError(f'{path}: missing columns {missing}; found '
                       f'{reader.fieldnames}')
    rows = [parse_row(raw, path, reader.line_num) for raw in reader]
  if not rows:
    raise ValueError(f'{path}: no events')
  return rows


def write_catalogue(rows: Sequence[dict[str, Any]], path) -> None:
  """Writes rows with CATALOGUE_COLUMNS; None becomes an empty field."""
  writers.write_csv(rows, path, CATALOGUE_COLUMNS)


def assign_sets(rows: Sequence[dict[str, Any]], *, n_set_a: int = 31,
                n_test: int = 7, seed: int = 0) -> list[dict[str, Any]]:
  """Adds set, split and station to catalogue rows by an editable rule.

  This approximates, and does not reproduce, the paper's Tables 1 and 2
  (`paper_catalogue`, the default catalogue): the earliest n_set_a events
  form set A, of which n_test drawn with `seed` are 'test' and the others
  'train'; the later events form set B ('verify'). Every event gets
  station 'MAJO' (the paper's MA2 event is 25 deg from MAJO, beyond the
  rebuild's 20).

  Args:
    rows: `catalogue.rebuild_catalogue` rows.
    n_set_a, n_test, seed: the rule's numbers.

  Returns:
    New rows by time.
  """
  rows = sorted(rows, key=lambda r: UTCDateTime(r['time']))
  n_a = min(n_set_a, len(rows))
  if n_test > n_a:
    raise ValueError(f'{n_test} test events, but set A has {n_a}')
  test = set(np.random.default_rng(seed).choice(n_a, n_test, replace=False))
  return [dict(r, set='A' if i < n_a else 'B', station='MAJO',
               split='verify' if i >= n_a else
               'test' if i in test else 'train') for i, r in enumerate(rows)]


def rebuild_catalogue(client, start='2012-01-01', end='2023-01-01',
                      **rule) -> list[dict[str, Any]]:
  """The paper's event query (Mw>=6 within 20 deg of MAJO), sets assigned.

  Args:
    client: FDSN client with an event service, e.g. Client('USGS').
    start, end: time span.
    **rule: `assign_sets` arguments.

  Returns:
    Rows with CATALOGUE_COLUMNS.
  """
  rows = catalogue.rebuild_catalogue(
      client, start, end, latitude=STATION['latitude'],
      longitude=STATION['longitude'])
  return assign_sets(rows, **rule)


def plan(kind: str, rows: Sequence[dict[str, Any]],
         layout: Layout) -> list[Target]:
  """The records a kind of data set needs.

  Args:
    kind: 'set_a', 'noise_a' (both: set A events), 'set_b' (set B events),
      'noise_b' (n_noise windows) or 'fake' (n_fake records ending where
      no event follows); noise B and fake records keep 48 h from every
      catalogue event, so the catalogue must hold every Mw>=6 event.
    rows: `read_catalogue` rows.
    layout: the record lengths and noise draws.

  Returns:
    The Targets, in catalogue or time order.
  """
  fs = layout.sampling_rate
  if kind in ('set_a', 'noise_a', 'set_b'):
    wanted = 'B' if kind == 'set_b' else 'A'
    n = layout.record_samples
    return [Target(
        f'row{k}', r['station'], UTCDateTime(r['time']) - n / fs,
        UTCDateTime(r['time']), n,
        {c: r[c] for c in ('time', 'set', 'split', 'station', 'magnitude',
                           'distance_deg', 'event_id')})
            for k, r in enumerate(rows, 1) if r['set'] == wanted]
  if kind not in ('noise_b', 'fake'):
    raise ValueError(f'kind must be one of {KINDS}, not {kind!r}')
  count, n = ((layout.n_noise, layout.span_samples) if kind == 'noise_b'
              else (layout.n_fake, layout.record_samples))
  starts = catalogue.noise_times([r['time'] for r in rows], count,
                            layout.noise_start, layout.noise_end,
                            length_s=n / fs, seed=layout.noise_seed)
  name = 'noise' if kind == 'noise_b' else 'fake'
  return [Target(f'{name}{k}', 'MAJO', t, t + n / fs, n, {
      'time': str(t + n / fs), 'set': kind, 'split': '', 'station': 'MAJO',
      'magnitude': None, 'distance_deg': None, 'event_id': ''})
          for k, t in enumerate(starts, 1)]


def _rejection(target: Target, stage: str, reasons: Sequence[str]):
  logging.warning('%s %s rejected (%s): %s', target.id, target.info['time'],
                  stage, '; '.join(reasons))
  return {'id': target.id, 'time': target.info['time'],
          'event_id': target.info['event_id'], 'stage': stage,
          'reasons': list(reasons)}


def make_requests(targets: Sequence[Target], client, sampling_rate: float):
  """The waveform request of each target, MARGIN_S wider on both sides.

  With a client, the location and channels come from its station metadata
  (`fdsn.choose_channels`: all three components at sampling_rate over the
  record); without one, any location and BH channel is asked for.

  Returns:
    ([(target, fdsn.Request)], [rejection of each target without one]).
  """
  out, rejected = [], []
  for t in targets:
    start, end = t.start - MARGIN_S, t.end + MARGIN_S
    if client is None:
      out.append((t, fdsn.Request('IU', t.station, '*', _ANY_CHANNEL, start,
                                  end)))
      continue
    try:
      loc, chans = fdsn.choose_channels(client, 'IU', t.station, start, end,
                                        COMPONENTS, rate=sampling_rate)
    except (ValueError, *fdsn.TRANSIENT_ERRORS) as e:
      rejected.append(_rejection(t, 'download', [f'station metadata: {e}']))
      continue
    out.append((t, fdsn.Request('IU', t.station, loc, chans, start, end)))
  return out, rejected


def fetch(targets: Sequence[Target], client, waveform_dir,
          sampling_rate: float):
  """Downloads the targets' records into waveform_dir (`fdsn.download`).

  Returns:
    ([(target, request)] of records now in the cache, [rejections]).
  """
  pairs, rejected = make_requests(targets, client, sampling_rate)
  report = fdsn.download(client, [r for _, r in pairs], waveform_dir)
  bad = {**report.missing, **report.failed}
  for t, r in pairs:
    if r.key in bad:
      kind = 'missing' if r.key in report.missing else 'failed'
      rejected.append(_rejection(t, 'download', [f'{kind}: {bad[r.key]}']))
  return [(t, r) for t, r in pairs if r.key not in bad], rejected


def _cut(stream: obspy.Stream, target: Target, fs: float) -> obspy.Stream:
  """The target's samples: the one nearest its start and n_samples - 1 on."""
  return stream.trim(target.start, target.start + (target.n_samples - 1) / fs,
                     nearest_sample=True)


def _by_component(stream: obspy.Stream) -> dict[str, obspy.Trace]:
  """The trace of each component present, exact letter before alias."""
  out = {}
  for comp in COMPONENTS:
    aliases = qc.COMPONENT_ALIASES[comp]
    trs = [tr for tr in stream if tr.stats.channel[-1:] in aliases]
    if trs:
      out[comp] = min(trs, key=lambda tr: aliases.index(tr.stats.channel[-1]))
  return out


def to_array(stream: obspy.Stream, n_samples: int) -> np.ndarray:
  """A checked record as (n_samples, 3) float32, each channel demeaned."""
  traces = _by_component(stream)
  return np.stack([traces[c].data.astype(np.float64)
                   - traces[c].data.mean() for c in COMPONENTS],
                  axis=-1).astype(np.float32)


@dataclasses.dataclass
class Ingest:
  """The records that passed, readable one at a time, and the rejected.

  Attributes:
    records: metadata of each accepted record, index 'event' in this list:
      the target's info plus id, start, end, location, channels, record_id.
    rejected: {id, time, event_id, stage ('download', 'read' or 'qc'),
      reasons}.
    qc_report: path of the QC CSV, a row for every target.
  """
  records: list[dict[str, Any]]
  rejected: list[dict[str, Any]]
  qc_report: str
  _accepted: list[tuple[Target, fdsn.Request]]
  _read: Any
  _fs: float

  def array(self, event: int) -> np.ndarray:
    """Record `event` as (n_samples, 3) float32: BH1, BH2, BHZ, demeaned."""
    target, request = self._accepted[event]
    return to_array(_cut(self._read(request), target, self._fs),
                    target.n_samples)


def _reader(client, waveform_dir):
  """Request -> Stream: the cached file, or the manual folder's traces."""
  if client is not None:
    return lambda r: fdsn.read_waveforms(
        os.path.join(waveform_dir, r.key + '.mseed'))
  folder = fdsn.manual_folder(waveform_dir)
  return lambda r: folder.get_waveforms(r.network, r.station, r.location,
                                        r.channel, r.starttime, r.endtime)


def _check(stream, target, fs):
  """qc.check_record of the cut record, plus its exact length."""
  result = qc.check_record(stream, sampling_rate=fs,
                           expected_duration_s=target.n_samples / fs)
  if result.passed:  # QC allows one sample of difference; arrays do not.
    wrong = [f'{tr.id}: {tr.stats.npts} samples, expected {target.n_samples}'
             for tr in _by_component(stream).values()
             if tr.stats.npts != target.n_samples]
    result = dataclasses.replace(result, passed=not wrong, reasons=wrong)
  return result


def ingest(targets: Sequence[Target], *, client, waveform_dir, qc_dir,
           sampling_rate: float = 40.0) -> Ingest:
  """Fetches and checks every target's record; writes the QC report.

  Args:
    targets: from `plan`.
    client: FDSN client (or a mock) to download through the cache in
      waveform_dir; None reads waveform_dir as a folder of waveform files
      (`fdsn.manual_folder`), e.g. a cache filled earlier.
    waveform_dir: the MiniSEED cache or the manual folder.
    qc_dir: gets qc_report.csv (every record: its QC checks, or why it
      was rejected before QC) and <id>.png of each that reached QC.
    sampling_rate: required rate in Hz (station metadata and QC).

  Returns:
    The Ingest. ValueError pointing at the report when none passes.
  """
  fs = sampling_rate
  if client is None:
    pairs, rejected = make_requests(targets, None, fs)
  else:
    pairs, rejected = fetch(targets, client, waveform_dir, fs)
  read = _reader(client, waveform_dir)
  os.makedirs(qc_dir, exist_ok=True)
  results, records, accepted = {}, [], []
  for target, request in pairs:
    try:
      stream = _cut(read(request), target, fs)
    except header.FDSNNoDataException as e:
      rejected.append(_rejection(target, 'download', [f'missing: {e}']))
      continue
    except ValueError as e:  # A corrupt file: fdsn.read_waveforms.
      rejected.append(_rejection(target, 'read', [str(e)]))
      continue
    result = _check(stream, target, fs)
    results[target.id] = result
    if len(stream):
      qc.plot_record(stream, result, os.path.join(qc_dir, target.id + '.png'))
    if not result.passed:
      rejected.append(_rejection(target, 'qc', result.reasons))
      continue
    records.append({
        **target.info, 'event': len(records), 'id': target.id,
        'start': str(target.start), 'end': str(target.end),
        'location': stream[0].stats.location, 'record_id': result.record_id,
        'channels': [tr.stats.channel
                     for tr in _by_component(stream).values()]})
    accepted.append((target, request))
  order = {t.id: i for i, t in enumerate(targets)}
  rejected.sort(key=lambda r: order[r['id']])
  report = write_report(targets, results, rejected, qc_dir)
  logging.info('ingest: %d of %d records accepted; QC report %s',
               len(records), len(targets), report)
  if not records:
    raise ValueError(f'None of the {len(targets)} records passed; every '
                     f'record and its reasons are in {report}.')
  return Ingest(records, rejected, report, accepted, read, fs)


def write_report(targets: Sequence[Target], results: dict[str, Any],
                 rejected: Sequence[dict[str, Any]], qc_dir) -> str:
  """`qc_report.csv` with a row for every target, in plan order.

  A record that reached QC has its checks (`qc.QCResult`); one rejected
  before (download, unreadable file) has its stage and reasons: nothing is
  dropped from the report.

  Returns:
    The report's path.
  """
  before_qc = {r['id']: r for r in rejected if r['stage'] != 'qc'}
  keys = []
  for result in results.values():
    keys += [k for k in result.details if k not in keys]
  rows = []
  for target in targets:
    row = {'id': target.id, 'time': target.info['time']}
    if target.id in results:
      result = results[target.id]
      row.update(stage='qc', record_id=result.record_id,
                 passed=result.passed, reasons='; '.join(result.reasons),
                 **{k: result.details.get(k) for k in keys})
    elif target.id in before_qc:
      row.update(stage=before_qc[target.id]['stage'], record_id='',
                 passed=False,
                 reasons='; '.join(before_qc[target.id]['reasons']))
    rows.append(row)
  columns = ['id', 'time', 'stage', 'record_id', 'passed', 'reasons', *keys]
  path = os.path.join(qc_dir, 'qc_report.csv')
  writers.write_csv(rows, path, columns)
  return path
