"""The training engine end to end, on a toy task that builds no dataset."""

import itertools
import json
import os
import shutil
import signal
import subprocess
import sys

import jax
import ml_collections
import numpy as np
import orbax.checkpoint as ocp
import pytest

from seisjax import registry
from seisjax.engine import ensemble
from seisjax.engine import task as task_lib
from seisjax.engine import train
from seisjax.engine import validation
from tests.engine import toy

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _final_state(workdir):
  """Step and stacked training state of the last checkpoint, as numpy."""
  directory = os.path.join(workdir, 'checkpoints')
  with ocp.CheckpointManager(directory) as manager:
    step = manager.latest_step()
    restored = manager.restore(step, args=ocp.args.Composite(
        state=ocp.args.StandardRestore()))
  return step, jax.tree.map(np.asarray, restored['state'])


def _metrics(workdir):
  with open(os.path.join(workdir, 'metrics.jsonl')) as f:
    return [json.loads(line) for line in f]


@pytest.fixture(scope='module')
def toy_run(tmp_path_factory):
  """(workdir, summary, trace counts) of a toy run of 3 epochs."""
  workdir = str(tmp_path_factory.mktemp('toy'))
  train.TRACES.clear()
  summary = train.train_and_evaluate(toy.config(), workdir, toy.TASK)
  return workdir, summary, dict(train.TRACES)


def test_every_task_satisfies_the_protocol():
  for task in (*registry.TASKS.values(), toy.TASK):
    assert isinstance(task, task_lib.Task), task.name
  assert not isinstance(object(), task_lib.Task)


def test_end_to_end_writes_the_run(toy_run):
  workdir, summary, _ = toy_run
  for name in ('config.json', 'run.json', 'metrics.jsonl', 'summary.json'):
    assert os.path.getsize(os.path.join(workdir, name)) > 0, name
  with open(os.path.join(workdir, 'summary.json')) as f:
    written = json.load(f)
  # The engine adds the best epoch of each member to the task's summary.
  assert written == summary
  assert len(written['best_epoch']) == 2
  assert all(1 <= e <= 3 for e in written['best_epoch'])
  with open(os.path.join(workdir, 'run.json')) as f:
    run = json.load(f)
  assert run['dataset'] == 'toy' and run['splits']['val'] == list(range(64))
  lines = _metrics(workdir)
  assert [m['epoch'] for m in lines if 'epoch' in m] == [1, 2, 3]
  assert all(len(m['train_loss']) == 2 for m in lines if 'train_loss' in m)
  # The toy problem is easy: both members learn it.
  assert min(summary['val_accuracy']) > 0.8


def test_train_step_traces_once(toy_run):
  assert toy_run[2]['train_step'] == 1


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


def test_rng_streams_change_per_epoch_or_step():
  key = jax.random.key(0)
  streams = (('per_epoch', 'epoch'), ('per_step', 'step'))
  data = lambda epoch, step: jax.tree.map(
      jax.random.key_data, train.step_rngs(key, streams, epoch, step))
  a, b, c = data(0, 0), data(0, 1), data(1, 1)
  np.testing.assert_array_equal(a['per_epoch'], b['per_epoch'])
  assert not np.array_equal(b['per_epoch'], c['per_epoch'])
  assert not np.array_equal(a['per_step'], b['per_step'])
  np.testing.assert_array_equal(b['per_step'], c['per_step'])
  # Stream i is folded with i: the same counter gives different streams.
  same = train.step_rngs(key, (('x', 'step'), ('y', 'step')), 0, 0)
  assert not np.array_equal(*(jax.random.key_data(k) for k in same.values()))
  with pytest.raises(ValueError, match="per 'batch'"):
    train.step_rngs(key, (('x', 'batch'),), 0, 0)


