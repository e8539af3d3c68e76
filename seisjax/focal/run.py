"""The focal command's work: config -> readers -> inversion -> outputs.

`run(config, workdir)` (configs/focal.py) reads the source's events
(sources.py), inverts them in groups of `config.progress_every` events
with a progress line per group (events done, events per second, ETA),
and writes into the workdir, each file whole or not at all:
  mechanisms.csv   one row per solution, each event's preferred first
                   (outputs.CSV_COLUMNS, + n_sp and sp_misfit with S/P);
                   events without a mechanism have quality E or F and
                   empty angles;
  mechanisms.xml   QuakeML: the events with their focal mechanisms;
  rejected.csv     every pick a reader left out, with the reason;
  comparison.csv   with a reference (HASH's .out, SKHASH's out.csv, the
                   Kumamoto catalogue): ours against it, Kagan angles;
  figures/         a beach ball per event, quality.png;
  summary.json     counts, timings, the parameters used, the comparison
                   (and for the HASH examples issue 17's four criteria);
  config.json      the run's config (a rerun with another one is refused,
                   seisjax/engine/workdir.py);
plus polarities.csv for the CNN's Kumamoto polarities. It prints what it
did, every event without a mechanism with the reason, and the comparison.
"""

import dataclasses
import logging
import os
import time

import numpy as np

from seisjax.engine import workdir as workdir_lib
from seisjax.engine import writers
from seisjax.focal import compare
from seisjax.focal import figures
from seisjax.focal import inversion
from seisjax.focal import outputs
from seisjax.focal import solutions
from seisjax.focal import sources

log = logging.getLogger(__name__)
_CONFIGURABLE = ('dang', 'maxout', 'badfrac', 'qbadfac', 'cangle',
                 'prob_max', 'npolmin', 'max_agap', 'max_pgap', 'hash_compat',
                 'rate_misfit', 'trim')


def options_of(config, parameters: dict) -> inversion.Options:
  """Options: HASH's defaults, the source's parameters, then the config's
  fields that are not None.

  Raises:
    ValueError: for a value outside its range, naming the field.
  """
  values = dataclasses.asdict(inversion.Options())
  values.update(parameters)
  for name in _CONFIGURABLE:
    if config.inversion[name] is not None:
      values[name] = config.inversion[name]
  values.update(chunk=config.inversion.chunk, batch=config.inversion.batch)
  checks = {'dang': 0 < values['dang'] <= 90,
            'maxout': values['maxout'] >= 1,
            'badfrac': 0 <= values['badfrac'] < 1,
            'qbadfac': values['qbadfac'] >= 0,
            'cangle': 0 < values['cangle'] <= 180,
            'prob_max': 0 <= values['prob_max'] <= 1,
            'npolmin': values['npolmin'] >= 0,
            'max_agap': 0 < values['max_agap'] <= 360,
            'max_pgap': 0 < values['max_pgap'] <= 90,
            'trim': values['trim'] in solutions.TRIM_RULES,
            'chunk': values['chunk'] >= 1, 'batch': values['batch'] >= 1}
  for name, ok in checks.items():
    if not ok:
      raise ValueError(f'--config.inversion.{name}={values[name]} is out of '
                       'range (see seisjax/focal/inversion.py Options).')
  return inversion.Options(**values)


def invert(events, options: inversion.Options, every: int = 64):
  """inversion.invert in groups of `every` events, logging progress.

  Results do not depend on the grouping (inversion.py). The rate is timed
  from the end of the first group (which compiles) when there are more.
  """
  if every < 1:
    raise ValueError(f'--config.progress_every={every} must be at least 1.')
  out, first = [], None
  for begin in range(0, len(events), every):
    out += inversion.invert(events[begin:begin + every], options)
    now = time.perf_counter()
    if len(events) <= every:
      break
    done, total = len(out), len(events)
    if first is None:
      first = (done, now)
      log.info('events %d/%d', done, total)
      continue
    rate = (done - first[0]) / max(now - first[1], 1e-9)
    log.info('events %d/%d (%.0f%%) %.1f events/s ETA %s', done, total,
             100.0 * done / total, rate,
             writers.format_seconds((total - done) / rate))
  return out


def _unique(events, inputs):
  seen = set()
  for event in events:
    if event.event_id in seen:
      raise ValueError(f'Event id {event.event_id!r} appears twice in '
                       f'{", ".join(inputs.values())}: ids must be unique.')
    seen.add(event.event_id)


def _letters(solutions) -> str:
  counts = figures.quality_counts(solutions)
  return ', '.join(f'{q} {n}' for q, n in counts.items())


