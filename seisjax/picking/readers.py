"""Readers of real P-pick data sources, into raw rows and then records.

READERS: 'scsn' (the published HDF5 of Ross et al. 2018), 'seisbench' (any
SeisBench folder), 'stead' (STEAD's original layout: metadata.csv +
waveforms.hdf5 of (6000, 3) traces), and the layouts of the real sets of
../shared/data/picks: 'phasenet_ncedc', 'deepdenoiser_ncedc',
'kumamoto_hinet'.

A reader yields "raw rows", one per trace, before any preprocessing:
  data           (time,) float64, the raw vertical trace
  sampling_rate  Hz
  p_sample       float, P onset in samples of `data`
  event, trace   str ids
  polarity       a label `records.polarity_code` reads, or a code
  snr_db, distance_km, magnitude   float, NaN when unknown
A row that cannot become a record carries `reject` (the reason) and
`data=None`; `to_records` turns the others into records with
`records.make_record` and every failure into a `records.Rejections` entry,
so nothing is dropped silently.

  rejections = records.Rejections()
  for record in to_records(read('seisbench', folder), rejections): ...
"""

import csv
import logging
import math
import pathlib
import re

import h5py
import numpy as np
import obspy
from obspy.geodetics import gps2dist_azimuth

from seisjax.picking import records

READERS = ('scsn', 'seisbench', 'phasenet_ncedc', 'kumamoto_hinet',
           'deepdenoiser_ncedc', 'stead')
# Where STEAD's original HDF5 keeps a trace of each `trace_category`
# (`data/` in the full release's chunks; the EQTransformer sample groups
# them by category).
STEAD_GROUPS = ('data', 'earthquake/local', 'non_earthquake/noise')
SCSN_P_SAMPLE = 300
# What the integer labels of the published SCSN files mean. SeisBench's
# conversion of these files (`Ross2018JGRFM`, `Ross2018JGRPick`) decodes
# them as up, down, unknown; this is NOT the records' DOWN, UP, UNKNOWN.
SCSN_POLARITY_LABELS = ('up', 'down', 'unknown')
# Accepted spellings of each SCSN array, tried in order.
SCSN_KEYS = {
    'X': ('X', 'x', 'waveforms', 'data'),
    'polarity': ('fm', 'polarity', 'Y', 'y'),
    'event': ('evids', 'evid', 'event_ids', 'events'),
    'trace': ('sncls', 'sncl', 'stations'),
    'magnitude': ('mag', 'mags', 'magnitude'),
    'distance_km': ('dist', 'dists', 'distance'),
    'snr_db': ('snr', 'snrs', 'snr_db'),
}
# Reasons of `records.make_record` errors, by a phrase of their message.
_ERROR_REASONS = (('leaves less', 'P too close to edge'),
                  ('NaN', 'NaN samples'), ('too low', 'sampling rate too low'),
                  ('polarity', 'unknown polarity label'))


def raw_row(data, sampling_rate, p_sample, *, event, trace,
            polarity=records.UNKNOWN, snr_db=math.nan, distance_km=math.nan,
            magnitude=math.nan) -> dict:
  """A raw row (see the module docstring)."""
  return {'data': np.asarray(data, np.float64),
          'sampling_rate': float(sampling_rate), 'p_sample': float(p_sample),
          'event': str(event), 'trace': str(trace), 'polarity': polarity,
          'snr_db': float(snr_db), 'distance_km': float(distance_km),
          'magnitude': float(magnitude)}


def rejected_row(trace: str, reason: str) -> dict:
  """A row that `to_records` adds to the rejections with `reason`."""
  return {'data': None, 'trace': str(trace), 'reject': reason}


def to_records(rows, rejections: records.Rejections):
  """Records of the rows; rejected and unusable rows go to `rejections`.

  Args:
    rows: raw rows from a reader.
    rejections: collects (trace, reason); a reason reads like
      'P too close to edge: P at sample 10 of 9001 leaves ...'.

  Yields:
    Record dicts (`records.features()`).
  """
  for row in rows:
    if row.get('reject'):
      rejections.add(row['trace'], row['reject'])
      continue
    try:
      yield records.make_record(
          row['data'], row['sampling_rate'], row['p_sample'],
          event=row['event'], trace=row['trace'], polarity=row['polarity'],
          snr_db=row['snr_db'], distance_km=row['distance_km'],
          magnitude=row['magnitude'])
    except ValueError as error:
      message = str(error)
      reason = next((r for phrase, r in _ERROR_REASONS if phrase in message),
                    'unusable')
      rejections.add(row['trace'], f'{reason}: {message}')


