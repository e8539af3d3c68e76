"""From a picking TFDS builder to windows: event splits, shifts, balance.

The builders (datasets/synthetic_picks, scsn_ross2018, seisbench) store
records of 600 samples with P at sample 300 (seisjax/picking/records.py).
Here we read them, split them by event (never by record), and serve 4 s
windows with the pick at a uniform random shift of +-0.5 s from the centre,
each training record `copies` (5) times with different shifts as in Ross et
al. (2018). Shifts are drawn once per window index from the split's seed, so
a window set is deterministic and grain can checkpoint its position.
"""

import dataclasses
import os

import ml_collections
import numpy as np
import seisjax_datasets
from seisjax_datasets.scsn_ross2018 import scsn_ross2018_dataset_builder
from seisjax_datasets.seisbench import seisbench_dataset_builder
from seisjax_datasets.synthetic_picks import synthetic_picks_dataset_builder

from seisjax import seismo
from seisjax.engine import validation
from seisjax.picking import records

# ../shared/data/picks beside the repository: the evaluation sets.
SHARED_PICKS = str(seismo.SHARED_DATA / 'picks')
FIELDS = ('waveform', 'p_sample', 'polarity', 'event', 'trace',
          *records.METADATA)
_BUILDERS = ('synthetic_picks', 'scsn_ross2018', 'seisbench')
# The four sets of ../shared/data/picks and their readers.
SHARED_READERS = {'phasenet_ncedc': 'phasenet_ncedc',
                  'kumamoto_hinet': 'kumamoto_hinet',
                  'deepdenoiser_ncedc': 'deepdenoiser_ncedc',
                  'stead_ta109c': 'stead'}
# Built in memory from real parts (seisjax/picking/semisynthetic.py).
SEMISYNTHETIC = 'semisynthetic'


@dataclasses.dataclass
class PickRecords:
  """Records as arrays: waveform (n, 600) and one value per record."""
  waveform: np.ndarray
  p_sample: np.ndarray
  polarity: np.ndarray
  event: np.ndarray  # str
  trace: np.ndarray  # str
  snr_db: np.ndarray
  distance_km: np.ndarray
  magnitude: np.ndarray

  def __len__(self) -> int:
    return len(self.waveform)

  def take(self, index) -> 'PickRecords':
    return PickRecords(**{f: getattr(self, f)[index] for f in FIELDS})


def set_source(data, source: str, kind: str = 'pick') -> None:
  """Points `config.data` at a data source.

  Args:
    data: `config.data`, changed in place.
    source: `synthetic_picks`; `phasenet_ncedc`, `kumamoto_hinet`,
      `deepdenoiser_ncedc` or `stead_ta109c` (the folders in
      ../shared/data/picks, or `<name>:<folder>`); `seisbench:<folder>`
      (any SeisBench-format folder), `stead:<folder>` (STEAD's original
      layout) or `scsn:<folder>` (the published SCSN HDF5 files of Ross et
      al.); `semisynthetic` or `semisynthetic:<set>+<set>...` (real parts
      recombined, seisjax/picking/semisynthetic.py).
    kind: 'pick' reads the SCSN pick files (the picker's), 'fm' the
      first-motion files (the polarity classifier's).
  """
  data.generator = ml_collections.ConfigDict()  # synthetic_picks overrides.
  data.path = ''
  data.reader = 'seisbench'
  if kind not in ('pick', 'fm'):
    raise ValueError(f"kind must be 'pick' or 'fm', got {kind!r}.")
  data.kind = kind
  name, _, path = str(source).partition(':')
  if name == 'synthetic_picks':
    data.name = 'synthetic_picks'
  elif name in SHARED_READERS:
    data.name, data.reader = 'seisbench', SHARED_READERS[name]
    data.path = path or os.path.join(SHARED_PICKS, name)
  elif name in ('seisbench', 'scsn', 'stead') and path:
    data.name = 'scsn_ross2018' if name == 'scsn' else 'seisbench'
    data.reader = 'stead' if name == 'stead' else 'seisbench'
    data.path = path
  elif name == SEMISYNTHETIC:
    set_semisynthetic(data, path.split('+') if path else SHARED_READERS)
  else:
    raise ValueError(f'Unknown data source {source!r}: use synthetic_picks, '
                     f'{", ".join(SHARED_READERS)}, semisynthetic[:<set>+'
                     '<set>...], seisbench:<folder>, stead:<folder> or '
                     'scsn:<folder>.')