def test_member_equals_solo_run(tmp_path):
  # SGD: Adam's first steps are ~lr * sign(grad), which turns the rounding
  # differences between a vmapped and a plain convolution into visible ones.
  config = toy.config(num_epochs=1, optimizer='sgd', learning_rate=0.1)
  config.n_members = 3
  train.train_and_evaluate(config, str(tmp_path / 'ensemble'), toy.TASK)
  solo = toy.config(num_epochs=1, optimizer='sgd', learning_rate=0.1)
  solo.n_members, solo.seed = 1, 2
  train.train_and_evaluate(solo, str(tmp_path / 'solo'), toy.TASK)
  ens = _final_state(str(tmp_path / 'ensemble'))[1]['train']['params']
  one = _final_state(str(tmp_path / 'solo'))[1]['train']['params']
  jax.tree.map(lambda e, s: np.testing.assert_allclose(e[2], s[0], atol=1e-5),
               ens, one)
  # ... and differs from the other members by far more.
  gaps = jax.tree.map(lambda e, s: np.abs(e[1] - s[0]).max(), ens, one)
  assert max(jax.tree.leaves(gaps)) > 1e-2


@pytest.mark.parametrize('way', ['unroll', 'chain', 'map'])
def test_every_way_of_running_members_trains_the_same(tmp_path, way):
  states = {}
  for w in ('vmap', way):
    config = toy.config(num_epochs=1, optimizer='sgd', learning_rate=0.1,
                        ensemble_way=w)
    train.train_and_evaluate(config, str(tmp_path / w), toy.TASK)
    states[w] = _final_state(str(tmp_path / w))[1]['train']
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, atol=1e-5),
               states['vmap'], states[way])


def test_microbatches_equal_the_whole_batch(tmp_path):
  # Without batch norm or dropout a step does not depend on how the batch
  # is split: accumulated gradients equal the whole batch's.
  states = {}
  for microbatches in (1, 4):
    config = toy.config(num_epochs=1, optimizer='sgd', learning_rate=0.1,
                        microbatches=microbatches)
    config.model.update(batch_norm=False, dropout=0.0)
    train.train_and_evaluate(config, str(tmp_path / str(microbatches)),
                             toy.TASK)
    states[microbatches] = _final_state(
        str(tmp_path / str(microbatches)))[1]['train']['params']
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, atol=1e-5),
               states[1], states[4])
  with pytest.raises(validation.ConfigError, match='divides'):
    train.check_config(toy.config(microbatches=3), toy.TASK)


def _step_temp_bytes(n_members, way, microbatches):
  """XLA's temporary memory of the compiled toy train step (no timing)."""
  config = toy.config(batch_size=512, ensemble_way=way,
                      microbatches=microbatches)
  config.n_members = n_members
  config.model.features = 64
  mesh = ensemble.make_mesh(1, 1)
  state = ensemble.create_ensemble(
      toy.TASK.make_model(config), train.make_optimizer(config.train),
      toy.SHAPE, ensemble.member_seeds(0, n_members), mesh)
  step = ensemble.jit_ensemble_step(train.make_train_step(toy.TASK, config),
                                    mesh, way=way)
  batch = {'x': np.zeros((512, *toy.SHAPE), np.float32),
           'label': np.zeros(512, np.int32)}
  compiled = step.lower(state, batch, np.int32(0)).compile()
  return compiled.memory_analysis().temp_size_in_bytes


def test_chained_members_and_microbatches_need_the_memory_of_one():
  # The activation memory of one member (or one micro-batch) at a time:
  # what lets the paper-sized ensemble fit on a 24 GiB CPU (docs/scale.md).
  one = _step_temp_bytes(1, 'chain', 1)
  assert _step_temp_bytes(4, 'unroll', 1) > 3 * one
  assert _step_temp_bytes(4, 'chain', 1) < 1.5 * one
  assert _step_temp_bytes(1, 'chain', 4) < 0.5 * one


def _wrap_step(monkeypatch, wrap):
  """Makes every jitted ensemble step `wrap(step_fn, call_number)`."""
  real = ensemble.jit_ensemble_step

  def patched(member_step, mesh, **kwargs):
    step_fn, calls = real(member_step, mesh, **kwargs), itertools.count(1)
    return lambda *args: wrap(step_fn, next(calls), *args)

  monkeypatch.setattr(ensemble, 'jit_ensemble_step', patched)
  return real