def read(reader: str, path):
  """Raw rows of `path` read by the reader named `reader` (in READERS)."""
  readers = {'scsn': read_scsn, 'seisbench': read_seisbench,
             'phasenet_ncedc': read_phasenet, 'kumamoto_hinet': read_kumamoto,
             'deepdenoiser_ncedc': read_deepdenoiser, 'stead': read_stead}
  if reader not in readers:
    raise ValueError(f'Unknown reader {reader!r}; known: {READERS}.')
  return readers[reader](path)


def _text(value) -> str:
  return value.decode() if isinstance(value, bytes) else str(value)


def _float(value) -> float:
  """A number from a csv cell; NaN for '', 'nan', None or junk."""
  try:
    return float(value)
  except (TypeError, ValueError):
    return math.nan


def read_scsn(path, *, chunk_rows: int = 4096,
              polarity_labels=SCSN_POLARITY_LABELS):
  """Raw rows of one published SCSN HDF5 file of Ross et al. (2018).

  `X` is (N, 600) at 100 Hz with P at sample 300; polarity is read from
  `fm` (pick files) or `Y` (fm files), unknown when neither is there.
  Rows are read `chunk_rows` at a time: the files hold millions.

  Args:
    path: a `scsn_p_2000_2017_6sec_0.5r_{pick,fm}_{train,test}.hdf5`.
    chunk_rows: rows read at once.
    polarity_labels: the label of each integer polarity in the file.

  Yields:
    Raw rows; `trace` is '<evid>_<sncl>_<row>'.

  Raises:
    KeyError: no waveform array; the message lists the keys found.
    ValueError: arrays of the wrong shape or length.
  """
  path = pathlib.Path(path)
  with h5py.File(path, 'r') as f:
    found = {name: next((k for k in keys if isinstance(f.get(k), h5py.Dataset)),
                        None) for name, keys in SCSN_KEYS.items()}
    if found['X'] is None:
      raise KeyError(f'{path}: no waveform array (tried {SCSN_KEYS["X"]}); '
                     f'keys found: {sorted(f.keys())}.')
    x = f[found['X']]
    if x.ndim != 2:
      raise ValueError(f'{path}: {found["X"]} has shape {x.shape}, '
                       'expected (records, time).')
    n = x.shape[0]
    for name, key in found.items():
      if key is not None and f[key].shape[0] != n:
        raise ValueError(f'{path}: {key} has {f[key].shape[0]} rows, '
                         f'{found["X"]} has {n}.')
    if found['event'] is None:
      logging.warning('%s: no event ids (tried %s); each record is its own '
                      'event.', path, SCSN_KEYS['event'])
    for start in range(0, n, chunk_rows):
      rows = slice(start, min(start + chunk_rows, n))
      parts = {name: f[key][rows] for name, key in found.items() if key}
      if 'polarity' in parts and parts['polarity'].ndim == 2:  # One-hot.
        parts['polarity'] = parts['polarity'].argmax(axis=1)
      for j in range(rows.stop - start):
        i = start + j
        event = (_text(parts['event'][j]) if 'event' in parts
                 else f'{path.stem}:{i}')
        sncl = _text(parts['trace'][j]) if 'trace' in parts else path.stem
        label = records.UNKNOWN
        if 'polarity' in parts:  # Out of range: rejected as unknown label.
          value = int(parts['polarity'][j])
          label = (polarity_labels[value] if 0 <= value < len(
              polarity_labels) else f'label {value}')
        yield raw_row(
            parts['X'][j], records.SAMPLING_RATE, SCSN_P_SAMPLE, event=event,
            trace=f'{event}_{sncl}_{i}', polarity=label,
            **{name: float(parts[name][j]) if name in parts else math.nan
               for name in records.METADATA})


def _seisbench_chunks(folder: pathlib.Path) -> list[str]:
  """SeisBench chunk names: from `chunks`, else '' or metadata*.csv."""
  if (folder / 'chunks').is_file():
    return [c.strip() for c in (folder / 'chunks').read_text().splitlines()
            if c.strip()]
  if (folder / 'metadata.csv').is_file():
    return ['']
  chunks = sorted(p.name[len('metadata'):-len('.csv')]
                  for p in folder.glob('metadata*.csv'))
  if not chunks:
    raise FileNotFoundError(f'{folder}: no metadata.csv, metadata*.csv or '
                            'chunks file: not a SeisBench folder.')
  return chunks


