"""Butterworth filters in JAX and the frequency sweep of the precursor model.

Ong et al. (section 6) filter every test window with an 8th-order Butterworth
filter (-48 dB/octave, one causal pass) at a range of cut-offs and watch the
accuracy of the trained network: it falls once the low-pass cut-off goes
below the frequencies the network relies on (paper Fig. 8).

Filters are designed here (analogue prototype, pre-warping, bilinear
transform, as `scipy.signal.butter`) and applied in the frequency domain,
`irfft(rfft(x_padded) * H)`, so that a whole batch of windows is filtered by
one jitted call and a sweep rfft's each batch once for all its cut-offs:

  result = filters.frequency_sweep(predict_fn, windows, labels)
  drop = filters.drop_cutoff(result['cutoff'], result['accuracy'])
  filters.plot_frequency_sweep(result, 'lowpass.png', drop=drop)

Zero-padding to twice the window length (`padded_length`) keeps the
circular convolution equal to the causal one (zero initial state, as
`scipy.signal.sosfilt`) up to the IIR impulse response beyond one window
length. That tail is longest for narrow stop bands: for an 8th-order stop
band 0.1 Hz wide it is 1e-3 of the signal after 4096 samples at 40 Hz and
1e-5 after 8192; a low-pass at 0.1 Hz has decayed to 1e-6 after 4096.
"""

from typing import Any, Callable

import jax
import jax.numpy as jnp
from matplotlib.figure import Figure
import numpy as np
import scipy.fft

from seisjax.engine import data
from seisjax.engine import writers

BTYPES = ('lowpass', 'highpass', 'bandstop')
ORDER = 8  # The paper's -48 dB/octave.
STOP_WIDTH = 0.1  # Hz, width of the band-stop sweep's stop band.
_EPS = 1e-7  # Probability clip for the cross-entropy.


def padded_length(n_time: int) -> int:
  """FFT length for filtering `n_time` samples: even, fast, >= 2 n_time."""
  return 2 * scipy.fft.next_fast_len(n_time, real=True)


def _digital_zpk(btype: str, edges: np.ndarray, order: int
                 ) -> tuple[np.ndarray, np.ndarray]:
  """Digital zeros and poles of Butterworth filters, batched over edges.

  Works in units where the bilinear transform is z = (1 + s) / (1 - s), so
  that a digital frequency f maps to the analogue tan(pi f / fs): the
  pre-warping of scipy.signal.butter, without the 2 fs that cancels.

  Args:
    btype: 'lowpass', 'highpass' or 'bandstop'.
    edges: pre-warped cut-offs tan(pi f / fs), shape (...,), or (..., 2)
      (low, high) for 'bandstop'; each strictly between 0 and infinity.
    order: filter order N.

  Returns:
    (zeros, poles), complex128 arrays (..., m) with m = N, or 2N for
    'bandstop'.
  """
  # Unit-cut-off analogue prototype, left half plane, as scipy's buttap.
  proto = -np.exp(1j * np.pi * np.arange(-order + 1, order, 2) / (2 * order))
  if btype == 'lowpass':
    poles = edges[..., None] * proto  # (..., N)
    zeros = np.full_like(poles, -1.0)  # Analogue zeros at s = infinity.
  elif btype == 'highpass':
    poles = edges[..., None] / proto
    zeros = np.full_like(poles, 1.0)  # Analogue zeros at s = 0.
  elif btype == 'bandstop':
    w0 = np.sqrt(edges[..., 0] * edges[..., 1])[..., None]  # (..., 1)
    half_bw = 0.5 * (edges[..., 1] - edges[..., 0])[..., None]
    shifted = half_bw / proto
    root = np.sqrt(shifted**2 - w0**2 + 0j)
    poles = np.concatenate([shifted + root, shifted - root], axis=-1)
    zero = (1 + 1j * w0) / (1 - 1j * w0)  # Analogue zeros at +-j w0.
    zeros = np.concatenate([np.broadcast_to(zero, shifted.shape),
                            np.broadcast_to(zero.conj(), shifted.shape)],
                           axis=-1)
  else:
    raise ValueError(f'btype must be one of {BTYPES}, got {btype!r}.')
  return zeros, (1 + poles) / (1 - poles)


