r"""Picks P arrivals and polarities in MiniSEED / SAC files, writes QuakeML.

  seisjax-pick --input='data/*.mseed' --output=picks.xml
  seisjax-pick --workdir=runs/picker --polarity_workdir=runs/polarity \
      --input='data/*.mseed' --output=picks.xml

(`python -m seisjax.picking.pick` is the same command.) Without
`--workdir` the shipped picker and polarity models of the package pick
(seisjax/picking/shipped/, trained on four real sets and synthetic data:
docs/picking.md); with it, a trained run's picker, and polarities only
with `--polarity_workdir`.

`--input` takes files, globs (quote them) or folders, comma-separated. A
file or glob match that ObsPy cannot read is an error; in a folder such
files (READMEs, StationXML) are skipped with a warning. Before any work the
output is checked: it must not be one of the inputs, its folder must exist
and be writable; it is written whole or not at all. Prints one line per
pick and the count. The picking itself is `seisjax.picking.stream.pick`.
"""

import glob
import logging
import os

from absl import app
from absl import flags
import obspy

from seisjax.engine import cli as cli_lib
from seisjax.picking import inference
from seisjax.picking import stream as stream_lib

FLAGS = flags.FLAGS
log = logging.getLogger(__name__)


def input_files(inputs: list[str]) -> list[tuple[str, bool]]:
  """(path, named) of every file the inputs name, in order.

  `named` is False for the files of a folder, which may be skipped when
  ObsPy cannot read them.

  Raises:
    ValueError: a pattern matches no file or folder.
  """
  files = []
  for pattern in inputs:
    for path in sorted(glob.glob(pattern)) or [pattern]:
      if os.path.isdir(path):
        files += [(os.path.join(path, name), False)
                  for name in sorted(os.listdir(path))
                  if os.path.isfile(os.path.join(path, name))
                  and not name.startswith('.')]
      elif os.path.isfile(path):
        files.append((path, True))
      else:
        raise ValueError(f'No file, folder or glob match for {path!r}.')
  return files


def read_inputs(inputs: list[str]) -> obspy.Stream:
  """Reads files, glob matches and the readable files of folders.

  Raises:
    ValueError: a pattern matches nothing, a named file cannot be read, or
      nothing was read.
  """
  stream = obspy.Stream()
  for path, named in input_files(inputs):
    try:
      stream += obspy.read(path)
    except Exception as e:  # pylint: disable=broad-except
      if named:
        raise ValueError(f'ObsPy cannot read {path}: {e}') from e
      log.warning('Skipping %s: ObsPy cannot read it (%s).', path, e)
  if not len(stream):
    raise ValueError(f'No waveforms read from {inputs}.')
  return stream


def check_output(output: str, inputs: list[str]) -> None:
  """Refuses an output that would destroy an input or cannot be written.

  Checked before any work, so that minutes of picking are not lost to a
  missing folder.

  Raises:
    ValueError: the output is one of the inputs, or a folder, or its
      folder is missing or not writable.
  """
  target = os.path.realpath(output)
  for path, _ in input_files(inputs):
    if os.path.realpath(path) == target:
      raise ValueError(f'--output={output} is one of the inputs: it would '
                       'be replaced by the picks. Name another file.')
  if os.path.isdir(target):
    raise ValueError(f'--output={output} is a folder; name a file.')
  folder = os.path.dirname(target)
  if not os.path.isdir(folder):
    raise ValueError(f'--output={output}: the folder {folder} does not '
                     'exist.')
  if not os.access(folder, os.W_OK):
    raise ValueError(f'--output={output}: the folder {folder} is not '
                     'writable.')


def load_models(workdir: str | None, polarity_workdir: str | None):
  """(picker, polarity or None): the shipped pair when `workdir` is None."""
  picker = inference.load_ensemble(workdir, 'picker')
  if polarity_workdir:
    polarity = inference.load_ensemble(polarity_workdir)
  else:
    polarity = None if workdir else inference.load_shipped('polarity')
  return picker, polarity


def run(workdir: str | None, polarity_workdir: str | None,
        inputs: list[str], output: str) -> list[obspy.core.event.Pick]:
  """Reads, picks, writes QuakeML and prints the picks; returns them.

  Without `workdir`, the shipped picker and polarity models pick.
  """
  check_output(output, inputs)
  waveforms = read_inputs(inputs)
  picker, polarity = load_models(workdir, polarity_workdir)
  picks = stream_lib.pick(waveforms, picker, polarity)
  stream_lib.write_quakeml(picks, output)
  for p in picks:
    print(f'{p.waveform_id.get_seed_string():<16} {p.time} '
          f'+-{p.time_errors.uncertainty:.3f} s {p.polarity or "-"}')
  print(f'{len(picks)} P picks from {len(waveforms)} traces written to '
        f'{output}')
  return picks


@cli_lib.reports_errors('seisjax-pick', debug=lambda: FLAGS.debug)
def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  cli_lib.setup_logging()
  run(FLAGS.workdir, FLAGS.polarity_workdir, FLAGS.input, FLAGS.output)


def cli():
  """The console script `seisjax-pick`."""
  # Flags are defined here, not on import, so that the module's functions
  # can be imported beside other entry points (evaluate, seisjax.main).
  flags.DEFINE_string('workdir', None, 'Workdir of a trained picker; '
                      'without it the shipped picker and polarity models.')
  flags.DEFINE_string('polarity_workdir', None, 'Workdir of a trained '
                      'polarity model; no polarities without it.')
  flags.DEFINE_list('input', None, 'MiniSEED / SAC files, globs or folders.',
                    required=True)
  flags.DEFINE_string('output', 'picks.xml', 'QuakeML file to write.')
  flags.DEFINE_bool('debug', False, 'Show the traceback of every error.')
  app.run(main)


if __name__ == '__main__':
  cli()
