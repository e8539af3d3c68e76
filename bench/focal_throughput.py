r"""Focal mechanism throughput: HASH's five examples and a large batch,
against SKHASH's own code on the same inputs.

  .venv/bin/python -m bench.focal_throughput
  .venv/bin/python -m bench.focal_throughput \
      --skhash_python=/tmp/skhash-venv/bin/python

(From the repository root, as a module: the synthetic events come from
tests/focal/synthetic.py.) Times seisjax/focal/inversion.py `invert` (grid
search, averaging, misfit, quality) on
  - the 120 events of HASH v1.2's examples 1-5 as the focal command reads
    them (30 trials, each example's .inp parameters; file reading not
    timed), when ../shared/data/focal is there;
  - `--events` synthetic events of `--polarities` polarities, `--trials`
    trials, at `--dang` (by default 1,000 x 40 x 30 at 5 degrees);
each twice: the first pass compiles (cold), the second is the throughput
(warm). With --skhash_python (an interpreter where SKHASH 1.1.5 is
installed, never a dependency of seisjax: it pins numpy<2), the same
events, angles (HASH's convention) and grid go to SKHASH's own grid
search, averaging, misfit and quality in that interpreter
(bench/skhash_runner.py), all the examples' events and the first
`--skhash_events` synthetic ones, and the ratio of its time per event to
ours is reported. Prints one JSON object, with the machine's load.
"""

import json
import logging
import os
import pathlib
import platform
import tempfile
import time

from absl import app
from absl import flags
import jax
import numpy as np

from bench import skhash_env
from configs import focal as focal_config
from seisjax import seismo
from seisjax.focal import inversion
from seisjax.focal import run as run_lib
from seisjax.focal import sources
from seisjax.focal import types
from tests.focal import synthetic

flags.DEFINE_integer('events', 1000, 'Synthetic events.')
flags.DEFINE_integer('polarities', 40, 'Polarities per synthetic event.')
flags.DEFINE_integer('trials', 30, 'Trials per synthetic event.')
flags.DEFINE_float('dang', 5.0, 'Grid spacing of the synthetic batch.')
flags.DEFINE_integer('seed', 0, 'Seed of the synthetic events.')
flags.DEFINE_string('skhash_python', '', 'Python of an environment with '
                    'SKHASH installed; empty: no comparison.')
flags.DEFINE_integer('skhash_events', 100, 'Synthetic events SKHASH runs '
                     '(the first ones of the batch).')
FLAGS = flags.FLAGS
RUNNER = pathlib.Path(__file__).resolve().parent / 'skhash_runner.py'
HASH = seismo.SHARED_DATA / 'focal' / 'hash_v1.2'


def _timed(events, options):
  start = time.perf_counter()
  solutions = inversion.invert(events, options)
  return time.perf_counter() - start, solutions


def _passes(groups):
  """Cold and warm seconds of inverting every (events, options) group."""
  times = []
  for _ in range(2):
    times.append(sum(_timed(events, options)[0]
                     for events, options in groups))
  return times


def _examples():
  """[(events, options)] of HASH's examples as the command reads them."""
  groups = []
  for n in range(1, 6):
    config = focal_config.get_config(f'example{n}')
    source = sources.read_source(config)
    groups.append((source.reading.events,
                   run_lib.options_of(config, source.parameters)))
  return groups


def _synthetic():
  rng = np.random.default_rng(FLAGS.seed)
  events = [synthetic.event(rng, synthetic.random_mechanism(rng),
                            n_stations=FLAGS.polarities,
                            n_trials=FLAGS.trials, event_id=f'syn{i}')[0]
            for i in range(FLAGS.events)]
  return [(events, inversion.Options(dang=FLAGS.dang))]


def _skhash_params(options: inversion.Options):
  return {'dang': options.dang, 'maxout': options.maxout,
          'badfrac': options.badfrac, 'badmin': 2.0,
          'qbadfrac': options.qbadfac, 'qbadmin': 2.0,
          'cangle': options.cangle, 'prob_max': options.prob_max,
          'max_agap': options.max_agap, 'max_pgap': options.max_pgap,
          'npolmin': options.npolmin, 'iterative_avg': False,
          'min_amp': 0.0005}


def _skhash(events, options, folder, name):
  """SKHASH's seconds per event on these events (its own interpreter)."""
  arrays = {'event_ids': np.array([e.event_id for e in events])}
  for i, e in enumerate(events):
    arrays[f'azimuth_{i}'] = e.azimuth.T
    arrays[f'takeoff_{i}'] = types.takeoff_to_hash(e.takeoff).T
    arrays[f'p_pol_{i}'] = e.polarity * e.weight
    arrays[f'sp_amp_{i}'] = e.sp_ratio
  paths = [os.path.join(folder, f'{name}.{x}')
           for x in ('npz', 'json', 'out.json')]
  np.savez(paths[0], **arrays)
  with open(paths[1], 'w') as f:
    json.dump(_skhash_params(options), f)
  skhash_env.run(FLAGS.skhash_python, RUNNER, *paths)
  with open(paths[2]) as f:
    out = json.load(f)
  return float(np.sum(out['seconds'])), out


def main(argv):
  del argv
  logging.getLogger('seisjax').setLevel(logging.ERROR)
  result = {'device': str(jax.devices()[0]), 'cpus': os.cpu_count(),
            'machine': platform.machine(),
            'load_before': os.getloadavg()}
  groups = {}
  if HASH.is_dir():
    groups['hash_examples'] = _examples()
  groups['synthetic'] = _synthetic()
  for name, group in groups.items():
    n = sum(len(events) for events, _ in group)
    cold, warm = _passes(group)
    result[name] = {'events': n, 'cold_seconds': cold, 'warm_seconds': warm,
                    'events_per_second': n / warm,
                    'ms_per_event': 1000.0 * warm / n}
  result['synthetic'].update(polarities=FLAGS.polarities,
                             trials=FLAGS.trials, dang=FLAGS.dang)
  if FLAGS.skhash_python:
    with tempfile.TemporaryDirectory() as folder:
      for name, group in groups.items():
        seconds, count, versions = 0.0, 0, None
        for k, (events, options) in enumerate(group):
          if name == 'synthetic':
            events = events[:FLAGS.skhash_events]
          spent, out = _skhash(events, options, folder, f'{name}{k}')
          seconds, count = seconds + spent, count + len(events)
          versions = {'numpy': out['numpy'], 'pandas': out['pandas']}
        ours = result[name]['ms_per_event'] / 1000.0
        result[name]['skhash'] = {
            'events': count, 'seconds': seconds,
            'ms_per_event': 1000.0 * seconds / count,
            'ratio_per_event': seconds / count / ours, **versions}
  result['load_after'] = os.getloadavg()
  print(json.dumps(result, indent=2))


if __name__ == '__main__':
  app.run(main)
