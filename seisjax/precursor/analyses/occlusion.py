"""Time occlusion of one window (Ong et al., section 6, Fig. 7).

A mask of zeros slides along the window; at each position it is applied to
each channel alone and to all channels together, and the network scores every
masked copy. A large drop of the precursor score where the mask sits says the
network relies on that stretch (and channel) of the record.

  result = occlusion.time_occlusion(predict_fn, window)  # window (16384, 3)
  drop = occlusion.occlusion_drop(result)                # (40, 4)
  occlusion.plot_time_occlusion(window, result, 'occlusion.png')

Only masks that fit wholly inside the window are used: positions 0, stride,
..., up to the last start with start + mask <= time. For 16384 samples, mask
400 and stride 400 that is 40 positions (0 ... 15600), and the last 384
samples are never masked. A final partial mask would zero fewer samples than
the others and so would not be comparable with them.
"""

import functools

import jax
import jax.numpy as jnp
from matplotlib.figure import Figure
import numpy as np

from seisjax.engine import writers

CHANNELS = ('BH1', 'BH2', 'BHZ')
# Columns of `scores`: each channel masked alone, then all masked together.
CASES = CHANNELS + ('all',)


def mask_starts(n_time: int, mask: int, stride: int) -> np.ndarray:
  """Start samples of the masks that fit wholly inside `n_time` samples."""
  if not 0 < mask <= n_time:
    raise ValueError(f'mask {mask} must be in [1, {n_time}].')
  if stride < 1:
    raise ValueError(f'stride {stride} must be positive.')
  return np.arange(0, n_time - mask + 1, stride)


def _masked(window, start, selector, mask):
  """One copy of `window` with `mask` samples from `start` zeroed.

  Args:
    window: (time, channels).
    start: scalar start sample of the mask.
    selector: (channels,) bool, True where the channel is masked.
    mask: scalar mask length in samples.

  Returns:
    (time, channels) masked copy.
  """
  t = jnp.arange(window.shape[0])
  inside = (t >= start) & (t < start + mask)  # (time,)
  return jnp.where(inside[:, None] & selector[None, :], 0.0, window)


@functools.partial(jax.jit, static_argnums=0)
def _occluded_scores(predict_fn, window, starts, selectors, mask):
  """Scores chunks of masked copies of one window in a single compiled call.

  The masked copies are built on the device from the one window, so only a
  chunk of them exists at a time; `lax.map` runs the chunks one after the
  other inside the same program, so `predict_fn` is traced once.

  Args:
    predict_fn: (batch, time, channels) -> (batch,) precursor probabilities.
    window: (time, channels).
    starts: (chunks, chunk) int mask starts.
    selectors: (chunks, chunk, channels) bool, masked channels of each copy.
    mask: scalar mask length.

  Returns:
    (chunks, chunk) scores.
  """
  build = jax.vmap(_masked, in_axes=(None, 0, 0, None))

  def score_chunk(chunk):
    chunk_starts, chunk_selectors = chunk
    return predict_fn(build(window, chunk_starts, chunk_selectors, mask))

  return jax.lax.map(score_chunk, (starts, selectors))