def set_semisynthetic(data, sets) -> None:
  """The `semisynthetic` source of real parts (semisynthetic.py).

  Args:
    data: `config.data`, changed in place.
    sets: names of ../shared/data/picks sets, or '<reader>:<folder>'.
  """
  data.name = SEMISYNTHETIC
  data.sets = tuple(sets)
  # Continuous noise at 100 Hz (../shared/data/continuous); () for none.
  path = os.path.join(seismo.SHARED_DATA, 'continuous',
                      'YA.UV06.00.HHZ.D.2010.244')
  data.noise_files = (path,) if os.path.exists(path) else ()
  data.mixes_per_signal = 30  # Mixes of each clean P signal.
  data.snr_range_db = (0.0, 40.0)  # Uniform SNR of a mix.
  # Label the first motion of clean signals of sets without polarity.
  data.pseudo_polarity = True


def check_config(config) -> None:
  """Refuses `config.data` settings that cannot make a meaningful run.

  Raises:
    validation.ConfigError: naming the field and what it allows.
  """
  require = validation.require
  names = (*_BUILDERS, SEMISYNTHETIC)
  require(config, 'data.name', validation.one_of(*names), f'one of {names}')
  if config.data.name == SEMISYNTHETIC:
    require(config, 'data.sets', lambda v: len(v) > 0, 'at least one set')
    require(config, 'data.mixes_per_signal', validation.integer(0),
            'an integer >= 0')
  for field in ('test_fraction', 'val_fraction'):
    require(config, f'data.{field}', validation.number(0.0, 1.0),
            'a fraction in [0, 1)')
  require(config, 'data.val_fraction', lambda v: v < 1 - config.data.
          test_fraction, 'below 1 - data.test_fraction, so that training '
          'events are left')
  require(config, 'data.train_copies', validation.integer(1),
          'an integer >= 1')
  for field in ('split_seed', 'shift_seed'):
    require(config, f'data.{field}', validation.integer(0),
            'an integer >= 0')
  if config.data.name == SEMISYNTHETIC and not config.data.generator.get(
      'n_events'):
    return  # No synthetic records in the mix.
  if config.data.name in ('synthetic_picks', SEMISYNTHETIC):
    require(config, 'data.generator.n_events', validation.integer(1),
            'an integer >= 1')
    # At most 8 stations per event (the generator's default), 600 float32
    # samples and about 100 bytes of metadata per record.
    most = config.data.generator.n_events * max(
        config.data.generator.get('stations_per_event', (3, 8))) * 2500
    limit = seisjax_datasets.MAX_SPLIT_BYTES
    if most > limit:
      raise validation.ConfigError(
          f'config.data.generator.n_events={config.data.generator.n_events} '
          f'could make {most / 1e9:.1f} GB of records in one TFDS split; '
          f'TFDS builds a split over {limit / 1e9:.1f} GB only with '
          'TensorFlow, which seisjax does not install. Use fewer events.')


def source_builder(data, data_dir: str | None = None):
  """The TFDS builder of `config.data` (not yet prepared)."""
  if data.name == 'synthetic_picks':
    lib = synthetic_picks_dataset_builder
    config = lib.make_config(**dict(data.generator))
  elif data.name == 'scsn_ross2018':
    lib = scsn_ross2018_dataset_builder
    config = lib.make_config(path=data.path, kind=data.kind)
  elif data.name == 'seisbench':
    lib = seisbench_dataset_builder
    config = lib.make_config(path=data.path, reader=data.reader)
  else:
    raise ValueError(f'Unknown picking dataset {data.name!r}; known: '
                     f'{_BUILDERS}.')
  return lib.Builder(config=config, data_dir=data_dir)


def load_records(data, data_dir: str | None = None):
  """Builds the data set if needed; returns (PickRecords, builder)."""
  builder = source_builder(data, data_dir)
  seisjax_datasets.prepare(builder)
  source = seisjax_datasets.open_split(builder, 'records')
  rows = [source[i] for i in range(len(source))]
  if not rows:
    raise ValueError(f'{builder.name}/{builder.builder_config.name} has no '
                     'records; see its rejections in the metadata.')
  columns = {}
  for field in FIELDS:
    values = [row[field] for row in rows]
    if field in ('event', 'trace'):
      values = [v.decode() if isinstance(v, bytes) else str(v)
                for v in values]
    columns[field] = np.asarray(values)
  return PickRecords(**columns), builder


def split_events(events: np.ndarray, test_fraction: float,
                 val_fraction: float, seed: int) -> dict[str, np.ndarray]:
  """Record indices of train, val and test, split by event.

  Args:
    events: (n,) event id of each record.
    test_fraction, val_fraction: shares of the events (rounded); the
      validation events come out of the non-test events.
    seed: of the random event order.

  Returns:
    {'train', 'val', 'test'}: sorted record indices.
  """
  unique = np.unique(events)
  order = np.random.default_rng(seed).permutation(unique)
  n_test = int(round(test_fraction * len(unique)))
  n_val = int(round(val_fraction * len(unique)))
  if val_fraction and not n_val:
    raise ValueError(f'{len(unique)} events leave no validation event at '
                     f'val_fraction={val_fraction}: raise it.')
  if n_test + n_val >= len(unique):
    raise ValueError(f'{len(unique)} events leave none for training after '
                     f'{n_test} test and {n_val} validation events.')
  groups = {'test': order[:n_test], 'val': order[n_test:n_test + n_val],
            'train': order[n_test + n_val:]}
  return {name: np.flatnonzero(np.isin(events, group))
          for name, group in groups.items()}


