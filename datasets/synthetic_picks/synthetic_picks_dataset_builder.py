"""TFDS builder of synthetic P-pick records (seisjax.picking.synthetic).

Each event has 3-8 stations (by default); each station gives one record in
the layout of `seisjax.picking.records` (600 samples at 100 Hz, P at 300,
polarity 0 down / 1 up / 2 unknown), preprocessed exactly like real data.
Records are stored event-major, station-minor; event ids are 'syn000123'.

Build it with any parameters (no TensorFlow needed):

  builder = Builder(config=make_config(n_events=40), data_dir='/tmp/tfds')
  builder.download_and_prepare()
  source = builder.as_data_source('records')

`file_format` defaults to array_record here (TFDS's own default is
tfrecord, which needs TensorFlow to read).
"""

import dataclasses
import json

import numpy as np
import tensorflow_datasets as tfds

import seisjax_datasets

from seisjax.picking import records
from seisjax.picking import synthetic

SPLIT = 'records'


@dataclasses.dataclass(eq=False)
class SyntheticPicksConfig(tfds.core.BuilderConfig):
  """Generator parameters; build instances with `make_config`.

  Attributes:
    n_events: number of events.
    stations_per_event: (min, max) stations of an event, both included.
    seed: data set seed; record (event, station) uses (seed, event,
      station) only.
    noise_files: real vertical noise files (paths or globs for
      `synthetic.load_vertical_noise`); empty for synthetic Peterson noise.
    level_range: Peterson noise level range (0 NLNM, 1 NHNM).
    magnitude_range: Gutenberg-Richter magnitudes are drawn in it.
    magnitude_b: their b-value (0: uniform in the range).
    emergent_fraction: probability of an emergent onset.
    nucleation_fraction: probability that an event starts with a weak
      nucleation phase (`synthetic.event_source`).
    nucleation_relative: its lead scales with the rupture duration
      instead of being 0.05-0.5 s.
    min_first_motion: polarity is unknown below this first motion, in
      units of the pre-P noise RMS.
    analyst_k: the label is the first break above this multiple of the
      pre-P noise RMS, as an analyst picks; 0 for the true onset.
    analyst_display: the label is also at or after the first sample above
      this fraction of the P wave's peak in its first second; 0 for none.
    max_reverberation: largest reflection coefficient of the soft surface
      layer whose reverberations the signal goes through (0: none).
  """
  n_events: int = 1000
  stations_per_event: tuple = (3, 8)
  seed: int = 0
  noise_files: tuple = ()
  level_range: tuple = (0.45, 0.85)
  magnitude_range: tuple = (1.5, 5.0)
  magnitude_b: float = 1.0
  emergent_fraction: float = 0.3
  nucleation_fraction: float = 0.0
  nucleation_relative: bool = False
  min_first_motion: float = 3.0
  analyst_k: float = 3.0
  analyst_display: float = 0.0
  max_reverberation: float = 0.0


_BASE_FIELDS = {f.name for f in dataclasses.fields(tfds.core.BuilderConfig)}
# make_config returns the same object for the same parameters: TFDS refuses
# a config that shares its name with a different object in BUILDER_CONFIGS.
_CONFIGS: dict[str, SyntheticPicksConfig] = {}


def make_config(**overrides) -> SyntheticPicksConfig:
  """A config with a name that encodes its parameters.

  The name reads like `ev1000-st3to8-seed0-syn-` followed by 8 hex digits
  of a hash of every field, so that two configs share a name (and a data
  directory) only if they generate the same data.

  Args:
    **overrides: fields of `SyntheticPicksConfig` to change.

  Returns:
    The config.
  """
  config = SyntheticPicksConfig(name='', **overrides)
  for field in dataclasses.fields(config):  # seed=0 and seed=0.0: one name.
    if field.type in (int, float):
      setattr(config, field.name, field.type(getattr(config, field.name)))
  config.stations_per_event = tuple(int(x) for x in config.stations_per_event)
  config.noise_files = tuple(str(path) for path in config.noise_files)
  config.level_range = tuple(float(x) for x in config.level_range)
  config.magnitude_range = tuple(float(x) for x in config.magnitude_range)
  params = {f.name: getattr(config, f.name)
            for f in dataclasses.fields(config) if f.name not in _BASE_FIELDS}
  digest = seisjax_datasets.config_digest(params)
  low, high = config.stations_per_event
  config.name = (f'ev{config.n_events}-st{low}to{high}-seed{config.seed}'
                 f'-{"real" if config.noise_files else "syn"}-{digest}')
  config.description = f'Synthetic P-pick records, {json.dumps(params)}'
  return _CONFIGS.setdefault(config.name, config)


