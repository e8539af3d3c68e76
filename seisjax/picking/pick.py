r"""Picks P arrivals and polarities in MiniSEED / SAC files, writes QuakeML.

  seisjax-pick --workdir=runs/picker --polarity_workdir=runs/polarity \
      --input='data/*.mseed' --output=picks.xml

(`python -m seisjax.picking.pick` is the same command.)

`--input` takes files, globs (quote them) or folders, comma-separated. A
file or glob match that ObsPy cannot read is an error; in a folder such
files (READMEs, StationXML) are skipped with a warning. Prints one line per
pick and the count. The picking itself is `seisjax.picking.stream.pick`.
"""

import glob
import logging
import os
import sys

from absl import app
from absl import flags
import obspy

from seisjax.picking import inference
from seisjax.picking import stream as stream_lib

FLAGS = flags.FLAGS
log = logging.getLogger(__name__)


def read_inputs(inputs: list[str]) -> obspy.Stream:
  """Reads files, glob matches and the readable files of folders.

  Raises:
    ValueError: a pattern matches nothing, a named file cannot be read, or
      nothing was read.
  """
  stream = obspy.Stream()
  for pattern in inputs:
    paths = sorted(glob.glob(pattern)) or [pattern]
    for path in paths:
      if os.path.isdir(path):
        for name in sorted(os.listdir(path)):
          file_path = os.path.join(path, name)
          if os.path.isfile(file_path) and not name.startswith('.'):
            try:
              stream += obspy.read(file_path)
            except Exception as e:  # pylint: disable=broad-except
              log.warning('Skipping %s: ObsPy cannot read it (%s).',
                          file_path, e)
      elif os.path.isfile(path):
        try:
          stream += obspy.read(path)
        except Exception as e:  # pylint: disable=broad-except
          raise ValueError(f'ObsPy cannot read {path}: {e}') from e
      else:
        raise ValueError(f'No file, folder or glob match for {path!r}.')
  if not len(stream):
    raise ValueError(f'No waveforms read from {inputs}.')
  return stream


def run(workdir: str, polarity_workdir: str | None, inputs: list[str],
        output: str) -> list[obspy.core.event.Pick]:
  """Reads, picks, writes QuakeML and prints the picks; returns them."""
  waveforms = read_inputs(inputs)
  picker = inference.load_ensemble(workdir)
  polarity = (inference.load_ensemble(polarity_workdir)
              if polarity_workdir else None)
  picks = stream_lib.pick(waveforms, picker, polarity)
  stream_lib.write_quakeml(picks, output)
  for p in picks:
    print(f'{p.waveform_id.get_seed_string():<16} {p.time} '
          f'+-{p.time_errors.uncertainty:.3f} s {p.polarity or "-"}')
  print(f'{len(picks)} P picks from {len(waveforms)} traces written to '
        f'{output}')
  return picks


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  logging.getLogger('seisjax').setLevel(logging.INFO)
  try:
    run(FLAGS.workdir, FLAGS.polarity_workdir, FLAGS.input, FLAGS.output)
  except (ValueError, FileNotFoundError) as e:
    logging.error('%s', e)
    sys.exit(1)


def cli():
  """The console script `seisjax-pick`."""
  # Flags are defined here, not on import, so that the module's functions
  # can be imported beside other entry points (evaluate, seisjax.main).
  flags.DEFINE_string('workdir', None, 'Workdir of a trained picker.',
                      required=True)
  flags.DEFINE_string('polarity_workdir', None, 'Workdir of a trained '
                      'polarity model; no polarities without it.')
  flags.DEFINE_list('input', None, 'MiniSEED / SAC files, globs or folders.',
                    required=True)
  flags.DEFINE_string('output', 'picks.xml', 'QuakeML file to write.')
  app.run(main)


if __name__ == '__main__':
  cli()
