"""Evaluator registry for the analyses of a trained model.

As big_vision's evaluators: each analysis is a small class registered under a
type name and built from one entry of `config.evals`,

  config.evals.lowpass = dict(type='frequency_sweep', btype='lowpass')

Its `run(outdir)` writes CSV and PNG files and yields `(name, value)` pairs
for `analyses.json`.
"""

import dataclasses
from typing import Callable, Iterator

import jax

from seisjax.precursor import data as precursor_data

_REGISTRY: dict[str, type] = {}


@dataclasses.dataclass
class Context:
  """What every evaluator may use.

  Attributes:
    predict_fn: jittable (batch, time, 3) -> (batch,) precursor probability,
      the mean over ensemble members.
    datasets: the splits of the trained run (train, val, test_all).
    data: `config.data`.
    batch_size: evaluation batch size.
  """
  predict_fn: Callable[[jax.Array], jax.Array]
  datasets: precursor_data.PrecursorDatasets
  data: object
  batch_size: int


def register(name: str):
  """Class decorator: registers an evaluator under `name`."""
  def wrap(cls):
    _REGISTRY[name] = cls
    return cls
  return wrap


def from_config(evals, context: Context) -> list[tuple[str, object]]:
  """Builds the evaluators of `config.evals`, in the order given."""
  evaluators = []
  for name, entry in evals.items():
    fields = dict(entry)
    kind = fields.pop('type')
    if kind not in _REGISTRY:
      raise ValueError(f'Unknown evaluator type {kind!r} for {name!r}; '
                       f'known: {sorted(_REGISTRY)}.')
    evaluators.append((name, _REGISTRY[kind](context, **fields)))
  return evaluators


Yields = Iterator[tuple[str, object]]