def balance(polarity: np.ndarray, seed: int,
            classes=(records.DOWN, records.UP, records.UNKNOWN)) -> np.ndarray:
  """Indices drawing each class down to the size of the smallest (sorted).

  As in the paper, the polarity classes are balanced by drawing every class
  at random up to the number of records of the rarest one.
  """
  counts = {c: int(np.sum(polarity == c)) for c in classes}
  size = min(counts.values())
  if size == 0:
    names = {records.POLARITY_NAMES[c]: n for c, n in counts.items()}
    raise ValueError(f'Cannot balance polarity classes {names}: one class '
                     'has no records (does this data set label polarity?).')
  rng = np.random.default_rng(seed)
  keep = [rng.choice(np.flatnonzero(polarity == c), size, replace=False)
          for c in classes]
  return np.sort(np.concatenate(keep))


class PickWindows:
  """Windows of some records, `copies` per record, as a window source.

  Item i is window i % copies of record i // copies:
  {'x': (400, 1) peak-normalised, 'pick': the pick's offset from the window
  centre in seconds (within +-0.5 s), 'label': the record's polarity}.
  """

  def __init__(self, recs: PickRecords, copies: int = 1, seed: int = 0):
    self.records = recs
    self.copies = copies
    self.shifts = np.random.default_rng(seed).integers(
        -records.MAX_SHIFT, records.MAX_SHIFT + 1, len(recs) * copies)

  def __len__(self) -> int:
    return len(self.records) * self.copies

  def _window(self, index: int) -> tuple[np.ndarray, int]:
    r = index // self.copies
    return records.window(self.records.waveform[r], self.shifts[index],
                          self.records.p_sample[r])

  def __getitem__(self, index: int) -> dict[str, np.ndarray]:
    x, pick = self._window(int(index))
    return {'x': records.normalize(x)[:, None],
            'pick': np.float32((pick - records.WINDOW_SAMPLES // 2)
                               / records.SAMPLING_RATE),
            'label': np.int32(self.records.polarity[index // self.copies])}

  def windows(self) -> np.ndarray:
    """All windows, not normalised: (len, 400)."""
    return np.stack([self._window(i)[0] for i in range(len(self))])

  @property
  def picks(self) -> np.ndarray:
    """The pick of every window in samples: (len,)."""
    return records.WINDOW_SAMPLES // 2 - self.shifts

  def per_window(self, values: np.ndarray) -> np.ndarray:
    """Repeats a per-record array once per window: (n,) -> (len,)."""
    return np.repeat(values, self.copies)


@dataclasses.dataclass
class PickDatasets:
  """The windows of every split (a `seisjax.engine.task.Datasets`)."""
  train: PickWindows
  val: PickWindows
  test: PickWindows
  splits: dict[str, np.ndarray]  # Event ids of each split.
  dataset_name: str
  dataset_version: str
  builder_metadata: dict


def get_datasets(data, balance_polarity: bool = False) -> PickDatasets:
  """Reads, splits by event and windows the records of `config.data`.

  Args:
    data: `config.data`.
    balance_polarity: balance the polarity classes of the training and
      validation sets (the polarity task; the test set keeps every record).

  Returns:
    PickDatasets; train has `data.train_copies` windows per record.
  """
  if data.name == SEMISYNTHETIC:
    raise ValueError('The semisynthetic source builds on this module: use '
                     'seisjax.picking.semisynthetic.get_datasets.')
  recs, builder = load_records(data, data.data_dir)
  index = split_events(recs.event, data.test_fraction, data.val_fraction,
                       data.split_seed)
  if balance_polarity:
    for name in ('train', 'val'):
      kept = balance(recs.polarity[index[name]], data.split_seed)
      index[name] = index[name][kept]
  sets = {name: recs.take(idx) for name, idx in index.items()}
  return PickDatasets(
      train=PickWindows(sets['train'], data.train_copies, data.shift_seed),
      val=PickWindows(sets['val'], 1, data.shift_seed + 1),
      test=PickWindows(sets['test'], 1, data.shift_seed + 2),
      splits={name: np.unique(s.event) for name, s in sets.items()},
      dataset_name=f'{builder.name}/{builder.builder_config.name}',
      dataset_version=str(builder.version),
      builder_metadata=dict(builder.info.metadata or {}))
