"""TFDS builder of synthetic precursor records (seisjax.precursor.synthetic).

Each event is a 3-component record of `n_intervals` intervals (10 h at the
defaults) plus a lead-in, ending at the event time. It is stored as one
example per (event, interval), in that order, so that readers get every
interval with the `lead_in_samples` before it: the paper's 37 windows of
16384 samples at stride 1010 span 52744 samples, more than one 40000-sample
interval (see `seisjax/precursor/windowing.py`).

Build it with any parameters (no TensorFlow needed):

  builder = Builder(config=make_config(n_events=8, snr=0.0),
                    data_dir='/tmp/tfds', file_format='array_record')
  builder.download_and_prepare()
  source = builder.as_data_source('events')

`file_format` defaults to array_record here (TFDS's own default is
tfrecord, which needs TensorFlow to read).
"""

import dataclasses
import json

import numpy as np
import tensorflow_datasets as tfds

import seisjax_datasets

from seisjax.precursor import synthetic
from seisjax.seismo import noise as noise_lib

SPLIT = 'events'  # TFDS reserves 'all'.


@dataclasses.dataclass(eq=False)
class SyntheticPrecursorConfig(tfds.core.BuilderConfig):
  """Generator parameters; build instances with `make_config`.

  Attributes:
    n_events: number of event records.
    snr: precursor SNR over the last interval (see `synthetic.event_parts`);
      0 is the null data set.
    seed: data set seed; event i uses the seed (seed, i).
    sampling_rate: Hz.
    n_intervals: intervals per event; interval n_intervals ends at the event.
    interval_samples: samples per interval (1000 s at 40 Hz).
    lead_in_samples: samples before each interval stored with it.
    onset_fraction: fraction of the record, counted back from the event,
      that carries the precursor.
    noise_files: real noise files (paths or globs for `noise.load_noise`);
      empty for synthetic Peterson noise.
    level_range: range of the synthetic noise level (0 NLNM, 1 NHNM).
    microseism_strength: log-amplitude spread of the microseism level.
    cultural_strength: log-amplitude spread of the level above 1 Hz.
    transient_rate: transients per hour in synthetic noise.
  """
  n_events: int = 31
  snr: float = 2.0
  seed: int = 0
  sampling_rate: float = 40.0
  n_intervals: int = 36
  interval_samples: int = 40000
  lead_in_samples: int = 12744
  onset_fraction: float = 0.3
  noise_files: tuple = ()
  level_range: tuple = (0.2, 0.8)
  microseism_strength: float = 0.5
  cultural_strength: float = 0.7
  transient_rate: float = 0.5


_BASE_FIELDS = {f.name for f in dataclasses.fields(tfds.core.BuilderConfig)}
# make_config returns the same object for the same parameters: TFDS refuses
# a config that shares its name with a different object in BUILDER_CONFIGS.
_CONFIGS: dict[str, SyntheticPrecursorConfig] = {}


def _short(x: float) -> str:
  """A number as it may appear in a config name (no dots)."""
  return f'{x:g}'.replace('.', 'p').replace('-', 'm')


def make_config(**overrides) -> SyntheticPrecursorConfig:
  """A config with a name that encodes all its parameters.

  The name reads like `ev31-snr2-seed0-fs40-36x40000-lead12744-on0p3-syn-`
  followed by 8 hex digits of a hash of every field, so that two configs
  share a name (and a data directory) only if they generate the same data.

  Args:
    **overrides: fields of `SyntheticPrecursorConfig` to change.

  Returns:
    The config.
  """
  config = SyntheticPrecursorConfig(name='', **overrides)
  for field in dataclasses.fields(config):  # snr=2 and snr=2.0: one name.
    if field.type in (int, float):
      setattr(config, field.name, field.type(getattr(config, field.name)))
  config.noise_files = tuple(str(path) for path in config.noise_files)
  config.level_range = tuple(float(x) for x in config.level_range)
  params = {f.name: getattr(config, f.name)
            for f in dataclasses.fields(config) if f.name not in _BASE_FIELDS}
  digest = seisjax_datasets.config_digest(params)
  c = config
  config.name = (
      f'ev{c.n_events}-snr{_short(c.snr)}-seed{c.seed}'
      f'-fs{_short(c.sampling_rate)}-{c.n_intervals}x{c.interval_samples}'
      f'-lead{c.lead_in_samples}-on{_short(c.onset_fraction)}'
      f'-{"real" if c.noise_files else "syn"}-{digest}')
  config.description = f'Synthetic precursor records, {json.dumps(params)}'
  return _CONFIGS.setdefault(config.name, config)


class Builder(tfds.core.GeneratorBasedBuilder):
  """Synthetic precursor data set, one example per (event, interval)."""

  VERSION = tfds.core.Version('1.1.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.',
                   '1.1.0': 'Level above 1 Hz varies over hours.'}
  BUILDER_CONFIGS = [make_config()]
  # TFDS otherwise finds this file through `importlib_resources`, which it
  # only declares as a dependency for Python < 3.9, and fails without it.
  code_path = tfds.core.Path(__file__)

  def __init__(self, *, file_format=None, **kwargs):
    super().__init__(file_format=file_format or 'array_record', **kwargs)

  def _info(self) -> tfds.core.DatasetInfo:
    config = self.builder_config
    return seisjax_datasets.interval_info(
        self,
        'Synthetic 3-component records ending at an earthquake, with a '
        'precursor planted in the 0.1-0.9 Hz band. waveform: the '
        "interval's samples preceded by lead_in_samples; interval 1 "
        'is the earliest, n_intervals ends at the event.',
        sampling_rate=config.sampling_rate,
        components=list(noise_lib.COMPONENTS),
        n_intervals=config.n_intervals, snr=config.snr)

  def _split_generators(self, dl_manager):
    del dl_manager  # Nothing to download.
    return {SPLIT: self._generate_examples()}

  def _generate_examples(self):
    config = self.builder_config
    noise = None
    if config.noise_files:
      noise = noise_lib.load_noise(config.noise_files, config.sampling_rate)
    for event in range(config.n_events):  # One record in memory at a time.
      background, signal = event_parts(config, event, noise)
      yield from seisjax_datasets.interval_examples(
          event, (background + signal).astype(np.float32),
          config.n_intervals, config.lead_in_samples, config.interval_samples)


def event_parts(config: SyntheticPrecursorConfig, event: int, noise=None):
  """Background and planted precursor of one event's whole record.

  What the builder stores is their sum; analyses use the parts to check
  what a network found against what was planted.

  Args:
    config: the builder config.
    event: 0-based event index.
    noise: real noise from `noise.load_noise(config.noise_files)`, if any
      (loaded here when needed and not given).

  Returns:
    (background, precursor), each (lead_in + n_intervals * interval, 3).
  """
  if config.noise_files and noise is None:
    noise = noise_lib.load_noise(config.noise_files, config.sampling_rate)
  return synthetic.event_parts(
      (config.seed, event),
      n_samples=config.lead_in_samples + config.n_intervals * (
          config.interval_samples),
      sampling_rate=config.sampling_rate, snr=config.snr,
      onset_fraction=config.onset_fraction, noise=noise,
      level_range=config.level_range,
      microseism_strength=config.microseism_strength,
      cultural_strength=config.cultural_strength,
      transient_rate=config.transient_rate,
      snr_samples=config.interval_samples)  # SNR of the last interval.
