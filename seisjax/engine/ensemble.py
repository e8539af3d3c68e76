"""Seed ensembles: N members trained at once with `jax.vmap`, on a mesh.

Member i is initialised from seed `config.seed + i`, so member i of an
N-member run is the same model as a solo run with `--config.seed=i` (the
batches are shared and come from `config.train.shuffle_seed`). Stacked states
carry a leading member axis, sharded over the mesh axis 'member'; batches are
sharded over 'data'.
"""

import collections
import functools
import math
from typing import Any, Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax.training import train_state
from jax.sharding import AxisType, NamedSharding, PartitionSpec as P

from seisjax.engine import data as data_lib
from seisjax.engine import distributed


class TrainState(train_state.TrainState):
  batch_stats: Any
  key: jax.Array  # Raw uint32 key data of this member's seed.


def make_mesh(member: int = 1, data: int = -1,
              devices=None) -> jax.sharding.Mesh:
  """A ('member', 'data') mesh; -1 takes the devices left over."""
  devices = list(jax.devices() if devices is None else devices)
  n = len(devices)
  if member == -1 and data == -1:
    raise ValueError('At most one mesh axis can be -1.')
  member = n // data if member == -1 else member
  data = n // member if data == -1 else data
  if member * data != n:
    raise ValueError(f'Mesh {member} x {data} does not use the {n} devices.')
  # The data axis runs over the devices in process order, so that each
  # process holds one block of a batch's rows and reads only those
  # (`distributed.local_rows`); the member axis runs within a block.
  devices = sorted(devices, key=lambda d: (d.process_index, d.id))
  grid = np.array(devices, dtype=object).reshape(data, member).T
  # Auto axes: shardings are given at the jit boundary and XLA propagates
  # them, so the model code needs no sharding annotations.
  return jax.sharding.Mesh(grid, ('member', 'data'),
                           axis_types=(AxisType.Auto, AxisType.Auto))


def member_seeds(seed: int, n_members: int) -> np.ndarray:
  return np.arange(seed, seed + n_members)


def init_variables(model: nn.Module, input_shape: tuple[int, ...],
                   key: jax.Array) -> dict:
  """One member's {'params', 'batch_stats'} from raw key data (vmappable).

  A model without batch norm gets empty batch statistics.
  """
  variables = model.init(
      {'params': jax.random.wrap_key_data(key)},
      jnp.zeros((1, *input_shape), jnp.float32), train=False)
  return {'params': variables['params'],
          'batch_stats': variables.get('batch_stats', {})}


def create_train_state(model: nn.Module, tx: optax.GradientTransformation,
                       input_shape: tuple[int, ...],
                       key: jax.Array) -> TrainState:
  """One member's state, initialised from raw key data (vmappable)."""
  variables = init_variables(model, input_shape, key)
  return TrainState.create(apply_fn=model.apply, tx=tx, key=key, **variables)


def create_ensemble(model, tx, input_shape, seeds, mesh) -> TrainState:
  """Stacked states of all members (member i from `seeds[i]`), on the mesh."""
  if len(seeds) % mesh.shape['member']:
    raise ValueError(f'{len(seeds)} members do not divide over the mesh '
                     f'member axis of size {mesh.shape["member"]}.')
  init = functools.partial(create_train_state, model, tx, input_shape)
  keys = jnp.stack([jax.random.key_data(jax.random.key(int(s)))
                    for s in seeds])
  return jax.jit(jax.vmap(init), out_shardings=member_sharding(mesh))(keys)


def abstract_variables(model: nn.Module, input_shape: tuple[int, ...],
                       n_members: int, mesh) -> dict:
  """Shapes, dtypes and shardings of stacked {'params', 'batch_stats'}.

  Computed without running the model or building an optimiser: what a
  restore of the weights alone needs (`checkpointing.restore_part`).
  """
  key_shape = jax.random.key_data(jax.random.key(0)).shape
  keys = jax.ShapeDtypeStruct((n_members, *key_shape), jnp.uint32)
  shapes = jax.eval_shape(
      jax.vmap(functools.partial(init_variables, model, input_shape)), keys)
  sharding = member_sharding(mesh)
  return jax.tree.map(
      lambda s: jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=sharding),
      shapes)


