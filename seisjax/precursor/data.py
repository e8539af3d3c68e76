"""From the TFDS builders to windows: event splits and normalisation.

The builders (datasets/synthetic_precursor, datasets/japan_precursor) store
one example per (event, interval): the interval's span of lead-in +
interval samples. Here we pick the events of each split, read the intervals
they need, normalise each span jointly over its three components, and serve
its 37 windows as a window source for the engine (seisjax.engine.data).
Spans are small enough to hold in memory (a few hundred MB for the paper's
set), so windows are cut as views, not copies.
"""

import dataclasses

import numpy as np
import seisjax_datasets
from seisjax_datasets.japan_precursor import japan_precursor_dataset_builder
from seisjax_datasets.synthetic_precursor import (
    synthetic_precursor_dataset_builder)

from seisjax.engine import validation
from seisjax.precursor import windowing

NOISE, PRECURSOR, UNLABELLED = 0, 1, -1


GROUPS = ('A', 'B', 'noise_b')


_BUILDERS = ('synthetic_precursor', 'japan_precursor')


def group_builder(data, data_dir: str | None = None, group: str = 'A'):
  """The TFDS builder (not prepared) of one record group of `config.data`.

  Groups: 'A', the training and test records (set A, or the fake-event
  control); 'B', the verification records (set B); 'noise_b', noise windows
  far from any event, one interval long. Synthetic set B and noise B come
  from other generator seeds, and noise B has no precursor (snr 0).
  """
  if data.name == 'japan_precursor':
    kind = {'A': 'fake' if data.get('fake') else 'set_a', 'B': 'set_b',
            'noise_b': 'noise_b'}[group]
    return japan_precursor_dataset_builder.make_builder(data, kind, data_dir)
  if data.name != 'synthetic_precursor':
    raise ValueError(f'Unknown precursor dataset {data.name!r}.')
  builder_lib = synthetic_precursor_dataset_builder
  n_events, seed, snr, n_intervals = {
      'A': (data.n_events, 0, data.snr, data.n_intervals),
      'B': (data.n_verify_events, 1, data.snr, data.n_intervals),
      'noise_b': (data.n_noise_b, 2, 0.0, 1)}[group]
  config = builder_lib.make_config(
      n_events=n_events, snr=float(snr), seed=data.generator_seed + seed,
      sampling_rate=data.sampling_rate, n_intervals=n_intervals,
      interval_samples=data.interval_samples,
      lead_in_samples=windowing.lead_in_samples(
          data.window_samples, data.window_stride,
          data.windows_per_interval, data.interval_samples),
      onset_fraction=data.onset_fraction,
      noise_files=tuple(data.noise_files))
  return builder_lib.Builder(config=config, data_dir=data_dir,
                             file_format='array_record')


def planted_precursor(data, event: int) -> np.ndarray:
  """The precursor planted in record `event` of synthetic set A: (n, 3).

  The ground truth the analyses check a trained network against; n is the
  record's stored length (lead-in + n_intervals * interval samples).
  """
  if data.name != 'synthetic_precursor':
    raise ValueError(f'{data.name!r} records have no planted precursor.')
  builder = group_builder(data)
  return synthetic_precursor_dataset_builder.event_parts(
      builder.builder_config, event)[1]


@dataclasses.dataclass
class SpanRecords:
  """The records of one or more builders, numbered 0... in builder order.

  Each builder stores one example per (record, interval), record-major.

  Attributes:
    sources: (data source, n_records, n_intervals) of each builder.
    group: (n,) 'A', 'B' or 'noise_b' (see `group_builder`).
    split: (n,) the catalogue's split of each record ('train', 'test',
      'verify'), '' where the data set gives none (synthetic records).
    names: '<name>/<config>' of each builder.
    versions: the builders' versions.
    labels: (n,) a name of each record for tables, e.g. its origin time.
  """
  sources: list
  group: np.ndarray
  split: np.ndarray
  names: list
  versions: list
  labels: np.ndarray | None = None

  def span(self, event: int, interval: int) -> np.ndarray:
    """The stored span (lead-in + interval samples, 3) of a record."""
    local = int(event)
    for source, n_records, n_intervals in self.sources:
      if local < n_records:
        break
      local -= n_records
    else:
      raise IndexError(f'record {event} of {len(self.group)}')
    example = source[local * n_intervals + int(interval) - 1]
    if (example['event'], example['interval']) != (local, interval):
      raise ValueError(
          f'Dataset order is not (event, interval): expected '
          f'({local}, {interval}), found ({example["event"]}, '
          f'{example["interval"]}). Rebuild the dataset.')
    return example['waveform']