def _event_kwargs(config: SyntheticPicksConfig) -> dict:
  return dict(magnitude_range=config.magnitude_range,
              magnitude_b=config.magnitude_b,
              nucleation_fraction=config.nucleation_fraction,
              nucleation_relative=config.nucleation_relative,
              stations_per_event=config.stations_per_event)


def _generator_kwargs(config: SyntheticPicksConfig, noise) -> dict:
  return dict(noise_pieces=noise or (), level_range=config.level_range,
              emergent_fraction=config.emergent_fraction,
              max_reverberation=config.max_reverberation,
              **_event_kwargs(config))


def station_parts(config: SyntheticPicksConfig, event: int, station: int,
                  noise=None):
  """Raw noise, signal and parameters of a record (`synthetic.station_parts`).

  Args:
    config: the builder config.
    event, station: 0-based indices.
    noise: `synthetic.load_vertical_noise(config.noise_files)`, if any
      (loaded here when needed and not given).

  Returns:
    (noise, signal, info) as `synthetic.station_parts` returns them.
  """
  if config.noise_files and noise is None:
    noise = synthetic.load_vertical_noise(config.noise_files)
  return synthetic.station_parts(config.seed, event, station,
                             **_generator_kwargs(config, noise))


class Builder(tfds.core.GeneratorBasedBuilder):
  """Synthetic P-pick records, one example per (event, station)."""

  VERSION = tfds.core.Version('1.2.0')
  RELEASE_NOTES = {
      '1.0.0': 'Initial release.',
      '1.1.0': 'Magnitudes 1.5-5 (as in SCSN catalogues) instead of 0.5-4.5, '
               'site kappa 0.02-0.07 s instead of 0.01-0.04 s (onsets of '
               'the smallest, nearest events were single-sample spikes), '
               'noise level 0.45-0.85 instead of 0.2-0.6 (the same SNR '
               'distribution as before).',
      '1.2.0': 'P labels the first visible break (3 x the noise RMS), as '
               'analysts pick, not the true onset: trained on true onsets, '
               'the CNN picked the PhaseNet set 0.1 s early.'}
  BUILDER_CONFIGS = [make_config()]
  # TFDS otherwise finds this file through `importlib_resources`, which it
  # only declares as a dependency for Python < 3.9, and fails without it.
  code_path = tfds.core.Path(__file__)

  def __init__(self, *, file_format=None, **kwargs):
    super().__init__(file_format=file_format or 'array_record', **kwargs)

  def _info(self) -> tfds.core.DatasetInfo:
    return tfds.core.DatasetInfo(
        builder=self,
        description=(
            'Synthetic P arrivals (Brune source, t* attenuation, radiation '
            'pattern polarity, coda, S) in Peterson-model or real noise, '
            'preprocessed like the SCSN records of Ross et al. (2018).'),
        features=records.features(),
        # `_generate_examples` adds n_records and polarity_counts; TFDS
        # writes the metadata after the split is generated.
        metadata=tfds.core.MetadataDict(
            sampling_rate=records.SAMPLING_RATE,
            record_samples=records.RECORD_SAMPLES,
            p_sample=records.P_SAMPLE,
            polarity_names=list(records.POLARITY_NAMES),
            snr_definition=synthetic.snr_db.__doc__,
        ),
        disable_shuffling=True,  # Event-major, station-minor.
    )

  def _split_generators(self, dl_manager):
    del dl_manager  # Nothing to download.
    return {SPLIT: self._generate_examples()}

  def _generate_examples(self):
    config = self.builder_config
    noise = None
    if config.noise_files:
      noise = synthetic.load_vertical_noise(config.noise_files)
    kwargs = _generator_kwargs(config, noise)
    counts = np.zeros(len(records.POLARITY_NAMES), np.int64)
    key = 0
    for event in range(config.n_events):
      n_stations = synthetic.event_source(
          config.seed, event, **_event_kwargs(config))['n_stations']
      for station in range(n_stations):
        record = synthetic.station_record(
            config.seed, event, station,
            min_first_motion=config.min_first_motion,
            analyst_k=config.analyst_k,
            analyst_display=config.analyst_display, **kwargs)
        counts[record['polarity']] += 1
        yield key, record  # Integer keys: TFDS sorts by them.
        key += 1
    self.info.metadata.update(
        n_records=int(key),
        polarity_counts=dict(zip(records.POLARITY_NAMES, counts.tolist())))