def _zpk_response(zeros: np.ndarray, poles: np.ndarray, z: np.ndarray,
                  reference: complex) -> np.ndarray:
  """H(z) = prod (z - zeros) / (z - poles), scaled to H(reference) = 1.

  Zeros and poles are paired factor by factor, so that no running product
  under- or overflows even when all poles hug z = 1.

  Args:
    zeros: (..., m) complex.
    poles: (..., m) complex.
    z: (n_freq,) points on the unit circle.
    reference: point of unit gain (1 for DC, -1 for Nyquist).

  Returns:
    (..., n_freq) complex128.
  """
  response = np.ones(zeros.shape[:-1] + z.shape, np.complex128)
  gain = np.ones(zeros.shape[:-1], np.complex128)
  for i in range(zeros.shape[-1]):
    zero, pole = zeros[..., i, None], poles[..., i, None]
    response *= (z - zero) / (z - pole)
    gain *= (reference - zeros[..., i]) / (reference - poles[..., i])
  # The gain is real up to rounding: poles come in conjugate pairs.
  return response / gain.real[..., None]


def butter_freqz(freqs, cutoff, btype: str = 'lowpass', order: int = ORDER,
                 sampling_rate: float = 40.0) -> np.ndarray:
  """Complex frequency response of digital Butterworth filters.

  Equals `scipy.signal.sosfreqz(scipy.signal.butter(order, cutoff, btype,
  fs=sampling_rate, output='sos'), freqs, fs=sampling_rate)[1]`, batched over
  cut-offs. The design runs in float64 numpy: JAX's default float32 would
  lose digits at low cut-offs, whose poles lie within 1e-2 of z = 1.

  Cut-offs outside (0, Nyquist) are allowed and mean what they say: a
  low-pass at or above Nyquist passes everything (no filter), one at or
  below 0 nothing; the reverse for a high-pass. A stop band reaching 0 is
  a high-pass at its upper edge, one reaching Nyquist a low-pass at its
  lower edge, one covering both stops everything.

  Args:
    freqs: (n_freq,) frequencies in Hz at which to evaluate.
    cutoff: cut-offs in Hz, shape (...,); for 'bandstop', (low, high) stop
      band edges of shape (..., 2).
    btype: 'lowpass', 'highpass' or 'bandstop'.
    order: filter order (8: -48 dB/octave).
    sampling_rate: Hz.

  Returns:
    complex128 array (..., n_freq).

  Raises:
    ValueError: for an unknown btype, or a stop band with low >= high.
  """
  if btype not in BTYPES:
    raise ValueError(f'btype must be one of {BTYPES}, got {btype!r}.')
  freqs = np.asarray(freqs, np.float64)
  cutoff = np.asarray(cutoff, np.float64)
  nyquist = sampling_rate / 2
  z = np.exp(2j * np.pi * freqs / sampling_rate)  # (n_freq,)
  warp = lambda f: np.tan(np.pi * f / sampling_rate)
  if btype == 'bandstop':
    if cutoff.shape[-1:] != (2,):
      raise ValueError(f'bandstop needs (..., 2) edges, got {cutoff.shape}.')
    low, high = cutoff[..., 0], cutoff[..., 1]
    if np.any(low >= high):
      raise ValueError(f'stop band edges must have low < high: {cutoff}.')
    to_dc, to_nyquist = low <= 0, high >= nyquist
    # Bands reaching 0 or Nyquist get a placeholder design, replaced below,
    # so that no pole lands on the unit circle.
    inside = np.where((to_dc | to_nyquist)[..., None],
                      [nyquist / 4, nyquist / 2], cutoff)
    response = _zpk_response(*_digital_zpk(btype, warp(inside), order), z,
                             1.0)
    if np.any(to_dc):
      response = np.where(
          to_dc[..., None],
          butter_freqz(freqs, high, 'highpass', order, sampling_rate),
          response)
    if np.any(to_nyquist):
      response = np.where(
          (to_nyquist & ~to_dc)[..., None],
          butter_freqz(freqs, low, 'lowpass', order, sampling_rate),
          response)
    return response
  passes_all = cutoff >= nyquist if btype == 'lowpass' else cutoff <= 0
  stops_all = cutoff <= 0 if btype == 'lowpass' else cutoff >= nyquist
  inside = np.where(passes_all | stops_all, nyquist / 2, cutoff)
  reference = 1.0 if btype == 'lowpass' else -1.0
  response = _zpk_response(*_digital_zpk(btype, warp(inside), order), z,
                           reference)
  response = np.where(passes_all[..., None], 1.0, response)
  return np.where(stops_all[..., None], 0.0, response)


