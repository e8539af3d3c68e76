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
import os

import tensorflow_datasets as tfds

import seisjax_datasets

from seisjax_datasets import folder_builder
from seisjax.picking import readers

SPLIT = folder_builder.SPLIT
FOLDER_READERS = ('seisbench', 'phasenet_ncedc', 'kumamoto_hinet',
                  'deepdenoiser_ncedc', 'stead')


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
  digest = seisjax_datasets.config_digest({'path': path, 'reader': reader})
  folder = ''.join(c if c.isalnum() else '_'
                   for c in os.path.basename(path))[:40]
  config = SeisbenchConfig(
      name=f'{reader}-{folder or "none"}-{digest}', path=path, reader=reader,
      description=f'P-pick records read by {reader!r} from {path}.')
  return _CONFIGS.setdefault(config.name, config)


class Builder(folder_builder.FolderBuilder):
  """P-pick records of a SeisBench (or other known) folder."""

  BUILDER_CONFIGS = [make_config()]
  code_path = tfds.core.Path(__file__)  # See synthetic_precursor.
  DESCRIPTION = 'P-wave records of a folder on disk.'
  METADATA_FIELDS = ('path', 'reader')

  def _split_generators(self, dl_manager):
    config = self.builder_config
    if not config.path or not os.path.isdir(config.path):
      raise FileNotFoundError(
          f'No folder {config.path!r}: pass an existing one as '
          'make_config(path=...).')
    return super()._split_generators(dl_manager)

  def _rows(self):
    return readers.read(self.builder_config.reader, self.builder_config.path)
