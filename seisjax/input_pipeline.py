"""From the TFDS builder to windows: event splits, normalisation, grain.

The builder stores one example per (event, interval): the interval's span of
lead-in + interval samples. Here we pick the events of each split, read the
intervals they need, normalise each span jointly over its three components,
and serve its 37 windows. Spans are small enough to hold in memory (a few
hundred MB for the paper's set), so windows are cut as views, not copies.
"""

import dataclasses

import grain
import numpy as np

from seisjax import windowing

NOISE, PRECURSOR, UNLABELLED = 0, 1, -1


def get_builder(data, data_dir: str | None = None):
  """The TFDS builder of `config.data` (not yet prepared)."""
  if data.name != 'synthetic_precursor':
    raise ValueError(f'Unknown precursor dataset {data.name!r}.')
  # pylint: disable-next=g-import-not-at-top
  from seisjax_datasets.synthetic_precursor import (
      synthetic_precursor_dataset_builder as builder_lib)
  config = builder_lib.make_config(
      n_events=data.n_events, snr=float(data.snr), seed=data.generator_seed,
      sampling_rate=data.sampling_rate, n_intervals=data.n_intervals,
      interval_samples=data.interval_samples,
      lead_in_samples=windowing.lead_in_samples(
          data.window_samples, data.window_stride,
          data.windows_per_interval, data.interval_samples),
      onset_fraction=data.onset_fraction,
      noise_files=tuple(data.noise_files))
  return builder_lib.Builder(config=config, data_dir=data_dir,
                             file_format='array_record')


def split_events(n_events: int, n_test: int, n_val: int,
                 seed: int) -> dict[str, np.ndarray]:
  """A random split of event indices into train, val and test (sorted)."""
  if n_test + n_val >= n_events:
    raise ValueError(f'{n_events} events leave none for training after '
                     f'{n_test} test and {n_val} validation events.')
  order = np.random.default_rng(seed).permutation(n_events)
  return {'test': np.sort(order[:n_test]),
          'val': np.sort(order[n_test:n_test + n_val]),
          'train': np.sort(order[n_test + n_val:])}


@dataclasses.dataclass
class WindowSet:
  """Windows of some intervals of some events, as a grain data source.

  Attributes:
    spans: (n_spans, span_samples, 3) jointly normalised interval spans.
    events: (n_spans,) event index of each span.
    intervals: (n_spans,) 1-based interval of each span.
    labels: (n_spans,) NOISE, PRECURSOR or UNLABELLED; or (members, n_spans)
      where each member of an ensemble has its own labels (the permutation
      test, seisjax/significance.py): a window's label is then (members,).
    window, stride, n_windows: the windowing of each span.
  """
  spans: np.ndarray
  events: np.ndarray
  intervals: np.ndarray
  labels: np.ndarray
  window: int
  stride: int
  n_windows: int

  def __post_init__(self):
    self._starts = windowing.window_starts(
        self.spans.shape[1], self.window, self.stride, self.n_windows)

  def __len__(self) -> int:
    return len(self.spans) * self.n_windows

  def __getitem__(self, index: int) -> dict[str, np.ndarray]:
    span, w = divmod(int(index), self.n_windows)
    start = self._starts[w]
    return {'x': self.spans[span, start:start + self.window],
            'label': self.labels[..., span].astype(np.int32)}

  def per_window(self, values: np.ndarray) -> np.ndarray:
    """Repeats per-span values once per window: (..., n_spans) -> (..., len)."""
    return np.repeat(values, self.n_windows, axis=-1)

  def batches(self, batch_size: int):
    return padded_batches(self, batch_size)


def padded_batches(source, batch_size: int):
  """Yields (x, n_valid) of a data source in order, for evaluation.

  Args:
    source: items are dicts with 'x'.
    batch_size: every batch has this size; the last is zero-padded, and
      n_valid says how many of its windows are real.
  """
  for begin in range(0, len(source), batch_size):
    x = np.stack([source[i]['x']
                  for i in range(begin, min(begin + batch_size, len(source)))])
    n = len(x)
    if n < batch_size:
      x = np.concatenate([x, np.zeros((batch_size - n, *x.shape[1:]),
                                      x.dtype)])
    yield x, n


def read_window_set(source, events, intervals, data) -> WindowSet:
  """Reads and normalises the given intervals of the given events.

  Args:
    source: the builder's random-access data source (split 'events').
    events: event indices to read.
    intervals: 1-based interval indices to read for every event.
    data: `config.data`.

  Returns:
    A WindowSet; spans labelled by `data.noise_interval` and
    `data.precursor_interval`, the others UNLABELLED.
  """
  spans, span_events, span_intervals = [], [], []
  for event in events:
    for interval in intervals:
      example = source[int(event) * data.n_intervals + int(interval) - 1]
      if (example['event'], example['interval']) != (event, interval):
        raise ValueError(
            f'Dataset order is not (event, interval): expected '
            f'({event}, {interval}), found ({example["event"]}, '
            f'{example["interval"]}). Rebuild the dataset.')
      spans.append(windowing.normalize_jointly(example['waveform'],
                                               data.normalization))
      span_events.append(event)
      span_intervals.append(interval)
  span_intervals = np.asarray(span_intervals, np.int32)
  labels = np.full(len(span_intervals), UNLABELLED, np.int32)
  labels[span_intervals == data.noise_interval] = NOISE
  labels[span_intervals == data.precursor_interval] = PRECURSOR
  return WindowSet(np.stack(spans), np.asarray(span_events, np.int32),
                   span_intervals, labels, data.window_samples,
                   data.window_stride, data.windows_per_interval)


@dataclasses.dataclass
class Datasets:
  train: WindowSet
  val: WindowSet
  test_all: WindowSet  # Every interval of the test events.
  splits: dict[str, np.ndarray]
  dataset_name: str
  dataset_version: str


def get_datasets(data, data_dir: str | None = None) -> Datasets:
  """Builds the dataset if needed and reads the windows of every split."""
  builder = get_builder(data, data_dir)
  builder.download_and_prepare()
  source = builder.as_data_source(split='events')
  splits = split_events(data.n_events, data.n_test_events, data.n_val_events,
                        data.split_seed)
  labelled = (data.noise_interval, data.precursor_interval)
  return Datasets(
      train=read_window_set(source, splits['train'], labelled, data),
      val=read_window_set(source, splits['val'], labelled, data),
      test_all=read_window_set(source, splits['test'],
                               range(1, data.n_intervals + 1), data),
      splits=splits,
      dataset_name=f'{builder.name}/{builder.builder_config.name}',
      dataset_version=str(builder.version))


def labelled(window_set: WindowSet) -> WindowSet:
  """The spans of `window_set` that carry a label."""
  keep = window_set.labels != UNLABELLED
  return dataclasses.replace(
      window_set, spans=window_set.spans[keep],
      events=window_set.events[keep], intervals=window_set.intervals[keep],
      labels=window_set.labels[keep])


def train_iterator(train: WindowSet, batch_size: int, num_epochs: int,
                   seed: int, num_threads: int = 2):
  """A checkpointable grain iterator of shuffled batches, reshuffled per epoch."""
  dataset = (grain.MapDataset.source(train).shuffle(seed=seed)
             .repeat(num_epochs).batch(batch_size, drop_remainder=True))
  return iter(dataset.to_iter_dataset(
      grain.ReadOptions(num_threads=num_threads, prefetch_buffer_size=4)))
