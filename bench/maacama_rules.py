r"""Why SKHASH's maacama example needs SKHASH's trimming rule.

  .venv/bin/python -m bench.maacama_rules
  .venv/bin/python -m bench.maacama_rules \
      --skhash_python=/tmp/skhash-venv/bin/python

For the two composite events of ../shared/data/focal/skhash_maacama
(configs/focal.py:maacama, 30 trials, seed `--seed`), prints the Kagan
angle to SKHASH's OUT/out.csv of our preferred mechanism with each
trimming rule (`--config.inversion.trim` hash and skhash), and, with
--skhash_python (an interpreter with SKHASH 1.1.5, never a dependency of
seisjax), of SKHASH's own `mech_probability` on our very acceptable set
(bench/skhash_average.py): HASH's rule, its default rule in grid order,
and its default rule over `--draws` random orders and random 500-subsets
(median, 10th-90th percentiles, share within 5 degrees). Prints one JSON
object.
"""

import dataclasses
import json
import os
import pathlib
import tempfile

from absl import app
from absl import flags
import numpy as np

from bench import skhash_env
from configs import focal as focal_config
from seisjax import seismo
from seisjax.focal import grid
from seisjax.focal import inversion
from seisjax.focal import mechanism
from seisjax.focal import run as run_lib
from seisjax.focal import sources

flags.DEFINE_integer('seed', 0, 'Seed of the trials.')
flags.DEFINE_string('skhash_python', '', 'Python of an environment with '
                    'SKHASH installed; empty: ours only.')
flags.DEFINE_integer('draws', 100, "Random orders and subsets for SKHASH's "
                     'default rule.')
FLAGS = flags.FLAGS
AVERAGER = pathlib.Path(__file__).resolve().parent / 'skhash_average.py'
FOLDER = seismo.SHARED_DATA / 'focal' / 'skhash_maacama'


def _skhash(ids, sets, sdr, options) -> dict:
  """SKHASH's mech_probability on our acceptable sets (its interpreter)."""
  with tempfile.TemporaryDirectory() as folder:
    paths = [os.path.join(folder, f'sets.{x}')
             for x in ('npz', 'json', 'out.json')]
    np.savez(paths[0], event_ids=np.array(ids),
             **{f'sdr_{i}': sdr[s] for i, s in enumerate(sets)})
    with open(paths[1], 'w') as f:
      json.dump({'cangle': options.cangle, 'prob_max': options.prob_max,
                 'maxout': options.maxout, 'draws': FLAGS.draws,
                 'seed': FLAGS.seed}, f)
    skhash_env.run(FLAGS.skhash_python, AVERAGER, *paths)
    with open(paths[2]) as f:
      return json.load(f)


def main(argv):
  del argv
  if not FOLDER.is_dir():
    raise SystemExit(f'{FOLDER} not found: nothing to compare.')
  config = focal_config.get_config('maacama')
  config.seed = FLAGS.seed
  source = sources.read_source(config)
  events = source.reading.events
  options = run_lib.options_of(config, source.parameters)
  reference = {e: (r.strike, r.dip, r.rake)
               for e, r in source.reference.items()}
  kagan = lambda sdr, e: round(float(mechanism.kagan_angle(
      np.asarray(sdr[:3], float), reference[e])), 2)
  result = {'seed': FLAGS.seed, 'n_trials': source.n_trials, 'events': {}}
  for rule in ('hash', 'skhash'):
    found = inversion.invert(events, dataclasses.replace(options, trim=rule))
    for event, solutions in zip(events, found):
      best = solutions[0]
      result['events'].setdefault(event.event_id, {})[f'ours_{rule}'] = {
          'sdr': [round(best.strike), round(best.dip), round(best.rake)],
          'prob': round(best.prob, 3),
          'kagan': kagan((best.strike, best.dip, best.rake),
                         event.event_id)}
  if FLAGS.skhash_python:
    sets = inversion.acceptable_sets(events, options)
    ids = [e.event_id for e in events]
    theirs = _skhash(ids, sets, grid.mechanism_grid(options.dang).sdr,
                     options)
    for event_id in ids:
      row = result['events'][event_id]
      got = theirs[event_id]
      row['n_acceptable'] = got['n_acceptable']
      for name in ('iterative', 'grid_order'):
        row[f'skhash_{name}'] = kagan(got[name], event_id)
      for name in ('random_orders', 'random_maxout'):
        angles = np.array([kagan(r, event_id) for r in got[name]])
        row[f'skhash_{name}'] = {
            'median': round(float(np.median(angles)), 2),
            'p10_p90': np.percentile(angles, [10, 90]).round(2).tolist(),
            'share_within_5': float(np.mean(angles <= 5.0))}
  print(json.dumps(result, indent=1))


if __name__ == '__main__':
  app.run(main)
