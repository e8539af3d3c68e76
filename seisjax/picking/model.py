"""The P-wave picker and polarity CNN of Ross et al. (2018), Fig. 1.

Three CBP blocks (convolution, batch norm, ReLU, max-pool 2): 32 filters of
21 samples, 64 of 15, 128 of 11; then two dense layers of 512 units, each
with batch norm (and ReLU), and a linear output: one number for the picker
(the pick's position in the window), three logits for the polarity
classifier (down, up, unknown). Keras's defaults, which the paper's code
used, fill in what the paper leaves out: Glorot-uniform kernels and batch
norm momentum 0.99.
"""

from typing import Sequence

import flax.linen as nn
import jax.numpy as jnp

from seisjax.engine import layers
from seisjax.picking import records


class PickerCNN(nn.Module):
  """Returns (batch,) picks for `outputs=1`, else (batch, outputs) logits."""
  filters: Sequence[int] = (32, 64, 128)
  kernel_sizes: Sequence[int] = (21, 15, 11)
  pool_size: int = 2
  dense_units: Sequence[int] = (512, 512)
  outputs: int = 1
  bn_momentum: float = 0.99

  @nn.compact
  def __call__(self, x, train: bool = False):
    # x: (batch, time, 1)
    init = nn.initializers.glorot_uniform()
    for features, kernel in zip(self.filters, self.kernel_sizes,
                                strict=True):
      x = layers.ConvBlock(features, kernel, 1, self.pool_size,
                           self.pool_size, init, self.bn_momentum)(x, train)
    x = x.reshape(x.shape[0], -1)  # (batch, time / 8 * filters[-1])
    for units in self.dense_units:
      x = nn.Dense(units, kernel_init=init)(x)
      x = nn.BatchNorm(use_running_average=not train,
                       momentum=self.bn_momentum)(x)
      x = nn.relu(x)
    x = nn.Dense(self.outputs, kernel_init=init)(x)
    return jnp.squeeze(x, -1) if self.outputs == 1 else x


# One window of the vertical component: 4 s at 100 Hz.
INPUT_SHAPE = (records.WINDOW_SAMPLES, 1)


def from_config(model_config) -> PickerCNN:
  """The network of `config.model` (name 'picker_cnn' and the fields)."""
  fields = dict(model_config)
  if fields.pop('name') != 'picker_cnn':
    raise ValueError(f'The picking tasks train picker_cnn, not '
                     f'{model_config.name!r}.')
  return PickerCNN(**fields)
