"""A trained picker or polarity ensemble, loaded from its workdir.

  ensemble = load_ensemble('runs/picker_cpu')
  picks = ensemble(windows)  # (members, n) samples from each window start

Any ensemble size loads: the config saved with the run says how many
members there are; the best weights of each (by validation loss) are read
from the last checkpoint, without the optimiser's state. A run whose
training did not finish loads with a warning.
"""

import json
import logging
import os

import ml_collections
import numpy as np

from seisjax.engine import ensemble as ensemble_lib
from seisjax.engine import train
from seisjax.picking import picker
from seisjax.picking import polarity
from seisjax.picking import records

log = logging.getLogger(__name__)
TASKS = {task.name: task for task in (picker.TASK, polarity.TASK)}


def _tuples(value):
  """JSON lists back to the tuples the configs use."""
  if isinstance(value, dict):
    return {k: _tuples(v) for k, v in value.items()}
  if isinstance(value, list):
    return tuple(_tuples(v) for v in value)
  return value


def load_config(workdir: str) -> ml_collections.ConfigDict:
  """The config a run saved in `<workdir>/config.json`."""
  path = os.path.join(workdir, 'config.json')
  if not os.path.exists(path):
    raise FileNotFoundError(f'No config.json in {workdir}: is it the workdir '
                            'of a training run?')
  with open(path) as f:
    return ml_collections.ConfigDict(_tuples(json.load(f)))


class Ensemble:
  """Calls every member on windows; see `__call__`."""

  def __init__(self, config, workdir: str):
    if config.task not in TASKS:
      raise ValueError(f'A {config.task!r} run is not a picker or polarity '
                       'model.')
    self.config = config
    self.task = config.task
    task = TASKS[config.task]
    self.output = task.output
    mesh = ensemble_lib.make_mesh(config.mesh.member, config.mesh.data)
    model, self.variables = train.load_best(config, task, workdir, mesh)
    if not os.path.exists(os.path.join(workdir, 'summary.json')):
      log.warning(
          'The training in %s did not finish (it has no summary.json): this '
          '%s ensemble has the best weights of the epochs it trained. Run '
          'its training command again to finish it.', workdir, self.task)
    self.n_members = config.n_members
    self._predict = ensemble_lib.jit_ensemble_predict(
        task.make_predict(model), mesh)

  def __call__(self, windows: np.ndarray) -> np.ndarray:
    """Every member's output on `windows`.

    Args:
      windows: (n, 400) preprocessed windows at 100 Hz (seisjax.picking.
        records.preprocess), not normalised: this divides them by their
        peak, as in training.

    Returns:
      picker: (members, n) pick in samples from each window start;
      polarity: (members, n, 3) probabilities of down, up, unknown.
    """
    windows = np.asarray(windows, np.float32)
    if windows.ndim != 2 or windows.shape[1] != records.WINDOW_SAMPLES:
      raise ValueError(f'Expected windows of shape (n, '
                       f'{records.WINDOW_SAMPLES}), got {windows.shape}.')
    if not len(windows):
      shape = (self.n_members, 0) + ((3,) if self.output == 'probs' else ())
      return np.zeros(shape, np.float32)
    return ensemble_lib.eval_step(self._predict, self.variables,
                                  records.normalize(windows)[..., None],
                                  self.config.train.eval_batch_size)


def load_ensemble(workdir: str) -> Ensemble:
  """The ensemble trained in `workdir` (a picker or polarity run)."""
  return Ensemble(load_config(workdir), workdir)
