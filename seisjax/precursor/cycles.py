r"""Section 7.2: many training cycles over random event splits.

Sets A and B are pooled and split at random `n_splits` times into training,
test and verification events; each split trains one seed ensemble, so every
(split, member) pair is one training cycle (10 splits x 10 members = the
paper's 100 cycles). Each split is an ordinary run in `workdir/split_<k>`,
so an interrupted study resumes where it stopped.

  python -m seisjax.main --config=configs/experiments.py:exp=7.2 \
      --workdir=runs/exp_7.2

Writes `cycles.csv` (every cycle's train, test and verification accuracy
with bootstrap CIs over events), `cycles.md` (the accuracies, their
distribution and the best combined cycle) and `cycles.png`.
"""

import logging
import os

from matplotlib.figure import Figure
import numpy as np

from seisjax.engine import train
from seisjax.engine import writers
from seisjax.precursor import task as task_lib

log = logging.getLogger(__name__)
SPLITS = ('train', 'test', 'verify')


def run_cycles(config, workdir: str) -> list[dict]:
  """Trains every split's ensemble and tabulates all cycles.

  The best combined cycle is the one with the highest mean of its test and
  verification accuracies (the training accuracy measures fit, not skill).
  Picking the best of many cycles is selection on the test data: the table
  gives it for comparison with the paper, beside the whole distribution.

  Returns:
    One dict per cycle: split, seed, member, `<split>_accuracy` and its 95 %
    bootstrap interval over events, `<split>_ci_low` and `<split>_ci_high`.
  """
  rows = []
  for k in range(config.cycles.n_splits):
    run_config = config.copy_and_resolve_references()
    with run_config.unlocked():
      run_config.mode = 'train'
      run_config.data.split_seed = config.data.split_seed + k
    log.info('Split %d of %d.', k + 1, config.cycles.n_splits)
    summary = train.train_and_evaluate(
        run_config, os.path.join(workdir, f'split_{k:02d}'), task_lib.TASK)
    for m in range(config.n_members):
      row = {'cycle': len(rows), 'split': k, 'member': m,
             'seed': config.seed + m}
      for name in SPLITS:
        row[f'{name}_accuracy'] = summary.get(
            f'member_{name}_accuracy', [None] * (m + 1))[m]
        row[f'{name}_ci_low'], row[f'{name}_ci_high'] = summary.get(
            f'member_{name}_accuracy_ci', [[None, None]] * (m + 1))[m]
      rows.append(row)
  write_cycles(rows, workdir)
  return rows


def _combined(row) -> float:
  values = [row[f'{n}_accuracy'] for n in ('test', 'verify')]
  values = [v for v in values if v is not None]
  return float(np.mean(values)) if values else float('nan')


def write_cycles(rows, workdir: str) -> None:
  """Writes cycles.csv, cycles.md and cycles.png."""
  for row in rows:
    row['combined_accuracy'] = _combined(row)
  writers.write_csv(rows, os.path.join(workdir, 'cycles.csv'))
  best = max(rows, key=lambda r: np.nan_to_num(r['combined_accuracy']))
  pct = lambda x: 'n/a' if x is None else f'{100 * x:.1f}'
  lines = ['| Accuracy (%) | mean | std | min | max |',
           '|---|---:|---:|---:|---:|']
  for name in (*SPLITS, 'combined'):
    v = np.array([r[f'{name}_accuracy'] for r in rows], np.float64)
    lines.append(f'| {name} | {pct(np.nanmean(v))} | {pct(np.nanstd(v))} '
                 f'| {pct(np.nanmin(v))} | {pct(np.nanmax(v))} |')
  lines += ['', f'Best combined cycle (mean of test and verification): cycle '
            f'{best["cycle"]} (split {best["split"]}, seed {best["seed"]}): '
            f'train {pct(best["train_accuracy"])} %, test '
            f'{pct(best["test_accuracy"])} %, verification '
            f'{pct(best["verify_accuracy"])} %. It is the best of '
            f'{len(rows)}: expect a fresh cycle to score near the means.', '',
            '| Cycle | Split | Seed | Train | Test | Verification |',
            '|---:|---:|---:|---:|---:|---:|']
  lines += [f'| {r["cycle"]} | {r["split"]} | {r["seed"]} '
            f'| {pct(r["train_accuracy"])} | {pct(r["test_accuracy"])} '
            f'| {pct(r["verify_accuracy"])} |' for r in rows]
  writers.write_text('\n'.join(lines) + '\n',
                     os.path.join(workdir, 'cycles.md'))

  fig = Figure(figsize=(6, 3.6))
  ax = fig.add_subplot()
  for i, name in enumerate(SPLITS):
    v = [100 * r[f'{name}_accuracy'] for r in rows
         if r[f'{name}_accuracy'] is not None]
    ax.scatter(np.full(len(v), i) + np.linspace(-0.2, 0.2, len(v)), v, s=10)
  ax.axhline(50, color='C3', linestyle='--', label='chance')
  ax.set_xticks(range(len(SPLITS)), SPLITS)
  ax.set_ylabel('Accuracy per cycle (%)')
  ax.set_title(f'{len(rows)} cycles over {rows[-1]["split"] + 1} splits')
  ax.legend(fontsize=8)
  fig.tight_layout()
  writers.save_figure(fig, os.path.join(workdir, 'cycles.png'))