def time_occlusion(predict_fn, window, mask: int = 400, stride: int = 400,
                   *, batch_size: int | None = None,
                   sampling_rate: float = 40.0) -> dict:
  """Scores a window under a zero mask slid along time, per channel and all.

  All masked copies, plus the unmasked window, go through `predict_fn` in one
  jitted call (traced once). With `batch_size`, the copies are built and
  scored `batch_size` at a time inside that call, which bounds device memory
  to one chunk of (batch_size, time, channels) inputs; the last chunk is
  padded with unmasked copies whose scores are dropped. Without it, all
  n_positions * (channels + 1) + 1 copies form one batch (161 copies, about
  31 MB of float32, for the paper's window).

  Args:
    predict_fn: jittable (batch, time, channels) -> (batch,) precursor
      probabilities. It must be hashable (a function is); compilations are
      cached per function, window shape and batch size.
    window: (time, channels) one window, channels BH1, BH2, BHZ.
    mask: mask length in samples.
    stride: step between mask positions in samples.
    batch_size: copies scored together, or None for all at once.
    sampling_rate: samples per second, for `time_s`.

  Returns:
    Dict with
      'start': (n_positions,) first masked sample of each position.
      'time_s': (n_positions,) centre of each mask, in s from the window's
        start ((start + mask / 2) / sampling_rate).
      'scores': (n_positions, channels + 1) score with the mask on each
        channel alone, then on all channels (columns `CASES`).
      'unmasked': float, score of the window itself.
  """
  window = jnp.asarray(window, jnp.float32)
  if window.ndim != 2:
    raise ValueError(f'window must be (time, channels), got {window.shape}.')
  n_time, n_channels = window.shape
  starts = mask_starts(n_time, mask, stride)
  n_pos, n_cases = starts.size, n_channels + 1

  # Copies in position-major order, then the unmasked window (no channel
  # selected), then padding copies of the unmasked window.
  cases = np.concatenate([np.eye(n_channels), np.ones((1, n_channels))])
  item_starts = np.append(np.repeat(starts, n_cases), 0)
  item_selectors = np.concatenate(
      [np.tile(cases, (n_pos, 1)), np.zeros((1, n_channels))])
  n_items = item_starts.size
  chunk = n_items if batch_size is None else min(batch_size, n_items)
  n_chunks = -(-n_items // chunk)
  pad = n_chunks * chunk - n_items
  item_starts = np.pad(item_starts, (0, pad))
  item_selectors = np.pad(item_selectors, ((0, pad), (0, 0)))

  scores = _occluded_scores(
      predict_fn, window,
      jnp.asarray(item_starts.reshape(n_chunks, chunk), jnp.int32),
      jnp.asarray(item_selectors.reshape(n_chunks, chunk, n_channels), bool),
      jnp.int32(mask))
  scores = np.asarray(scores).reshape(-1)[:n_items]
  return {
      'start': starts,
      'time_s': (starts + mask / 2) / sampling_rate,
      'scores': scores[:-1].reshape(n_pos, n_cases),
      'unmasked': float(scores[-1]),
  }


def occlusion_drop(result) -> np.ndarray:
  """Drop of the score under each mask: unmasked - masked.

  Args:
    result: dict from `time_occlusion`.

  Returns:
    (n_positions, channels + 1) drops; positive where masking lowers the
    precursor score.
  """
  return result['unmasked'] - np.asarray(result['scores'])


def plot_time_occlusion(window, result, path, sampling_rate: float = 40.0,
                        title: str = '') -> None:
  """Draws a window and its occlusion scores as in the paper's Fig. 7.

  One panel per channel on top, with the mask of the largest drop (all
  channels masked) shaded; below, the score at each mask position for every
  case against the mask centre, and the unmasked score as a dashed line.

  Args:
    window: (time, channels) the occluded window.
    result: dict from `time_occlusion` on that window.
    path: PNG file to write.
    sampling_rate: samples per second.
    title: figure title.
  """
  window = np.asarray(window)
  n_time, n_channels = window.shape
  t = np.arange(n_time) / sampling_rate
  time_s = np.asarray(result['time_s'])
  scores = np.asarray(result['scores'])
  worst = int(np.argmax(occlusion_drop(result)[:, -1]))
  half_width = time_s[worst] - result['start'][worst] / sampling_rate

  # A bare Figure, not pyplot: no global backend or figure registry to leak.
  fig = Figure(figsize=(8, 7))
  axes = fig.subplots(n_channels + 1, 1, sharex=True,
                      gridspec_kw={'height_ratios': [1] * n_channels + [2]})
  names = CHANNELS if n_channels == len(CHANNELS) else [
      f'ch{c}' for c in range(n_channels)]
  for c, ax in enumerate(axes[:-1]):
    ax.plot(t, window[:, c], color='k', linewidth=0.4)
    ax.axvspan(time_s[worst] - half_width, time_s[worst] + half_width,
               color='C3', alpha=0.25)
    ax.set_ylabel(names[c])
  ax = axes[-1]
  for k, name in enumerate(list(names) + ['all']):
    ax.plot(time_s, scores[:, k], marker='o', markersize=2.5,
            linewidth=1, label=f'{name} masked')
  ax.axhline(float(result['unmasked']), color='k', linestyle='--',
             linewidth=1, label='unmasked')
  # Scaled to the scores, not to [0, 1]: a short mask on a long window moves
  # the score by little, and that little is the result.
  ax.margins(y=0.1)
  ax.set_xlabel('Time in window (s); scores at mask centres')
  ax.set_ylabel('Precursor score')
  ax.legend(loc='lower left', fontsize=7, ncol=5)
  axes[0].set_title(title)
  fig.tight_layout()
  writers.save_figure(fig, path)
