"""TFDS builders of seisjax, installed as `seisjax_datasets`.

One folder per builder: synthetic_precursor, japan_precursor,
synthetic_picks, scsn_ross2018, seisbench.
"""

import hashlib
import json

import numpy as np
import tensorflow_datasets as tfds


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
