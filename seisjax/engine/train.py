"""Trains a seed ensemble and writes its evaluation: the shared engine.

`train_and_evaluate(config, workdir, task)` is the whole run: data, N
members trained at once (vmap) on a ('member', 'data') mesh, the best
weights of each member by validation score, optional early stopping, Orbax
checkpoints that resume, and at the end the task's tables and figures for
the best weights and `summary.json`. Everything that differs between
studies (data, model, loss, random streams, validation score, evaluation)
comes from the task (`seisjax.engine.task.Task`), which the caller resolves
and hands in. `fit` is the training part alone, for drivers that train on
modified data (the precursor's permutation test); `load_best` reads the
best weights of a run for inference, without an optimiser.
"""

import contextlib
import functools
import importlib.metadata
import json
import logging
import os
import signal
import threading

import jax
import jax.numpy as jnp
import numpy as np
import optax

from seisjax.engine import checkpointing
from seisjax.engine import data
from seisjax.engine import distributed
from seisjax.engine import ensemble
from seisjax.engine import validation
from seisjax.engine import workdir as workdir_lib
from seisjax.engine import writers

log = logging.getLogger(__name__)

# Counts how often the jitted ensemble step is traced (a test checks once).
TRACES = ensemble.TRACES


class Interrupted(Exception):
  """Raised after SIGINT/SIGTERM, once a checkpoint of the step is saved."""


def step_rngs(key, rng_streams, epoch, step) -> dict:
  """The keys of a task's random streams for one training step.

  Stream i (from 1) of `rng_streams` is folded from the member's key with
  i, then with the epoch or the step, as the stream asks (see
  `seisjax.engine.task.Task.rng_streams`).
  """
  counters = {'epoch': epoch, 'step': step}
  rngs = {}
  for i, (name, per) in enumerate(rng_streams, start=1):
    if per not in counters:
      raise ValueError(f'RNG stream {name!r} changes per {per!r}; '
                       f'known: {sorted(counters)}.')
    rngs[name] = jax.random.fold_in(jax.random.fold_in(key, i),
                                    counters[per])
  return rngs


def train_step(state: ensemble.TrainState, batch, epoch, loss_fn,
               rng_streams=(), microbatches: int = 1):
  """One optimisation step of one member (over members: `map_members`).

  Args:
    state: the member's state.
    batch: a dict with 'x' (batch, time, channels) and the task's targets
      (this member's, where members have their own: see `fit`).
    epoch: scalar, for the random streams redrawn once per epoch.
    loss_fn: `(outputs, batch) -> (loss, metrics)`, the task's loss.
    rng_streams: the task's random streams (`Task.rng_streams`).
    microbatches: the batch is split into this many equal parts whose
      gradients are averaged before one update (gradient accumulation:
      activation memory of one part). The same as the whole batch for a
      model whose outputs do not depend on the batch; with batch norm each
      part normalises by its own statistics and updates the running ones
      in turn, and per-step random streams differ per part.

  Returns:
    The new state and {'loss', **metrics} (means over the parts).
  """
  rngs = step_rngs(jax.random.wrap_key_data(state.key), rng_streams, epoch,
                   state.step)

  def loss_and_grads(batch_stats, part, part_rngs):
    def loss_and_metrics(params):
      outputs, updates = state.apply_fn(
          {'params': params, 'batch_stats': batch_stats}, part['x'],
          train=True, rngs=part_rngs, mutable=['batch_stats'])
      loss, step_metrics = loss_fn(outputs, part)
      return loss, (step_metrics, updates['batch_stats'])
    (loss, (step_metrics, batch_stats)), grads = jax.value_and_grad(
        loss_and_metrics, has_aux=True)(state.params)
    return grads, batch_stats, {'loss': loss, **step_metrics}

  if microbatches == 1:
    grads, batch_stats, step_metrics = loss_and_grads(state.batch_stats,
                                                      batch, rngs)
  else:
    per_step = {name for name, per in rng_streams if per == 'step'}
    parts = jax.tree.map(
        lambda v: v.reshape(microbatches, v.shape[0] // microbatches,
                            *v.shape[1:]), batch)

    # A Python loop, not a scan: XLA's CPU backend runs convolutions inside
    # loops many times slower (docs/scale.md). Each part waits for the
    # previous part's gradients, so that the parts run one after another in
    # the activation memory of one.
    grads, batch_stats, part_metrics = None, state.batch_stats, []
    for i in range(microbatches):
      part = jax.tree.map(lambda v, i=i: v[i], parts)
      if grads is not None:
        part = {**part, 'x': ensemble.run_after(part['x'], grads)}
      part_rngs = {k: jax.random.fold_in(v, i) if k in per_step else v
                   for k, v in rngs.items()}
      part_grads, batch_stats, metrics = loss_and_grads(batch_stats, part,
                                                        part_rngs)
      grads = part_grads if grads is None else jax.tree.map(
          jnp.add, grads, part_grads)
      part_metrics.append(metrics)
    grads = jax.tree.map(lambda g: g / microbatches, grads)
    step_metrics = jax.tree.map(lambda *m: jnp.mean(jnp.stack(m)),
                                *part_metrics)
  state = state.apply_gradients(grads=grads, batch_stats=batch_stats)
  return state, step_metrics