def _record_info(builder, group: str, n_records: int):
  """The catalogue split ('' if none) and a name of each record of a builder.

  Real records are named by their end (the origin time of an event),
  synthetic ones by group and index.
  """
  records = (builder.info.metadata or {}).get('records')
  if not records:
    return ([''] * n_records,
            [f'{group} {i:03d}' for i in range(n_records)])
  prefix = '' if group in ('A', 'B') else f'{group} '
  return ([r.get('split', '') for r in records],
          [f'{prefix}{r["time"][:19]}' for r in records])


def load_records(data, data_dir: str | None = None) -> SpanRecords:
  """Builds (if needed) and opens every record group of `config.data`."""
  sources, group, split, labels, names, versions = [], [], [], [], [], []
  wanted = {'A': True, 'B': data.n_verify_events, 'noise_b': data.n_noise_b}
  for name in (g for g in GROUPS if wanted[g]):
    builder = group_builder(data, data_dir, name)
    seisjax_datasets.prepare(builder)
    metadata = builder.info.metadata
    n_intervals = int(metadata['n_intervals'])
    n_records = builder.info.splits['events'].num_examples // n_intervals
    sources.append((seisjax_datasets.open_split(builder, 'events'), n_records,
                    n_intervals))
    group += [name] * n_records
    record_split, record_names = _record_info(builder, name, n_records)
    split += record_split
    labels += record_names
    names.append(f'{builder.name}/{builder.builder_config.name}')
    versions.append(str(builder.version))
  return SpanRecords(sources, np.array(group, dtype=object),
                 np.array(split, dtype=object), names, versions,
                 np.array(labels, dtype=object))


def _take(rng, pool: np.ndarray, n: int, what: str):
  """n random members of pool and the rest, both sorted."""
  if n > len(pool):
    raise ValueError(f'{what}: {n} asked of {len(pool)}.')
  order = rng.permutation(pool)
  return np.sort(order[:n]), np.sort(order[n:])


def split_records(records: SpanRecords, data) -> dict[str, np.ndarray]:
  """Train, val, test and verify records, by event, never by window.

  - `data.split == 'random'`: `n_test_events` test records drawn from set A;
    'catalogue': the catalogue's train/test column (the paper's Table 1).
  - Validation records are drawn from the training ones.
  - Set B is the verification set; with `data.pool_sets` (Section 7.2) sets
    A and B are pooled and `n_test_events` and `n_verify_events` are drawn
    from the pool at random.
  - Noise B windows go to train, val and test in the proportions of set A.

  Returns:
    Sorted record indices per split; 'verify' may be empty.
  """
  rng = np.random.default_rng(data.split_seed)
  index = np.arange(len(records.group))
  a, b = index[records.group == 'A'], index[records.group == 'B']
  verify = b
  if data.pool_sets:
    verify, a = _take(rng, np.concatenate([a, b]), data.n_verify_events,
                      'verification records')
    test, train = _take(rng, a, data.n_test_events, 'test records')
  elif data.split == 'catalogue':
    test, train = a[records.split[a] == 'test'], a[records.split[a] == 'train']
  elif data.split == 'random':
    test, train = _take(rng, a, data.n_test_events, 'test records')
  else:
    raise ValueError(f"data.split must be 'random' or 'catalogue', not "
                     f'{data.split!r}.')
  val, train = _take(rng, train, data.n_val_events, 'validation records')
  if not len(train):
    raise ValueError(f'No training records left after {len(test)} test and '
                     f'{len(val)} validation records.')
  splits = {'train': train, 'val': val, 'test': test, 'verify': verify}
  noise = index[records.group == 'noise_b']
  n = len(train) + len(val) + len(test)
  n_test = round(len(noise) * len(test) / n)
  n_val = round(len(noise) * len(val) / n)
  noise_test, noise = _take(rng, noise, n_test, 'noise B test windows')
  noise_val, noise_train = _take(rng, noise, n_val, 'noise B val windows')
  for name, extra in (('train', noise_train), ('val', noise_val),
                      ('test', noise_test)):
    splits[name] = np.concatenate([splits[name], extra])
  return splits


