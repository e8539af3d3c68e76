"""SKHASH's own averaging (mech_probability) on given acceptable sets.

Run by bench/maacama_rules.py in SKHASH's separate environment, never
imported by seisjax (SKHASH pins numpy<2):

  PYTHONPATH=<site-packages>/SKHASH /tmp/skhash-venv/bin/python \
      bench/skhash_average.py sets.npz params.json out.json

sets.npz: `event_ids` and, per event i, `sdr_i` (k, 3) strike, dip, rake
of the acceptable mechanisms in grid order. params.json: cangle, prob_max,
maxout, draws, seed. out.json, per event, [strike, dip, rake, prob] of the
preferred solution of SKHASH 1.1.5's `fun.mech_probability`:
  iterative: HASH's rule (`iterative_avg` True) on the whole set;
  grid_order: its default rule on the whole set in grid order;
  random_orders: its default rule on `draws` random orders of the set;
  random_maxout: its default rule on `draws` random subsets of `maxout`,
    as SKHASH runs (fun.focal_gridsearch draws them).
"""

import json
import sys

import numpy as np

import functions.fun as fun  # SKHASH's, through PYTHONPATH.


def main(sets_path, params_path, out_path):
  with open(params_path) as f:
    p = json.load(f)
  data = np.load(sets_path)
  rng = np.random.default_rng(p['seed'])
  out = {}
  for i, event_id in enumerate(str(x) for x in data['event_ids']):
    vectors = [fun.vector_from_sdr(*np.radians(r)) for r in data[f'sdr_{i}']]
    normals = np.array([v[0] for v in vectors]).T  # (3, k)
    slips = np.array([v[1] for v in vectors]).T

    def preferred(index, iterative=False):
      row = fun.mech_probability(normals[:, index], slips[:, index],
                                 p['cangle'], p['prob_max'],
                                 iterative_avg=iterative).iloc[0]
      return [float(row.str_avg), float(row.dip_avg), float(row.rak_avg),
              float(row.prob)]

    everyone = np.arange(normals.shape[1])
    size = min(p['maxout'], everyone.size)
    out[event_id] = {
        'n_acceptable': int(everyone.size),
        'iterative': preferred(everyone, iterative=True),
        'grid_order': preferred(everyone),
        'random_orders': [preferred(rng.permutation(everyone))
                          for _ in range(p['draws'])],
        'random_maxout': [preferred(rng.choice(everyone, size,
                                               replace=False))
                          for _ in range(p['draws'])]}
  with open(out_path, 'w') as f:
    json.dump(out, f)


if __name__ == '__main__':
  main(*sys.argv[1:4])
