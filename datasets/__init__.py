"""TFDS builders of seisjax, installed as `seisjax_datasets`.

One folder per builder: synthetic_precursor, japan_precursor,
synthetic_picks, scsn_ross2018, seisbench. `prepare` builds one safely
(a lock against a concurrent build; the leftovers of a killed build
removed) and `open_split` reads it, naming the damaged shard if a file is
corrupt.
"""

import bisect
import fcntl
import hashlib
import itertools
import json
import logging
import os
import shutil

import numpy as np
import tensorflow_datasets as tfds
from tensorflow_datasets.core import shuffle

log = logging.getLogger(__name__)

# TFDS sorts a split's examples in memory up to this size, and beyond it
# spills them to disk through TensorFlow, which seisjax does not install:
# a config whose split would be larger is refused up front.
MAX_SPLIT_BYTES = shuffle.MAX_MEM_BUFFER_SIZE


def config_digest(params: dict) -> str:
  """8 hex digits of a hash of a builder config's fields, for its name.

  Two configs share a name (and a data directory) only if they share every
  field.
  """
  return hashlib.sha256(
      json.dumps(params, sort_keys=True).encode()).hexdigest()[:8]


def interval_features(lead_in_samples: int,
                      interval_samples: int) -> tfds.features.FeaturesDict:
  """Features of the precursor builders: one example per (record, interval).

  waveform: (lead_in + interval samples, 3) float32, BH1, BH2, BHZ: the
  interval preceded by the lead-in its windows reach into; event: 0-based
  record; interval: 1-based, 1 the earliest.
  """
  return tfds.features.FeaturesDict({
      'waveform': tfds.features.Tensor(
          shape=(lead_in_samples + interval_samples, 3), dtype=np.float32,
          encoding=tfds.features.Encoding.BYTES),
      'event': tfds.features.Scalar(dtype=np.int32),
      'interval': tfds.features.Scalar(dtype=np.int32),
  })


def interval_info(builder, description: str,
                  **metadata) -> tfds.core.DatasetInfo:
  """DatasetInfo of a precursor builder: one example per (record, interval).

  The features are `interval_features` of the config's layout; the
  metadata gains interval_samples and lead_in_samples; examples stay in
  (event, interval) order.
  """
  config = builder.builder_config
  return tfds.core.DatasetInfo(
      builder=builder,
      description=description,
      features=interval_features(config.lead_in_samples,
                                 config.interval_samples),
      metadata=tfds.core.MetadataDict(
          interval_samples=config.interval_samples,
          lead_in_samples=config.lead_in_samples, **metadata),
      disable_shuffling=True,
  )


def interval_examples(event: int, record: np.ndarray, n_intervals: int,
                      lead_in_samples: int, interval_samples: int):
  """Yields (key, example) for intervals 1..n_intervals of one record.

  The record starts lead_in_samples before interval 1. Keys are integers in
  (event, interval) order: with shuffling disabled TFDS sorts by key.
  """
  length = lead_in_samples + interval_samples
  for interval in range(1, n_intervals + 1):
    end = lead_in_samples + interval * interval_samples
    yield event * n_intervals + interval - 1, {
        'waveform': record[end - length:end], 'event': event,
        'interval': interval}


def prepare(builder) -> None:
  """`builder.download_and_prepare()`, safely.

  Holds a lock beside the dataset's versions while building, so a second
  process waits and then finds the data built; under the lock, folders
  `incomplete.*` left by a killed build of the same version are removed
  (TFDS leaves them: its cleanup does not run when the process is killed).
  """
  config_dir = os.path.dirname(os.fspath(builder.data_dir))
  os.makedirs(config_dir, exist_ok=True)
  with open(os.path.join(config_dir, '.build.lock'), 'w') as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    pattern = f'_{builder.version}'
    for name in os.listdir(config_dir):
      if name.startswith('incomplete.') and name.endswith(pattern):
        log.info('Removing %s, left by a build that did not finish.', name)
        shutil.rmtree(os.path.join(config_dir, name), ignore_errors=True)
    builder.download_and_prepare()


class _CheckedSource:
  """A TFDS data source whose read errors name the shard to blame."""

  def __init__(self, builder, split: str):
    self._source = builder.as_data_source(split=split)
    info = builder.info.splits[split]
    self._ends = list(itertools.accumulate(info.shard_lengths))
    self._files = [os.fspath(p) for p in info.filepaths]
    self._data_dir = os.fspath(builder.data_dir)

  def __len__(self) -> int:
    return len(self._source)

  def __getitem__(self, index: int):
    try:
      return self._source[index]
    except Exception as e:  # pylint: disable=broad-except
      shard = self._files[min(bisect.bisect_right(self._ends, index),
                              len(self._files) - 1)]
      raise ValueError(
          f'{shard}: cannot read example {index} ({type(e).__name__}: {e}). '
          f'The dataset is damaged: delete {self._data_dir} and run again '
          'to rebuild it.') from e


def open_split(builder, split: str) -> _CheckedSource:
  """The examples of a prepared builder's split, read on demand."""
  return _CheckedSource(builder, split)
