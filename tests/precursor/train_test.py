"""The precursor task trained end to end by the engine on the `tiny` config.

The engine's own behaviour (schedules, resuming, non-finite losses,
sharding) is tested on a toy task in tests/engine/.
"""

import json
import os

import jax
import numpy as np
import orbax.checkpoint as ocp

from seisjax.engine import train
from seisjax.precursor import task


def _final_state(workdir):
  """Step and stacked training state of the last checkpoint, as numpy."""
  directory = os.path.join(workdir, 'checkpoints')
  with ocp.CheckpointManager(directory) as manager:
    step = manager.latest_step()
    restored = manager.restore(step, args=ocp.args.Composite(
        state=ocp.args.StandardRestore()))
  return step, jax.tree.map(np.asarray, restored['state']['train'])


def test_end_to_end_writes_results(planted_run):
  workdir, summary, _ = planted_run
  for name in ('config.json', 'run.json', 'metrics.jsonl', 'summary.json',
               'per_event_test.csv', 'per_event_test.md', 'confusion.json',
               'confusion_train.png', 'confusion_test.png',
               'interval_fractions.csv', 'interval_fractions.png'):
    assert os.path.getsize(os.path.join(workdir, name)) > 0, name
  with open(os.path.join(workdir, 'summary.json')) as f:
    written = json.load(f)
  assert written['test_accuracy'] == summary['test_accuracy']
  assert len(written['member_test_accuracy']) == 2
  with open(os.path.join(workdir, 'metrics.jsonl')) as f:
    lines = [json.loads(line) for line in f]
  epochs = [m['epoch'] for m in lines if 'epoch' in m]
  assert epochs == list(range(1, 9))
  assert all(len(m['train_loss']) == 2 for m in lines if 'train_loss' in m)
  with open(os.path.join(workdir, 'interval_fractions.csv')) as f:
    assert len(f.readlines()) == 1 + 36


def test_planted_signal_is_found(planted_run):
  _, summary, _ = planted_run
  assert summary['test_accuracy'] >= 0.75
  assert summary['test_score'] >= 0.5


def test_train_step_traces_once(planted_run):
  _, _, traces = planted_run
  assert traces['train_step'] == 1


def test_null_data_scores_chance(null_run):
  _, summary = null_run
  assert 0.3 <= summary['test_accuracy'] <= 0.7


def test_member_equals_solo_run(data_dir, tiny_config, tmp_path):
  # SGD: Adam's first steps are ~lr * sign(grad), which turns the rounding
  # differences between a vmapped and a plain convolution into visible ones.
  config = tiny_config(data_dir, num_epochs=1, optimizer='sgd',
                       learning_rate=1e-2)
  config.n_members = 3
  train.train_and_evaluate(config, str(tmp_path / 'ensemble'), task.TASK)
  solo = tiny_config(data_dir, num_epochs=1, optimizer='sgd',
                     learning_rate=1e-2)
  solo.n_members, solo.seed = 1, 2
  train.train_and_evaluate(solo, str(tmp_path / 'solo'), task.TASK)
  _, ens = _final_state(str(tmp_path / 'ensemble'))
  _, one = _final_state(str(tmp_path / 'solo'))
  jax.tree.map(lambda e, s: np.testing.assert_allclose(e[2], s[0], atol=2e-5),
               ens['params'], one['params'])
  # ... and differs from the other members by far more.
  gaps = jax.tree.map(lambda e, s: np.abs(e[1] - s[0]).max(), ens['params'],
                      one['params'])
  assert max(jax.tree.leaves(gaps)) > 1e-2
