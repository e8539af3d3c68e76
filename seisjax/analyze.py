r"""Runs the analyses of `config.evals` on a trained workdir (paper section 6).

  python -m seisjax.main --config=configs/precursor.py:cpu \
      --workdir=runs/precursor_cpu --config.mode=analyze

Loads the best weights of every member from the workdir's checkpoint, builds
each evaluator of `config.evals` (seisjax/analyses/evaluators.py), and writes
their CSV and PNG files to `<workdir>/analyses/` and their scalar results to
`<workdir>/analyses/analyses.json`.
"""

import functools
import json
import logging
import os
import time

import jax
import jax.numpy as jnp

from seisjax import ensemble
from seisjax import input_pipeline
from seisjax import metrics
from seisjax import train
from seisjax.tasks import precursor
from seisjax.analyses import common
from seisjax.analyses import evaluators  # pylint: disable=unused-import

log = logging.getLogger(__name__)


def ensemble_predict_fn(model, variables):
  """A jittable x -> mean precursor probability over the members."""
  member_predict = precursor.make_predict(model)

  @jax.jit
  def predict(variables, x):
    # (members, batch) -> (batch,)
    return jnp.mean(jax.vmap(member_predict, in_axes=(0, None))(variables, x),
                    axis=0)
  return functools.partial(predict, variables)


def analyze(config, workdir: str) -> dict:
  """Runs every evaluator of `config.evals`; returns their results."""
  mesh = ensemble.make_mesh(config.mesh.member, config.mesh.data)
  datasets = input_pipeline.get_datasets(config.data, config.data.data_dir)
  model, variables = train.load_best(config, workdir, mesh)
  context = common.Context(
      predict_fn=ensemble_predict_fn(model, variables), datasets=datasets,
      data=config.data, batch_size=config.train.eval_batch_size)
  outdir = os.path.join(workdir, 'analyses')
  os.makedirs(outdir, exist_ok=True)
  results = {}
  for name, evaluator in common.from_config(config.evals, context):
    start = time.perf_counter()
    for key, value in evaluator.run(os.path.join(outdir, name)):
      results[f'{name}/{key}'] = metrics.to_json(value)
    log.info('%s done in %s', name,
             metrics.format_seconds(time.perf_counter() - start))
  with open(os.path.join(outdir, 'analyses.json'), 'w') as f:
    json.dump(results, f, indent=2)
  for key, value in results.items():
    log.info('%s: %s', key, value)
  return results
