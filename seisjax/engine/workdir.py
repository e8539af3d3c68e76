"""A workdir is a contract: one run, one config, one process at a time.

A rerun in a workdir continues the run that is there. So before anything in
it changes, `open_run` checks that the config is the same run: changes that
continue it (more epochs, another mode, evaluation-only fields: the
engine's `CONTINUING` and the task's `continuing_fields`) are allowed and
logged; any other difference (seed, data, model, members...) is refused
with the differing fields, since resuming would report results of weights
trained on something else. A lock on the workdir refuses a second process.
"""

import contextlib
import errno
import fcntl
import json
import logging
import os

from seisjax.engine import distributed

log = logging.getLogger(__name__)

# Fields whose change continues the same run, for every task.
CONTINUING = ('mode', 'train.num_epochs', 'train.patience',
              'train.eval_batch_size', 'train.log_every_steps',
              'train.max_checkpoints', 'train.ensemble_way',
              'train.microbatches',
              'data.data_dir')
LOCK = '.lock'
CONFIG = 'config.json'

_held: dict[str, list] = {}  # Locks this process holds: path -> [fd, count].


class WorkdirError(ValueError):
  """The workdir holds another run, or another process uses it."""


def flatten(value, prefix: str = '') -> dict:
  """{'a.b': leaf} of nested dicts; lists compare as tuples."""
  if isinstance(value, dict):
    out = {}
    for key, item in value.items():
      out.update(flatten(item, f'{prefix}{key}.'))
    return out
  if isinstance(value, list):
    value = tuple(flatten(v)[''] if isinstance(v, (dict, list)) else v
                  for v in value)
  return {prefix[:-1]: value}


def differences(stored: dict, config: dict) -> dict[str, tuple]:
  """{field: (stored value, new value)} of two flattened configs."""
  missing = object()
  keys = sorted(set(stored) | set(config))
  return {k: (stored.get(k, missing), config.get(k, missing)) for k in keys
          if stored.get(k, missing) != config.get(k, missing)}


def _continues(field: str, continuing) -> bool:
  return any(field == c or field.startswith(c + '.') for c in continuing)


def _show(value) -> str:
  return '(absent)' if value is not None and not isinstance(
      value, (str, int, float, bool, tuple)) else repr(value)


def check_config(config, workdir: str, continuing=()) -> dict:
  """Refuses a config that is not the run stored in `workdir`.

  Args:
    config: the config of this command.
    workdir: the workdir; without a stored config anything goes.
    continuing: the task's fields whose change continues the run, besides
      the engine's CONTINUING.

  Returns:
    {field: (stored, new)} of the allowed changes (empty for a new run).

  Raises:
    WorkdirError: the stored config differs in other fields; the message
      lists them.
  """
  path = os.path.join(workdir, CONFIG)
  if not os.path.exists(path):
    return {}
  try:
    with open(path) as f:
      stored = flatten(json.load(f))
  except (OSError, json.JSONDecodeError) as e:
    raise WorkdirError(f'{path} cannot be read ({e}): is {workdir} the '
                       'workdir of a run? Use a new --workdir.') from e
  changes = differences(stored, flatten(json.loads(
      config.to_json_best_effort())))
  allowed = tuple(CONTINUING) + tuple(continuing)
  refused = {k: v for k, v in changes.items() if not _continues(k, allowed)}
  if refused:
    listed = '; '.join(f'{k} {_show(a)} -> {_show(b)}'
                       for k, (a, b) in refused.items())
    raise WorkdirError(
        f'{workdir} holds a run of another config ({listed}). Use a new '
        f'--workdir, or start a run from its weights in a new workdir with '
        f'--config.init_from={workdir}.')
  for k, (a, b) in changes.items():
    log.info('Continuing the run in %s with %s %s -> %s.', workdir, k,
             _show(a), _show(b))
  return changes


@contextlib.contextmanager
def lock(workdir: str):
  """Holds `<workdir>/.lock` for this process; refuses a second process.

  Re-entrant within a process (the engine's `fit` inside
  `train_and_evaluate`). Creates the workdir. In a run of several
  processes the primary one holds it for all.
  """
  os.makedirs(workdir, exist_ok=True)
  if not distributed.is_primary():
    yield
    return
  path = os.path.realpath(os.path.join(workdir, LOCK))
  if path in _held:
    _held[path][1] += 1
  else:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
      fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
      os.close(fd)
      if e.errno in (errno.EAGAIN, errno.EACCES):
        raise WorkdirError(
            f'{workdir} is in use by another process (it holds '
            f'{path}); wait for it to finish or use a new --workdir.') from e
      raise
    _held[path] = [fd, 1]
  try:
    yield
  finally:
    _held[path][1] -= 1
    if not _held[path][1]:
      fd, _ = _held.pop(path)
      fcntl.flock(fd, fcntl.LOCK_UN)
      os.close(fd)


@contextlib.contextmanager
def open_run(config, workdir: str, continuing=()):
  """Locks `workdir` and checks that `config` is its run (or a new one).

  Nothing in the workdir is written by this: the caller writes once it is
  inside (`lock` alone creates the folder and its lock file).
  """
  with lock(workdir):
    check_config(config, workdir, continuing)
    yield
