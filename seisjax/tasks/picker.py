"""The P-wave picker task (Ross et al. 2018): regress the pick in a window.

The target is the pick's position in the window, as its offset in seconds
from the centre (so an untrained network starts near the right answer); the
loss is Huber (`config.train.huber_delta`); the validation score is minus
the validation loss, so the best weights and early stopping follow it. The
final evaluation scores the test events' windows with the CNN ensemble and
the ObsPy baselines (seisjax/picking/evaluation.py).
"""

import json
import logging
import os

import jax.numpy as jnp
import numpy as np
import optax

from seisjax import ensemble
from seisjax.picking import evaluation
from seisjax.picking import pipeline
from seisjax.picking import records

log = logging.getLogger(__name__)


def get_datasets(config):
  return pipeline.get_datasets(config.data, config.task)


def input_shape(config) -> tuple[int, int]:
  del config
  return (records.WINDOW_SAMPLES, 1)


def loss(outputs, batch, config):
  """Huber loss of the pick in seconds; also the mean absolute error."""
  error = outputs - batch['pick']
  value = optax.huber_loss(error, delta=config.train.huber_delta).mean()
  return value, {'mae_s': jnp.abs(error).mean()}


def make_predict(model):
  def predict(variables, x):
    """The pick of each window in samples from its start: (batch,)."""
    offset = model.apply(variables, x, train=False)  # seconds from centre
    return records.WINDOW_SAMPLES // 2 + offset * records.SAMPLING_RATE
  return predict


def validate(predict_fn, variables, val, config):
  """Minus the Huber loss per member (higher is better), and scalars."""
  picks = ensemble.eval_step(predict_fn, variables, val,
                             config.train.eval_batch_size)
  error = (picks - val.picks) / records.SAMPLING_RATE  # (members, n) in s
  val_loss = np.asarray(optax.huber_loss(
      error, delta=config.train.huber_delta)).mean(axis=1)
  return -val_loss, {'val_loss': val_loss,
                     'val_mae_s': np.abs(error).mean(axis=1)}


def evaluate(config, workdir, datasets, predict_fn, variables, best_epoch):
  """Scores the test events (CNN and baselines); writes summary.json."""
  test = datasets.test
  summary = {'task': config.task, 'dataset': datasets.dataset_name,
             'best_epoch': best_epoch.tolist(),
             'n_test_events': len(datasets.splits['test']),
             'n_test_windows': len(test)}
  if len(test):
    out = ensemble.eval_step(predict_fn, variables, test,
                             config.train.eval_batch_size)
    kind = 'picks' if config.task == 'picker' else 'probs'
    summary['results'] = evaluation.evaluate(
        test, os.path.join(workdir, 'test'), datasets.dataset_name,
        baselines=tuple(config.baselines), **{kind: out})
    for row in summary['results']:
      log.info('%s', _format_row(row))
  else:
    log.info('No test events (data.test_fraction=0): evaluate another set '
             'with python -m seisjax.evaluate.')
  with open(os.path.join(workdir, 'summary.json'), 'w') as f:
    json.dump(summary, f, indent=2, default=_json_default)
  return summary


def _format_row(row) -> str:
  return ', '.join(f'{k} {v:.4g}' if isinstance(v, float) else f'{k} {v}'
                   for k, v in row.items())


def _json_default(x):
  return x.item() if isinstance(x, np.generic) else str(x)
