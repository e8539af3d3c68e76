r"""Picking a day of continuous data: throughput and peak memory.

  python bench/pick_day.py --workdir=runs/picker_cpu           # 24 h
  python bench/pick_day.py --workdir=runs/picker_cpu --hours=2  # quick

Picks the vertical channel of `--file` (by default a day of 100 Hz HHZ
data, YA.UV06 on 2010-09-01) with `seisjax.picking.stream.pick` in chunks
of `--chunk` seconds, three ways, each in a fresh process so that its peak
memory is its own:

  * `cnn`: the picker ensemble of `--workdir` (without one, the shipped
    picker of `seisjax.picking.inference`, where the package has one);
  * `cnn, whole`: the same with `chunk=None`, every segment in one piece,
    to show what the chunks save;
  * `classical`: the same recursive STA/LTA trigger, with ObsPy's AIC
    (`seisjax.picking.baselines`, 'aic') placing the pick in the 4 s window
    around each trigger instead of the CNN, re-centred once as the CNN is;
    chunked and whole.

Throughput is hours of data per second of picking (preprocessing,
triggering, picking; the file read and the model's compilation are timed
apart), the fastest of `--repeats` in the process. Peak memory is the
process's peak resident set (getrusage), and the peak of RSS sampled every
20 ms while picking, less the RSS before it (the data and model already
loaded). The data are mostly noise (few or no
earthquakes), so the picks are mostly noise triggers the picker kept: their
number is reported, not scored. Prints a markdown table and writes it, with
date, machine and commit, to `--output`.
"""

import datetime
import json
import logging
import os
import platform
import resource
import subprocess
import sys
import threading
import time

from absl import app
from absl import flags
import numpy as np
import obspy

from seisjax.engine import provenance
from seisjax.engine import writers
from seisjax.picking import baselines
from seisjax.picking import stream as stream_lib

DAY = '/work/shared/data/continuous/YA.UV06.00.HHZ.D.2010.244'
RUNS = (('cnn', True), ('cnn', False), ('classical', True),
        ('classical', False))

flags.DEFINE_string('workdir', None, 'Workdir of a trained picker run; '
                    'without it the shipped picker, if the package has one.')
flags.DEFINE_string('file', DAY, 'MiniSEED (or any ObsPy format) to pick.')
flags.DEFINE_float('hours', None, 'Pick only the first this many hours.')
flags.DEFINE_float('chunk', stream_lib.CHUNK_S, 'Chunk length in seconds.')
flags.DEFINE_integer('repeats', 3, 'Times to pick the data in each process; '
                     'the fastest counts (the machine is shared).')
flags.DEFINE_string('output', 'bench/results/pick_day.md', 'Markdown file '
                    'to write ("" for none).')
flags.DEFINE_string('child', None, 'Internal: run one "method,chunked" and '
                    'print its JSON.')
FLAGS = flags.FLAGS
log = logging.getLogger(__name__)


class AicPicker:
  """ObsPy's AIC as a one-member 'picker' ensemble (NaN: no pick)."""

  task = 'picker'

  def __call__(self, windows):
    return baselines.run('aic', windows)['pick'][None]  # (1, n)


class Counting:
  """Counts the windows an ensemble is called on."""

  def __init__(self, ensemble):
    self.ensemble, self.task, self.windows = ensemble, ensemble.task, 0

  def __call__(self, windows):
    self.windows += len(windows)
    return self.ensemble(windows)


def rss_mb() -> float:
  with open('/proc/self/statm') as f:
    return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20


class RssSampler:
  """The peak of RSS sampled in a thread, in MiB."""

  def __init__(self, every_s=0.02):
    self.every_s, self.peak = every_s, rss_mb()
    self._stop = threading.Event()
    self._thread = threading.Thread(target=self._run, daemon=True)

  def _run(self):
    while not self._stop.wait(self.every_s):
      self.peak = max(self.peak, rss_mb())

  def __enter__(self):
    self._thread.start()
    return self

  def __exit__(self, *exc):
    self._stop.set()
    self._thread.join()
    self.peak = max(self.peak, rss_mb())


def load_picker(workdir):
  """The CNN ensemble and what it is; compiled on one batch."""
  # Imported here so that the classical run's process never builds a model.
  from seisjax.picking import inference  # pylint: disable=g-import-not-at-top
  if workdir:
    ensemble, name = inference.load_ensemble(workdir), workdir
  elif hasattr(inference, 'load_shipped'):
    ensemble, name = inference.load_shipped('picker'), 'shipped picker'
  else:
    raise app.UsageError('--workdir is required: this seisjax ships no '
                         'trained picker.')
  name += f' ({ensemble.n_members} members)'
  start = time.perf_counter()
  ensemble(np.random.default_rng(0).standard_normal(
      (8, stream_lib.records.WINDOW_SAMPLES)).astype(np.float32))
  return ensemble, name, time.perf_counter() - start


def read(path, hours):
  st = obspy.read(path)
  if hours:
    start = min(tr.stats.starttime for tr in st)
    rate = max(tr.stats.sampling_rate for tr in st)
    st.trim(start, start + 3600 * hours - 0.5 / rate)  # end sample excluded
  return st


