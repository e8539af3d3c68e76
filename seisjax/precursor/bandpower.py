"""A classical baseline for the precursor CNN: band powers and a logistic fit.

Does the CNN see more than a seismologist's first guess? The guess: the log
power of each component in octave bands from 0.05 to 20 Hz (9 bands x 3
components = 27 numbers per window, after the same joint normalisation as
the CNN's windows), and an L2-regularised logistic regression on them. It
is trained on the very windows the CNN trains on, its regularisation chosen
on the validation windows only, and tested on the same test windows
(seisjax/precursor/detectability.py).

  clf = bandpower.fit(train_x, train_y, val_x, val_y, sampling_rate=40.0)
  probs = clf.predict(test_x)   # (n,) precursor probabilities
"""

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize

from seisjax.engine import data

C_GRID = (0.001, 0.01, 0.1, 1.0, 10.0)  # Inverse L2 strengths tried.


def octave_bands(low: float = 0.05, high: float = 20.0) -> np.ndarray:
  """(n, 2) band edges in Hz: octaves from `low`, the last cut at `high`."""
  edges = [low]
  while edges[-1] * 2 < high:
    edges.append(edges[-1] * 2)
  edges.append(high)
  return np.stack([edges[:-1], edges[1:]], axis=1)


@functools.partial(jax.jit, static_argnames=('sampling_rate', 'bands'))
def _log_powers(x, sampling_rate: float, bands: tuple):
  # x: (batch, time, channels) -> (batch, bands * channels)
  n = x.shape[1]
  taper = 0.5 - 0.5 * jnp.cos(2 * jnp.pi * jnp.arange(n) / n)  # Hann
  power = jnp.abs(jnp.fft.rfft(x * taper[:, None], axis=1)) ** 2
  freqs = jnp.fft.rfftfreq(n, 1.0 / sampling_rate)
  masks = jnp.stack([(freqs >= lo) & (freqs < hi) for lo, hi in bands])
  per_band = jnp.einsum('bfc,kf->bkc', power, masks.astype(power.dtype))
  return jnp.log10(per_band + 1e-30).reshape(x.shape[0], -1)


def log_band_powers(windows, sampling_rate: float, bands=None,
                    batch_size: int = 64) -> np.ndarray:
  """log10 power per band and component of every window.

  Args:
    windows: (n, time, channels) array or window source (`data`).
    sampling_rate: Hz.
    bands: (n_bands, 2) edges in Hz; `octave_bands()` by default.
    batch_size: windows per jitted call.

  Returns:
    (n, n_bands * channels) float array, band-major.
  """
  bands = octave_bands() if bands is None else np.asarray(bands)
  key = tuple(tuple(float(e) for e in b) for b in bands)
  fn = functools.partial(_log_powers, sampling_rate=float(sampling_rate),
                         bands=key)
  return data.map_batches(fn, windows, batch_size).astype(np.float64)


@dataclasses.dataclass
class Classifier:
  """A fitted logistic regression on standardised features."""
  mean: np.ndarray
  scale: np.ndarray
  weights: np.ndarray
  bias: float
  c: float

  def predict(self, features) -> np.ndarray:
    """(n,) precursor probabilities."""
    z = (np.asarray(features) - self.mean) / self.scale
    return 1.0 / (1.0 + np.exp(-(z @ self.weights + self.bias)))


def _fit_one(z, y, c: float):
  """Weights and bias minimising the logistic loss + |w|^2 / (2 c n)."""
  n = len(y)

  def objective(theta):
    w, b = theta[:-1], theta[-1]
    logits = z @ w + b
    loss = np.mean(np.logaddexp(0.0, logits) - y * logits)
    p = 1.0 / (1.0 + np.exp(-logits))
    grad_w = z.T @ (p - y) / n + w / (c * n)
    return (loss + w @ w / (2 * c * n),
            np.concatenate([grad_w, [np.mean(p - y)]]))

  result = scipy.optimize.minimize(objective, np.zeros(z.shape[1] + 1),
                                   jac=True, method='L-BFGS-B')
  return result.x[:-1], float(result.x[-1])


def fit(train_x, train_y, val_x, val_y, c_grid=C_GRID) -> Classifier:
  """Fits on the training windows, picks C by validation accuracy.

  Ties go to the smaller C (the stronger regularisation).
  """
  train_x = np.asarray(train_x, np.float64)
  mean = train_x.mean(axis=0)
  scale = np.where(train_x.std(axis=0) > 0, train_x.std(axis=0), 1.0)
  z = (train_x - mean) / scale
  best, best_accuracy = None, -1.0
  for c in c_grid:
    weights, bias = _fit_one(z, np.asarray(train_y, np.float64), c)
    clf = Classifier(mean, scale, weights, bias, c)
    accuracy = np.mean((clf.predict(val_x) > 0.5) == np.asarray(val_y))
    if accuracy > best_accuracy:
      best, best_accuracy = clf, accuracy
  return best
