r"""Evaluates a trained picker or polarity ensemble, with the baselines.

  seisjax-evaluate --workdir=runs/picker_cpu --data=phasenet_ncedc
  seisjax-evaluate --workdir=runs/polarity_cpu --data=kumamoto_hinet

(`python -m seisjax.picking.evaluate` is the same command.)

`--data` is `test` (the run's own test events, the default), or any source
of configs/picker.py's `data=` argument: `phasenet_ncedc`, `kumamoto_hinet`
(../shared/data/picks), `seisbench:<folder>`, `scsn:<folder>`. Every record
of a named source is a test window, cut with the pick at a uniform random
offset within +-0.5 s of the centre (`--seed`). Writes
`<workdir>/eval_<data>/` (results.md, results.json, windows.csv, binned CSVs
and figures: see seisjax/picking/evaluation.py) and prints the table.
"""

import os

from absl import app
from absl import flags

from seisjax.engine import cli as cli_lib
from seisjax.picking import data as pick_data
from seisjax.picking import evaluation
from seisjax.picking import inference
from seisjax.picking import scoring

FLAGS = flags.FLAGS


def windows_of(config, data: str, seed: int = 0) -> tuple:
  """(PickWindows, name) of `data` for a run's config."""
  if data == 'test':
    return (inference.TASKS[config.task].get_datasets(config).test,
            f'{config.data.name} test events')
  source = config.data.copy_and_resolve_references()
  pick_data.set_source(source, data, config.data.kind)
  recs, _ = pick_data.load_records(source, source.data_dir)
  return pick_data.PickWindows(recs, 1, seed), data.split(':')[0]


def run(workdir: str, data: str = 'test', baselines=None, seed: int = 0,
        output: str | None = None) -> list[dict]:
  """Scores the ensemble of `workdir` and the baselines; returns the rows."""
  ensemble = inference.load_ensemble(workdir)
  window_set, name = windows_of(ensemble.config, data, seed)
  if not len(window_set):
    raise ValueError(f'No windows to evaluate in {data!r}.')
  out = ensemble(window_set.windows())
  safe = data.split(':')[0]
  return evaluation.evaluate(
      window_set, output or os.path.join(workdir, f'eval_{safe}'), name,
      baselines=tuple(ensemble.config.baselines if baselines is None
                      else baselines), **{ensemble.output: out})


@cli_lib.reports_errors('seisjax-evaluate', debug=lambda: FLAGS.debug)
def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  cli_lib.setup_logging()
  rows = run(FLAGS.workdir, FLAGS.data, FLAGS.baselines, FLAGS.seed,
             FLAGS.output)
  print(scoring.results_markdown(rows))


def cli():
  """The console script `seisjax-evaluate`."""
  # Flags are defined here, not on import, so that `run` can be imported
  # beside other entry points.
  flags.DEFINE_string('workdir', None, 'A trained picker or polarity run.',
                      required=True)
  flags.DEFINE_string('data', 'test', 'What to evaluate on (see above).')
  flags.DEFINE_list('baselines', None, 'Baselines to run on the same '
                    "windows (default: the run's config.baselines).")
  flags.DEFINE_integer('seed', 0, 'Seed of the window shifts.')
  flags.DEFINE_string('output', None, 'Output folder (default '
                      '<workdir>/eval_<data>).')
  flags.DEFINE_bool('debug', False, 'Show the traceback of every error.')
  app.run(main)


if __name__ == '__main__':
  cli()
