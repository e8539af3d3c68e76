"""Scores and spectrograms of sequential windows (Ong et al., Figs. 6 and 9).

The windows of an event's record, in time order, are scored one by one; the
window after which the score rises most is where the network starts to see a
precursor (Fig. 6). The spectrogram of the same windows shows what changed in
the record there (Fig. 9).

  result = sequential.sequential_scores(predict_fn, windows, end_times)
  sequential.plot_sequential(result, 'sequential.png')
  spec, freqs, times = sequential.spectrogram(windows)
  sequential.plot_spectrogram(spec, freqs, times, result['score'],
                              end_times, 'spectrogram.png')

Times are in seconds relative to the event: negative before it.
"""

import functools

import jax
import jax.numpy as jnp
from matplotlib import colors
from matplotlib.figure import Figure
import numpy as np

from seisjax.engine import data
from seisjax.engine import writers
from seisjax.precursor.analyses import spectra

# Vertical component (BHZ) of (time, 3) windows ordered BH1, BH2, BHZ.
VERTICAL = 2


@functools.partial(jax.jit, static_argnums=0)
def _predict(predict_fn, x):
  return predict_fn(x)


def predict_batches(predict_fn, windows, batch_size: int = 64) -> np.ndarray:
  """Scores (n, time, 3) windows in jitted batches: (n,) probabilities."""
  return data.map_batches(functools.partial(_predict, predict_fn), windows,
                          batch_size)


def sequential_scores(predict_fn, windows, end_times,
                      batch_size: int = 64) -> dict:
  """Scores windows in time order and finds the largest rise between two.

  Args:
    predict_fn: jittable (batch, time, 3) -> (batch,) precursor
      probabilities. It must be hashable (a function is); it is jitted and
      compiled once per function and chunk shape.
    windows: (n, time, 3) windows in time order, n >= 2.
    end_times: (n,) strictly increasing time of each window's end, in s
      relative to the event.
    batch_size: windows scored per call.

  Returns:
    Dict with
      'end_time_s': (n,) the end times.
      'score': (n,) precursor score of each window.
      'largest_rise': index i >= 1 where score[i] - score[i - 1] is largest
        (the first such i on a tie).
      'largest_rise_time_s': end time of window i.
      'rise': score[i] - score[i - 1] there (negative if the score only
        falls).
  """
  windows = np.asarray(windows, np.float32)
  end_times = np.asarray(end_times, np.float64)
  if windows.ndim != 3 or end_times.shape != windows.shape[:1]:
    raise ValueError(f'windows {windows.shape} must be (n, time, channels) '
                     f'with one end time each, got {end_times.shape}.')
  if windows.shape[0] < 2:
    raise ValueError('A rise needs at least two windows.')
  if np.any(np.diff(end_times) <= 0):
    raise ValueError('end_times must be strictly increasing (time order).')
  score = predict_batches(predict_fn, windows, batch_size)
  rises = np.diff(score)  # rises[i - 1] = score[i] - score[i - 1]
  i = int(np.argmax(rises)) + 1
  return {
      'end_time_s': end_times,
      'score': score,
      'largest_rise': i,
      'largest_rise_time_s': float(end_times[i]),
      'rise': float(rises[i - 1]),
  }


def _time_unit(times_s):
  """Hours for spans over 3 h, else minutes: (divisor in s, label)."""
  span = np.ptp(times_s) if np.size(times_s) else 0.0
  return (3600.0, 'h') if span > 3 * 3600.0 else (60.0, 'min')