@dataclasses.dataclass
class IntervalWindows:
  """Windows of some intervals of some events, as a window source.

  Attributes:
    spans: (n_spans, span_samples, 3) jointly normalised interval spans.
    events: (n_spans,) event index of each span.
    intervals: (n_spans,) 1-based interval of each span.
    labels: (n_spans,) NOISE, PRECURSOR or UNLABELLED; or (members, n_spans)
      where each member of an ensemble has its own labels (the permutation
      test, seisjax/precursor/significance.py): a window's label is then
      (members,).
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


def read_window_set(records, events, intervals, data) -> IntervalWindows:
  """Reads and normalises the given intervals of the given records.

  Args:
    records: a `SpanRecords`.
    events: record indices to read.
    intervals: 1-based interval indices to read for every record of set A
      or B; a noise-B record has one span, read once with interval 0.
    data: `config.data`.

  Returns:
    IntervalWindows; spans labelled by `data.noise_intervals` and
    `data.precursor_intervals`, the others UNLABELLED; noise B is NOISE.
  """
  spans, span_events, span_intervals = [], [], []
  for event in events:
    is_noise_b = records.group[event] == 'noise_b'
    for interval in ((1,) if is_noise_b else intervals):
      spans.append(windowing.normalize_jointly(
          records.span(event, interval), data.normalization))
      span_events.append(event)
      span_intervals.append(0 if is_noise_b else interval)
  span_intervals = np.asarray(span_intervals, np.int32)
  labels = np.full(len(span_intervals), UNLABELLED, np.int32)
  labels[np.isin(span_intervals, data.noise_intervals)] = NOISE
  labels[np.isin(span_intervals, data.precursor_intervals)] = PRECURSOR
  labels[span_intervals == 0] = NOISE
  return IntervalWindows(np.stack(spans), np.asarray(span_events, np.int32),
                   span_intervals, labels, data.window_samples,
                   data.window_stride, data.windows_per_interval)


@dataclasses.dataclass
class PrecursorDatasets:
  """The windows of every split (a `seisjax.engine.task.Datasets`)."""
  train: IntervalWindows
  val: IntervalWindows
  test_all: IntervalWindows  # Every interval of the test records (+ noise B).
  verify: IntervalWindows | None  # Every interval of the verification set.
  splits: dict[str, np.ndarray]
  record_labels: np.ndarray  # (records,) names for tables.
  dataset_name: str
  dataset_version: str


def check_config(config) -> None:
  """Refuses `config.data` settings that cannot make a meaningful run.

  Raises:
    validation.ConfigError: naming the field and what it allows.
  """
  data, require = config.data, validation.require
  require(config, 'data.name', validation.one_of(*_BUILDERS),
          f'one of {_BUILDERS}')
  for field in ('n_intervals', 'interval_samples', 'window_samples',
                'window_stride', 'windows_per_interval'):
    require(config, f'data.{field}', validation.integer(1),
            'an integer >= 1')
  require(config, 'data.sampling_rate', validation.number(above=0),
          'a number > 0 (Hz)')
  require(config, 'data.split', validation.one_of('random', 'catalogue'),
          "'random' or 'catalogue'")
  require(config, 'data.normalization', validation.one_of('std', 'max'),
          "'std' or 'max'")
  n = data.n_intervals
  for field in ('noise_intervals', 'precursor_intervals'):
    require(config, f'data.{field}',
            lambda v: len(v) > 0 and all(
                validation.integer(1, n)(k) for k in v),
            f'a non-empty list of intervals in 1..{n} (data.n_intervals)')
  both = set(data.noise_intervals) & set(data.precursor_intervals)
  if both:
    raise validation.ConfigError(
        f'config.data.noise_intervals and config.data.precursor_intervals '
        f'share interval(s) {sorted(both)}: a window cannot be both noise '
        'and precursor.')
  for field in ('n_events', 'n_val_events'):
    require(config, f'data.{field}', validation.integer(1),
            'an integer >= 1')
  for field in ('n_test_events', 'n_verify_events', 'n_noise_b'):
    require(config, f'data.{field}', validation.integer(0),
            'an integer >= 0')
  if data.split == 'random' and not data.get('pool_sets'):
    require(config, 'data.n_test_events',
            validation.integer(0, data.n_events - data.n_val_events - 1),
            f'at most data.n_events - data.n_val_events - 1 = '
            f'{data.n_events - data.n_val_events - 1}, so that a training '
            'event is left')
  lead_in = windowing.lead_in_samples(
      data.window_samples, data.window_stride, data.windows_per_interval,
      data.interval_samples)
  span_bytes = (lead_in + data.interval_samples) * 3 * 4  # float32
  for group, n in (('set A', data.n_events * n),
                   ('set B', data.n_verify_events * n),
                   ('noise B', data.n_noise_b)):
    if n * span_bytes > seisjax_datasets.MAX_SPLIT_BYTES:
      raise validation.ConfigError(
          f'The {group} records of this config would take '
          f'{n * span_bytes / 1e9:.1f} GB (spans of {lead_in} + '
          f'{data.interval_samples} samples): TFDS builds a split over '
          f'{seisjax_datasets.MAX_SPLIT_BYTES / 1e9:.1f} GB only with '
          'TensorFlow, which seisjax does not install. Shorten '
          'data.window_samples or data.window_stride, or use fewer events.')
  if data.name == 'synthetic_precursor':
    require(config, 'data.snr', validation.number(0.0),
            'a number >= 0 (0 is the null data set)')
    require(config, 'data.onset_fraction', validation.number(above=0,
                                                             maximum=1),
            'a fraction in (0, 1]')


def get_datasets(data, data_dir: str | None = None) -> PrecursorDatasets:
  """Builds the data sets if needed and reads the windows of every split."""
  records = load_records(data, data_dir)
  splits = split_records(records, data)
  labelled_intervals = sorted(
      set(data.noise_intervals) | set(data.precursor_intervals))
  every = range(1, data.n_intervals + 1)
  read = lambda split, intervals: read_window_set(
      records, splits[split], intervals, data)
  train = read('train', labelled_intervals)
  return PrecursorDatasets(
      train=balanced(train) if data.balance else train,
      val=read('val', labelled_intervals),
      test_all=read('test', every),
      verify=read('verify', every) if len(splits['verify']) else None,
      splits=splits,
      record_labels=records.labels,
      dataset_name=' + '.join(records.names),
      dataset_version=' + '.join(records.versions))


def balanced(window_set: IntervalWindows) -> IntervalWindows:
  """Repeats the spans of the rarer class until both classes have as many.

  Section 5.2.1 labels 1 interval noise and 35 precursor: without this the
  loss is won by calling every window precursor.
  """
  counts = [np.sum(window_set.labels == c) for c in (NOISE, PRECURSOR)]
  if min(counts) == 0 or counts[0] == counts[1]:
    return window_set
  rare = int(np.argmin(counts))
  spans = np.flatnonzero(window_set.labels == rare)
  extra = np.resize(spans, max(counts) - min(counts))  # cycles through
  keep = np.concatenate([np.arange(len(window_set.labels)), extra])
  return dataclasses.replace(
      window_set, spans=window_set.spans[keep],
      events=window_set.events[keep], intervals=window_set.intervals[keep],
      labels=window_set.labels[keep])


def labelled(window_set: IntervalWindows) -> IntervalWindows:
  """The spans of `window_set` that carry a label."""
  keep = window_set.labels != UNLABELLED
  return dataclasses.replace(
      window_set, spans=window_set.spans[keep],
      events=window_set.events[keep], intervals=window_set.intervals[keep],
      labels=window_set.labels[keep])