# The way of running the members per backend that 'auto' picks, from
# bench/train_throughput.py (docs/scale.md). On a CPU 'unroll' and 'chain'
# are equally fast (within the noise of a 2-core machine) and faster than
# 'vmap'; 'chain' needs the memory of one member. Elsewhere 'vmap'.
FASTEST_WAY = {'cpu': 'chain'}


def ensemble_way(config) -> str:
  """`config.train.ensemble_way`, 'auto' resolved for this backend."""
  way = config.train.get('ensemble_way', 'auto')
  if way == 'auto':
    return FASTEST_WAY.get(jax.default_backend(), 'vmap')
  return way


def make_train_step(task, config):
  """`train_step` with the loss, random streams and micro-batches."""
  return functools.partial(
      train_step, loss_fn=functools.partial(task.loss, config=config),
      rng_streams=tuple(task.rng_streams),
      microbatches=config.train.get('microbatches', 1))


def make_optimizer(train_config,
                   total_steps: int = 1) -> optax.GradientTransformation:
  """Adam as in both papers, or SGD with momentum.

  The learning rate is constant (`train.lr_schedule='constant'`, the
  papers') or decays to 0 along a cosine over `total_steps` ('cosine').
  """
  lr = train_config.learning_rate
  schedule = train_config.get('lr_schedule', 'constant')
  if schedule == 'cosine':
    lr = optax.cosine_decay_schedule(lr, max(total_steps, 1))
  elif schedule != 'constant':
    raise ValueError(f"lr_schedule must be 'constant' or 'cosine', got "
                     f'{schedule!r}.')
  if train_config.optimizer == 'adam':
    return optax.adam(lr)
  if train_config.optimizer == 'sgd':
    return optax.sgd(lr, momentum=0.9)
  raise ValueError(f"optimizer must be 'adam' or 'sgd', got "
                   f'{train_config.optimizer!r}.')


@jax.jit
def update_best(best, state, val_score, epoch):
  """Keeps each member's weights where its validation score improved."""
  improved = val_score > best['val_score']

  def pick(new, old):
    return jnp.where(improved.reshape((-1,) + (1,) * (new.ndim - 1)), new,
                     old)

  return {'params': jax.tree.map(pick, state.params, best['params']),
          'batch_stats': jax.tree.map(pick, state.batch_stats,
                                      best['batch_stats']),
          'val_score': jnp.where(improved, val_score, best['val_score']),
          'epoch': jnp.where(improved, epoch, best['epoch'])}


