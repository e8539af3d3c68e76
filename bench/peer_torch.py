r"""seisjax against PyTorch: the same networks, batch and optimiser, alternately.

  .venv/bin/pip install torch==2.13.0     # the optional `bench` extra
  python bench/peer_torch.py --config=configs/picker.py:cpu --members=1,3
  python bench/peer_torch.py --config=configs/precursor.py:cpu --members=1,3

The PyTorch networks are built from the config's `model` fields to match
seisjax's layer for layer (the picker CNN of Ross et al. 2018, or the
precursor CNN of Ong et al. with its random input layer; 'same' padding,
batch norm with the same momentum, max-pools padded like Flax's 'SAME'),
and trained with Adam at the config's rate on the same random batch with
the task's loss. seisjax runs its own jitted ensemble step
(`seisjax.engine.ensemble.jit_ensemble_step` of the registered task, the
backend's default way of running members), not a re-implementation. The two
are timed alternately, one step each, `--rounds` times in one process,
after warm-up; the medians are compared. For N members, one seisjax step of
the N-member ensemble is timed against N PyTorch models stepped one after
another. Inference the same, without gradients. Prints one JSON object with
the times and the ratios PyTorch time / seisjax time (above 1: seisjax is
faster).
"""

import json
import statistics
import sys
import time

from absl import app
from absl import flags
import jax
import jax.numpy as jnp
from ml_collections import config_flags
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from seisjax import registry
from seisjax.engine import ensemble
from seisjax.engine import train

config_flags.DEFINE_config_file('config', 'configs/picker.py:cpu',
                                'A picker or precursor config.')
flags.DEFINE_list('members', ['1', '3'], 'Ensemble sizes.')
flags.DEFINE_integer('rounds', 10, 'Timed rounds (one step of each).')
flags.DEFINE_integer('threads', 0, "PyTorch's intra-op threads (0: its "
                     'default, the cores).')
FLAGS = flags.FLAGS


