"""What the focal command reads for each source of configs/focal.py.

`read_source(config)` returns a `Source`: the events (a readers.Reading),
the inversion's parameters as the source sets them (a HASH driver's .inp
and rules), the reference mechanisms to compare with where the source has
them, and what was read. Angles: every takeoff in the events is in degrees
from the DOWNWARD vertical (types.py); the readers convert HASH's.

  hash            HASH v1.2's example<N>.inp (hash_readers.read_hash_example)
                  with the config's takeoff tables and distance method; the
                  reference is examples/output/example<N>.out;
  skhash_polinfo  SKHASH's OUT/out_polinfo.csv (readers.read_skhash_polinfo);
                  the reference is OUT/out.csv;
  kumamoto        readers.read_kumamoto on the Hi-net folder, vz.iasp91's
                  table; the analysts' polarities or the polarity CNN's
                  (classify.py); the reference is the catalogue's mechanism;
  quakeml         readers.read_quakeml with stations and a velocity model.
"""

import csv
import logging
import pathlib
from typing import NamedTuple

import numpy as np

from seisjax.focal import classify
from seisjax.focal import hash_readers
from seisjax.focal import hash_runs
from seisjax.focal import readers
from seisjax.focal import takeoffs
from seisjax.focal import types

log = logging.getLogger(__name__)
# HASH's drivers never search a grid finer than this (param.inc's dang0).
HASH_DANG0 = 5.0


class Source(NamedTuple):
  """What a source gives the command.

  Attributes:
    reading: readers.Reading (events in file order, rejected picks).
    parameters: {Options field: value} the source sets (a HASH .inp's,
      its driver's rules); the config's non-None fields win over them.
    reference: {event id: types.Solution} to compare with, or None.
    reference_name: where the reference comes from, for tables.
    n_trials: trials the reading drew.
    inputs: {name: path} of the files read, for summary.json.
    extra_tables: {file name: rows} to write beside the results.
  """
  reading: readers.Reading
  parameters: dict
  reference: dict | None
  reference_name: str
  n_trials: int
  inputs: dict
  extra_tables: dict


def _path(config, name) -> pathlib.Path:
  """A file of the source: relative to data_dir unless absolute."""
  path = pathlib.Path(name)
  if not path.is_absolute() and config.data_dir:
    path = pathlib.Path(config.data_dir) / path
  return path


def _existing(path: pathlib.Path, what: str) -> pathlib.Path:
  if not path.exists():
    raise FileNotFoundError(2, f'No such file or directory ({what}; set '
                            '--config.data_dir or the path)', str(path))
  return path


def tables_of(config, model_paths) -> list:
  """Takeoff tables of velocity model files on the config's grid."""
  t = config.table
  distances = np.arange(0.0, t.max_distance_km + 1e-9, t.distance_step_km)
  depths = np.arange(0.0, t.max_depth_km + 1e-9, t.depth_step_km)
  return [takeoffs.build_table(takeoffs.read_velocity_model(p), distances,
                               depths) for p in model_paths]


def _hash(config) -> Source:
  inp = _existing(_path(config, f'examples/input/example{config.example}'
                        '.inp'), f'HASH example {config.example}')
  params = hash_runs.read_hash_inp(inp)
  tables = (tables_of(config, params.velocity_models)
            if params.velocity_models else None)
  n_trials = config.n_trials or params.values['nmc']
  params, reading = hash_readers.read_hash_example(
      inp, n_trials=n_trials, rng=config.seed, tables=tables,
      distance_method=config.distance_method)
  values = params.values
  parameters = {name: values[name] for name in (
      'maxout', 'badfrac', 'cangle', 'prob_max', 'npolmin', 'max_agap',
      'max_pgap', 'qbadfac') if name in values}
  parameters['dang'] = max(HASH_DANG0, values['dang'])
  if params.driver == 3:  # hash_driver3.f: no npolmin or gap checks,
    parameters.update(npolmin=0, max_agap=360.0, max_pgap=90.0,
                      rate_misfit=False)  # letters by prob and spread.
  out = inp.parent.parent / 'output' / f'example{config.example}.out'
  reference = None
  if out.is_file():
    reference = {k: v[0] for k, v in hash_runs.read_hash_output(out).items()}
  files = {'inp': str(inp), **{k: str(v) for k, v in params.files.items()}}
  files.update({f'velocity_model_{i + 1}': str(p)
                for i, p in enumerate(params.velocity_models)})
  return Source(reading, parameters, reference, str(out), n_trials, files,
                {})