def _initial_best(state):
  n = state.step.shape[0]
  # Copies: the train step donates (and so deletes) the state's buffers.
  copy = lambda tree: jax.tree.map(jnp.copy, tree)
  # On the members' sharding, as the state: a run of several processes
  # holds only global arrays.
  on_members = lambda x: jax.device_put(x, state.step.sharding)
  return {'params': copy(state.params),
          'batch_stats': copy(state.batch_stats),
          'val_score': on_members(np.full((n,), -np.inf, np.float32)),
          'epoch': on_members(np.zeros((n,), np.int32))}


def should_stop(best, epochs_done: int, patience: int) -> bool:
  """Early stopping: no member improved in the last `patience` epochs."""
  if patience <= 0:
    return False
  return bool(np.all(epochs_done - distributed.to_host(best['epoch'])
                     >= patience))


@contextlib.contextmanager
def _stop_on_signals():
  """Turns SIGINT/SIGTERM into a flag the loop checks after each step."""
  stop = threading.Event()
  if threading.current_thread() is not threading.main_thread():
    yield stop
    return
  previous = {s: signal.signal(s, lambda *_: stop.set())
              for s in (signal.SIGINT, signal.SIGTERM)}
  try:
    yield stop
  finally:
    for s, handler in previous.items():
      signal.signal(s, handler)


def _write_run_info(config, workdir, datasets, mesh):
  writers.write_text(config.to_json_best_effort(indent=2),
                     os.path.join(workdir, 'config.json'))
  writers.write_json(
      {'dataset': datasets.dataset_name,
       'dataset_version': datasets.dataset_version,
       'seisjax_version': importlib.metadata.version('seisjax'),
       'jax_version': jax.__version__,
       'devices': [str(d) for d in jax.devices()],
       'mesh': dict(mesh.shape),
       'splits': dict(datasets.splits)},
      os.path.join(workdir, 'run.json'))


def _initial_checkpoint_state(config, task, mesh, total_steps: int = 1):
  """The model and a freshly initialised {'train', 'best'} ensemble state.

  This is what a checkpoint holds; a restore uses it for structure and
  shardings (`total_steps` sets the schedule, not the structure).
  """
  model = task.make_model(config)
  seeds = ensemble.member_seeds(config.seed, config.n_members)
  state = ensemble.create_ensemble(
      model, make_optimizer(config.train, total_steps),
      task.input_shape(config), seeds, mesh)
  return model, {'train': state, 'best': _initial_best(state)}


def load_best(config, task, workdir: str, mesh):
  """The model and the best weights of every member in `workdir`.

  Reads only the best weights from the last checkpoint: no optimiser is
  built and its state is not read, so inference needs nothing of training.

  Returns:
    (model, variables) with variables {'params', 'batch_stats'} stacked over
    members, as kept by validation score during training.
  """
  model = task.make_model(config)
  checkpointer = checkpointing.Checkpointer(
      os.path.join(workdir, 'checkpoints'))
  step = checkpointer.latest_step()
  if step is None:
    raise FileNotFoundError(f'No checkpoint in {workdir}/checkpoints: train '
                            'with the same config first.')
  abstract = ensemble.abstract_variables(model, task.input_shape(config),
                                         config.n_members, mesh)
  best = checkpointer.restore_part(step, {'best': abstract})['best']
  checkpointer.close()
  return model, best


def _init_from(config, task, mesh, ckpt_state):
  """Starts every member from the best weights of the run in init_from.

  Fine-tuning: e.g. a picker trained on the synthetic data, trained on
  further on real records. The runs must have the same model and ensemble
  size; member i starts from member i. The optimiser starts afresh.
  """
  with open(os.path.join(config.init_from, 'config.json')) as f:
    n_members = json.load(f)['n_members']
  if n_members != config.n_members:
    raise ValueError(f'init_from={config.init_from} has {n_members} members, '
                     f'this run {config.n_members}.')
  _, variables = load_best(config, task, config.init_from, mesh)
  log.info('Members initialised from the best weights in %s.',
           config.init_from)
  state = ckpt_state['train'].replace(**variables)
  return {'train': state, 'best': _initial_best(state)}


