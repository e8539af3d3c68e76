"""Seed ensembles: N members trained at once with `jax.vmap`, on a mesh.

Member i is initialised from seed `config.seed + i`, so member i of an
N-member run is the same model as a solo run with `--config.seed=i` (the
batches are shared and come from `config.train.shuffle_seed`). Stacked states
carry a leading member axis, sharded over the mesh axis 'member'; batches are
sharded over 'data'.
"""

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
  # Auto axes: shardings are given at the jit boundary and XLA propagates
  # them, so the model code needs no sharding annotations.
  return jax.make_mesh((member, data), ('member', 'data'), devices=devices,
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


def jit_ensemble_step(member_step: Callable, mesh,
                      batch_in_axes: dict[str, int | None] | None = None
                      ) -> Callable:
  """vmaps `member_step(state, batch, epoch)` over members and jits it.

  State, and so the per-member keys, are mapped. By default the batch is
  shared by members (in_axes None). `batch_in_axes` gives one in_axes per
  batch entry instead, so that members can see different targets on the same
  windows, e.g. {'x': None, 'label': 1} with labels (batch, members) for the
  permutation test (seisjax/precursor/significance.py) or bootstrap weights. The
  stacked state is donated so memory is reused between steps.
  """
  if batch_in_axes is None:
    in_batch = data_sharding(mesh)
  else:
    in_batch = {k: batch_sharding(mesh, a) for k, a in batch_in_axes.items()}
  step = jax.vmap(member_step, in_axes=(0, batch_in_axes, None))
  return jax.jit(
      step,
      in_shardings=(member_sharding(mesh), in_batch, replicated(mesh)),
      out_shardings=(member_sharding(mesh), member_sharding(mesh)),
      donate_argnums=0)


def jit_ensemble_predict(member_predict: Callable, mesh) -> Callable:
  """vmaps `member_predict(variables, x)` over members and jits it."""
  return jax.jit(jax.vmap(member_predict, in_axes=(0, None)),
                 in_shardings=(member_sharding(mesh), data_sharding(mesh)),
                 out_shardings=NamedSharding(mesh, P('member', 'data')))


def eval_step(predict_fn, variables, windows, batch_size) -> np.ndarray:
  """Every member's output on every window of a set: (members, n, ...).

  Args:
    predict_fn: from `jit_ensemble_predict`.
    variables: stacked over members.
    windows: a `data_lib.WindowSource`, or an array of inputs.
    batch_size: a multiple of the mesh's data axis.
  """
  out = [np.asarray(predict_fn(variables, x))[:, :n]
         for x, n in data_lib.padded_batches(windows, batch_size)]
  return np.concatenate(out, axis=1)


def n_params(params) -> int:
  return sum(math.prod(p.shape) for p in jax.tree.leaves(params))
