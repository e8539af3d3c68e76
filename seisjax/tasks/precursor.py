"""The precursor task (Ong et al.): noise vs precursor windows.

The engine (seisjax/train.py) asks a task for its data, loss, validation
score and final evaluation; this module answers for the precursor CNN.
"""

import json
import logging
import os

import jax
import jax.numpy as jnp
import numpy as np
import optax

from seisjax import ensemble
from seisjax import input_pipeline
from seisjax import reports

log = logging.getLogger(__name__)


def get_datasets(config):
  return input_pipeline.get_datasets(config.data, config.data.data_dir)


def input_shape(config) -> tuple[int, int]:
  return (config.data.window_samples, 3)


def loss(logits, batch, config):
  """Softmax cross-entropy on the noise (0) / precursor (1) labels."""
  del config  # Nothing to configure.
  value = optax.softmax_cross_entropy_with_integer_labels(
      logits, batch['label']).mean()
  accuracy = jnp.mean(jnp.argmax(logits, -1) == batch['label'])
  return value, {'accuracy': accuracy}


def make_predict(model):
  def predict(variables, x):
    """Precursor probability of each window: (batch,)."""
    return jax.nn.softmax(model.apply(variables, x, train=False))[:, 1]
  return predict


def accuracy(predict_fn, variables, window_set, batch_size) -> np.ndarray:
  """Accuracy of each member on a labelled window set: (members,).

  The labels are shared, (n_spans,), or each member's own, (members, n_spans).
  """
  probs = ensemble.eval_step(predict_fn, variables, window_set, batch_size)
  labels = window_set.per_window(window_set.labels)
  return (reports.predict(probs) == labels).mean(axis=1)


def validate(predict_fn, variables, val, config):
  """Validation accuracy per member: the score (higher is better)."""
  value = accuracy(predict_fn, variables, val, config.train.eval_batch_size)
  return value, {'val_accuracy': value}


def evaluate(config, workdir, datasets, predict_fn, variables, best_epoch):
  """Writes the tables and figures of the final ensemble; returns summary."""
  batch = config.train.eval_batch_size
  train, test_all = datasets.train, datasets.test_all
  test_probs = ensemble.eval_step(predict_fn, variables, test_all, batch)
  # Noise B windows (interval 0) count in the accuracy, not per interval.
  of_records = test_all.per_window(test_all.intervals) > 0

  def labelled(window_set, probs=None):
    """Predictions on the labelled windows of a window set."""
    if probs is None:
      probs = ensemble.eval_step(predict_fn, variables, window_set, batch)
    labels = window_set.per_window(window_set.labels)
    keep = labels != input_pipeline.UNLABELLED
    return reports.SplitPredictions(
        probs[:, keep], labels[keep], datasets.record_labels[
            window_set.per_window(window_set.events)[keep]])

  summary = reports.write_precursor_report(
      workdir,
      train=labelled(train),
      test=labelled(test_all, test_probs),
      verify=None if datasets.verify is None else labelled(datasets.verify),
      all_interval_probs=test_probs[:, of_records],
      all_interval_intervals=test_all.per_window(
          test_all.intervals)[of_records],
      n_intervals=config.data.n_intervals,
      interval_s=config.data.interval_samples / config.data.sampling_rate)
  summary['best_epoch'] = best_epoch.tolist()
  summary['test_events'] = datasets.splits['test'].tolist()
  summary['verify_events'] = datasets.splits['verify'].tolist()
  with open(os.path.join(workdir, 'summary.json'), 'w') as f:
    json.dump(summary, f, indent=2)
  for i, acc in enumerate(summary['member_test_accuracy']):
    log.info('member %d (seed %d): test accuracy %.4f', i, config.seed + i,
             acc)
  log.info('ensemble of %d: test accuracy %.4f, score (TPR-FPR) %s',
           len(summary['member_test_accuracy']), summary['test_accuracy'],
           summary['test_score'])
  if 'verify_accuracy' in summary:
    log.info('verification (set B) accuracy %.4f, members %s',
             summary['verify_accuracy'],
             np.round(summary['member_verify_accuracy'], 4).tolist())
  return summary