def test_interrupt_and_resume_matches_uninterrupted(tmp_path, monkeypatch):
  config = toy.config()
  train.train_and_evaluate(config, str(tmp_path / 'straight'), toy.TASK)

  def interrupting(step_fn, call, *args):
    out = step_fn(*args)
    if call == 12:  # Mid-epoch: epochs are 8 steps.
      os.kill(os.getpid(), signal.SIGINT)
    return out

  real = _wrap_step(monkeypatch, interrupting)
  workdir = str(tmp_path / 'interrupted')
  with pytest.raises(train.Interrupted, match='step 12'):
    train.train_and_evaluate(config, workdir, toy.TASK)
  assert _final_state(workdir)[0] == 12
  monkeypatch.setattr(ensemble, 'jit_ensemble_step', real)
  train.train_and_evaluate(config, workdir, toy.TASK)

  step_a, a = _final_state(str(tmp_path / 'straight'))
  step_b, b = _final_state(workdir)
  assert step_a == step_b == 24
  jax.tree.map(np.testing.assert_array_equal, a, b)
  assert _metrics(workdir) == _metrics(str(tmp_path / 'straight'))


def test_a_killed_run_resumes_without_duplicate_metric_lines(tmp_path,
                                                              monkeypatch):
  config = toy.config(num_epochs=2)
  train.train_and_evaluate(config, str(tmp_path / 'straight'), toy.TASK)

  def interrupting(step_fn, call, *args):
    out = step_fn(*args)
    if call == 14:  # Logged step 12; the epoch-1 checkpoint is step 8.
      os.kill(os.getpid(), signal.SIGINT)
    return out

  real = _wrap_step(monkeypatch, interrupting)
  workdir = str(tmp_path / 'killed')
  with pytest.raises(train.Interrupted):
    train.train_and_evaluate(config, workdir, toy.TASK)
  # As if killed before the interrupt's checkpoint: step 8 is the last.
  shutil.rmtree(os.path.join(workdir, 'checkpoints', '14'))
  monkeypatch.setattr(ensemble, 'jit_ensemble_step', real)
  train.train_and_evaluate(config, workdir, toy.TASK)
  steps = [(m['step'], 'epoch' in m) for m in _metrics(workdir)]
  assert len(steps) == len(set(steps))
  assert _metrics(workdir) == _metrics(str(tmp_path / 'straight'))


def test_non_finite_loss_before_any_checkpoint_says_so(tmp_path,
                                                       monkeypatch):
  def poisoned(step_fn, call, *args):
    state, metrics = step_fn(*args)
    return state, dict(metrics, loss=metrics['loss'] * np.nan)

  _wrap_step(monkeypatch, poisoned)
  with pytest.raises(FloatingPointError,
                     match='by step 4 .* No checkpoint was saved'):
    train.train_and_evaluate(toy.config(), str(tmp_path), toy.TASK)


def test_non_finite_loss_stops_and_keeps_last_good_checkpoint(
    tmp_path, monkeypatch):
  def poisoned(step_fn, call, *args):
    state, metrics = step_fn(*args)
    if call >= 10:  # After the epoch-1 checkpoint at step 8.
      metrics = dict(metrics, loss=metrics['loss'] * np.nan)
    return state, metrics

  _wrap_step(monkeypatch, poisoned)
  with pytest.raises(FloatingPointError,
                     match=r'Non-finite loss by step 12 .*step 8\)'):
    train.train_and_evaluate(toy.config(), str(tmp_path), toy.TASK)
  step, state = _final_state(str(tmp_path))
  assert step == 8
  assert all(np.all(np.isfinite(x))
             for x in jax.tree.leaves(state['train']['params']))


def test_early_stopping_ends_when_no_member_improves(tmp_path, monkeypatch):
  # A validation score that never improves after the first epoch: patience
  # 2 stops the run after epoch 3 of 8, with the weights of epoch 1.
  def constant_score(predict_fn, variables, val, config):
    del predict_fn, variables, val
    score = np.zeros(config.n_members)
    return score, {'val_score': score}

  monkeypatch.setattr(toy.TASK, 'validate', constant_score)
  monkeypatch.setattr(toy.TASK, 'evaluate', lambda *args: {})
  config = toy.config(num_epochs=8, patience=2)
  summary = train.train_and_evaluate(config, str(tmp_path), toy.TASK)
  assert [m['epoch'] for m in _metrics(tmp_path) if 'epoch' in m] == [1, 2, 3]
  assert summary['best_epoch'] == [1, 1]
  # A rerun resumes at the stop and trains no further.
  train.train_and_evaluate(config, str(tmp_path), toy.TASK)
  assert sum('epoch' in m for m in _metrics(tmp_path)) == 3


