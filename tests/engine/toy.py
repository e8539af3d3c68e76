"""A toy task for the engine's tests: no TFDS, no seismology.

Windows of 32 samples, 2 channels, of Gaussian noise; the label says
whether channel 0 has a positive mean. A small network with batch norm and
dropout (so that batch statistics and a random stream are exercised)
learns it within an epoch or two.
"""

import dataclasses

import flax.linen as nn
import jax
import ml_collections
import numpy as np

from seisjax.engine import ensemble
from seisjax.engine import losses
from seisjax.engine import validation

SHAPE = (32, 2)


@dataclasses.dataclass
class ArraySource:
  """Windows and labels as a window source (len, getitem)."""
  x: np.ndarray  # (n, time, channels)
  label: np.ndarray  # (n,) or (members, n)

  def __len__(self) -> int:
    return len(self.x)

  def __getitem__(self, i):
    return {'x': self.x[i], 'label': self.label[..., i].astype(np.int32)}


@dataclasses.dataclass
class ToyDatasets:
  train: ArraySource
  val: ArraySource
  splits: dict
  dataset_name: str = 'toy'
  dataset_version: str = '1.0.0'


def make_source(n: int, seed: int) -> ArraySource:
  rng = np.random.default_rng(seed)
  label = rng.integers(0, 2, n)
  x = rng.normal(size=(n, *SHAPE)).astype(np.float32)
  x[:, :, 0] += np.where(label, 0.5, -0.5)[:, None]
  return ArraySource(x, label)


class ToyNet(nn.Module):
  features: int = 4
  batch_norm: bool = True
  dropout: float = 0.1

  @nn.compact
  def __call__(self, x, train: bool = False):
    x = nn.Conv(self.features, (3,))(x)
    if self.batch_norm:
      x = nn.BatchNorm(use_running_average=not train, momentum=0.9)(x)
    x = nn.relu(x).mean(axis=1)
    x = nn.Dropout(self.dropout, deterministic=not train)(x)
    return nn.Dense(2)(x)


class ToyTask:
  """A `seisjax.engine.task.Task` for the engine's tests."""

  name = 'toy'
  rng_streams = (('dropout', 'step'),)
  continuing_fields = ()

  def check_config(self, config) -> None:
    validation.require(config, 'data.n_train', validation.integer(1),
                       'an integer >= 1')

  def get_datasets(self, config) -> ToyDatasets:
    return ToyDatasets(
        train=make_source(config.data.n_train, 0),
        val=make_source(config.data.n_val, 1),
        splits={'train': np.arange(config.data.n_train),
                'val': np.arange(config.data.n_val)})

  def make_model(self, config) -> ToyNet:
    return ToyNet(**config.model)

  def input_shape(self, config):
    del config
    return SHAPE

  def loss(self, logits, batch, config):
    del config
    return losses.classification(logits, batch['label'])

  def make_predict(self, model):
    def predict(variables, x):
      return jax.nn.softmax(model.apply(variables, x, train=False))[:, 1]
    return predict

  def validate(self, predict_fn, variables, val, config):
    probs = ensemble.eval_step(predict_fn, variables, val,
                               config.train.eval_batch_size)
    accuracy = ((probs > 0.5) == val.label).mean(axis=-1)
    return accuracy, {'val_accuracy': accuracy}

  def evaluate(self, config, workdir, datasets, predict_fn, variables):
    del workdir
    score, _ = self.validate(predict_fn, variables, datasets.val, config)
    return {'val_accuracy': score.tolist()}


TASK = ToyTask()


def config(**train) -> ml_collections.ConfigDict:
  """A toy run: 2 members, 128 training windows in batches of 16."""
  return ml_collections.ConfigDict({
      'task': 'toy', 'mode': 'train', 'seed': 0, 'n_members': 2,
      'init_from': '',
      'data': {'n_train': 128, 'n_val': 64},
      'model': {'features': 4},
      'train': {'batch_size': 16, 'eval_batch_size': 16, 'shuffle_seed': 0,
                'optimizer': 'adam', 'learning_rate': 1e-2,
                'lr_schedule': 'constant', 'num_epochs': 3,
                'log_every_steps': 4, 'max_checkpoints': 2, 'patience': 0,
                **train},
      'mesh': {'member': 1, 'data': -1}})