def check_config(config, task) -> None:
  """Refuses impossible settings before any work (engine's and task's)."""
  validation.check_engine_fields(config)
  task.check_config(config)


@contextlib.contextmanager
def open_run(config, workdir: str, task):
  """Checks `config`, locks `workdir` and checks it holds this run.

  Nothing in the workdir changes before all three pass
  (`seisjax.engine.workdir`).
  """
  check_config(config, task)
  with workdir_lib.open_run(config, workdir, task.continuing_fields):
    yield


def train_and_evaluate(config, workdir: str, task) -> dict:
  """Trains the ensemble of `config` in `workdir` and returns the summary.

  Args:
    config: the run's config.
    workdir: where everything goes; rerun to resume.
    task: the study's `seisjax.engine.task.Task`.

  Returns:
    The task's summary with the best epoch of each member, as written to
    `<workdir>/summary.json`.
  """
  with open_run(config, workdir, task):
    datasets = task.get_datasets(config)
    predict_fn, variables, best_epoch = fit(config, workdir, task, datasets)
    summary = task.evaluate(config, workdir, datasets, predict_fn, variables)
    summary['best_epoch'] = best_epoch.tolist()
    writers.write_json(summary, os.path.join(workdir, 'summary.json'))
  return summary


def fit(config, workdir: str, task, datasets, batch_in_axes=None):
  """Trains the ensemble of `config` on `datasets`, resuming from `workdir`.

  Args:
    config: the run's config.
    workdir: where checkpoints, metrics and run info go.
    task: the study's `seisjax.engine.task.Task`.
    datasets: `task.get_datasets(config)`, or a variant of it (the
      permutation test's has per-member labels).
    batch_in_axes: None when members share each batch; else the vmap axis of
      each batch entry (`ensemble.jit_ensemble_step`).

  Returns:
    (predict_fn, variables, best_epoch): the jitted ensemble prediction,
    the best weights of every member ({'params', 'batch_stats'} stacked over
    members) and the epoch at which each member reached them, (members,).
  """
  with open_run(config, workdir, task):
    return _fit(config, workdir, task, datasets, batch_in_axes)