def test_load_best_builds_no_optimiser(toy_run, monkeypatch):
  workdir = toy_run[0]
  stored = _final_state(workdir)[1]['best']

  def no_optimiser(*args, **kwargs):
    raise AssertionError('load_best built an optimiser')

  monkeypatch.setattr(train, 'make_optimizer', no_optimiser)
  mesh = ensemble.make_mesh(1, -1)
  model, variables = train.load_best(toy.config(), toy.TASK, workdir, mesh)
  assert isinstance(model, toy.ToyNet)
  jax.tree.map(np.testing.assert_array_equal,
               {'params': stored['params'],
                'batch_stats': stored['batch_stats']},
               jax.tree.map(np.asarray, variables))
  with pytest.raises(FileNotFoundError, match='No checkpoint'):
    train.load_best(toy.config(), toy.TASK, str(os.path.dirname(workdir)),
                    mesh)


def test_fine_tuning_starts_from_another_runs_best_weights(toy_run, tmp_path):
  # At learning rate 0 the weights stay those the run starts from (the
  # batch-norm statistics still move).
  config = toy.config(num_epochs=1, learning_rate=0.0)
  config.init_from = toy_run[0]
  datasets = toy.TASK.get_datasets(config)
  _, variables, _ = train.fit(config, str(tmp_path / 'tuned'), toy.TASK,
                              datasets)
  mesh = ensemble.make_mesh(1, -1)
  _, best = train.load_best(config, toy.TASK, toy_run[0], mesh)
  jax.tree.map(np.testing.assert_array_equal, variables['params'],
               best['params'])
  config.n_members = 3
  with pytest.raises(ValueError, match='has 2 members, this run 3'):
    train.fit(config, str(tmp_path / 'three'), toy.TASK, datasets)


_SHARDED = r'''
import jax, jax.numpy as jnp, numpy as np, optax
from seisjax.engine import ensemble, train
from tests.engine import toy
config = toy.config()
model = toy.TASK.make_model(config)
tx = optax.sgd(1e-2, momentum=0.9)  # See test_member_equals_solo_run.
rng = np.random.default_rng(0)
batches = [{'x': rng.normal(size=(8, *toy.SHAPE)).astype(np.float32),
            'label': rng.integers(0, 2, 8).astype(np.int32)} for _ in range(3)]
def run(mesh):
  state = ensemble.create_ensemble(model, tx, toy.SHAPE, [0, 1], mesh)
  step = ensemble.jit_ensemble_step(train.make_train_step(toy.TASK, config),
                                    mesh)
  for i, batch in enumerate(batches):
    state, _ = step(state, batch, jnp.int32(i))
  return jax.tree.map(np.asarray, state.params), state
assert len(jax.devices()) == 4
try:
  ensemble.check_batch(3, ensemble.make_mesh(2, 2))
  raise AssertionError('a batch of 3 was split over a data axis of 2')
except ValueError as e:
  assert 'does not divide' in str(e)
sharded, state = run(ensemble.make_mesh(2, 2))
assert len(state.params['Dense_0']['kernel'].sharding.device_set) == 4
single, _ = run(ensemble.make_mesh(1, 1, devices=jax.devices()[:1]))
jax.tree.map(lambda a, b: np.testing.assert_allclose(
    a, b, rtol=2e-4, atol=1e-6), sharded, single)
print('SHARDED_OK')
'''


def test_sharded_step_equals_single_device():
  env = dict(os.environ, XLA_FLAGS='--xla_force_host_platform_device_count=4',
             JAX_PLATFORMS='cpu')
  result = subprocess.run([sys.executable, '-c', _SHARDED], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
  assert 'SHARDED_OK' in result.stdout, result.stderr[-3000:]


def test_mesh_axes():
  assert dict(ensemble.make_mesh(1, -1).shape) == {'member': 1, 'data': 1}
  with pytest.raises(ValueError, match='At most one'):
    ensemble.make_mesh(-1, -1)
  with pytest.raises(ValueError, match='does not use'):
    ensemble.make_mesh(2, 1)
