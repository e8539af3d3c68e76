"""The tasks and modes a config can name: resolved once, at the entry point.

`config.task` names a study's task (`seisjax.engine.task.Task`), handed to
the engine; `config.mode` names what to do with it: 'train' (the engine's
train_and_evaluate, every task) or one of the task's own modes. This is
the one module that knows every study; the engine and the studies know
nothing of each other.
"""

import functools
from typing import Callable

from seisjax.engine import task as task_lib
from seisjax.engine import train
from seisjax.picking import picker
from seisjax.picking import polarity
from seisjax.precursor import analyze
from seisjax.precursor import cycles
from seisjax.precursor import detectability
from seisjax.precursor import significance
from seisjax.precursor import task as precursor_task

TASKS = {t.name: t for t in (precursor_task.TASK, picker.TASK,
                             polarity.TASK)}
# Modes beyond 'train', per task: (config, workdir) -> result.
EXTRA_MODES = {
    'precursor': {'analyze': analyze.analyze,
                  'permutation': significance.permutation_test,
                  'cycles': cycles.run_cycles,
                  'detectability': detectability.detectability},
}


def get_task(name: str) -> task_lib.Task:
  """The task that `config.task` names."""
  if name not in TASKS:
    raise ValueError(f'Unknown task {name!r}; known: {sorted(TASKS)}.')
  return TASKS[name]


def get_mode(config) -> Callable[[object, str], object]:
  """`(config, workdir) -> result` of `config.mode` for `config.task`.

  Every mode first checks the config and that the workdir holds this run
  (or none), and holds the workdir's lock while it runs
  (`seisjax.engine.train.open_run`).
  """
  task = get_task(config.task)
  modes = {'train': functools.partial(train.train_and_evaluate, task=task),
           **EXTRA_MODES.get(task.name, {})}
  if config.mode not in modes:
    raise ValueError(f'Unknown mode {config.mode!r} for task {task.name!r}; '
                     f'known: {sorted(modes)}.')

  def run(config, workdir: str):
    with train.open_run(config, workdir, task):
      return modes[config.mode](config, workdir)
  return run