def member_sharding(mesh) -> NamedSharding:
  return NamedSharding(mesh, P('member'))


def data_sharding(mesh) -> NamedSharding:
  return NamedSharding(mesh, P('data'))


def replicated(mesh) -> NamedSharding:
  return NamedSharding(mesh, P())


def check_batch(batch_size: int, mesh) -> None:
  if batch_size % mesh.shape['data']:
    raise ValueError(f'Batch size {batch_size} does not divide over the mesh '
                     f'data axis of size {mesh.shape["data"]}.')


def batch_sharding(mesh, member_axis: int | None) -> NamedSharding:
  """Sharding of a batch entry whose axis 0 is the batch.

  Args:
    mesh: the ('member', 'data') mesh.
    member_axis: None for an entry shared by members, else the axis that
      holds the members (>= 1, e.g. labels of shape (batch, members)).
  """
  if member_axis is None:
    return data_sharding(mesh)
  if member_axis < 1:
    raise ValueError(f'Axis 0 of a batch entry is the batch; the member axis '
                     f'must be >= 1, got {member_axis}.')
  return NamedSharding(mesh, P('data', *[None] * (member_axis - 1),
                               'member'))


WAYS = ('vmap', 'unroll', 'chain', 'map')
# Counts how often each jitted ensemble function is traced (a test checks
# that the train step is traced once).
TRACES = collections.Counter()


def _floating(tree) -> bool:
  return any(jnp.issubdtype(v.dtype, jnp.floating)
             for v in jax.tree.leaves(tree))


def run_after(value, previous):
  """`value`, usable only once `previous` exists: one thing after another.

  Running members (or micro-batches) one after another lets XLA reuse one's
  activation memory for the next. `jax.lax.optimization_barrier` says so
  on accelerators, but XLA's CPU pipeline drops barriers before it
  schedules, so the floating leaves of `value` also get a data dependency:
  plus 0 x a scalar of `previous` (in a where(), which XLA does not fold;
  a non-finite scalar adds nothing, so one member's NaN stays its own).
  Pass what the first layer needs (the windows), not a whole train state:
  gating every leaf of one makes XLA's compilation ten times slower.
  """
  value, previous = jax.lax.optimization_barrier((value, previous))
  # One element of every leaf: all of `previous` (a step counter is ready
  # long before the gradients).
  scalar = sum(leaf.ravel()[0].astype(jnp.float32)
               for leaf in jax.tree.leaves(previous))
  zero = jnp.where(jnp.isfinite(scalar), scalar * 0, 0)

  def gate(v):
    if jnp.issubdtype(v.dtype, jnp.floating):
      return v + zero.astype(v.dtype)
    return v
  return jax.tree.map(gate, value)


def map_members(member_fn: Callable, in_axes: tuple,
                way: str = 'vmap') -> Callable:
  """`member_fn` over stacked members, in one of four ways.

  All four run the N members in one jitted call and give the same results
  up to float rounding; which is fastest depends on the backend, measured
  by bench/train_throughput.py (the engine's default, 'auto', follows it:
  `seisjax.engine.train.ensemble_way`).
  - 'vmap': `jax.vmap`, the members batched into every operation (a
    convolution becomes one grouped convolution). One call keeps an
    accelerator busy; XLA's CPU grouped convolutions are slow.
  - 'unroll': a Python loop over the members inside the jitted function:
    N copies of the one-member graph, which XLA schedules as it likes.
  - 'chain': 'unroll' with each member's inputs held back until the
    previous member's outputs exist (`run_after`): one member after
    another in the activation memory of one, without a loop (XLA's CPU
    backend runs convolutions inside loops many times slower).
  - 'map': `jax.lax.map`, one member after another in a loop: the memory
    of one member's activations, at any N.

  Args:
    member_fn: a function of one member's arguments.
    in_axes: as for `jax.vmap`, one entry per argument: 0 for a stacked
      argument, None for a shared one, or for a dict argument a dict of
      per-entry axes (None shared, an int the member axis).
    way: one of WAYS.
  """
  if way == 'vmap':
    return jax.vmap(member_fn, in_axes=in_axes)
  if way not in WAYS:
    raise ValueError(f'way must be one of {WAYS}, got {way!r}.')

  def split(arg, axes):
    """(mapped part with the member axis first, shared part)."""
    if axes is None:
      return {}, arg
    if isinstance(axes, int):
      return jax.tree.map(lambda v: jnp.moveaxis(v, axes, 0), arg), None
    mapped = {k: jnp.moveaxis(v, axes[k], 0) for k, v in arg.items()
              if axes.get(k) is not None}
    shared = {k: v for k, v in arg.items() if axes.get(k) is None}
    return mapped, shared

  def run(*args):
    parts = [split(a, ax) for a, ax in zip(args, in_axes, strict=True)]

    def one(mapped, shared):
      return member_fn(*[
          {**sh, **m} if isinstance(axes, dict)
          else sh if axes is None else m
          for sh, m, axes in zip(shared, mapped, in_axes)])

    mapped = [m for m, _ in parts]
    shared = [sh for _, sh in parts]
    if way == 'map':
      return jax.lax.map(lambda m: one(m, shared), mapped)
    n = len(jax.tree.leaves(mapped)[0])
    outs = []
    for i in range(n):
      member = jax.tree.map(lambda v, i=i: v[i], mapped)
      member_shared = shared
      if way == 'chain' and outs:
        # The shared windows wait for the previous member (the member's
        # own inputs if nothing floating is shared).
        if _floating(shared):
          member_shared = run_after(shared, outs[-1])
        else:
          member = run_after(member, outs[-1])
      outs.append(one(member, member_shared))
    return jax.tree.map(lambda *v: jnp.stack(v), *outs)
  return run


