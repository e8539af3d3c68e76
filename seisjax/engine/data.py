"""Windows to batches: the one batching helper and the training iterator.

A window source is anything grain can read: `len(source)` windows, and
`source[i]` a dict of numpy arrays with the input under 'x' (time,
channels) and the task's targets under other keys. The studies' window sets
(seisjax.precursor.data, seisjax.picking.data) are such sources; a plain
array of inputs serves where there are no targets (`padded_batches`).
"""

from typing import Iterator, Protocol, runtime_checkable

import grain
import numpy as np


@runtime_checkable
class WindowSource(Protocol):
  """Random access to windows: what grain and `padded_batches` read."""

  def __len__(self) -> int:
    ...

  def __getitem__(self, index: int) -> dict:
    """{'x': (time, channels) float32, **targets} of window `index`."""


def padded_batches(source, batch_size: int
                   ) -> Iterator[tuple[np.ndarray, int]]:
  """Yields (x, n_valid) of a source in order, every batch full.

  The last batch is padded with copies of the source's last window, not
  zeros (a network that normalises its input would turn zeros into NaN), so
  a jitted function sees one shape and compiles once; its outputs beyond
  n_valid are to be dropped.

  Args:
    source: a `WindowSource`, or an array whose rows are the inputs.
    batch_size: windows per batch.
  """
  n = len(source)
  is_array = hasattr(source, 'shape')  # numpy or jax
  item = (lambda i: source[i]) if is_array else (lambda i: source[i]['x'])
  for begin in range(0, n, batch_size):
    stop = min(begin + batch_size, n)
    index = list(range(begin, stop)) + [n - 1] * (batch_size - stop + begin)
    yield np.stack([item(i) for i in index]), stop - begin


def map_batches(fn, source, batch_size: int) -> np.ndarray:
  """`fn` on every window of a source, one padded batch at a time.

  Args:
    fn: (batch, ...) -> (batch, ...), typically jitted.
    source: as in `padded_batches`.
    batch_size: windows per call (at most the source's length is used).

  Returns:
    (n, ...) outputs as numpy.
  """
  batch_size = max(1, min(batch_size, len(source)))
  return np.concatenate([np.asarray(fn(x))[:n]
                         for x, n in padded_batches(source, batch_size)])


def train_iterator(source: WindowSource, batch_size: int, num_epochs: int,
                   seed: int, num_threads: int = 2,
                   rows: tuple[int, int] | None = None):
  """A checkpointable grain iterator of shuffled batches, reshuffled per epoch.

  Batches are stacked dicts of the source's items; an incomplete last
  batch of each pass is dropped.

  Args:
    source: the training windows.
    batch_size: windows per (global) batch.
    num_epochs: passes over the source.
    seed: of the shuffle, the same in every process.
    num_threads: grain's reading threads.
    rows: [lo, hi), the rows of every global batch this process reads (in
      a run of several processes: `distributed.local_rows`); None for all.
      Process p's k-th batch is then rows lo..hi of the global batch k, so
      the processes together see exactly the batches one process would.
  """
  dataset = grain.MapDataset.source(source).shuffle(seed=seed).repeat(
      num_epochs)
  lo, hi = rows or (0, batch_size)
  if (lo, hi) == (0, batch_size):
    dataset = dataset.batch(batch_size, drop_remainder=True)
  else:
    block = hi - lo
    if batch_size % block or lo % block:
      raise ValueError(f'Rows {lo}..{hi} are not a block of a batch of '
                       f'{batch_size}.')
    dataset = dataset.batch(block, drop_remainder=True)[
        lo // block::batch_size // block]
  return iter(dataset.to_iter_dataset(
      grain.ReadOptions(num_threads=num_threads, prefetch_buffer_size=4)))
