"""TFDS builder for the SCSN P-pick and polarity data of Ross et al. (2018).

Reads the published files `scsn_p_2000_2017_6sec_0.5r_<kind>_train.hdf5`
and `..._test.hdf5` from a folder (download them from the SCEDC:
https://service.scedc.caltech.edu/ftp/Ross_FinalTrainedModels/) with
`seisjax.picking.readers.read_scsn`, preprocesses every trace as the
records module does, and writes one split, 'records', in file order (train
file, then test file): splits by event are made downstream.

  builder = Builder(config=make_config(path='/data/scsn', kind='fm'),
                    data_dir='/tmp/tfds')
  builder.download_and_prepare()
  source = builder.as_data_source('records')

Records that cannot be used are listed in the metadata ('rejected') and
logged, never dropped silently.
"""

import dataclasses
import os

import tensorflow_datasets as tfds

import seisjax_datasets

from seisjax_datasets import folder_builder
from seisjax.picking import readers

SPLIT = folder_builder.SPLIT
KINDS = ('pick', 'fm')
FILE_PATTERN = 'scsn_p_2000_2017_6sec_0.5r_{kind}_{part}.hdf5'
PARTS = ('train', 'test')


@dataclasses.dataclass(eq=False)
class ScsnRoss2018Config(tfds.core.BuilderConfig):
  """Where the published files are; build instances with `make_config`.

  Attributes:
    path: folder holding the published HDF5 files.
    kind: 'pick' (the picking set) or 'fm' (the first-motion set).
  """
  path: str = ''
  kind: str = 'fm'


_CONFIGS: dict[str, ScsnRoss2018Config] = {}


def make_config(path: str = '', kind: str = 'fm') -> ScsnRoss2018Config:
  """A config named '<kind>-' plus 8 hex digits of a hash of its fields.

  Args:
    path: folder of the published files (made absolute, so that the same
      folder gives the same name from anywhere).
    kind: 'pick' or 'fm'.

  Returns:
    The config (the same object for the same fields).
  """
  if kind not in KINDS:
    raise ValueError(f'kind must be one of {KINDS}, not {kind!r}.')
  path = os.path.abspath(os.path.expanduser(path)) if path else ''
  config = ScsnRoss2018Config(
      name=f'{kind}-'
      f'{seisjax_datasets.config_digest({"path": path, "kind": kind})}',
      path=path, kind=kind,
      description=f'SCSN Ross et al. (2018) {kind} files in {path}.')
  return _CONFIGS.setdefault(config.name, config)


def files(config: ScsnRoss2018Config) -> list[str]:
  """The train and test files of the config, which must all exist."""
  paths = [os.path.join(config.path, FILE_PATTERN.format(kind=config.kind,
                                                          part=part))
           for part in PARTS]
  missing = [p for p in paths if not os.path.isfile(p)]
  if not config.path or missing:
    raise FileNotFoundError(
        f'SCSN {config.kind} files missing: expected {paths}; download them '
        'from https://service.scedc.caltech.edu/ftp/Ross_FinalTrainedModels/ '
        "and pass their folder as make_config(path=...).")
  return paths


class Builder(folder_builder.FolderBuilder):
  """SCSN records (Ross et al. 2018), one split of all records."""

  BUILDER_CONFIGS = [make_config(kind='fm'), make_config(kind='pick')]
  code_path = tfds.core.Path(__file__)  # See synthetic_precursor.
  DESCRIPTION = 'P-wave records of the SCSN data of Ross et al. (2018).'
  METADATA_FIELDS = ('path', 'kind')

  def _rows(self):
    paths = files(self.builder_config)  # Raises before generating.
    for path in paths:  # Train file, then test file.
      yield from readers.read_scsn(path)
