"""The training engine end to end on the `tiny` config."""

import itertools
import json
import os
import signal
import subprocess
import sys

import jax
import ml_collections
import numpy as np
import orbax.checkpoint as ocp
import pytest

from seisjax import ensemble
from seisjax import train


def _final_state(workdir):
  """Step and stacked training state of the last checkpoint, as numpy."""
  directory = os.path.join(workdir, 'checkpoints')
  with ocp.CheckpointManager(directory) as manager:
    step = manager.latest_step()
    restored = manager.restore(step, args=ocp.args.Composite(
        state=ocp.args.StandardRestore()))
  return step, jax.tree.map(np.asarray, restored['state']['train'])


@pytest.mark.parametrize('schedule', ['constant', 'cosine'])
def test_learning_rate_schedule(schedule):
  tx = train.make_optimizer(ml_collections.ConfigDict(
      {'optimizer': 'sgd', 'learning_rate': 0.1, 'lr_schedule': schedule}),
                            total_steps=4)
  params = {'w': np.zeros(())}
  state, trace, rates = tx.init(params), 0.0, []
  for _ in range(5):
    updates, state = tx.update({'w': np.ones(())}, state)
    trace = 1.0 + 0.9 * trace  # SGD's momentum of a unit gradient.
    rates.append(float(-updates['w'] / trace))
  expected = ([0.1] * 5 if schedule == 'constant' else
              0.05 * (1 + np.cos(np.pi * np.minimum(np.arange(5), 4) / 4)))
  np.testing.assert_allclose(rates, expected, atol=1e-7)
  with pytest.raises(ValueError, match='lr_schedule'):
    train.make_optimizer(ml_collections.ConfigDict(
        {'optimizer': 'adam', 'learning_rate': 0.1, 'lr_schedule': 'step'}))


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
  train.train_and_evaluate(config, str(tmp_path / 'ensemble'))
  solo = tiny_config(data_dir, num_epochs=1, optimizer='sgd',
                     learning_rate=1e-2)
  solo.n_members, solo.seed = 1, 2
  train.train_and_evaluate(solo, str(tmp_path / 'solo'))
  _, ens = _final_state(str(tmp_path / 'ensemble'))
  _, one = _final_state(str(tmp_path / 'solo'))
  jax.tree.map(lambda e, s: np.testing.assert_allclose(e[2], s[0], atol=2e-5),
               ens['params'], one['params'])
  # ... and differs from the other members by far more.
  gaps = jax.tree.map(lambda e, s: np.abs(e[1] - s[0]).max(), ens['params'],
                      one['params'])
  assert max(jax.tree.leaves(gaps)) > 1e-2


def test_interrupt_and_resume_matches_uninterrupted(data_dir, tiny_config,
                                                    tmp_path,
                                                    monkeypatch):
  config = tiny_config(data_dir, num_epochs=3)
  train.train_and_evaluate(config, str(tmp_path / 'straight'))

  real = ensemble.jit_ensemble_step

  def interrupting(member_step, mesh, **kwargs):
    step_fn, calls = real(member_step, mesh, **kwargs), itertools.count(1)

    def step(*args):
      out = step_fn(*args)
      if next(calls) == 12:  # Mid-epoch: epochs are 9 steps.
        os.kill(os.getpid(), signal.SIGINT)
      return out
    return step

  monkeypatch.setattr(ensemble, 'jit_ensemble_step', interrupting)
  workdir = str(tmp_path / 'interrupted')
  with pytest.raises(train.Interrupted, match='step 12'):
    train.train_and_evaluate(config, workdir)
  assert _final_state(workdir)[0] == 12
  monkeypatch.setattr(ensemble, 'jit_ensemble_step', real)
  train.train_and_evaluate(config, workdir)

  step_a, a = _final_state(str(tmp_path / 'straight'))
  step_b, b = _final_state(workdir)
  assert step_a == step_b
  jax.tree.map(np.testing.assert_array_equal, a, b)


def test_non_finite_loss_stops_and_keeps_last_good_checkpoint(
    data_dir, tiny_config, tmp_path, monkeypatch):
  real = ensemble.jit_ensemble_step

  def poisoned(member_step, mesh, **kwargs):
    step_fn, calls = real(member_step, mesh, **kwargs), itertools.count(1)

    def step(*args):
      state, metrics = step_fn(*args)
      if next(calls) >= 12:  # After the epoch-1 checkpoint at step 9.
        metrics = dict(metrics, loss=metrics['loss'] * np.nan)
      return state, metrics
    return step

  monkeypatch.setattr(ensemble, 'jit_ensemble_step', poisoned)
  workdir = str(tmp_path)
  with pytest.raises(FloatingPointError,
                     match=r'Non-finite loss by step 15 .*step 9\)'):
    train.train_and_evaluate(tiny_config(data_dir), workdir)
  step, state = _final_state(workdir)
  assert step == 9
  assert all(np.all(np.isfinite(x)) for x in jax.tree.leaves(state['params']))


_SHARDED = r'''
import jax, jax.numpy as jnp, numpy as np, optax
from configs import precursor
from seisjax import ensemble, models, train
from seisjax.tasks import precursor as task
config = precursor.get_config('tiny')
model = models.get_model(config.model)
tx = optax.sgd(1e-2, momentum=0.9)  # See test_member_equals_solo_run.
shape = (config.data.window_samples, 3)
rng = np.random.default_rng(0)
batches = [{'x': rng.normal(size=(8, *shape)).astype(np.float32),
            'label': rng.integers(0, 2, 8).astype(np.int32)} for _ in range(3)]
def run(mesh):
  state = ensemble.create_ensemble(model, tx, shape, [0, 1], mesh)
  step = ensemble.jit_ensemble_step(train.make_train_step(task, config),
                                    mesh)
  for i, batch in enumerate(batches):
    state, _ = step(state, batch, jnp.int32(i))
  return jax.tree.map(np.asarray, state.params), state
assert len(jax.devices()) == 4
sharded, state = run(ensemble.make_mesh(2, 2))
assert len(state.params['Dense_0']['kernel'].sharding.device_set) == 4
single, _ = run(ensemble.make_mesh(1, 1, devices=jax.devices()[:1]))
jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=2e-4,
                                                     atol=1e-6), sharded, single)
print('SHARDED_OK')
'''


def test_sharded_step_equals_single_device():
  env = dict(os.environ, XLA_FLAGS='--xla_force_host_platform_device_count=4',
             JAX_PLATFORMS='cpu')
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  result = subprocess.run([sys.executable, '-c', _SHARDED], env=env, cwd=root,
                          capture_output=True, text=True, timeout=300)
  assert 'SHARDED_OK' in result.stdout, result.stderr[-3000:]


def test_batch_must_divide_over_data_axis():
  mesh = ensemble.make_mesh(1, 1)
  ensemble.check_batch(16, mesh)
  with pytest.raises(ValueError, match='At most one'):
    ensemble.make_mesh(-1, -1)
