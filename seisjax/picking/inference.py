"""A trained picker or polarity ensemble, from its workdir or shipped.

  ensemble = load_ensemble('runs/picker_cpu')
  picks = ensemble(windows)  # (members, n) samples from each window start
  ensemble = load_ensemble()  # the shipped picker (load_shipped('picker'))

Any ensemble size loads: the config saved with the run says how many
members there are; the best weights of each (by validation loss) are read
from the last checkpoint, without the optimiser's state. A run whose
training did not finish loads with a warning.

The shipped models (seisjax/picking/shipped/: <task>.npz, the best weights
of every member, and <task>.json, the run's config, its provenance and
measured scores) are package data: they load offline, with no workdir.
`export_shipped` writes them from a run (bench/ship_models.py).
"""

import hashlib
import json
import logging
import os
import pathlib

from flax import traverse_util
import ml_collections
import numpy as np

from seisjax.engine import ensemble as ensemble_lib
from seisjax.engine import train
from seisjax.engine import writers
from seisjax.picking import picker
from seisjax.picking import polarity
from seisjax.picking import records

log = logging.getLogger(__name__)
SHIPPED = pathlib.Path(__file__).resolve().parent / 'shipped'
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

  def __init__(self, config, workdir: str | None, variables=None):
    """From a run's `workdir`, or from `variables` (stacked over members)."""
    if config.task not in TASKS:
      raise ValueError(f'A {config.task!r} run is not a picker or polarity '
                       'model.')
    self.config = config
    self.task = config.task
    task = TASKS[config.task]
    self.output = task.output
    mesh = ensemble_lib.make_mesh(config.mesh.member, config.mesh.data)
    if variables is None:
      model, self.variables = train.load_best(config, task, workdir, mesh)
    else:
      model, self.variables = task.make_model(config), variables
    if workdir and not os.path.exists(os.path.join(workdir, 'summary.json')):
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


def load_ensemble(workdir: str | None = None,
                  task: str = 'picker') -> Ensemble:
  """The ensemble trained in `workdir`, or the shipped `task` without one."""
  if not workdir:
    return load_shipped(task)
  return Ensemble(load_config(workdir), workdir)


def load_shipped(task: str = 'picker', folder=SHIPPED) -> Ensemble:
  """The shipped 'picker' or 'polarity' ensemble (offline, package data).

  Raises:
    FileNotFoundError: the package has no shipped model of `task`.
  """
  folder = pathlib.Path(folder)
  meta_path, weights = folder / f'{task}.json', folder / f'{task}.npz'
  if not meta_path.is_file() or not weights.is_file():
    raise FileNotFoundError(
        f'No shipped {task} model in {folder}: reinstall seisjax, or train '
        'one (python bench/ship_models.py) or pass --workdir.')
  meta = json.loads(meta_path.read_text())
  with np.load(weights) as npz:
    flat = {tuple(k.split('/')): np.asarray(npz[k]) for k in npz.files}
  config = ml_collections.ConfigDict(_tuples(meta['config']))
  ensemble = Ensemble(config, None, traverse_util.unflatten_dict(flat))
  ensemble.provenance = meta
  return ensemble


def export_shipped(workdir: str, folder=SHIPPED, **provenance) -> dict:
  """Writes a run's best weights and config as a shipped model.

  Args:
    workdir: a finished picker or polarity run.
    folder: where <task>.npz and <task>.json go.
    **provenance: stored in the JSON beside the config (command, data,
      commit, scores...).

  Returns:
    The JSON's content.
  """
  ensemble = load_ensemble(workdir)
  folder = pathlib.Path(folder)
  folder.mkdir(parents=True, exist_ok=True)
  flat = traverse_util.flatten_dict(ensemble.variables, sep='/')
  weights = folder / f'{ensemble.task}.npz'
  with writers.atomic_path(weights) as tmp:
    np.savez_compressed(tmp, **{k: np.asarray(v, np.float32)
                                for k, v in flat.items()})
  with open(os.path.join(workdir, 'config.json')) as f:
    config = json.load(f)
  meta = {'task': ensemble.task, 'n_members': ensemble.n_members,
          'weights': weights.name, 'weights_bytes': weights.stat().st_size,
          'weights_sha256': hashlib.sha256(weights.read_bytes()).hexdigest(),
          **provenance, 'config': config}
  writers.write_text(json.dumps(meta, indent=1, default=str) + '\n',
                     folder / f'{ensemble.task}.json')
  return meta