def _fit(config, workdir, task, datasets, batch_in_axes):
  mesh = ensemble.make_mesh(config.mesh.member, config.mesh.data)
  ensemble.check_batch(config.train.batch_size, mesh)
  ensemble.check_batch(config.train.eval_batch_size, mesh)
  steps_per_epoch = len(datasets.train) // config.train.batch_size
  if not steps_per_epoch:
    raise validation.ConfigError(
        f'config.train.batch_size ({config.train.batch_size}) is larger than '
        f'the training set ({len(datasets.train)} windows): no step would '
        'train. Lower it, or train on more data.')
  total_steps = steps_per_epoch * config.train.num_epochs
  model, ckpt_state = _initial_checkpoint_state(config, task, mesh,
                                                total_steps)
  log.info('%d members of %d parameters each.', config.n_members,
           ensemble.n_params(ckpt_state['train'].params) // config.n_members)

  batch_size = config.train.batch_size
  shardings = (ensemble.data_sharding(mesh) if batch_in_axes is None else
               {k: ensemble.batch_sharding(mesh, a)
                for k, a in batch_in_axes.items()})
  multi = jax.process_count() > 1
  # Each process reads only its rows of every global batch.
  rows = (distributed.local_rows(ensemble.data_sharding(mesh), batch_size)
          if multi else None)
  iterator = data.train_iterator(
      datasets.train, batch_size, config.train.num_epochs,
      config.train.shuffle_seed, rows=rows)

  def global_batch(local):
    if not multi:
      return local
    return {k: distributed.to_global(
        v, shardings if batch_in_axes is None else shardings[k], batch_size)
            for k, v in local.items()}
  checkpointer = checkpointing.Checkpointer(
      os.path.join(workdir, 'checkpoints'), config.train.max_checkpoints)
  start = checkpointer.latest_step() or 0
  if start:
    log.info('Resuming from the checkpoint of step %d.', start)
    ckpt_state = checkpointer.restore(start, ckpt_state, iterator)
  elif config.get('init_from'):
    ckpt_state = _init_from(config, task, mesh, ckpt_state)
  # Written once the run is known to be valid and its state restored.
  _write_run_info(config, workdir, datasets, mesh)
  writer = writers.MetricWriter(workdir)
  writer.drop_after(start)  # Lines of steps the checkpoint does not hold.

  way = ensemble_way(config)
  step_fn = ensemble.jit_ensemble_step(make_train_step(task, config), mesh,
                                       batch_in_axes=batch_in_axes, way=way)
  predict_fn = ensemble.jit_ensemble_predict(task.make_predict(model), mesh,
                                             way)
  progress = writers.Progress(total_steps, config.train.batch_size)
  pending = []  # Metrics of steps not yet checked, kept on device.

  def check_and_log(step):
    stacked = jax.tree.map(
        lambda *m: np.stack([distributed.to_host(v) for v in m]), *pending)
    pending.clear()
    loss = stacked['loss']  # (steps, members)
    if not np.all(np.isfinite(loss)):
      checkpointer.wait()
      bad = np.where(~np.all(np.isfinite(loss), axis=0))[0].tolist()
      last = checkpointer.latest_step()
      kept = (f'The last good checkpoint (step {last}) is in {workdir}'
              if last else f'No checkpoint was saved in {workdir} yet')
      raise FloatingPointError(
          f'Non-finite loss by step {step} in members {bad}. {kept}; lower '
          'the learning rate or check the data.')
    scalars = {f'train_{k}': v.mean(0) for k, v in stacked.items()}
    writer.write_scalars(step, scalars)
    log.info('%s | %s', progress.line(step), ' '.join(
        f'{k[6:]} {v.mean():.4g}' for k, v in scalars.items()))

  patience = config.train.get('patience', 0)
  with _stop_on_signals() as stop:
    for step in range(start + 1, total_steps + 1):
      epochs_done = (step - 1) // steps_per_epoch
      if (step - 1) % steps_per_epoch == 0 and should_stop(
          ckpt_state['best'], epochs_done, patience):
        log.info('Early stop after epoch %d: no member improved its '
                 'validation score in %d epochs.', epochs_done, patience)
        break
      epoch = (step - 1) // steps_per_epoch
      batch = global_batch(next(iterator))
      ckpt_state['train'], step_metrics = step_fn(
          ckpt_state['train'], batch, jnp.int32(epoch))
      pending.append(step_metrics)
      end_of_epoch = step % steps_per_epoch == 0
      if step % config.train.log_every_steps == 0 or end_of_epoch:
        check_and_log(step)
      if end_of_epoch:
        state = ckpt_state['train']
        val_score, val_scalars = task.validate(
            predict_fn, {'params': state.params,
                         'batch_stats': state.batch_stats},
            datasets.val, config)
        ckpt_state['best'] = update_best(ckpt_state['best'], state,
                                         jnp.asarray(val_score),
                                         jnp.int32(epoch + 1))
        writer.write_scalars(step, {'epoch': epoch + 1, **val_scalars})
        log.info('epoch %d: %s', epoch + 1, ', '.join(
            f'{k} per member {np.round(v, 4).tolist()}'
            for k, v in val_scalars.items()))
      stopping = distributed.any_process(stop.is_set())
      if end_of_epoch or stopping:
        if pending:
          check_and_log(step)
        checkpointer.save(step, ckpt_state, iterator)
      if stopping:
        checkpointer.wait()
        raise Interrupted(f'Interrupted at step {step}; checkpoint saved in '
                          f'{workdir}. Run the same command to resume.')
  checkpointer.wait()
  checkpointer.close()

  best = ckpt_state['best']
  variables = {'params': best['params'], 'batch_stats': best['batch_stats']}
  return predict_fn, variables, distributed.to_host(best['epoch'])
