r"""Entry point: trains and evaluates a config in a workdir, or analyses it.

The other modes: the permutation test of the precursor accuracy
(seisjax/significance.py) and Section 7.2's training cycles over random
event splits (seisjax/cycles.py).

  python -m seisjax.main --config=configs/precursor.py:cpu \
      --workdir=runs/precursor_cpu
  python -m seisjax.main --config=configs/precursor.py:cpu \
      --workdir=runs/precursor_cpu --config.mode=analyze
  python -m seisjax.main --config=configs/precursor.py:cpu \
      --workdir=runs/precursor_cpu --config.mode=permutation

Fields can be overridden (`--config.train.num_epochs=3`); unknown fields are
an error. Rerunning with the same workdir resumes from the last checkpoint.
"""

import logging
import sys

from absl import app
from absl import flags
from absl import logging as absl_logging
from ml_collections import config_flags

from seisjax import analyze
from seisjax import cycles
from seisjax import significance
from seisjax import train

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
  config = FLAGS.config
  modes = {'train': train.train_and_evaluate, 'analyze': analyze.analyze,
           'permutation': significance.permutation_test,
           'cycles': cycles.run_cycles}
  if config.mode not in modes:
    raise app.UsageError(f'Unknown mode {config.mode!r}; known: '
                         f'{sorted(modes)}.')
  try:
    modes[config.mode](config, FLAGS.workdir)
  except (train.Interrupted, FloatingPointError, FileNotFoundError) as e:
    logging.error('%s', e)
    sys.exit(1)


if __name__ == '__main__':
  flags.mark_flags_as_required(['config'])
  app.run(main)
