"""TFDS builder for the real Japan precursor records (Ong et al.).

One config per kind of data (`make_config(kind=...)`), all from one
catalogue CSV: the paper's Tables 1 and 2 shipped with seisjax
(`seisjax.precursor.paper_catalogue`) unless another is given, in their
format or with the columns of `seisjax.precursor.japan.CATALOGUE_COLUMNS`:
  set_a, set_b  a record of lead_in + n_intervals * interval samples ending
                at each event of that set that passes QC; one example per
                (record, interval), interval 1 the earliest.
  noise_a       interval 1 (with its lead-in) of each accepted set-A record.
  noise_b       n_noise windows of lead_in + interval samples at random
                times >= 48 h from every catalogue event; interval 1 each.
  fake          n_fake full records ending at such random times: the
                fake-event control.
Each example: `waveform` (lead_in + interval, 3) float32 counts in BH1, BH2,
BHZ order (N/E accepted), each channel demeaned over its record; `event`
(0-based among accepted records); `interval` (1-based). Examples are stored
in (event, interval) order with integer keys, in split 'events'.

The records are fetched, checked and rejected by
`seisjax.precursor.japan.ingest`
(download through the MiniSEED cache in waveform_dir, or client_name=''
to read waveform_dir offline as a folder of files). The metadata lists
every accepted record and every rejected one with its stage and reasons:

  metadata['records'][i]: event (= i), id, time, start, end, set, split,
      station, magnitude, distance_deg, event_id, location, channels,
      record_id; the catalogue's split says train/test/verify.
  metadata['rejected'][j]: id, time, event_id, stage ('download'|'qc'),
      reasons.
  metadata also has kind, sampling_rate, components, n_intervals (stored
  per record: 1 for the noise kinds), record_intervals, interval_samples,
  lead_in_samples, catalogue, qc_report.

  builder = Builder(config=make_config(kind='set_a', waveform_dir='cache/'),
                    data_dir='/tmp/tfds')  # client=... to inject one
  builder.download_and_prepare()
  source = builder.as_data_source('events')

For the training pipeline:
  make_builder(config.data, kind, data_dir=None, client=None) -> Builder
      (fields catalogue, waveform_dir, client, sampling_rate, n_intervals,
      interval_samples, window_samples, window_stride, windows_per_interval,
      and optionally n_noise_b, n_fake, noise_seed);
  records_of(builder) -> metadata['records'] of a prepared builder.
"""

import dataclasses
import hashlib
import json
import os

from obspy.clients.fdsn import Client
import tensorflow_datasets as tfds

import seisjax_datasets

from seisjax.precursor import japan
from seisjax.precursor import paper_catalogue
from seisjax.precursor import windowing

SPLIT = 'events'  # TFDS reserves 'all'.
_LAYOUT = japan.Layout()
# Fields a kind does not use, reset to their defaults by make_config so
# that they never split one data set into several names.
_UNUSED = {'noise_b': ('n_fake',), 'fake': ('n_noise',)}
_NOISE_FIELDS = ('n_noise', 'n_fake', 'noise_seed', 'noise_start',
                 'noise_end')


@dataclasses.dataclass(eq=False)
class JapanPrecursorConfig(tfds.core.BuilderConfig):
  """What to build; build instances with `make_config`.

  Attributes:
    kind: one of seisjax.precursor.japan.KINDS (see the module docstring).
    catalogue: the catalogue CSV; '' for the paper's (make_config sets its
      path).
    waveform_dir: MiniSEED cache of the downloads (default
      <data_dir>/japan_precursor_waveforms), or offline a folder of files.
    client_name: FDSN data centre; '' reads waveform_dir offline.
    qc_dir: QC report folder; '' for <data_dir>/japan_precursor_qc/<name>.
    The rest: the fields of seisjax.precursor.japan.Layout.
  """
  kind: str = 'set_a'
  catalogue: str = ''
  waveform_dir: str = ''
  client_name: str = 'EARTHSCOPE'
  qc_dir: str = ''
  sampling_rate: float = _LAYOUT.sampling_rate
  n_intervals: int = _LAYOUT.n_intervals
  interval_samples: int = _LAYOUT.interval_samples
  lead_in_samples: int = _LAYOUT.lead_in_samples
  n_noise: int = _LAYOUT.n_noise
  n_fake: int = _LAYOUT.n_fake
  noise_seed: int = _LAYOUT.noise_seed
  noise_start: str = _LAYOUT.noise_start
  noise_end: str = _LAYOUT.noise_end


_BASE_FIELDS = {f.name for f in dataclasses.fields(tfds.core.BuilderConfig)}
# make_config returns the same object for the same parameters: TFDS refuses
# a config that shares its name with a different object in BUILDER_CONFIGS.
_CONFIGS: dict[str, JapanPrecursorConfig] = {}


def _sha256(path: str) -> str:
  with open(path, 'rb') as f:
    return hashlib.sha256(f.read()).hexdigest()


