"""SKHASH's own grid search and averaging on given angles (not seisjax).

Run by bench/focal_throughput.py (and bench/focal_examples.py) in SKHASH's
separate environment, never imported by seisjax (SKHASH pins numpy<2):

  PYTHONPATH=<site-packages>/SKHASH /tmp/skhash-venv/bin/python \
      bench/skhash_runner.py events.npz params.json out.json

events.npz holds, per event i, `azimuth_i` and `takeoff_i` of shape
(picks, trials) with takeoffs in HASH's convention (from the UPWARD
vertical, as SKHASH takes them), `p_pol_i` (signed polarity weights, 0 for
none) and `sp_amp_i` (log10 S/P, NaN for none); `event_ids` names them.
params.json: dang, maxout, badfrac, badmin, qbadfrac, qbadmin, cangle,
prob_max, max_agap, max_pgap, npolmin, iterative_avg, min_amp.

For each event it runs what SKHASH 1.1.5's compute_mech runs once the
angles are known (functions/compute_mech.py): the gaps, the bounds with
Python's round, fun.focal_gridsearch, fun.mech_probability, fun.mech_misfit
on trial 0 and fun.mech_quality; out.json gets the preferred solutions and
the wall time of that part per event (the grid's direction cosines are set
up once, outside the timing, as SKHASH does per run).
"""

import json
import sys
import time

import numpy as np
import pandas as pd

import functions.fun as fun  # SKHASH's, through PYTHONPATH.

QUALITY = {  # SKHASH.py's qual_criteria_dict.
    'qual_letter': np.asarray(['A', 'B', 'C', 'D']),
    'probs': np.asarray([0.8, 0.6, 0.5, 0]),
    'var_avg': np.asarray([25, 35, 45, np.inf]),
    'mfrac': np.asarray([0.15, 0.20, 0.30, np.inf]),
    'stdr': np.asarray([0.5, 0.4, 0.3, 0]),
    'azimuthal_gap': 90, 'takeoff_gap': 60, 'num_p_pol': 8}


def solve(azimuth, takeoff, p_pol, sp_amp, p, dir_cos):
  """compute_mech's steps after the angles; the preferred solution."""
  agap, pgap = fun.determine_max_gap(azimuth[:, 0], takeoff[:, 0])
  if agap > p['max_agap'] or pgap > p['max_pgap']:
    return {'quality': 'E'}
  if np.sum(p_pol != 0) < p['npolmin']:
    return {'quality': 'F'}
  weight = np.sum(np.abs(p_pol))
  nextra = max([round(weight * p['badfrac'] * 0.5), p['badmin']])
  ntotal = max([round(weight * p['badfrac']), p['badmin']])
  nspr = int(np.sum(np.isfinite(sp_amp)))
  qextra = max([nspr * p['qbadfrac'] * 0.5, p['qbadmin']]) if nspr else 0
  qtotal = max([nspr * p['qbadfrac'], p['qbadmin']]) if nspr else 0
  normals, slips = fun.focal_gridsearch(
      azimuth, takeoff, p_pol, sp_amp, dir_cos, nextra, ntotal, qextra,
      qtotal, p['maxout'], dir_cos['ncoor'])
  if normals.shape[1] == 0:
    return {'quality': 'none'}
  mech = fun.mech_probability(normals, slips, p['cangle'], p['prob_max'],
                              iterative_avg=p['iterative_avg'])
  mech, _, _ = fun.mech_misfit(mech, azimuth[:, 0], takeoff[:, 0], p_pol,
                               sp_amp)
  mech['num_p_pol'] = np.sum(p_pol != 0)
  mech['azimuthal_gap'] = agap
  mech['takeoff_gap'] = pgap
  mech = fun.mech_quality(mech, QUALITY)
  row = mech.iloc[0]
  return {'strike': float(row.str_avg), 'dip': float(row.dip_avg),
          'rake': float(row.rak_avg), 'quality': str(row.qual),
          'prob': float(row.prob), 'fault_plane_uncertainty':
          float(row.rms_diff), 'aux_plane_uncertainty':
          float(row.rms_diff_aux), 'mfrac': float(row.mfrac),
          'stdr': float(row.stdr), 'n_acceptable': int(normals.shape[1]),
          'n_solutions': len(mech)}


def main(events_path, params_path, out_path):
  with open(params_path) as f:
    p = json.load(f)
  data = np.load(events_path)
  ids = [str(x) for x in data['event_ids']]
  has_sp = any(np.isfinite(data[f'sp_amp_{i}']).any()
               for i in range(len(ids)))
  dir_cos = fun.dir_cos_setup({'dang': p['dang'],
                               'ampfile': 'x' if has_sp else '',
                               'min_amp': p['min_amp']})
  results, times = [], []
  for i, event_id in enumerate(ids):
    args = [data[f'{k}_{i}'] for k in ('azimuth', 'takeoff', 'p_pol',
                                        'sp_amp')]
    start = time.perf_counter()
    result = solve(*args, p, dir_cos)
    times.append(time.perf_counter() - start)
    results.append({'event_id': event_id, **result})
  with open(out_path, 'w') as f:
    json.dump({'results': results, 'seconds': times,
               'numpy': np.__version__, 'pandas': pd.__version__}, f)


if __name__ == '__main__':
  main(*sys.argv[1:4])