def butter_response(n_fft: int, cutoff, btype: str = 'lowpass',
                    order: int = ORDER, sampling_rate: float = 40.0
                    ) -> jax.Array:
  """Butterworth responses on the rfft grid of `n_fft` points.

  Args:
    n_fft: FFT length, even; `padded_length(n_time)` for windows of n_time.
    cutoff: as in `butter_freqz`: (...,) Hz, or (..., 2) for 'bandstop'.
    btype: 'lowpass', 'highpass' or 'bandstop'.
    order: filter order.
    sampling_rate: Hz.

  Returns:
    complex64 array (..., n_fft // 2 + 1), the `response` of `filter_batch`.
  """
  if n_fft % 2:
    raise ValueError(f'n_fft must be even, got {n_fft}.')
  freqs = np.fft.rfftfreq(n_fft, 1.0 / sampling_rate)
  return jnp.asarray(butter_freqz(freqs, cutoff, btype, order,
                                  sampling_rate).astype(np.complex64))


@jax.jit
def filter_batch(x: jax.Array, response: jax.Array) -> jax.Array:
  """Filters windows by one frequency response, causally.

  Args:
    x: (batch, time, channels) windows.
    response: (n_freq,) or (batch, n_freq) complex response on the rfft grid
      of n_fft = 2 (n_freq - 1) points, n_fft >= 2 time for a linear (not
      circular) convolution; from `butter_response(padded_length(time))`.

  Returns:
    The filtered windows, shape and dtype of `x`.
  """
  n_time = x.shape[1]
  n_fft = 2 * (response.shape[-1] - 1)
  if n_fft < n_time:
    raise ValueError(f'response for n_fft={n_fft} is too short for '
                     f'{n_time} samples; use padded_length({n_time}).')
  spectrum = jnp.fft.rfft(x, n=n_fft, axis=1)  # (batch, n_freq, channels)
  filtered = jnp.fft.irfft(spectrum * response[..., None], n=n_fft, axis=1)
  return filtered[:, :n_time].astype(x.dtype)


def default_cutoffs(sampling_rate: float = 40.0, step: float = 0.1
                    ) -> np.ndarray:
  """Cut-offs of the paper's sweep: Nyquist down to `step` in `step`s.

  Args:
    sampling_rate: Hz; its Nyquist frequency is the first cut-off, which
      for a low-pass means no filter.
    step: Hz.

  Returns:
    float64 array, descending: 20.0, 19.9, ..., 0.1 at the defaults.
  """
  n = int(round(sampling_rate / 2 / step))
  # Rounded so that 199 * 0.1 reads 19.9, not 19.900000000000002.
  return np.round(np.arange(n, 0, -1) * step, 10)


def sweep_responses(cutoffs, n_fft: int, btype: str = 'lowpass',
                    order: int = ORDER, sampling_rate: float = 40.0,
                    stop_width: float = STOP_WIDTH) -> jax.Array:
  """Responses of a sweep, one per cut-off.

  Args:
    cutoffs: (n_cutoffs,) Hz: cut-offs, or centres of the stop band for
      'bandstop'.
    n_fft: FFT length (even).
    btype: 'lowpass', 'highpass' or 'bandstop'.
    order: filter order.
    sampling_rate: Hz.
    stop_width: Hz, width of the stop band for 'bandstop'.

  Returns:
    complex64 array (n_cutoffs, n_fft // 2 + 1).
  """
  cutoffs = np.asarray(cutoffs, np.float64)
  if btype == 'bandstop':
    cutoffs = cutoffs[:, None] + np.array([-0.5, 0.5]) * stop_width
  return butter_response(n_fft, cutoffs, btype, order, sampling_rate)


