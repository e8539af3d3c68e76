"""Intervals, windows and joint normalisation of the precursor study.

Ong et al. (section 4) split each event's 10 h record into 36 intervals of
40000 samples (1000 s at 40 Hz) and cut every interval into 37 windows of
16384 samples that overlap by 15374 samples (stride 1010).

Those numbers do not fit inside one interval: 37 windows at stride 1010 span
16384 + 36 * 1010 = 52744 samples. We keep the paper's numbers and anchor the
windows at the interval's end: the last window ends where the interval ends
(for interval 36, at the origin time), and the first reaches back 12744
samples (the "lead-in") before the interval starts. Records are therefore
stored as 10 h plus that lead-in, and each interval is handled as its span of
lead-in + interval samples.
"""

import numpy as np


def span_samples(window: int, stride: int, n_windows: int) -> int:
  """Samples covered by `n_windows` windows of `window` at `stride`."""
  return window + (n_windows - 1) * stride


def lead_in_samples(window: int, stride: int, n_windows: int,
                    interval: int) -> int:
  """Samples before an interval's start that its first window reaches back."""
  return max(0, span_samples(window, stride, n_windows) - interval)


def window_starts(span: int, window: int, stride: int,
                  n_windows: int) -> np.ndarray:
  """Start indices of the windows in a span, oldest first, last at the end.

  Args:
    span: length of the interval span (lead-in + interval) in samples.
    window: window length in samples.
    stride: step between consecutive windows in samples.
    n_windows: number of windows.

  Returns:
    (n_windows,) int array; the last window ends exactly at `span`.
  """
  starts = span - window - stride * np.arange(n_windows)[::-1]
  if starts[0] < 0:
    raise ValueError(
        f'{n_windows} windows of {window} at stride {stride} need '
        f'{span_samples(window, stride, n_windows)} samples, the span has '
        f'{span}.')
  return starts


def normalize_jointly(x: np.ndarray, scale: str = 'std') -> np.ndarray:
  """Removes the mean and scales the three components together.

  One mean and one scale for all components (not one per component), so the
  offsets and amplitude ratios between components survive normalisation.

  Args:
    x: (..., time, channels) interval span(s).
    scale: 'std' divides by the joint standard deviation, 'max' by the joint
      maximum absolute value.

  Returns:
    float32 array of the same shape.
  """
  x = np.asarray(x, np.float32)
  x = x - x.mean(axis=(-2, -1), keepdims=True)
  if scale == 'std':
    s = x.std(axis=(-2, -1), keepdims=True)
  elif scale == 'max':
    s = np.abs(x).max(axis=(-2, -1), keepdims=True)
  else:
    raise ValueError(f"scale must be 'std' or 'max', got {scale!r}.")
  if np.any(s == 0) or not np.all(np.isfinite(s)):
    raise ValueError('Cannot normalise a constant or non-finite interval.')
  return x / s


def cut_windows(span: np.ndarray, window: int, stride: int,
                n_windows: int) -> np.ndarray:
  """Windows of one span as a view, no copy.

  Args:
    span: (span_samples, channels).
    window, stride, n_windows: the windowing.

  Returns:
    (n_windows, window, channels) view into `span`.
  """
  starts = window_starts(span.shape[0], window, stride, n_windows)
  view = np.lib.stride_tricks.sliding_window_view(span, window, axis=0)
  # view: (span - window + 1, channels, window) -> pick starts, time second.
  return view[starts].transpose(0, 2, 1)
