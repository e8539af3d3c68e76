"""Layers that more than one study's network is built from."""

import flax.linen as nn


class ConvBlock(nn.Module):
  """Convolution, batch norm, ReLU and max-pool: the CBP block of both papers.

  The precursor CNN (Ong et al., Fig. 2) and the picker CNN (Ross et al.
  2018, Fig. 1) are stacks of it.
  """
  features: int
  kernel_size: int
  dilation: int
  pool_stride: int
  pool_size: int
  kernel_init: nn.initializers.Initializer
  bn_momentum: float

  @nn.compact
  def __call__(self, x, train: bool):
    # x: (batch, time, channels)
    x = nn.Conv(self.features, (self.kernel_size,),
                kernel_dilation=(self.dilation,), padding='SAME',
                kernel_init=self.kernel_init)(x)
    x = nn.BatchNorm(use_running_average=not train,
                     momentum=self.bn_momentum)(x)
    x = nn.relu(x)
    return nn.max_pool(x, (self.pool_size,), strides=(self.pool_stride,),
                       padding='SAME')
