"""Tests of seisjax.precursor.analyses.occlusion with fake predict functions."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from seisjax.precursor.analyses import occlusion

PNG_MAGIC = b'\x89PNG\r\n\x1a\n'
N_TIME = 16384
# A burst on BH2 and BHZ inside mask position 15 (samples 6000-6400).
BURST = slice(6100, 6300)
BURST_POSITION = 15


def _burst_window():
  rng = np.random.default_rng(0)
  x = 0.05 * rng.standard_normal((N_TIME, 3))
  burst = np.sin(2 * np.pi * np.arange(200) / 20)
  x[BURST, 1] += burst
  x[BURST, 2] += burst
  return x.astype(np.float32)


class EnergyModel:
  """Score = sigmoid of the total energy; counts its traces."""

  def __init__(self):
    self.traces = 0

  def __call__(self, x):  # (batch, time, 3) -> (batch,)
    self.traces += 1
    # Noise energy ~123 and burst energy ~200 sit either side of 200, so
    # masking the burst moves the score across most of [0, 1].
    return jax.nn.sigmoid((jnp.sum(x ** 2, axis=(1, 2)) - 200.0) / 50.0)


class LinearModel:
  """Score = sigmoid of a fixed random weighting of every sample."""

  def __init__(self, n_time):
    self.traces = 0
    self.w = np.random.default_rng(1).standard_normal((n_time, 3)) / 50

  def __call__(self, x):
    self.traces += 1
    return jax.nn.sigmoid(jnp.einsum('btc,tc->b', x, self.w))


@pytest.mark.parametrize('n_time, mask, stride, want', [
    (16384, 400, 400, 40),  # Paper: 0 ... 15600; the last 384 never masked.
    (1000, 300, 200, 4),    # 0 200 400 600; 800 would run past the end.
    (1000, 1000, 7, 1),
])
def test_mask_starts_only_full_masks(n_time, mask, stride, want):
  starts = occlusion.mask_starts(n_time, mask, stride)
  assert starts.size == want
  np.testing.assert_array_equal(starts, np.arange(want) * stride)
  assert starts[-1] + mask <= n_time < starts[-1] + stride + mask


def test_mask_longer_than_window_raises():
  with pytest.raises(ValueError):
    occlusion.mask_starts(100, 101, 10)


def test_score_drops_where_and_only_where_the_burst_is_masked():
  window = _burst_window()
  model = EnergyModel()
  result = occlusion.time_occlusion(model, window)
  assert result['scores'].shape == (40, 4)
  np.testing.assert_array_equal(result['start'], np.arange(40) * 400)
  assert result['time_s'][BURST_POSITION] == pytest.approx(6200 / 40)
  assert result['unmasked'] == pytest.approx(
      float(model(jnp.asarray(window[None]))[0]), rel=1e-6)

  drop = occlusion.occlusion_drop(result)
  # BH1 carries no burst: masking it anywhere barely moves the score.
  assert np.abs(drop[:, 0]).max() < 0.01
  for case in (1, 2, 3):  # BH2, BHZ, all.
    assert np.argmax(drop[:, case]) == BURST_POSITION
    assert drop[BURST_POSITION, case] > 0.2
  # Masking both burst channels removes more than either alone.
  assert drop[BURST_POSITION, 3] > drop[BURST_POSITION, 1] + 0.2
  # Away from the burst only noise is masked.
  others = np.delete(drop, BURST_POSITION, axis=0)
  assert np.abs(others).max() < 0.01


@pytest.mark.parametrize('batch_size', [None, 48])
def test_batched_call_traces_once_and_equals_a_loop(batch_size):
  n_time, mask, stride = 2048, 128, 96
  window = np.random.default_rng(2).standard_normal(
      (n_time, 3)).astype(np.float32)
  model = LinearModel(n_time)
  result = occlusion.time_occlusion(model, window, mask, stride,
                                    batch_size=batch_size)
  # 21 positions x 4 cases + 1 unmasked = 85 copies: 2 chunks when 48.
  assert model.traces == 1
  occlusion.time_occlusion(model, window, mask, stride,
                           batch_size=batch_size)
  assert model.traces == 1  # Cached: same function and shapes.

  starts = result['start']
  assert starts.size == 21
  loop = np.zeros((starts.size, 4))
  for p, start in enumerate(starts):
    for case in range(4):
      x = window.copy()
      channels = [case] if case < 3 else [0, 1, 2]
      x[start:start + mask, channels] = 0.0
      loop[p, case] = float(model(jnp.asarray(x[None]))[0])
  np.testing.assert_allclose(result['scores'], loop, rtol=1e-5, atol=1e-6)
  assert result['unmasked'] == pytest.approx(
      float(model(jnp.asarray(window[None]))[0]), rel=1e-5)
  np.testing.assert_allclose(occlusion.occlusion_drop(result),
                             result['unmasked'] - loop, atol=1e-5)


def test_plot_writes_png(tmp_path):
  window = _burst_window()
  result = occlusion.time_occlusion(EnergyModel(), window, batch_size=64)
  path = tmp_path / 'occlusion.png'
  occlusion.plot_time_occlusion(window, result, path, title='burst')
  data = path.read_bytes()
  assert data[:8] == PNG_MAGIC
  assert len(data) > 1000