def make_config(**overrides) -> JapanPrecursorConfig:
  """A config with a name that encodes all its parameters.

  The name reads like `set_a-36x40000-lead12744-fs40-` followed by 8 hex
  digits of a hash of every field and of the catalogue file's contents,
  so that editing the catalogue makes a new data set. No catalogue means
  the paper's (`paper_catalogue.PATH`). Paths are made absolute; fields
  the kind does not use (the noise draws for set_a, set_b and noise_a,
  n_fake for noise_b, n_noise for fake) are reset.

  Args:
    **overrides: fields of `JapanPrecursorConfig` to change.

  Returns:
    The config.
  """
  config = JapanPrecursorConfig(name='', **overrides)
  config.catalogue = config.catalogue or paper_catalogue.PATH
  if config.kind not in japan.KINDS:
    raise ValueError(f'kind must be one of {japan.KINDS}, not '
                     f'{config.kind!r}')
  unused = _UNUSED.get(config.kind, _NOISE_FIELDS)
  for field in dataclasses.fields(config):
    if field.name in unused:
      setattr(config, field.name, field.default)
    elif field.type in (int, float):  # snr=2 and snr=2.0: one name.
      setattr(config, field.name, field.type(getattr(config, field.name)))
  for field in ('catalogue', 'waveform_dir', 'qc_dir'):
    path = getattr(config, field)
    setattr(config, field, os.path.abspath(os.path.expanduser(path))
            if path else '')
  params = {f.name: getattr(config, f.name)
            for f in dataclasses.fields(config) if f.name not in _BASE_FIELDS}
  if os.path.isfile(config.catalogue):
    params['catalogue_sha256'] = _sha256(config.catalogue)
  c = config
  rate = f'{c.sampling_rate:g}'.replace('.', 'p')
  config.name = (
      f'{c.kind}-{c.n_intervals}x{c.interval_samples}-lead{c.lead_in_samples}'
      f'-fs{rate}-{seisjax_datasets.config_digest(params)}')
  config.description = f'Japan precursor records, {json.dumps(params)}'
  return _CONFIGS.setdefault(config.name, config)


def layout(config: JapanPrecursorConfig) -> japan.Layout:
  """The config's record lengths and noise draws."""
  return japan.Layout(**{f.name: getattr(config, f.name)
                         for f in dataclasses.fields(japan.Layout)})


def stored_intervals(config: JapanPrecursorConfig) -> int:
  """Intervals stored per record: 1 for the noise kinds."""
  return 1 if config.kind.startswith('noise') else config.n_intervals


class Builder(tfds.core.GeneratorBasedBuilder):
  """Real IU.MAJO records, one example per (record, interval)."""

  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  BUILDER_CONFIGS = [make_config()]
  code_path = tfds.core.Path(__file__)  # See synthetic_precursor.

  def __init__(self, *, client=None, file_format=None, **kwargs):
    """Args: client: an FDSN client (or mock) instead of client_name's."""
    self._client = client
    super().__init__(file_format=file_format or 'array_record', **kwargs)

  def _info(self) -> tfds.core.DatasetInfo:
    config = self.builder_config
    return seisjax_datasets.interval_info(
        self,
        'Real 3-component IU.MAJO/IU.MA2 records (Ong et al.) of kind '
        f'{config.kind!r}. waveform: an interval\'s samples preceded by '
        'lead_in_samples; interval 1 is the earliest.',
        kind=config.kind, sampling_rate=config.sampling_rate,
        components=['BH1', 'BH2', 'BHZ'],
        n_intervals=stored_intervals(config),
        record_intervals=config.n_intervals,
        catalogue=config.catalogue,
        records=[], rejected=[], qc_report='')  # Filled when built.

  def _split_generators(self, dl_manager):
    del dl_manager  # japan.ingest downloads through its own cache.
    config = self.builder_config
    root = os.fspath(self.data_dir_root)
    client = self._client
    if client is None and config.client_name:
      client = Client(config.client_name)
    targets = japan.plan(config.kind, paper_catalogue.load(config.catalogue),
                         layout(config))
    result = japan.ingest(
        targets, client=client,
        waveform_dir=config.waveform_dir or os.path.join(
            root, 'japan_precursor_waveforms'),
        qc_dir=config.qc_dir or os.path.join(root, 'japan_precursor_qc',
                                             config.name),
        sampling_rate=config.sampling_rate)
    # TFDS writes the info (metadata included) after the examples.
    self.info.metadata.update(records=result.records,
                              rejected=result.rejected,
                              qc_report=result.qc_report)
    return {SPLIT: self._generate_examples(result)}

  def _generate_examples(self, result: japan.Ingest):
    config = self.builder_config
    for event in range(len(result.records)):  # One record in memory.
      yield from seisjax_datasets.interval_examples(
          event, result.array(event), stored_intervals(config),
          config.lead_in_samples, config.interval_samples)


def make_builder(data, kind: str, data_dir: str | None = None,
                 client=None) -> Builder:
  """The builder (not yet prepared) of one kind for a `config.data`.

  Args:
    data: ConfigDict with catalogue ('' for the paper's), waveform_dir,
      client (FDSN name, '' offline), sampling_rate, n_intervals,
      interval_samples, window_samples, window_stride,
      windows_per_interval; optionally n_noise_b, n_fake, noise_seed.
    kind: one of seisjax.precursor.japan.KINDS.
    data_dir: TFDS data directory.
    client: an FDSN client object to use instead of data.client's.

  Returns:
    The Builder; the lead-in is what the windowing needs.
  """
  config = make_config(
      kind=kind, catalogue=data.catalogue, waveform_dir=data.waveform_dir,
      client_name=data.client, sampling_rate=data.sampling_rate,
      n_intervals=data.n_intervals, interval_samples=data.interval_samples,
      lead_in_samples=windowing.lead_in_samples(
          data.window_samples, data.window_stride,
          data.windows_per_interval, data.interval_samples),
      n_noise=data.get('n_noise_b') or _LAYOUT.n_noise,
      n_fake=data.get('n_fake', _LAYOUT.n_fake),
      noise_seed=data.get('noise_seed', _LAYOUT.noise_seed))
  return Builder(config=config, data_dir=data_dir, client=client)


def records_of(builder: Builder) -> list[dict]:
  """The accepted records' metadata of a prepared builder, by event index."""
  return list(builder.info.metadata['records'])
