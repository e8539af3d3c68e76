"""The shared layers: the max-pool equals Flax's, with a cheaper gradient."""

import flax.linen as nn
import jax
import numpy as np
import pytest

from seisjax.engine import layers


@pytest.mark.parametrize('length, size, stride', [
    (16, 2, 4), (16, 2, 2), (16, 2, 1), (7, 2, 2), (9, 2, 4), (11, 2, 4),
    (5, 3, 1), (10, 3, 2), (6, 2, 3)])
def test_max_pool_equals_flax_same_padding(length, size, stride):
  x = np.random.default_rng(length).normal(size=(3, length, 2))
  x = x.astype(np.float32)

  def flax_pool(v):
    return nn.max_pool(v, (size,), strides=(stride,), padding='SAME')

  np.testing.assert_array_equal(layers.max_pool(x, size, stride),
                                flax_pool(x))
  # Without ties (random floats) the gradients agree too.
  grad = lambda pool: jax.grad(lambda v: (pool(v) ** 2).sum())(x)
  np.testing.assert_allclose(
      grad(lambda v: layers.max_pool(v, size, stride)), grad(flax_pool),
      rtol=1e-6)
