"""The real Japan data from the shell: catalogue, download, QC.

  seisjax-japan catalogue --out catalogue.csv
  seisjax-japan download --catalogue catalogue.csv --waveform_dir cache/ \
      --kind set_a
  seisjax-japan qc --catalogue catalogue.csv --waveform_dir cache/ \
      --qc_dir qc/ --kind set_a

(`python -m seisjax.precursor.japan_cli` is the same command; `--help`
lists the layout flags, the paper's values by default.) The work is
seisjax/precursor/japan.py. Errors a user can act on (a corrupt catalogue
line, a folder without waveforms, no record passing QC) are one line;
`--debug` shows the traceback.
"""

import argparse
import dataclasses
import logging

from obspy.clients.fdsn import Client

from seisjax.engine import cli as cli_lib
from seisjax.precursor import japan


def main(argv=None):
  """The command line; see the module docstring."""
  parser = argparse.ArgumentParser(prog='seisjax-japan')
  parser.add_argument('--debug', action='store_true',
                      help='show the traceback of every error')
  commands = parser.add_subparsers(dest='command', required=True)
  cat = commands.add_parser('catalogue', help='rebuild a catalogue CSV')
  cat.add_argument('--out', required=True)
  cat.add_argument('--client', default='USGS', help='FDSN event service')
  cat.add_argument('--start', default='2012-01-01')
  cat.add_argument('--end', default='2023-01-01')
  for name, default in (('n_set_a', 31), ('n_test', 7), ('seed', 0)):
    cat.add_argument('--' + name, type=int, default=default,
                     help='see assign_sets')
  for name in ('download', 'qc'):
    sub = commands.add_parser(name, help=f'{name} the records of a kind')
    sub.add_argument('--catalogue', required=True)
    sub.add_argument('--waveform_dir', required=True)
    sub.add_argument('--kind', choices=japan.KINDS, default='set_a')
    for field in dataclasses.fields(japan.Layout):
      sub.add_argument('--' + field.name, type=type(field.default),
                       default=field.default)
  commands.choices['download'].add_argument('--client', default='EARTHSCOPE')
  commands.choices['qc'].add_argument('--qc_dir', required=True)
  args = parser.parse_args(argv)
  logging.basicConfig(level=logging.INFO)
  cli_lib.setup_logging()
  cli_lib.reports_errors('seisjax-japan', debug=lambda: args.debug)(_run)(
      args)


def _run(args):
  if args.command == 'catalogue':
    rows = japan.rebuild_catalogue(
        Client(args.client), args.start, args.end, n_set_a=args.n_set_a,
        n_test=args.n_test, seed=args.seed)
    japan.write_catalogue(rows, args.out)
    print(f'{len(rows)} events written to {args.out}')
    return
  layout = japan.Layout(**{f.name: getattr(args, f.name)
                           for f in dataclasses.fields(japan.Layout)})
  targets = japan.plan(args.kind, japan.read_catalogue(args.catalogue),
                       layout)
  if args.command == 'download':
    pairs, rejected = japan.fetch(targets, Client(args.client),
                                  args.waveform_dir, layout.sampling_rate)
    print(f'{len(pairs)} of {len(targets)} records in {args.waveform_dir}')
  else:
    result = japan.ingest(targets, client=None,
                          waveform_dir=args.waveform_dir, qc_dir=args.qc_dir,
                          sampling_rate=layout.sampling_rate)
    rejected = result.rejected
    print(f'{len(result.records)} of {len(targets)} records passed; report '
          f'{result.qc_report}')
  for r in rejected:
    print(f'rejected {r["id"]} {r["time"]} ({r["stage"]}): '
          + '; '.join(r['reasons']))


if __name__ == '__main__':
  main()
