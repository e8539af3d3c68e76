"""What the builders of real P-pick records share (scsn_ross2018, seisbench).

A subclass names its description, the config fields to keep in the
metadata, and the raw rows of its source (`seisjax.picking.readers`); this
base turns them into records, one split 'records' in the source's order,
and stores every rejected record with its reason in the metadata.
"""

import logging

import tensorflow_datasets as tfds

from seisjax.picking import readers
from seisjax.picking import records

SPLIT = 'records'


class FolderBuilder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
  """Records of raw rows read from files on disk."""

  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  DESCRIPTION = ''
  METADATA_FIELDS = ()  # Config fields stored in the metadata.

  def __init__(self, *, file_format=None, **kwargs):
    super().__init__(file_format=file_format or 'array_record', **kwargs)

  def _rows(self):
    """Raw rows of the source (readers.raw_row / rejected_row)."""
    raise NotImplementedError

  def _info(self) -> tfds.core.DatasetInfo:
    config = self.builder_config
    return tfds.core.DatasetInfo(
        builder=self,
        description=self.DESCRIPTION + ' Preprocessed as '
        'seisjax.picking.records describes; P at sample 300 of 600.',
        features=records.features(),
        metadata=tfds.core.MetadataDict(
            **{f: getattr(config, f) for f in self.METADATA_FIELDS},
            **records.Rejections().as_metadata()),  # Filled when built.
        disable_shuffling=True,  # The source's order.
    )

  def _split_generators(self, dl_manager):
    del dl_manager  # The files are on disk already.
    return {SPLIT: self._generate_examples(self._rows())}

  def _generate_examples(self, rows):
    rejections = records.Rejections()
    key = 0
    for record in readers.to_records(rows, rejections):
      yield key, record
      key += 1
    logging.info('%s %s: %d records, %s', self.name, self.builder_config.name,
                 key, rejections.summary())
    # TFDS writes the info (metadata included) after the examples.
    self.info.metadata.update(rejections.as_metadata())