def read_skhash_out(path) -> dict:
  """SKHASH's out.csv: {event id: types.Solution} (its preferred rows).

  Percentages (polarity_misfit, prob_mech, sta_distribution_ratio) become
  fractions.
  """
  out = {}
  with open(path, newline='') as f:
    for number, row in enumerate(csv.DictReader(f), 2):
      try:
        solution = types.Solution(
            event_id=row['event_id'], strike=float(row['strike']),
            dip=float(row['dip']), rake=float(row['rake']),
            fault_plane_uncertainty=float(row['fault_plane_uncertainty']),
            aux_plane_uncertainty=float(row['aux_plane_uncertainty']),
            npol=int(row['num_p_pol']),
            mfrac=float(row['polarity_misfit']) / 100.0,
            quality=row['quality'], prob=float(row['prob_mech']) / 100.0,
            stdr=float(row['sta_distribution_ratio']) / 100.0)
      except (KeyError, ValueError) as e:
        raise ValueError(f'{path}:{number}: not an SKHASH mechanism line '
                         f'({e}): {row}') from None
      out.setdefault(solution.event_id, solution)
  return out


def _skhash(config) -> Source:
  polinfo = _existing(_path(config, 'OUT/out_polinfo.csv'),
                      "SKHASH's polarity information")
  n_trials = config.n_trials or 30
  reading = readers.read_skhash_polinfo(polinfo, n_trials=n_trials,
                                        rng=config.seed)
  out = polinfo.parent / 'out.csv'
  reference = read_skhash_out(out) if out.is_file() else None
  return Source(reading, {}, reference, str(out), n_trials,
                {'polinfo': str(polinfo)}, {})


def _kumamoto(config) -> Source:
  folder = _existing(_path(config, ''), 'the Kumamoto folder')
  model = _existing(folder / 'vz.iasp91', 'velocity model')
  ku = config.kumamoto
  polarities, extra = None, {}
  if ku.polarities == 'cnn':
    polarities, rows = classify.kumamoto_polarities(folder,
                                                    ku.polarity_workdir)
    extra['polarities.csv'] = rows
  n_trials = config.n_trials or 30
  reading = readers.read_kumamoto(
      folder, tables_of(config, [model]), max_distance_km=ku.max_distance_km,
      depth_sigma_km=ku.depth_sigma_km, n_trials=n_trials, rng=config.seed,
      polarities=polarities)
  reference = {e.event_id: types.Solution(
      e.event_id, *e.origin['reference_mechanism'], quality='')
               for e in reading.events}
  return Source(reading, {}, reference,
                str(folder / 'Kumamoto_catalog.csv'), n_trials,
                {'folder': str(folder), 'velocity_model': str(model),
                 **({'polarity_workdir': ku.polarity_workdir}
                    if polarities is not None else {})}, extra)


def parse_origin(text: str) -> dict | None:
  """'time,latitude,longitude,depth_km' -> an origin dict ('' -> None)."""
  if not text:
    return None
  parts = [p.strip() for p in text.split(',')]
  try:
    time, lat, lon, depth = parts
    return {'time': time, 'latitude': float(lat), 'longitude': float(lon),
            'depth_km': float(depth)}
  except ValueError:
    raise ValueError(f'--config.quakeml.origin={text!r}: expected '
                     "'time,latitude,longitude,depth_km'.") from None


def _quakeml(config) -> Source:
  q = config.quakeml
  for name in ('picks', 'stations', 'velocity_model'):
    if not getattr(q, name):
      raise ValueError(f'The quakeml variant needs --config.quakeml.{name}.')
  picks = _existing(_path(config, q.picks), 'QuakeML picks')
  station_path = _existing(_path(config, q.stations), 'stations')
  model = _existing(_path(config, q.velocity_model), 'velocity model')
  if station_path.suffix.lower() == '.csv':
    stations = readers.read_station_csv(station_path)
  else:
    stations = readers.stations_from_inventory(station_path)
  n_trials = config.n_trials or 30
  reading = readers.read_quakeml(
      picks, stations, tables_of(config, [model]),
      origin=parse_origin(q.origin), max_distance_km=q.max_distance_km,
      depth_sigma_km=q.depth_sigma_km, n_trials=n_trials, rng=config.seed)
  return Source(reading, {}, None, '', n_trials,
                {'picks': str(picks), 'stations': str(station_path),
                 'velocity_model': str(model)}, {})


SOURCES = {'hash': _hash, 'skhash_polinfo': _skhash, 'kumamoto': _kumamoto,
           'quakeml': _quakeml}


def read_source(config) -> Source:
  """The events, parameters and reference of the config's source."""
  if config.source not in SOURCES:
    raise ValueError(f'Unknown focal source {config.source!r}; known: '
                     f'{sorted(SOURCES)}.')
  if not config.n_trials and config.n_trials is not None:
    raise ValueError('--config.n_trials must be at least 1.')
  return SOURCES[config.source](config)


def rejected_rows(reading: readers.Reading) -> list[dict]:
  """rejected.csv: one row per pick a reader left out."""
  return [{'event_id': event_id, 'station': r.station, 'reason': r.reason}
          for event_id, rejections in reading.rejected.items()
          for r in rejections]

