"""The real Japan data from the shell: catalogue, download, QC.

  seisjax-japan catalogue --out catalogue.csv  # the paper's 63 events
  seisjax-japan catalogue --out rebuilt.csv --client USGS  # from a service
  seisjax-japan download --catalogue catalogue.csv --waveform_dir cache/ \
      --kind set_a
  seisjax-japan qc --catalogue catalogue.csv --waveform_dir cache/ \
      --qc_dir qc/ --kind set_a

`catalogue` writes the paper's Tables 1 and 2 (seisjax/precursor/
paper_catalogue.py) as a catalogue CSV, or with `--client` rebuilds one
from that FDSN event service by the paper's rule (japan.rebuild_catalogue;
--start, --end, --n_set_a, --n_test and --seed apply to it). `download` and
`qc` read the paper's catalogue when --catalogue is not given.
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
from seisjax.precursor import paper_catalogue

# `catalogue` flags of the FDSN rebuild only, and their defaults there.
_REBUILD = {'start': '2012-01-01', 'end': '2023-01-01', 'n_set_a': 31,
            'n_test': 7, 'seed': 0}


def main(argv=None):
  """The command line; see the module docstring."""
  parser = argparse.ArgumentParser(prog='seisjax-japan')
  parser.add_argument('--debug', action='store_true',
                      help='show the traceback of every error')
  commands = parser.add_subparsers(dest='command', required=True)
  cat = commands.add_parser(
      'catalogue', help="write the paper's catalogue, or rebuild one from "
      'an FDSN event service (--client)')
  cat.add_argument('--out', required=True)
  cat.add_argument('--client', default='',
                   help="FDSN event service, e.g. USGS; none: the paper's "
                   'Tables 1 and 2')
  for name, default in _REBUILD.items():
    cat.add_argument('--' + name, type=type(default), default=None,
                     help=f'with --client: see rebuild_catalogue and '
                     f'assign_sets (default {default})')
  for name in ('download', 'qc'):
    sub = commands.add_parser(name, help=f'{name} the records of a kind')
    sub.add_argument('--catalogue', default='',
                     help="catalogue CSV; none: the paper's")
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
    _catalogue(args)
    return
  layout = japan.Layout(**{f.name: getattr(args, f.name)
                           for f in dataclasses.fields(japan.Layout)})
  targets = japan.plan(args.kind, paper_catalogue.load(args.catalogue),
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


def _catalogue(args):
  """Writes the paper's catalogue, or the service's with --client."""
  given = {k: getattr(args, k) for k in _REBUILD
           if getattr(args, k) is not None}
  if not args.client:
    if given:
      raise ValueError(
          f'--{", --".join(given)}: only for a rebuild from an FDSN event '
          "service (--client USGS); the paper's catalogue is as printed.")
    rows = paper_catalogue.read_tables()
    source = f"the paper's Tables 1 and 2 ({paper_catalogue.PATH})"
  else:
    rule = {**_REBUILD, **given}
    rows = japan.rebuild_catalogue(
        Client(args.client), rule.pop('start'), rule.pop('end'), **rule)
    source = f'{args.client}, Mw >= 6 within 20 deg of IU.MAJO'
  japan.write_catalogue(rows, args.out)
  print(f'{len(rows)} events written to {args.out} from {source}')


if __name__ == '__main__':
  main()