def same_pool(x, size: int, stride: int):
  """Max-pool padded with -inf like Flax's 'SAME': ceil(length / stride)."""
  length = x.shape[-1]
  out = -(-length // stride)
  pad = max((out - 1) * stride + size - length, 0)
  x = F.pad(x, (pad // 2, pad - pad // 2), value=-float('inf'))
  return F.max_pool1d(x, size, stride)


class Block(nn.Module):
  """Convolution ('same'), batch norm, ReLU and max-pool."""

  def __init__(self, cin, cout, kernel, dilation, pool, stride, momentum):
    super().__init__()
    self.conv = nn.Conv1d(cin, cout, kernel, dilation=dilation,
                          padding='same')
    # PyTorch's momentum weighs the new statistics: 1 - Flax's.
    self.bn = nn.BatchNorm1d(cout, momentum=1 - momentum)
    self.pool, self.stride = pool, stride

  def forward(self, x):
    return same_pool(F.relu(self.bn(self.conv(x))), self.pool, self.stride)


class Picker(nn.Module):
  """seisjax.picking.model.PickerCNN in PyTorch."""

  def __init__(self, m, window: int):
    super().__init__()
    chans = (1, *m.filters)
    self.blocks = nn.Sequential(*[
        Block(chans[i], chans[i + 1], k, 1, m.pool_size, m.pool_size,
              m.bn_momentum) for i, k in enumerate(m.kernel_sizes)])
    width = window
    for _ in m.filters:
      width = -(-width // m.pool_size)
    units = (width * m.filters[-1], *m.dense_units)
    layers = []
    for a, b in zip(units, units[1:]):
      layers += [nn.Linear(a, b), nn.BatchNorm1d(b, momentum=1 - m.bn_momentum),
                 nn.ReLU()]
    self.dense = nn.Sequential(*layers, nn.Linear(units[-1], m.outputs))

  def forward(self, x):  # x: (batch, channels, time)
    y = self.blocks(x).transpose(1, 2).flatten(1)  # time-major, as Flax's
    return self.dense(y).squeeze(-1)


class Precursor(nn.Module):
  """seisjax.precursor.model.PrecursorCNN in PyTorch."""

  def __init__(self, m):
    super().__init__()
    self.m = m
    chans = (3, *m.filters)
    self.blocks = nn.Sequential(*[
        Block(chans[i], chans[i + 1], k, d, m.pool_size, s, m.bn_momentum)
        for i, (k, d, s) in enumerate(zip(m.kernel_sizes, m.dilations,
                                          m.pool_strides))])
    self.dense = nn.Linear(m.filters[-1], m.dense_units)
    self.drop = nn.Dropout(m.dropout_rate)
    self.out = nn.Linear(m.dense_units, 2)

  def forward(self, x):
    if self.training and self.m.random_input:
      kernel = torch.randn(3, 1, self.m.random_kernel_size)
      y = F.conv1d(x, kernel, padding='same', groups=3)
      rms = lambda v: v.square().mean(dim=(1, 2), keepdim=True).sqrt()
      level = float(np.random.uniform(*self.m.random_rms_range))
      x = x + y * level * rms(x) / (rms(y) + 1e-12)
    y = self.blocks(x).mean(-1)
    return self.out(self.drop(F.relu(self.dense(y))))


def torch_model(config):
  if config.task == 'precursor':
    return Precursor(config.model)
  return Picker(config.model, config.data.get('window_samples', 400))


def torch_loss(config, out, batch):
  if config.task == 'picker':
    return F.huber_loss(out, batch['pick'], delta=config.train.huber_delta)
  return F.cross_entropy(out, batch['label'])


def _median_s(fn, rounds, others):
  times = []
  for _ in range(rounds):
    for other in others:
      other()
    start = time.perf_counter()
    fn()
    times.append(time.perf_counter() - start)
  return statistics.median(times)


def compare(config, n_members: int, rounds: int) -> dict:
  """Median train-step and inference times of both, n members each."""
  task = registry.get_task(config.task)
  with config.unlocked():
    config.n_members = n_members
  shape = task.input_shape(config)
  rng = np.random.default_rng(0)
  b = config.train.batch_size
  batch = {'x': rng.normal(size=(b, *shape)).astype(np.float32),
           'label': rng.integers(0, 2, b).astype(np.int32),
           'pick': rng.uniform(-0.5, 0.5, b).astype(np.float32)}

  mesh = ensemble.make_mesh(1, -1)
  way = train.ensemble_way(config)
  model = task.make_model(config)
  state = ensemble.create_ensemble(
      model, train.make_optimizer(config.train), shape,
      ensemble.member_seeds(0, n_members), mesh)
  step = ensemble.jit_ensemble_step(train.make_train_step(task, config), mesh,
                                    way=way)
  predict = ensemble.jit_ensemble_predict(task.make_predict(model), mesh, way)
  holder = {'state': state}

  def jax_step():
    holder['state'], out = step(holder['state'], batch, jnp.int32(0))
    jax.block_until_ready(out)

  def jax_predict():
    jax.block_until_ready(predict(
        {'params': holder['state'].params,
         'batch_stats': holder['state'].batch_stats}, batch['x']))

  nets = [torch_model(config) for _ in range(n_members)]
  opts = [torch.optim.Adam(n.parameters(), lr=config.train.learning_rate)
          for n in nets]
  tbatch = {'x': torch.from_numpy(batch['x']).transpose(1, 2).contiguous(),
            'label': torch.from_numpy(batch['label']).long(),
            'pick': torch.from_numpy(batch['pick'])}

  def torch_step():
    for net, opt in zip(nets, opts):
      net.train()
      opt.zero_grad(set_to_none=True)
      loss = torch_loss(config, net(tbatch['x']), tbatch)
      loss.backward()
      opt.step()

  def torch_predict():
    with torch.no_grad():
      for net in nets:
        net.eval()
        net(tbatch['x'])

  for fn in (jax_step, jax_predict, torch_step, torch_predict):  # Warm-up.
    fn()
    fn()
  out = {'members': n_members, 'batch_size': b, 'seisjax_way': way}
  out['seisjax_step_s'] = _median_s(jax_step, rounds, [torch_step])
  out['torch_step_s'] = _median_s(torch_step, rounds, [jax_step])
  out['seisjax_predict_s'] = _median_s(jax_predict, rounds, [torch_predict])
  out['torch_predict_s'] = _median_s(torch_predict, rounds, [jax_predict])
  out['step_ratio'] = out['torch_step_s'] / out['seisjax_step_s']
  out['predict_ratio'] = out['torch_predict_s'] / out['seisjax_predict_s']
  n_params = ensemble.n_params(state.params) // n_members
  out['params_per_member'] = {
      'seisjax': int(n_params),
      'torch': int(sum(p.numel() for p in nets[0].parameters()))}
  return out


def main(argv):
  del argv
  if FLAGS.threads:
    torch.set_num_threads(FLAGS.threads)
  config = FLAGS.config
  runs = [compare(config, int(n), FLAGS.rounds) for n in FLAGS.members]
  json.dump({'device': str(jax.devices()[0]), 'task': config.task,
             'torch': torch.__version__, 'jax': jax.__version__,
             'torch_threads': torch.get_num_threads(), 'runs': runs},
            sys.stdout, indent=2)
  print()


if __name__ == '__main__':
  app.run(main)