def _data_format(f: h5py.File) -> dict:
  """The `data_format` datasets (component_order...), strings decoded."""
  group = f.get('data_format', {})
  return {k: _text(group[k][()]) for k in group}


def _locate(trace_name: str) -> tuple[str, tuple]:
  """Dataset name and index: 'bucket3$12,:3,:6000' -> ('bucket3', (12, ...))."""
  if '$' not in trace_name:
    return trace_name, ()
  bucket, location = trace_name.split('$', 1)
  index = []
  for part in location.split(','):
    if ':' in part:
      index.append(slice(*[int(s) if s.strip() else None
                           for s in part.split(':')]))
    else:
      index.append(int(part))
  return bucket, tuple(index)


def _snr_db(cell: str, order: str) -> float:
  """SNR in dB from a cell; a per-component list gives the Z value.

  '[12.3 10.1 15.0]' with order 'ZNE' gives 12.3; a list of another length
  than the order gives the mean of its finite values.
  """
  values = [_float(v) for v in re.split(r'[\s,\[\]]+', cell or '') if v]
  if len(values) == len(order) and len(values) > 1:
    return values[order.index('Z')]
  finite = [v for v in values if math.isfinite(v)]
  return float(np.mean(finite)) if finite else math.nan


def read_seisbench(folder):
  """Raw rows (Z component) of a SeisBench folder, without seisbench.

  Reads metadata.csv + waveforms.hdf5, or the chunks a `chunks` file names
  (metadata<chunk>.csv + waveforms<chunk>.hdf5); plain traces
  (`data/<trace_name>`) and blocks ('bucket3$12,:3,:6000'); component order
  from a `trace_component_order` column or `data_format` (default ZNE),
  dimension order from `data_format` (default CW). A per-component
  `trace_snr_db` gives its Z value (`_snr_db`). Traces without a P pick,
  a Z component, a sampling rate or waveforms are rejected rows.
  """
  folder = pathlib.Path(folder)
  for chunk in _seisbench_chunks(folder):
    with h5py.File(folder / f'waveforms{chunk}.hdf5', 'r') as f, open(
        folder / f'metadata{chunk}.csv', newline='') as csv_file:
      data_format = _data_format(f)
      table = csv.DictReader(csv_file)
      if 'source_id' not in (table.fieldnames or ()):
        logging.warning('%s: no source_id column; each trace is its own '
                        'event, so splits by event are splits by trace.',
                        folder / f'metadata{chunk}.csv')
      for meta in table:
        yield _seisbench_row(meta, f, data_format)


def _seisbench_row(meta: dict, f: h5py.File, data_format: dict) -> dict:
  """One raw row (or rejected row) from a metadata row."""
  name = meta['trace_name']
  p_sample = _float(meta.get('trace_p_arrival_sample'))
  if not math.isfinite(p_sample):
    return rejected_row(name, 'no P pick')
  rate = _float(meta.get('trace_sampling_rate_hz'))
  if not math.isfinite(rate):
    rate = _float(data_format.get('sampling_rate'))
  if not math.isfinite(rate):
    return rejected_row(name, 'no sampling rate')
  order = (meta.get('trace_component_order')
           or data_format.get('component_order') or 'ZNE')
  if 'Z' not in order:
    return rejected_row(name, f'no Z component: component order {order}')
  bucket, index = _locate(name)
  if bucket not in f.get('data', {}):
    return rejected_row(name, f'no waveform: data/{bucket} not in file')
  waveform = f['data'][bucket][index]  # (C, W), (W, C) or (W,)
  if waveform.ndim == 2:
    dims = data_format.get('dimension_order', 'CW').replace('N', '')
    waveform = waveform[order.index('Z')] if dims == 'CW' else (
        waveform[:, order.index('Z')])
  event = meta.get('source_id') or name
  return raw_row(waveform, rate, p_sample, event=event, trace=name,
                 polarity=meta.get('trace_polarity') or records.UNKNOWN,
                 snr_db=_snr_db(meta.get('trace_snr_db', ''), order),
                 distance_km=_float(meta.get('path_ep_distance_km')),
                 magnitude=_float(meta.get('source_magnitude')))


