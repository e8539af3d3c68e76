r"""One N-member run against N one-member runs, end to end.

  python bench/ensemble_vs_sequential.py --config=configs/precursor.py:cpu \
      --members=3 --epochs=3

bench/train_throughput.py times the train step alone; a user choosing
between `--config.n_members=N` and N separate runs pays for everything:
start-up, compilation, the data pipeline, validation, checkpoints and the
test evaluation. This runs both, as the user would (`python -m
seisjax.main` in child processes, fresh workdirs under --scratch), after
building the dataset once so neither side pays for it: first the
N-member run (seeds seed..seed+N-1), then the N one-member runs with seeds
seed..seed+N-1, which train the same members (member i of an ensemble is
the solo run with seed i). Prints one JSON object: wall seconds of each
run, the ratio (sum of the sequential runs) / (ensemble run), above 1 when
the ensemble is faster, the `train.ensemble_way` used, each member's test
accuracy from both sides, and the load average, since timings on a shared
machine move with it.
"""

import json
import os
import shutil
import subprocess
import sys
import time

from absl import app
from absl import flags
import jax
from ml_collections import config_flags

from seisjax import registry
from seisjax.engine import train

config_flags.DEFINE_config_file('config', 'configs/precursor.py:cpu',
                                'A training config.')
flags.DEFINE_integer('members', 3, 'Ensemble size N.')
flags.DEFINE_integer('epochs', 3, 'Training epochs of every run.')
flags.DEFINE_string('scratch', '/tmp/seisjax_ensemble_vs_sequential',
                    'Workdirs of the runs (emptied first).')
FLAGS = flags.FLAGS


def timed_run(config_arg: str, workdir: str, overrides: list[str]) -> float:
  start = time.perf_counter()
  subprocess.run([sys.executable, '-m', 'seisjax.main',
                  f'--config={config_arg}', f'--workdir={workdir}',
                  *overrides], check=True, capture_output=True)
  return time.perf_counter() - start


def member_accuracies(workdir: str) -> list[float]:
  with open(os.path.join(workdir, 'summary.json')) as f:
    return json.load(f)['member_test_accuracy']


def main(argv):
  del argv
  config = FLAGS.config
  config_arg = next(a.split('=', 1)[1] for a in sys.argv[1:]
                    if a.startswith('--config='))
  registry.get_task(config.task).get_datasets(config)  # Built once, here.
  shutil.rmtree(FLAGS.scratch, ignore_errors=True)
  common = [f'--config.train.num_epochs={FLAGS.epochs}']
  n = FLAGS.members
  ensemble_dir = os.path.join(FLAGS.scratch, f'ensemble{n}')
  ensemble_s = timed_run(config_arg, ensemble_dir,
                         [*common, f'--config.n_members={n}'])
  single_s, single_acc = [], []
  for i in range(n):
    workdir = os.path.join(FLAGS.scratch, f'single{i}')
    single_s.append(timed_run(config_arg, workdir, [
        *common, '--config.n_members=1',
        f'--config.seed={config.seed + i}']))
    single_acc += member_accuracies(workdir)
  json.dump({
      'backend': jax.default_backend(), 'config': config_arg,
      'members': n, 'epochs': FLAGS.epochs,
      'ensemble_way': train.ensemble_way(config),
      'ensemble_s': ensemble_s, 'single_s': single_s,
      'sequential_over_ensemble': sum(single_s) / ensemble_s,
      'ensemble_member_accuracy': member_accuracies(ensemble_dir),
      'single_accuracy': single_acc,
      'load_average': os.getloadavg()}, sys.stdout, indent=2)
  print()


if __name__ == '__main__':
  app.run(main)