def run_one(method, chunked):
  """Picks the file one way in this process; a dict of measurements."""
  base_rss = rss_mb()
  compile_s, name = 0.0, 'ObsPy AIC (baselines.py)'
  if method == 'cnn':
    ensemble, name, compile_s = load_picker(FLAGS.workdir)
  else:
    ensemble = AicPicker()
  picker = Counting(ensemble)
  start = time.perf_counter()
  st = read(FLAGS.file, FLAGS.hours)
  read_s = time.perf_counter() - start
  hours = sum(tr.stats.npts / tr.stats.sampling_rate for tr in st) / 3600
  before = rss_mb()
  times = []
  with RssSampler() as sampler:
    for _ in range(FLAGS.repeats):
      picker.windows = 0
      start = time.perf_counter()
      picks = stream_lib.pick(st, picker,
                              chunk=FLAGS.chunk if chunked else None)
      times.append(time.perf_counter() - start)
  pick_s = min(times)
  return {
      'method': method, 'picker': name, 'chunk_s': FLAGS.chunk if chunked
      else None, 'traces': len(st), 'hours': hours, 'read_s': read_s,
      'compile_s': compile_s, 'pick_s': pick_s, 'pick_s_all': times,
      'hours_per_s': hours / pick_s,
      'picks': len(picks), 'windows': picker.windows,
      'rss_after_imports_mb': base_rss, 'rss_before_mb': before,
      'peak_rss_picking_mb': sampler.peak,
      'picking_increase_mb': sampler.peak - before,
      'peak_rss_process_mb':
          resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def child_run(method, chunked):
  """Runs `run_one` in a fresh process; its JSON."""
  argv = [sys.executable, os.path.abspath(__file__),
          f'--child={method},{int(chunked)}', f'--file={FLAGS.file}',
          f'--chunk={FLAGS.chunk}', f'--repeats={FLAGS.repeats}',
          '--output=']
  if FLAGS.workdir:
    argv.append(f'--workdir={FLAGS.workdir}')
  if FLAGS.hours:
    argv.append(f'--hours={FLAGS.hours}')
  # stderr (progress lines) goes through; the last stdout line is the JSON.
  out = subprocess.run(argv, stdout=subprocess.PIPE, text=True, check=True)
  return json.loads(out.stdout.strip().splitlines()[-1])


def machine():
  cpu = platform.processor() or platform.machine()
  try:
    with open('/proc/cpuinfo') as f:
      cpu = next(line.split(':', 1)[1].strip() for line in f
                 if line.startswith('model name'))
  except (OSError, StopIteration):
    pass
  return f'{cpu}, {os.cpu_count()} cores visible, {platform.node()}'


def table(rows):
  lines = [('| method | chunks | hours of data | pick s | hours/s | '
            'peak RSS MiB (process) | RSS rise picking MiB | triggered '
            'windows | picks |'), '|' + '---|' * 9]
  for r in rows:
    method = ('CNN ensemble' if r['method'] == 'cnn'
              else 'STA/LTA + AIC (ObsPy)')
    chunks = (f"{r['chunk_s'] / 3600:g} h" if r['chunk_s'] else 'whole')
    lines.append(
        f"| {method} | {chunks} | {r['hours']:.2f} | {r['pick_s']:.1f} | "
        f"{r['hours_per_s']:.2f} | {r['peak_rss_process_mb']:.0f} | "
        f"{r['picking_increase_mb']:.0f} | {r['windows']} | "
        f"{r['picks']} |")
  return '\n'.join(lines)


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                      format='%(levelname).1s %(name)s: %(message)s')
  # The trigger skips and dropped picks of a day of noise would drown the
  # progress lines.
  logging.getLogger(stream_lib.__name__).addFilter(
      lambda r: r.levelno < logging.WARNING)
  if FLAGS.child:
    method, chunked = FLAGS.child.split(',')
    print(json.dumps(run_one(method, bool(int(chunked)))))
    return
  rows = []
  for method, chunked in RUNS:
    log.info('Picking with %s%s...', method, '' if chunked else ', whole')
    rows.append(child_run(method, chunked))
  cnn = rows[0]
  command = 'python bench/pick_day.py'
  if FLAGS.workdir:
    command += f' --workdir={FLAGS.workdir}'
  if FLAGS.hours:
    command += f' --hours={FLAGS.hours:g}'
  text = '\n'.join([
      '# Picking a day of continuous data',
      '',
      (f'`{command}` on {datetime.date.today()}; {machine()}; commit '
       f'{provenance.commit()}.'),
      '',
      (f'Data: `{os.path.basename(FLAGS.file)}`, {cnn["traces"]} '
       f'trace(s), {cnn["hours"]:.2f} h, read in {cnn["read_s"]:.1f} s (not '
       f'in the times). Picker: {cnn["picker"]}, compiled in '
       f'{cnn["compile_s"]:.1f} s (not in the times). Both methods share '
       'the preprocessing and the recursive STA/LTA trigger '
       '(`seisjax.picking.stream`); "triggered windows" counts the windows '
       'picked, refinement included. The data are real noise with few or '
       'no earthquakes: the picks are mostly noise triggers, counted, not '
       'scored.'),
      '',
      table(rows),
      '',
      ('"RSS rise picking" is the peak of RSS sampled every 20 ms while '
       'picking, less the RSS before (data and model loaded); the process '
       'peak includes the Python, ObsPy and JAX runtime. In the CNN rows '
       'about 100-150 MiB of the rise is JAX\'s CPU allocator on the first '
       'calls (it moves by that much between calls on the same windows); '
       'the classical rows show what the chunks themselves take. Times are '
       f'the fastest of {FLAGS.repeats} in each process, on a machine '
       'shared with other jobs.'),
      ''])
  print(text)
  if FLAGS.output:
    writers.write_text(text, FLAGS.output)
    print(f'Written to {FLAGS.output}')


if __name__ == '__main__':
  app.run(main)