def _report_comparison(rows, summary, name, printed_rows: int = 30):
  """Prints the comparison: per event for few events, then the summary."""
  if len(rows) <= printed_rows:
    for r in rows:
      print(f'  {r["event_id"]}: {r["strike"]:.0f}/{r["dip"]:.0f}/'
            f'{r["rake"]:.0f} {r["quality"] or "-"} against '
            f'{r["reference_strike"]:.0f}/{r["reference_dip"]:.0f}/'
            f'{r["reference_rake"]:.0f} {r["reference_quality"] or "-"}: '
            f'Kagan {r["kagan"]:.1f} deg')
  n = summary['n_reference']
  line = (f'compared with {os.path.basename(name)} ({n} events): median '
          f'Kagan {summary["median_kagan"]:.1f} deg')
  for key, what in (('within', 'within its larger plane uncertainty'),
                    ('same_quality', 'same letter'),
                    ('one_grade', 'within one grade')):
    if np.isfinite(summary[key]):
      line += f', {what} {summary[key]:.0%}'
  print(line)


def run(config, workdir: str) -> dict:
  """Reads, inverts, writes (module docstring); returns the summary."""
  with workdir_lib.open_run(config, workdir, continuing=()):
    start = time.perf_counter()
    source = sources.read_source(config)
    events = source.reading.events
    _unique(events, source.inputs)
    options = options_of(config, source.parameters)
    read_s = time.perf_counter() - start
    # Only once the inputs read: a typo in a path leaves no run behind.
    writers.write_text(config.to_json_best_effort(indent=2),
                       os.path.join(workdir, 'config.json'))
    start = time.perf_counter()
    solutions = invert(events, options, config.progress_every)
    invert_s = time.perf_counter() - start
    found = {e.event_id: s for e, s in zip(events, solutions)}
    flat = [s for group in solutions for s in group]
    summary = {
        'variant': config.variant, 'source': config.source,
        'inputs': source.inputs, 'n_trials': source.n_trials,
        'seed': config.seed, 'options': dataclasses.asdict(options),
        'n_events': len(events),
        'n_with_mechanism': sum(np.isfinite(s[0].strike) for s in solutions),
        'n_solutions': len(flat), 'qualities': figures.quality_counts(flat),
        'no_mechanism': {s[0].event_id: f'{s[0].quality}: {s[0].reason}'
                         for s in solutions if s[0].reason},
        'n_rejected_picks': sum(map(len, source.reading.rejected.values())),
        'read_seconds': read_s, 'inversion_seconds': invert_s,
        'events_per_second': len(events) / invert_s if invert_s else None}
    outputs.write_csv(flat, os.path.join(workdir, 'mechanisms.csv'))
    written = ['mechanisms.csv']
    if config.outputs.quakeml:
      outputs.write_quakeml(flat, os.path.join(workdir, 'mechanisms.xml'),
                            events)
      written.append('mechanisms.xml')
    writers.write_csv(sources.rejected_rows(source.reading),
                      os.path.join(workdir, 'rejected.csv'),
                      columns=('event_id', 'station', 'reason'))
    written.append('rejected.csv')
    for name, rows in source.extra_tables.items():
      writers.write_csv(rows, os.path.join(workdir, name))
      written.append(name)
    rows = []
    if source.reference is not None:
      rows = compare.compare(found, source.reference)
      writers.write_csv(rows, os.path.join(workdir, 'comparison.csv'))
      written.append('comparison.csv')
      summary['reference'] = source.reference_name
      summary['comparison'] = compare.summarize(rows, found,
                                                source.reference)
      if config.source == 'hash':
        summary['criteria'] = compare.passes(summary['comparison'])
    if config.outputs.figures:
      folder = os.path.join(workdir, 'figures')
      balls = figures.write_beachballs(flat, folder, events)
      figures.write_quality_summary(flat, os.path.join(folder, 'quality.png'),
                                    f'{config.variant}: {len(events)} events')
      written.append(f'figures/ ({len(balls) + 1} PNG)')
    writers.write_json(summary, os.path.join(workdir, 'summary.json'))
    written.append('summary.json')
  rate = summary['events_per_second']
  print(f'{config.variant}: {len(events)} events, '
        f'{summary["n_with_mechanism"]} with a mechanism '
        f'({_letters(flat)}); inversion {invert_s:.1f} s'
        + (f' ({rate:.1f} events/s)' if rate else ''))
  for event_id, why in summary['no_mechanism'].items():
    print(f'  {event_id}: quality {why}')
  if summary['n_rejected_picks']:
    print(f'{summary["n_rejected_picks"]} picks left out (rejected.csv; '
          'the log has them per event)')
  if rows:
    _report_comparison(rows, summary['comparison'], source.reference_name)
  print(f'wrote {", ".join(written)} in {workdir}')
  return summary
