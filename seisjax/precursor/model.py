"""The precursor CNN of Ong et al. (section 3, Fig. 2).

A random input layer (training only), seven convolution blocks (convolution,
batch norm, ReLU, max-pool), global average pooling, a dense layer, dropout and
a 2-way output (noise, precursor). The paper does not give kernel sizes or
widths: they are fields of `config.model` (see `configs/precursor.py`).
"""

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from seisjax.engine import layers


def _rms(x):
  # (batch, time, channels) -> (batch, 1, 1)
  return jnp.sqrt(jnp.mean(jnp.square(x), axis=(1, 2), keepdims=True))


def depthwise_conv(x, kernel):
  """Each channel correlated with its own kernel, 'SAME' padding.

  What `lax.conv_general_dilated` with one group per channel computes, as a
  sum of shifted copies: XLA's CPU runs grouped convolutions slowly, and
  with a few taps and channels this is a handful of fused multiply-adds.

  Args:
    x: (batch, time, channels).
    kernel: (taps, channels).
  """
  taps, length = kernel.shape[0], x.shape[1]
  lo = (taps - 1) // 2
  xp = jnp.pad(x, ((0, 0), (lo, taps - 1 - lo), (0, 0)))
  return sum(xp[:, k:k + length] * kernel[k] for k in range(taps))


class RandomInput(nn.Module):
  """Adds the input convolved with a random kernel, during training only.

  The kernel (one per component) and the level of the added signal, a
  uniformly drawn fraction `rms_range` of the input's RMS, come from the
  'random_input' RNG stream. The training loop derives that stream from the
  epoch number, so the kernel is redrawn every epoch as in the paper.
  """
  kernel_size: int = 9
  rms_range: tuple[float, float] = (0.2, 0.3)

  @nn.compact
  def __call__(self, x, train: bool):
    if not train:
      return x
    kernel_key, level_key = jax.random.split(self.make_rng('random_input'))
    channels = x.shape[-1]
    # The product with the identity is exact and makes XLA keep the kernel:
    # without it, its CPU fusion recomputes the normal draw (an inverse
    # error function) for every sample of the batch, 40 times the work.
    kernel = jax.random.normal(kernel_key, (self.kernel_size, channels))
    y = depthwise_conv(x, (kernel @ jnp.eye(channels)).astype(x.dtype))
    level = jax.random.uniform(level_key, (), minval=self.rms_range[0],
                               maxval=self.rms_range[1])
    return x + y * level * _rms(x) / (_rms(y) + 1e-12)


class PrecursorCNN(nn.Module):
  """Noise / precursor classifier; returns (batch, 2) logits."""
  filters: Sequence[int]
  kernel_sizes: Sequence[int]
  dilations: Sequence[int]
  pool_strides: Sequence[int]
  pool_size: int = 2
  bn_momentum: float = 0.99
  dense_units: int = 64
  dropout_rate: float = 0.02
  init_stddev: float = 0.05
  random_input: bool = True
  random_kernel_size: int = 9
  random_rms_range: tuple[float, float] = (0.2, 0.3)
  # Recompute each block's activations in the backward pass instead of
  # storing them: several times less memory for about a third more compute.
  remat: bool = False

  @nn.compact
  def __call__(self, x, train: bool = False):
    # x: (batch, time, channels)
    init = nn.initializers.normal(self.init_stddev)
    if self.random_input:
      x = RandomInput(self.random_kernel_size,
                      tuple(self.random_rms_range))(x, train)
    block = layers.ConvBlock
    if self.remat:
      # static_argnums 2: `train`.
      block = nn.remat(layers.ConvBlock, static_argnums=(2,))
    blocks = zip(self.filters, self.kernel_sizes, self.dilations,
                 self.pool_strides, strict=True)
    for features, kernel, dilation, stride in blocks:
      x = block(features, kernel, dilation, stride, self.pool_size, init,
                self.bn_momentum)(x, train)
    x = jnp.mean(x, axis=1)  # global average pooling: (batch, filters)
    x = nn.relu(nn.Dense(self.dense_units, kernel_init=init)(x))
    x = nn.Dropout(self.dropout_rate, deterministic=not train)(x)
    return nn.Dense(2, kernel_init=init)(x)
