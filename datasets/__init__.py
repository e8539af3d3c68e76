"""TFDS builders of seisjax, installed as `seisjax_datasets`.

One folder per builder: synthetic_precursor, synthetic_picks, scsn_ross2018,
seisbench.
"""

import hashlib
import json


def config_digest(params: dict) -> str:
  """8 hex digits of a hash of a builder config's fields, for its name.

  Two configs share a name (and a data directory) only if they share every
  field.
  """
  return hashlib.sha256(
      json.dumps(params, sort_keys=True).encode()).hexdigest()[:8]