def _sweep_fn(predict_fn: Callable[[jax.Array], jax.Array], n_time: int):
  """Jitted (windows, responses) -> (n_cutoffs, batch) probabilities."""

  @jax.jit
  def sweep(x, responses):
    n_fft = 2 * (responses.shape[-1] - 1)
    # One forward FFT per batch, shared by all cut-offs.
    spectrum = jnp.fft.rfft(x, n=n_fft, axis=1)  # (batch, n_freq, channels)

    def one_cutoff(response):  # (n_freq,)
      filtered = jnp.fft.irfft(spectrum * response[:, None], n=n_fft,
                               axis=1)[:, :n_time].astype(x.dtype)
      return predict_fn(filtered)  # (batch,)

    # Sequential over cut-offs: memory stays that of one filtered batch.
    return jax.lax.map(one_cutoff, responses)

  return sweep


def sweep_metrics(probs, labels) -> dict[str, np.ndarray]:
  """Accuracy and cross-entropy of probabilities at each cut-off.

  Args:
    probs: (n_cutoffs, windows) precursor probabilities.
    labels: (windows,) 0 = noise, 1 = precursor.

  Returns:
    dict of (n_cutoffs,) arrays: `accuracy` (fraction correct, a probability
    strictly above 0.5 is precursor), `accuracy_noise` and
    `accuracy_precursor` (the same on each class; nan if it has no window)
    and `loss` (mean binary cross-entropy, probabilities clipped to
    [1e-7, 1 - 1e-7] so that a confident mistake costs a finite 16.1).
  """
  probs = np.asarray(probs, np.float64)
  labels = np.asarray(labels).reshape(-1)
  correct = (probs > 0.5) == (labels == 1)  # (n_cutoffs, windows)
  p = np.clip(probs, _EPS, 1 - _EPS)
  loss = -np.where(labels == 1, np.log(p), np.log1p(-p))
  with np.errstate(invalid='ignore'):
    return {
        'accuracy': correct.mean(axis=1),
        'accuracy_noise': correct[:, labels == 0].mean(axis=1),
        'accuracy_precursor': correct[:, labels == 1].mean(axis=1),
        'loss': loss.mean(axis=1),
    }


def frequency_sweep(predict_fn: Callable[[jax.Array], jax.Array], windows,
                    labels, cutoffs=None, btype: str = 'lowpass',
                    batch_size: int = 64, sampling_rate: float = 40.0, *,
                    order: int = ORDER, stop_width: float = STOP_WIDTH
                    ) -> dict[str, np.ndarray]:
  """Accuracy and loss of a model on windows filtered at each cut-off.

  Windows go to the device one batch at a time (so `windows` may be a
  memory map); each batch is filtered at every cut-off and classified in one
  jitted call. The last batch is padded to `batch_size`
  (`seisjax.engine.data.map_batches`) so that the call compiles once.

  Args:
    predict_fn: jittable (batch, time, 3) float32 -> (batch,) precursor
      probabilities.
    windows: (n, time, channels) array-like.
    labels: (n,) 0 = noise, 1 = precursor.
    cutoffs: (n_cutoffs,) Hz; `default_cutoffs(sampling_rate)` if None. For
      'bandstop', centres of a stop band `stop_width` wide.
    btype: 'lowpass', 'highpass' or 'bandstop'.
    batch_size: windows per call.
    sampling_rate: Hz.
    order: Butterworth order.
    stop_width: Hz, for 'bandstop'.

  Returns:
    dict of (n_cutoffs,) arrays: `cutoff` and those of `sweep_metrics`.
  """
  cutoffs = (default_cutoffs(sampling_rate) if cutoffs is None
             else np.asarray(cutoffs, np.float64).reshape(-1))
  labels = np.asarray(labels).reshape(-1)
  n, n_time = len(windows), windows.shape[1]
  if len(labels) != n:
    raise ValueError(f'{n} windows but {len(labels)} labels.')
  responses = sweep_responses(cutoffs, padded_length(n_time), btype, order,
                              sampling_rate, stop_width)
  sweep = _sweep_fn(predict_fn, n_time)
  probs = np.ascontiguousarray(data.map_batches(
      lambda batch: sweep(batch, responses).T, windows, batch_size).T)
  # probs: (n_cutoffs, n)
  return {'cutoff': cutoffs, **sweep_metrics(probs, labels)}


