"""The precursor task (Ong et al.): noise vs precursor windows.

What the engine (seisjax.engine.train) asks of a study, answered for the
precursor CNN: the interval windows of the event records
(seisjax/precursor/data.py), the CNN (model.py), cross-entropy on noise (0)
and precursor (1), the validation accuracy per member, and the paper's
tables and figures at the end (report.py).
"""

import logging

import jax
import numpy as np

from seisjax.engine import ensemble
from seisjax.engine import losses
from seisjax.precursor import data
from seisjax.precursor import model as model_lib
from seisjax.precursor import report
from seisjax.precursor import stats

log = logging.getLogger(__name__)


def accuracy(predict_fn, variables, window_set, batch_size) -> np.ndarray:
  """Accuracy of each member on a labelled window set: (members,).

  The labels are shared, (n_spans,), or each member's own, (members, n_spans).
  """
  probs = ensemble.eval_step(predict_fn, variables, window_set, batch_size)
  labels = window_set.per_window(window_set.labels)
  return (stats.predict(probs) == labels).mean(axis=1)


class PrecursorTask:
  """The `seisjax.engine.task.Task` of the precursor CNN."""

  name = 'precursor'
  # The random input layer's kernel is redrawn every epoch, as in the paper;
  # dropout every step.
  rng_streams = (('random_input', 'epoch'), ('dropout', 'step'))
  # The analyses, the permutation test, the training cycles and the
  # detectability sweep read a run without changing it.
  continuing_fields = ('evals', 'permutation', 'cycles', 'detectability')

  def check_config(self, config) -> None:
    data.check_config(config)

  def get_datasets(self, config) -> data.PrecursorDatasets:
    return data.get_datasets(config.data, config.data.data_dir)

  def make_model(self, config) -> model_lib.PrecursorCNN:
    fields = dict(config.model)
    if fields.pop('name') != 'precursor_cnn':
      raise ValueError(f'The precursor task trains precursor_cnn, not '
                       f'{config.model.name!r}.')
    return model_lib.PrecursorCNN(**fields)

  def input_shape(self, config) -> tuple[int, int]:
    return (config.data.window_samples, 3)

  def loss(self, logits, batch, config):
    """Softmax cross-entropy on the noise (0) / precursor (1) labels."""
    del config  # Nothing to configure.
    return losses.classification(logits, batch['label'])

  def make_predict(self, model):
    def predict(variables, x):
      """Precursor probability of each window: (batch,)."""
      return jax.nn.softmax(model.apply(variables, x, train=False))[:, 1]
    return predict

  def validate(self, predict_fn, variables, val, config):
    """Validation accuracy per member: the score (higher is better)."""
    value = accuracy(predict_fn, variables, val,
                     config.train.eval_batch_size)
    return value, {'val_accuracy': value}

  def evaluate(self, config, workdir, datasets, predict_fn, variables):
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
      keep = labels != data.UNLABELLED
      return report.SplitPredictions(
          probs[:, keep], labels[keep], datasets.record_labels[
              window_set.per_window(window_set.events)[keep]])

    summary = report.write_precursor_report(
        workdir,
        train=labelled(train),
        test=labelled(test_all, test_probs),
        verify=(None if datasets.verify is None
                else labelled(datasets.verify)),
        all_interval_probs=test_probs[:, of_records],
        all_interval_intervals=test_all.per_window(
            test_all.intervals)[of_records],
        n_intervals=config.data.n_intervals,
        interval_s=config.data.interval_samples / config.data.sampling_rate)
    summary['test_events'] = datasets.splits['test'].tolist()
    summary['verify_events'] = datasets.splits['verify'].tolist()
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


TASK = PrecursorTask()
