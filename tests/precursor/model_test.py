"""The precursor CNN: shapes, parameter count, random input layer."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from configs import precursor
from seisjax.engine import ensemble
from seisjax.precursor import model as precursor_cnn
from seisjax.precursor import task


def _expected_params(model_config, in_channels=3):
  """Parameter count of the architecture written out by hand."""
  total, c = 0, in_channels
  for f, k in zip(model_config.filters, model_config.kernel_sizes):
    total += k * c * f + f  # convolution kernel and bias
    total += 2 * f  # batch-norm scale and bias
    c = f
  d = model_config.dense_units
  return total + c * d + d + d * 2 + 2


def test_default_model_shapes_and_parameter_count():
  config = precursor.get_config()
  assert config.model.filters[-2:] == (256, 256)
  assert config.model.pool_strides == (1, 2, 1, 1, 1, 1, 1)
  assert config.model.dropout_rate == 0.02
  dilations = config.model.dilations
  assert all(b > a for a, b in zip(dilations[2:], dilations[3:]))
  model = task.TASK.make_model(config)
  x = jnp.zeros((2, config.data.window_samples, 3))
  variables = jax.eval_shape(
      lambda: model.init(jax.random.key(0), x, train=False))
  assert ensemble.n_params(variables['params']) == _expected_params(
      config.model)
  # Each conv block keeps its batch-norm running mean and variance.
  assert len(variables['batch_stats']) == 7
  logits = jax.eval_shape(lambda v: model.apply(v, x), variables)
  assert logits.shape == (2, 2)


def test_time_axis_halves_only_in_block_two():
  config = precursor.get_config()
  model = task.TASK.make_model(config)
  x = jnp.zeros((1, config.data.window_samples, 3))
  variables = jax.eval_shape(
      lambda: model.init(jax.random.key(0), x, train=False))
  _, state = jax.eval_shape(
      lambda v: model.apply(v, x, capture_intermediates=True,
                            mutable=['intermediates']), variables)
  lengths = [state['intermediates'][f'ConvBlock_{i}']['__call__'][0].shape[1]
             for i in range(7)]
  assert lengths == [16384] + [8192] * 6


def test_random_input_layer_level_and_training_only():
  layer = precursor_cnn.RandomInput(kernel_size=9, rms_range=(0.2, 0.3))
  x = jax.random.normal(jax.random.key(0), (4, 2000, 3))
  assert layer.apply({}, x, train=False) is x
  ratios = []
  for seed in range(5):
    y = layer.apply({}, x, train=True,
                    rngs={'random_input': jax.random.key(seed)})
    added = y - x
    ratio = jnp.sqrt(jnp.mean(added**2, axis=(1, 2)) /
                     jnp.mean(x**2, axis=(1, 2)))
    ratios.append(np.asarray(ratio))
  ratios = np.concatenate(ratios)
  assert np.all((ratios > 0.2 - 1e-4) & (ratios < 0.3 + 1e-4))
  assert ratios.std() > 0.005  # The level is drawn, not fixed.


def test_random_input_kernel_changes_with_the_key():
  layer = precursor_cnn.RandomInput()
  x = jax.random.normal(jax.random.key(0), (1, 500, 3))
  a, b, c = (layer.apply({}, x, train=True,
                         rngs={'random_input': jax.random.key(k)})
             for k in (1, 1, 2))
  np.testing.assert_array_equal(a, b)
  assert not np.allclose(a, c)


@pytest.mark.parametrize('train', [False, True])
def test_tiny_model_runs(train):
  config = precursor.get_config('tiny')
  model = task.TASK.make_model(config)
  x = jnp.ones((3, config.data.window_samples, 3))
  variables = model.init(jax.random.key(0), x, train=False)
  out = model.apply(variables, x, train=train,
                    rngs={'dropout': jax.random.key(1),
                          'random_input': jax.random.key(2)},
                    mutable=['batch_stats'] if train else False)
  logits = out[0] if train else out
  assert logits.shape == (3, 2) and np.all(np.isfinite(logits))


def test_depthwise_conv_equals_a_grouped_convolution():
  rng = np.random.default_rng(0)
  x = rng.normal(size=(2, 50, 3)).astype(np.float32)
  for taps in (9, 4):
    kernel = rng.normal(size=(taps, 3)).astype(np.float32)
    expected = jax.lax.conv_general_dilated(
        x, kernel[:, None], window_strides=(1,), padding='SAME',
        dimension_numbers=('NWC', 'WIO', 'NWC'), feature_group_count=3)
    np.testing.assert_allclose(precursor_cnn.depthwise_conv(x, kernel),
                               expected,
                               rtol=1e-5, atol=1e-5)
