r"""The focal command: focal mechanisms of a configs/focal.py variant.

  seisjax-focal --config=configs/focal.py:example1 --workdir=runs/focal_ex1
  python -m seisjax.focal --config=configs/focal.py:maacama \
      --workdir=runs/focal_maacama --config.n_trials=50

(`python -m seisjax.focal` is the same command.) The config's docstring
lists the variants and fields; `--config.<field>=...` overrides one (an
unknown field is an error). The work is seisjax/focal/run.py: it reads,
inverts, writes mechanisms.csv, mechanisms.xml, rejected.csv, figures,
summary.json (and comparison.csv against a reference) into the workdir and
prints a summary. A workdir holds one run: a rerun with another config is
refused, a second process locked out (seisjax/engine/workdir.py). Errors a
user can act on (an unreadable line, a missing file, NaN or out-of-range
takeoffs, a bad field) are one or two lines naming the file, line or
field, exit code 1; `--debug` shows the traceback.
"""

from absl import app
from absl import flags
from ml_collections import config_flags

from seisjax.engine import cli as cli_lib
from seisjax.focal import run as run_lib

FLAGS = flags.FLAGS


@cli_lib.reports_errors('seisjax-focal', debug=lambda: FLAGS.debug)
def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  cli_lib.setup_logging()
  run_lib.run(FLAGS.config, FLAGS.workdir)


def cli():
  """The console script `seisjax-focal`."""
  # Defined here, not on import, as the other commands' flags are.
  flags.DEFINE_string('workdir', None, 'Where the results go.',
                      required=True)
  flags.DEFINE_bool('debug', False, 'Show the traceback of every error.')
  config_flags.DEFINE_config_file('config', None, 'configs/focal.py with '
                                  'its variant after ":".', lock_config=True)
  flags.mark_flags_as_required(['config'])
  app.run(main)


if __name__ == '__main__':
  cli()
