"""Tasks: what the shared engine (seisjax/train.py) trains.

A task is a module with `get_datasets(config)`, `input_shape(config)`,
`loss(outputs, batch, config) -> (loss, metrics)`, `make_predict(model)`,
`validate(predict_fn, variables, val, config) -> (score, scalars)` (the
score per member, higher is better, picks the best weights and drives early
stopping) and `evaluate(config, workdir, datasets, predict_fn, variables,
best_epoch) -> summary`.
"""

import importlib

TASKS = ('precursor', 'picker', 'polarity')


def get_task(name: str):
  if name not in TASKS:
    raise ValueError(f'Unknown task {name!r}; known: {TASKS}.')
  return importlib.import_module(f'seisjax.tasks.{name}')