def write_seisbench(rows, folder, *, blocks: bool = False,
                    component_order: str = 'Z', bucket_size: int = 16):
  """Writes raw rows as a SeisBench folder (what `read_seisbench` reads).

  Args:
    rows: raw rows; `data` is (time,), the vertical (other components are
      written as zeros), or (len(component_order), time).
    folder: created if needed.
    blocks: store padded blocks of `bucket_size` traces, named
      'bucketK$i,:C,:W', instead of one dataset per trace.
    component_order: e.g. 'Z', 'ZNE' or 'ENZ'.
    bucket_size: traces per block.
  """
  folder = pathlib.Path(folder)
  folder.mkdir(parents=True, exist_ok=True)
  rows, names, size = list(rows), [], bucket_size if blocks else 1
  with h5py.File(folder / 'waveforms.hdf5', 'w') as f:
    f['data_format/component_order'] = component_order
    f['data_format/dimension_order'] = 'CW'
    for start in range(0, len(rows), size):
      waves = []  # (C, W) each
      for row in rows[start:start + size]:
        wave = np.atleast_2d(row['data'])
        if len(wave) < len(component_order):
          wave = np.zeros((len(component_order), wave.shape[1]))
          wave[component_order.index('Z')] = row['data']
        waves.append(wave)
      if not blocks:
        names.append(f'trace{start}')
        f[f'data/{names[-1]}'] = waves[0]
        continue
      block = np.zeros((len(waves), len(component_order),
                        max(w.shape[1] for w in waves)))
      for i, wave in enumerate(waves):
        block[i, :, :wave.shape[1]] = wave
        names.append(f'bucket{start // size}${i},:{len(wave)},:{wave.shape[1]}')
      f[f'data/bucket{start // size}'] = block
  with open(folder / 'metadata.csv', 'w', newline='') as csv_file:
    writer = csv.writer(csv_file)
    writer.writerow(('trace_name', 'trace_sampling_rate_hz',
                     'trace_p_arrival_sample', 'trace_polarity', 'source_id',
                     'source_magnitude', 'path_ep_distance_km',
                     'trace_snr_db'))
    for name, row in zip(names, rows):
      polarity = row.get('polarity', records.UNKNOWN)
      if isinstance(polarity, (int, np.integer)):
        polarity = records.POLARITY_NAMES[polarity]
      numbers = [row.get(k, math.nan) for k in (
          'p_sample', 'magnitude', 'distance_km', 'snr_db')]
      cells = ['' if math.isnan(x) else repr(float(x)) for x in numbers]
      writer.writerow([name, row['sampling_rate'], cells[0], polarity,
                       row['event'], *cells[1:]])


def read_phasenet(folder, table: str = 'waveform.csv',
                  subfolder: str = 'waveform_train'):
  """Raw rows of PhaseNet's NCEDC example: waveform.csv + waveform_train/.

  The npz files are 90 s at 100 Hz, components E, N, Z, without polarity;
  the event is the time stamp of the name ('NC_MEM_2017100709282692_02.npz'
  -> '2017100709282692'). Listed files that are absent are rejected.
  `table` and `subfolder` name the index and the npz folder (DeepDenoiser's
  example has the same layout under other names: `read_deepdenoiser`).
  """
  folder = pathlib.Path(folder)
  with open(folder / table, newline='') as csv_file:
    for meta in csv.DictReader(csv_file):
      name = meta['fname']
      path = folder / subfolder / name
      if not path.is_file():
        yield rejected_row(name, 'no waveform file')
        continue
      with np.load(path) as npz:
        z = npz['data'][:, 2]  # (time, 3) E, N, Z
      yield raw_row(z, 100.0, _float(meta['itp']),
                    event=pathlib.Path(name).stem.split('_')[2], trace=name)


def read_deepdenoiser(folder):
  """Raw rows of DeepDenoiser's NCEDC example: train.csv + train/*.npz.

  PhaseNet's layout (`read_phasenet`): 90 s at 100 Hz, E, N, Z, P at
  `itp`; HH, HN (accelerometers), EH and BH channels.
  """
  return read_phasenet(folder, 'train.csv', 'train')


