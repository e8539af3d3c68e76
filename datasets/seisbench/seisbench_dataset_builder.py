"""TFDS builder for P-pick records from a folder on disk.

The default reader takes any SeisBench-format folder (metadata.csv +
waveforms.hdf5, trace blocks and chunks included: STEAD, INSTANCE, SCEDC,
Ross2018JGRPick / Ross2018JGRFM...) without the seisbench package. Two
other layouts are read into the same records, for the real evaluation sets
in `../shared/data/picks/`: reader 'phasenet_ncedc' (PhaseNet's npz
example) and 'kumamoto_hinet' (RPNet's Hi-net SAC example). See
`seisjax.picking.readers`.

  builder = Builder(config=make_config(path='/data/stead'),
                    data_dir='/tmp/tfds')
  builder.download_and_prepare()
  source = builder.as_data_source('records')

One split, 'records', in the folder's order; splits by event are made
downstream. Records that cannot be used (no P pick, P too close to an
edge...) are listed in the metadata ('rejected') and logged.
"""

import dataclasses
import hashlib
import json
import logging
import os

import tensorflow_datasets as tfds

from seisjax.picking import readers
from seisjax.picking import records

SPLIT = 'records'
FOLDER_READERS = ('seisbench', 'phasenet_ncedc', 'kumamoto_hinet')


@dataclasses.dataclass(eq=False)
class SeisbenchConfig(tfds.core.BuilderConfig):
  """A folder and how to read it; build instances with `make_config`.

  Attributes:
    path: the data set folder.
    reader: 'seisbench', or 'phasenet_ncedc' / 'kumamoto_hinet' for the
      layouts of those two evaluation folders.
  """
  path: str = ''
  reader: str = 'seisbench'


_CONFIGS: dict[str, SeisbenchConfig] = {}


def make_config(path: str = '', reader: str = 'seisbench') -> SeisbenchConfig:
  """A config named '<reader>-<folder name>-' plus a hash of its fields.

  Args:
    path: the folder (made absolute: the hash covers the absolute path, so
      two folders of the same name get different configs).
    reader: one of FOLDER_READERS.

  Returns:
    The config (the same object for the same fields).
  """
  if reader not in FOLDER_READERS:
    raise ValueError(f'reader must be one of {FOLDER_READERS}, not '
                     f'{reader!r}.')
  path = os.path.abspath(os.path.expanduser(path)) if path else ''
  params = {'path': path, 'reader': reader}
  digest = hashlib.sha256(
      json.dumps(params, sort_keys=True).encode()).hexdigest()[:8]
  folder = ''.join(c if c.isalnum() else '_'
                   for c in os.path.basename(path))[:40]
  config = SeisbenchConfig(
      name=f'{reader}-{folder or "none"}-{digest}', path=path, reader=reader,
      description=f'P-pick records read by {reader!r} from {path}.')
  return _CONFIGS.setdefault(config.name, config)


class Builder(tfds.core.GeneratorBasedBuilder):
  """P-pick records of a SeisBench (or other known) folder."""

  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  BUILDER_CONFIGS = [make_config()]
  code_path = tfds.core.Path(__file__)  # See synthetic_precursor.

  def __init__(self, *, file_format=None, **kwargs):
    super().__init__(file_format=file_format or 'array_record', **kwargs)

  def _info(self) -> tfds.core.DatasetInfo:
    config = self.builder_config
    return tfds.core.DatasetInfo(
        builder=self,
        description=(
            'P-wave records of a folder on disk, preprocessed as '
            'seisjax.picking.records describes; P at sample 300 of 600.'),
        features=records.features(),
        metadata=tfds.core.MetadataDict(
            path=config.path, reader=config.reader,
            **records.Rejections().as_metadata()),  # Filled when built.
        disable_shuffling=True,  # The folder's order.
    )

  def _split_generators(self, dl_manager):
    del dl_manager  # The folder is on disk already.
    config = self.builder_config
    if not config.path or not os.path.isdir(config.path):
      raise FileNotFoundError(
          f'No folder {config.path!r}: pass an existing one as '
          'make_config(path=...).')
    return {SPLIT: self._generate_examples()}

  def _generate_examples(self):
    config = self.builder_config
    rejections = records.Rejections()
    key = 0
    for record in readers.to_records(readers.read(config.reader, config.path),
                                     rejections):
      yield key, record
      key += 1
    logging.info('seisbench %s: %d records, %s', config.name, key,
                 rejections.summary())
    # TFDS writes the info (metadata included) after the examples.
    self.info.metadata.update(rejections.as_metadata())