def drop_cutoff(cutoffs, accuracy, baseline: float | None = None,
                tolerance: float = 0.05) -> float | None:
  """The low-pass cut-off below which the accuracy is lost.

  Rule: a cut-off is degraded when its accuracy is below `baseline -
  tolerance`. The drop is the highest cut-off of the run of degraded
  cut-offs that reaches down to the lowest cut-off: the highest degraded
  cut-off with every lower cut-off degraded too. An isolated dip above a
  recovery does not count.

  Args:
    cutoffs: (n,) Hz, any order.
    accuracy: (n,) fractions at those cut-offs.
    baseline: accuracy without filtering; by default the accuracy at the
      highest cut-off (Nyquist in the default sweep: no filter).
    tolerance: allowed loss of accuracy, as a fraction.

  Returns:
    The drop cut-off in Hz, or None if the lowest cut-off is not degraded.
  """
  cutoffs = np.asarray(cutoffs, np.float64).reshape(-1)
  accuracy = np.asarray(accuracy, np.float64).reshape(-1)
  order = np.argsort(cutoffs)
  cutoffs, accuracy = cutoffs[order], accuracy[order]  # Ascending.
  if baseline is None:
    baseline = accuracy[-1]
  degraded = accuracy < baseline - tolerance
  run = np.argmin(degraded) if not degraded.all() else len(degraded)
  return float(cutoffs[run - 1]) if run > 0 else None


def plot_frequency_sweep(result: dict[str, Any], path, drop: float | None =
                         None, title: str = '', xlabel: str =
                         'Low-pass cut-off (Hz)') -> None:
  """Draws accuracy and loss against cut-off, as the paper's Fig. 8.

  The x axis is logarithmic and runs from the highest cut-off down to the
  lowest, in the order in which the filter removes more and more.

  Args:
    result: from `frequency_sweep`.
    path: PNG file to write.
    drop: cut-off from `drop_cutoff`, marked if given.
    title: figure title.
    xlabel: x-axis label (say 'Stop band centre (Hz)' for band-stop).
  """
  cutoff = np.asarray(result['cutoff'], np.float64)
  order = np.argsort(cutoff)[::-1]
  fig = Figure(figsize=(7, 3.8))
  ax = fig.add_subplot()
  ax.plot(cutoff[order], np.asarray(result['accuracy'])[order], color='C0',
          marker='o', markersize=2, label='accuracy')
  ax.set_ylim(-0.02, 1.02)
  ax.set_ylabel('Accuracy', color='C0')
  loss_ax = ax.twinx()
  loss_ax.plot(cutoff[order], np.asarray(result['loss'])[order],
               color='C1', marker='s', markersize=2, label='loss')
  loss_ax.set_ylabel('Cross-entropy loss', color='C1')
  if drop is not None:
    ax.axvline(drop, color='C3', linestyle='--',
               label=f'accuracy lost at and below {drop:g} Hz')
  ax.set_xscale('log')
  ax.set_xlim(cutoff.max() * 1.1, cutoff.min() / 1.1)  # Descending.
  ax.set_xlabel(xlabel)
  ax.set_title(title)
  handles = (ax.get_legend_handles_labels()[0]
             + loss_ax.get_legend_handles_labels()[0])
  # On the twin axes, which are drawn last, so no curve hides an entry.
  loss_ax.legend(handles=handles, loc='best', fontsize=8, framealpha=0.9)
  fig.tight_layout()
  writers.save_figure(fig, path)