def _stead_waveform(f: h5py.File, meta: dict):
  """The (time, 3) dataset of a STEAD trace, or None."""
  name = meta['trace_name']
  category = (meta.get('trace_category') or '').replace('_', '/')
  for group in (*STEAD_GROUPS, category):
    if group and f'{group}/{name}' in f:
      return f[f'{group}/{name}']
  return None


def read_stead(folder):
  """Raw rows (Z) of STEAD's original layout (Mousavi et al. 2019).

  `metadata.csv` (or the `*.csv` beside `waveforms.hdf5`, or a chunk's
  `<chunk>.csv` beside `<chunk>.hdf5`) has one row per trace:
  `trace_name`, `trace_category`, `p_arrival_sample`, `source_id`,
  `source_magnitude`, `source_distance_km`, `snr_db` ('[E N Z]'). The HDF5
  holds each trace as a (6000, 3) dataset at 100 Hz, components E, N, Z,
  under `data/<trace_name>` (the full release) or the category's group
  (`earthquake/local/`, `non_earthquake/noise/`). Noise traces and traces
  without a P pick or a waveform are rejected rows. The event is
  `source_id`; STEAD labels no polarity (unknown).
  """
  folder = pathlib.Path(folder)
  pairs = [(folder / 'metadata.csv', folder / 'waveforms.hdf5')]
  if not pairs[0][0].is_file():
    pairs = [(p.with_suffix('.csv'), p) for p in sorted(folder.glob('*.hdf5'))
             if p.with_suffix('.csv').is_file()]
  if not pairs:
    raise FileNotFoundError(f'{folder}: no metadata.csv + waveforms.hdf5 '
                            '(or <chunk>.csv + <chunk>.hdf5): not STEAD.')
  for table, waveforms in pairs:
    with h5py.File(waveforms, 'r') as f, open(table, newline='') as csv_file:
      for meta in csv.DictReader(csv_file):
        name = meta['trace_name']
        p_sample = _float(meta.get('p_arrival_sample'))
        if not math.isfinite(p_sample):
          yield rejected_row(name, 'no P pick: '
                             f"{meta.get('trace_category') or 'no category'}")
          continue
        dataset = _stead_waveform(f, meta)
        if dataset is None:
          yield rejected_row(name, f'no waveform: {name} not in {waveforms}')
          continue
        event = meta.get('source_id') or name
        if event == 'None':
          event = name
        yield raw_row(dataset[:, 2], 100.0, p_sample, event=event,
                      trace=name, snr_db=_snr_db(meta.get('snr_db', ''),
                                                 'ENZ'),
                      distance_km=_float(meta.get('source_distance_km')),
                      magnitude=_float(meta.get('source_magnitude')))


def read_kumamoto(folder):
  """Raw rows of RPNet's Hi-net Kumamoto example (SAC + Kumamoto_*.csv).

  Each pick of `Kumamoto_phase.csv` is read from
  `waveform/<data_id>/<sta>.U.SAC` ('N.TYNH' -> 'N.TYNH.U.SAC'), or
  rejected as 'no waveform file'; trace is '<data_id>/<sta>'. Magnitude is
  the catalogue's; distance is epicentral, from the catalogue epicentre and
  `hinet_station.csv`.
  """
  folder = pathlib.Path(folder)

  def table(name):
    with open(folder / name, newline='') as csv_file:
      return list(csv.DictReader(csv_file))

  catalog = {e['event_id']: e for e in table('Kumamoto_catalog.csv')}
  stations = {s['sta']: s for s in table('hinet_station.csv')}
  for pick in table('Kumamoto_phase.csv'):
    trace = f'{pick["data_id"]}/{pick["sta"]}'
    path = folder / 'waveform' / pick['data_id'] / f'{pick["sta"]}.U.SAC'
    if not path.is_file():
      yield rejected_row(trace, 'no waveform file')
      continue
    sac = obspy.read(str(path))[0]
    rate = sac.stats.sampling_rate
    p_sample = (obspy.UTCDateTime(pick['ptime']) - sac.stats.starttime) * rate
    event = catalog.get(pick['event_id'], {})
    station = stations.get(pick['sta'])
    distance = math.nan
    if event and station:
      distance = gps2dist_azimuth(
          float(event['lat']), float(event['lon']), float(station['lat']),
          float(station['lon']))[0] / 1000.0
    yield raw_row(sac.data, rate, p_sample, event=pick['event_id'],
                  trace=trace, polarity=pick['pol'], distance_km=distance,
                  magnitude=_float(event.get('mag')))
