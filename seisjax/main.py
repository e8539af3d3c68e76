r"""Entry point: trains and evaluates a config in a workdir, or analyses it.

  seisjax-train --config=configs/precursor.py:cpu --workdir=runs/precursor_cpu
  python -m seisjax.main --config=configs/precursor.py:cpu \
      --workdir=runs/precursor_cpu --config.mode=analyze

(`seisjax-train` and `python -m seisjax.main` are the same command.)
`config.task` picks the study's task and `config.mode` what to do with it
(seisjax/registry.py): 'train' for every task; for the precursor task also
'analyze', 'permutation' and 'cycles'. Fields can be overridden
(`--config.train.num_epochs=3`); unknown fields are an error. Rerunning
with the same workdir resumes from the last checkpoint.
"""

import logging
import sys

from absl import app
from absl import flags
from absl import logging as absl_logging
import jax
from ml_collections import config_flags

from seisjax import registry
from seisjax.engine import train

FLAGS = flags.FLAGS
flags.DEFINE_string('workdir', None, 'Where checkpoints, metrics and '
                    'results go.', required=True)
config_flags.DEFINE_config_file('config', None, 'Config file, with an '
                                'optional ":arg" suffix.', lock_config=True)


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  # Our progress at INFO; the libraries' (Orbax, TFDS) only from WARNING.
  absl_logging.set_verbosity(absl_logging.WARNING)
  logging.getLogger('seisjax').setLevel(logging.INFO)
  logging.getLogger('seisjax').info(
      'Process %d of %d.', jax.process_index(), jax.process_count())
  try:
    run = registry.get_mode(FLAGS.config)
  except ValueError as e:
    raise app.UsageError(str(e)) from e
  try:
    run(FLAGS.config, FLAGS.workdir)
  except (train.Interrupted, FloatingPointError, FileNotFoundError) as e:
    logging.error('%s', e)
    sys.exit(1)


def cli():
  """The console script `seisjax-train`."""
  flags.mark_flags_as_required(['config'])
  app.run(main)


if __name__ == '__main__':
  cli()
