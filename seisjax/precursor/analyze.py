r"""Runs the analyses of `config.evals` on a trained workdir (paper section 6).

  python -m seisjax.main --config=configs/precursor.py:cpu \
      --workdir=runs/precursor_cpu --config.mode=analyze

Loads the best weights of every member from the workdir's checkpoint, builds
each evaluator of `config.evals` (analyses/evaluators.py), and writes
their CSV and PNG files to `<workdir>/analyses/` and their scalar results to
`<workdir>/analyses/analyses.json`.
"""

import functools
import logging
import os
import time

import jax
import jax.numpy as jnp

from seisjax.engine import ensemble
from seisjax.engine import train
from seisjax.engine import writers
from seisjax.precursor import task as task_lib
from seisjax.precursor.analyses import common
# Registers the evaluators with `common`.
from seisjax.precursor.analyses import evaluators  # noqa: F401

log = logging.getLogger(__name__)


def ensemble_predict_fn(model, variables):
  """A jittable x -> mean precursor probability over the members."""
  member_predict = task_lib.TASK.make_predict(model)

  @jax.jit
  def predict(variables, x):
    # (members, batch) -> (batch,)
    return jnp.mean(jax.vmap(member_predict, in_axes=(0, None))(variables, x),
                    axis=0)
  return functools.partial(predict, variables)


def analyze(config, workdir: str) -> dict:
  """Runs every evaluator of `config.evals`; returns their results."""
  mesh = ensemble.make_mesh(config.mesh.member, config.mesh.data)
  task = task_lib.TASK
  datasets = task.get_datasets(config)
  model, variables = train.load_best(config, task, workdir, mesh)
  context = common.Context(
      predict_fn=ensemble_predict_fn(model, variables), datasets=datasets,
      data=config.data, batch_size=config.train.eval_batch_size)
  outdir = os.path.join(workdir, 'analyses')
  os.makedirs(outdir, exist_ok=True)
  results = {}
  for name, evaluator in common.from_config(config.evals, context):
    start = time.perf_counter()
    for key, value in evaluator.run(os.path.join(outdir, name)):
      results[f'{name}/{key}'] = writers.to_json(value)
    log.info('%s done in %s', name,
             writers.format_seconds(time.perf_counter() - start))
  writers.write_json(results, os.path.join(outdir, 'analyses.json'))
  for key, value in results.items():
    log.info('%s: %s', key, value)
  return results
