"""What a run writes: metric lines, progress lines, CSV, JSON, figures.

`MetricWriter.write_scalars(step, scalars)` appends one JSON line to
`metrics.jsonl`; `Progress` prints step rate, throughput and ETA;
`write_csv`, `write_json`, `write_text` and `save_figure` write the tables,
summaries and figures of every study, with numpy values made plain (nan
becomes empty or null). Every file is written whole or not at all: to a
temporary file beside it, renamed over it once complete (`atomic_path`), so
an interrupted or failed write never leaves a half file or destroys the
previous one.
"""

import contextlib
import csv
import json
import math
import os
import time
from typing import Any, Sequence

import numpy as np

from seisjax.engine import distributed


def to_json(value):
  """Numpy and jax values to plain Python for json.dump."""
  if isinstance(value, dict):
    return {k: to_json(v) for k, v in value.items()}
  if isinstance(value, (list, tuple)):
    return [to_json(v) for v in value]
  if hasattr(value, 'tolist'):
    return np.asarray(value).tolist()
  return value


def json_value(x):
  """A numpy scalar as a Python one, and nan as None, for JSON and CSV."""
  if isinstance(x, np.generic):
    x = x.item()
  if isinstance(x, float) and math.isnan(x):
    return None
  return x


@contextlib.contextmanager
def atomic_path(path):
  """A temporary path beside `path`, renamed onto it if the block succeeds.

  The temporary name keeps the file's extension (for writers that infer the
  format from it) and is hidden; it is removed if the block fails. In a run
  of several processes only the primary one writes: the others' block
  writes to a temporary file that is dropped.
  """
  folder, name = os.path.split(os.path.abspath(path))
  tmp = os.path.join(folder, f'.tmp-{os.getpid()}-{name}')
  try:
    yield tmp
    if distributed.is_primary():
      os.replace(tmp, path)
  finally:
    with contextlib.suppress(FileNotFoundError):
      os.remove(tmp)


def write_text(text: str, path) -> None:
  """Writes `text` to `path`, whole or not at all."""
  with atomic_path(path) as tmp, open(tmp, 'w') as f:
    f.write(text)


def write_json(value, path, **kwargs) -> None:
  """Writes `value` (numpy values allowed) as indented JSON."""
  write_text(json.dumps(to_json(value), indent=2, **kwargs) + '\n', path)


def save_figure(fig, path, dpi: int = 120) -> None:
  """Saves a matplotlib Figure to `path` (format from its extension)."""
  with atomic_path(path) as tmp:
    fig.savefig(tmp, dpi=dpi)


def write_csv(rows: Sequence[dict[str, Any]], path,
              columns: Sequence[str] | None = None) -> None:
  """Writes rows as a CSV file; None and nan are empty.

  Args:
    rows: the table, one dict per row.
    path: file to write.
    columns: the header, in order (other keys of the rows are left out);
      by default the first row's keys.
  """
  if columns is None:
    columns = list(rows[0]) if rows else []
  with atomic_path(path) as tmp, open(tmp, 'w', newline='') as f:
    writer = csv.DictWriter(f, fieldnames=columns, extrasaction='ignore')
    writer.writeheader()
    writer.writerows({k: json_value(v) for k, v in r.items()} for r in rows)


def write_columns(columns: dict[str, Sequence], path) -> None:
  """Writes equal-length columns {name: values} as a CSV file."""
  write_csv([dict(zip(columns, row)) for row in zip(*columns.values())],
            path)


class MetricWriter:
  """Appends `{'step': ..., **scalars}` lines to `<workdir>/metrics.jsonl`."""

  def __init__(self, workdir: str):
    self.path = os.path.join(workdir, 'metrics.jsonl')

  def write_scalars(self, step: int, scalars: dict) -> None:
    if not distributed.is_primary():
      return
    with open(self.path, 'a') as f:
      f.write(json.dumps({'step': int(step), **to_json(scalars)}) + '\n')

  def drop_after(self, step: int) -> None:
    """Removes the lines of steps after `step` (a resumed run rewrites them).

    A run interrupted between checkpoints logged steps that its resumption
    trains again; without this they would appear twice.
    """
    if not os.path.exists(self.path):
      return
    with open(self.path) as f:
      lines = f.readlines()
    kept = [line for line in lines if json.loads(line)['step'] <= step]
    if len(kept) < len(lines):
      write_text(''.join(kept), self.path)


def format_seconds(seconds: float) -> str:
  seconds = int(round(seconds))
  h, rest = divmod(seconds, 3600)
  m, s = divmod(rest, 60)
  return f'{h}h{m:02d}m{s:02d}s' if h else f'{m}m{s:02d}s'


class Progress:
  """Step rate, items per second and ETA since the first measured step."""

  def __init__(self, total_steps: int, items_per_step: float,
               unit: str = 'windows'):
    self.total = total_steps
    self.items = items_per_step
    self.unit = unit  # what an item is, for the rate in the line
    self._start_step = None
    self._start_time = None

  def line(self, step: int) -> str:
    """Progress line after `step` steps have been completed."""
    now = time.perf_counter()
    if self._start_step is None:
      # The first call includes compilation: time only from here on.
      self._start_step, self._start_time = step, now
      return f'step {step}/{self.total}'
    rate = (step - self._start_step) / max(now - self._start_time, 1e-9)
    eta = (self.total - step) / rate if rate > 0 else float('inf')
    return (f'step {step}/{self.total} ({100 * step / self.total:.0f}%) '
            f'{rate:.2f} steps/s {rate * self.items:.0f} {self.unit}/s '
            f'ETA {format_seconds(eta)}')