def jit_ensemble_step(member_step: Callable, mesh,
                      batch_in_axes: dict[str, int | None] | None = None,
                      way: str = 'vmap') -> Callable:
  """vmaps `member_step(state, batch, epoch)` over members and jits it.

  State, and so the per-member keys, are mapped. By default the batch is
  shared by members (in_axes None). `batch_in_axes` gives one in_axes per
  batch entry instead, so that members can see different targets on the same
  windows, e.g. {'x': None, 'label': 1} with labels (batch, members) for the
  permutation test (seisjax/precursor/significance.py) or bootstrap weights.
  `way` chooses how the members run (`map_members`). The stacked state is
  donated so memory is reused between steps.
  """
  if batch_in_axes is None:
    in_batch = data_sharding(mesh)
  else:
    in_batch = {k: batch_sharding(mesh, a) for k, a in batch_in_axes.items()}
  mapped = map_members(member_step, (0, batch_in_axes, None), way)

  def step(state, batch, epoch):
    TRACES['train_step'] += 1
    return mapped(state, batch, epoch)

  return jax.jit(
      step,
      in_shardings=(member_sharding(mesh), in_batch, replicated(mesh)),
      out_shardings=(member_sharding(mesh), member_sharding(mesh)),
      donate_argnums=0)


def jit_ensemble_predict(member_predict: Callable, mesh,
                         way: str = 'vmap') -> Callable:
  """`member_predict(variables, x)` over members (`map_members`), jitted.

  `x` is a whole batch, the same in every process (each passes its rows on
  in a run of several processes); the output is a global array sharded
  over ('member', 'data'): `distributed.to_host` reads it.
  """
  jitted = jax.jit(map_members(member_predict, (0, None), way),
                   in_shardings=(member_sharding(mesh), data_sharding(mesh)),
                   out_shardings=NamedSharding(mesh, P('member', 'data')))
  sharding = data_sharding(mesh)

  def predict(variables, x):
    if jax.process_count() > 1:
      lo, hi = distributed.local_rows(sharding, len(x))
      x = distributed.to_global(x[lo:hi], sharding, len(x))
    return jitted(variables, x)
  return predict


def eval_step(predict_fn, variables, windows, batch_size) -> np.ndarray:
  """Every member's output on every window of a set: (members, n, ...).

  Args:
    predict_fn: from `jit_ensemble_predict`.
    variables: stacked over members.
    windows: a `data_lib.WindowSource`, or an array of inputs.
    batch_size: a multiple of the mesh's data axis.
  """
  out = [distributed.to_host(predict_fn(variables, x))[:, :n]
         for x, n in data_lib.padded_batches(windows, batch_size)]
  return np.concatenate(out, axis=1)


def n_params(params) -> int:
  return sum(math.prod(p.shape) for p in jax.tree.leaves(params))
