r"""Entry point: trains and evaluates a config in a workdir, or analyses it.

  seisjax-train --config=configs/precursor.py:cpu --workdir=runs/precursor_cpu
  python -m seisjax.main --config=configs/precursor.py:cpu \
      --workdir=runs/precursor_cpu --config.mode=analyze

(`seisjax-train` and `python -m seisjax.main` are the same command.) A run
of several processes is the same command in every process: inside `srun`
(SLURM) it finds its peers itself, on a TPU pod's workers with
`--distributed`, elsewhere with `--coordinator_address=host:port
--num_processes=N --process_id=i` (seisjax/engine/distributed.py, launch/).
`config.task` picks the study's task and `config.mode` what to do with it
(seisjax/registry.py): 'train' for every task; for the precursor task also
'analyze', 'permutation' and 'cycles'. Fields can be overridden
(`--config.train.num_epochs=3`); unknown fields are an error. Rerunning
with the same workdir resumes from the last checkpoint; a rerun with a
config that is not the same run is refused (seisjax/engine/workdir.py).
"""

import logging

from absl import app
from absl import flags
import jax
from ml_collections import config_flags

from seisjax import registry
from seisjax.engine import cli as cli_lib
from seisjax.engine import distributed

FLAGS = flags.FLAGS
# Not __name__: run as `python -m`, this module is '__main__'.
log = logging.getLogger('seisjax.main')
flags.DEFINE_string('workdir', None, 'Where checkpoints, metrics and '
                    'results go.', required=True)
flags.DEFINE_bool('debug', False, 'Show the traceback of every error.')
flags.DEFINE_string('coordinator_address', '', 'host:port of process 0, to '
                    'start a run of several processes by hand (SLURM and '
                    'TPU pods need none of these three flags).')
flags.DEFINE_integer('num_processes', 0, 'Processes of the run.')
flags.DEFINE_integer('process_id', -1, 'This process, 0 .. num_processes-1.')
flags.DEFINE_bool('distributed', False, 'Let JAX find the peer processes '
                  "itself (a TPU pod's workers); SLURM's srun needs no "
                  'flag.')
config_flags.DEFINE_config_file('config', None, 'Config file, with an '
                                'optional ":arg" suffix.', lock_config=True)


@cli_lib.reports_errors('seisjax-train', debug=lambda: FLAGS.debug)
def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  cli_lib.setup_logging()
  distributed.initialize(FLAGS.coordinator_address, FLAGS.num_processes,
                         FLAGS.process_id, FLAGS.distributed)
  log.info('Process %d of %d.', jax.process_index(), jax.process_count())
  registry.get_mode(FLAGS.config)(FLAGS.config, FLAGS.workdir)


def cli():
  """The console script `seisjax-train`."""
  flags.mark_flags_as_required(['config'])
  app.run(main)


if __name__ == '__main__':
  cli()