def plot_sequential(result, path, title: str = '') -> None:
  """Draws the score of sequential windows as in the paper's Fig. 6.

  The score is plotted at each window's end, in minutes (hours for records
  over 3 h) relative to the event, with the largest rise marked.

  Args:
    result: dict from `sequential_scores`.
    path: PNG file to write.
    title: figure title.
  """
  t = np.asarray(result['end_time_s'])
  score = np.asarray(result['score'])
  unit_s, unit = _time_unit(t)
  i = result['largest_rise']

  # A bare Figure, not pyplot: no global backend or figure registry to leak.
  fig = Figure(figsize=(7, 3.8))
  ax = fig.add_subplot()
  ax.plot(t / unit_s, score, marker='o', markersize=2.5, linewidth=1)
  ax.axhline(0.5, color='0.6', linestyle=':', linewidth=1)
  ax.axvline(t[i] / unit_s, color='C3', linestyle='--', linewidth=1,
             label=(f'largest rise {result["rise"]:+.2f} at '
                    f'{t[i] / unit_s:.1f} {unit}'))
  ax.plot(t[i - 1:i + 1] / unit_s, score[i - 1:i + 1], color='C3',
          linewidth=2.5)
  ax.set_ylim(-0.02, 1.02)
  ax.set_xlabel(f'Window end relative to the event ({unit})')
  ax.set_ylabel('Precursor score')
  ax.set_title(title)
  ax.legend(loc='upper left', fontsize=8)
  fig.tight_layout()
  writers.save_figure(fig, path)


@functools.partial(jax.jit, static_argnames=('window', 'stride', 'channel'))
def _stft_magnitude(x, window: int, stride: int, channel: int):
  """|STFT| of one channel of a batch of windows.

  Args:
    x: (batch, time, channels).
    window: segment length in samples.
    stride: step between segments in samples.
    channel: channel to transform.

  Returns:
    (batch, n_segments, window // 2 + 1) amplitudes.
  """
  n_segments = (x.shape[1] - window) // stride + 1
  idx = (jnp.arange(n_segments)[:, None] * stride
         + jnp.arange(window)[None, :])  # (n_segments, window)
  segments = x[:, idx, channel] * spectra.hann(window)  # (batch, n_seg, window)
  # One-sided amplitude: a sinusoid of amplitude A centred on a bin reads A.
  scale = 2.0 / jnp.sum(spectra.hann(window))
  return jnp.abs(jnp.fft.rfft(segments, axis=-1)) * scale


def spectrogram(windows, window: int = 1000, stride: int = 500,
                sampling_rate: float = 40.0, *, channel: int = VERTICAL,
                batch_size: int = 64):
  """Short-time amplitude spectra of the vertical component of each window.

  Each window is cut into segments of `window` samples at `stride`; only
  full segments are used, so there are floor((time - window) / stride) + 1
  of them (31 for 16384 samples, 1000 and 500; the last 384 samples are left
  out). Each segment is tapered with a periodic Hann window (scipy's 'hann')
  without detrending, and its one-sided |FFT| is scaled by 2 / sum(taper) so
  that a sinusoid of amplitude A on a bin centre reads A (the DC and Nyquist
  bins read twice their amplitude). This is 2 |Z| of
  `scipy.signal.stft(..., boundary=None, padded=False, detrend=False,
  scaling='spectrum')`.

  Args:
    windows: (n, time, channels) windows, e.g. in time order.
    window: segment length in samples (1000 = 25 s at 40 Hz, 0.04 Hz bins).
    stride: step between segments in samples.
    sampling_rate: samples per second.
    channel: component to transform; BHZ by default, as it carries the
      vertical P-wave energy that the precursor windows are labelled on.
    batch_size: windows transformed per call.

  Returns:
    spec: (n, n_segments, window // 2 + 1) amplitudes.
    freqs: (window // 2 + 1,) frequencies in Hz.
    times: (n_segments,) centre of each segment in s relative to its
      window's end (negative), so end_time + times places it in the record.
  """
  windows = np.asarray(windows, np.float32)
  n_time = windows.shape[1]
  if not 0 < window <= n_time or stride < 1:
    raise ValueError(f'Segments of {window} at stride {stride} do not fit '
                     f'windows of {n_time} samples.')
  fn = functools.partial(_stft_magnitude, window=window, stride=stride,
                         channel=channel)
  spec = data.map_batches(fn, windows, batch_size)
  freqs = np.fft.rfftfreq(window, 1.0 / sampling_rate)
  starts = np.arange(spec.shape[1]) * stride
  times = (starts + window / 2 - n_time) / sampling_rate
  return spec, freqs, times


def _record_columns(spec, times, end_times):
  """Pieces the spectrogram of a record together from overlapping windows.

  A segment is taken from the first window that reaches it: each window
  adds only the segments centred at least half a segment stride after the
  newest one taken so far. Adjacent columns meet half-way between their
  centres; where windows leave a gap, a NaN column fills it.

  Args:
    spec: (n, n_segments, n_freq) spectrogram of each window.
    times: (n_segments,) segment centres relative to the window's end, in s.
    end_times: (n,) increasing window end times, in s.

  Returns:
    edges: (m + 1,) column edges in s.
    columns: (m, n_freq) amplitude of each column, NaN in gaps.
  """
  step = times[1] - times[0] if times.size > 1 else 1.0
  centres, columns = [], []
  for i in range(spec.shape[0]):
    seg_centres = end_times[i] + times
    new = seg_centres > (centres[-1] if centres else -np.inf) + step / 2
    centres.extend(seg_centres[new])
    columns.extend(spec[i, new])

  gap_column = np.full(spec.shape[-1], np.nan)
  edges, values = [centres[0] - step / 2], []
  for k, centre in enumerate(centres):
    values.append(columns[k])
    if k + 1 == len(centres):
      edges.append(centre + step / 2)
    elif centres[k + 1] - centre > 1.5 * step:
      edges += [centre + step / 2, centres[k + 1] - step / 2]
      values.append(gap_column)
    else:
      edges.append((centre + centres[k + 1]) / 2)
  return np.asarray(edges), np.asarray(values)


def plot_spectrogram(spec, freqs, times, scores, end_times, path,
                     fmax: float = 2.0, title: str = '') -> None:
  """Draws the spectrogram of consecutive windows as in the paper's Fig. 9.

  Consecutive windows overlap (at stride 1010 samples each new window adds
  25 s), so the record's spectrogram is pieced together without repeats:
  each stretch of the record is shown from the first window that reaches it,
  placed at its time relative to the event. Windows that do not overlap
  leave a blank gap. Amplitudes are on a shared log colour scale,
  frequencies up to `fmax`; the network's score per window is drawn above
  on the same time axis.

  Args:
    spec: (n, n_segments, n_freq) from `spectrogram`.
    freqs: (n_freq,) in Hz.
    times: (n_segments,) segment centres relative to the window's end, in s.
    scores: (n,) precursor score of each window.
    end_times: (n,) increasing end time of each window, in s relative to the
      event.
    path: PNG file to write.
    fmax: highest frequency shown, in Hz.
    title: figure title.
  """
  spec = np.asarray(spec)
  freqs = np.asarray(freqs)
  times = np.asarray(times)
  end_times = np.asarray(end_times, np.float64)
  keep_f = freqs <= fmax
  shown = spec[:, :, keep_f]  # (n, n_segments, n_shown)
  top = max(float(shown.max()), np.finfo(np.float32).tiny)
  # Five decades below the peak is well under a record's noise floor; the
  # floor also keeps exact zeros off the log scale.
  norm = colors.LogNorm(vmin=top * 1e-5, vmax=top)
  df = freqs[1] - freqs[0]
  f_edges = np.append(freqs[keep_f], freqs[keep_f][-1] + df) - df / 2
  unit_s, unit = _time_unit(np.append(end_times, end_times[0] + times[0]))

  # A bare Figure, not pyplot: no global backend or figure registry to leak.
  fig = Figure(figsize=(9, 5), layout='constrained')
  ax_score, ax_spec = fig.subplots(
      2, 1, sharex=True, gridspec_kw={'height_ratios': [1, 3]})
  t_edges, columns = _record_columns(shown, times, end_times)
  mesh = ax_spec.pcolormesh(
      t_edges / unit_s, f_edges,
      np.ma.masked_invalid(np.maximum(columns, norm.vmin)).T,
      norm=norm, cmap='magma', shading='flat')
  fig.colorbar(mesh, ax=[ax_score, ax_spec], label='|STFT| amplitude',
               pad=0.01)
  ax_spec.set_ylim(0.0, fmax)
  ax_spec.set_xlabel(f'Time relative to the event ({unit})')
  ax_spec.set_ylabel('Frequency (Hz)')
  ax_score.plot(end_times / unit_s, np.asarray(scores), marker='o',
                markersize=2.5, linewidth=1)
  ax_score.axhline(0.5, color='0.6', linestyle=':', linewidth=1)
  ax_score.set_ylim(-0.02, 1.02)
  ax_score.set_ylabel('Score at\nwindow end')
  ax_score.set_title(title)
  writers.save_figure(fig, path)
