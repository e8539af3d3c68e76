"""What a run writes: metric lines, progress lines, CSV and JSON files.

`MetricWriter.write_scalars(step, scalars)` appends one JSON line to
`metrics.jsonl`; `Progress` prints step rate, throughput and ETA;
`write_csv` and `write_json` write the tables and summaries of every study
with numpy values made plain (nan becomes empty or null).
"""

import csv
import json
import math
import os
import time
from typing import Any, Sequence

import numpy as np


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


def write_json(value, path) -> None:
  """Writes `value` (numpy values allowed) as indented JSON."""
  with open(path, 'w') as f:
    json.dump(to_json(value), f, indent=2)


def write_csv(rows: Sequence[dict[str, Any]], path) -> None:
  """Writes rows with the same keys as a CSV file; None and nan are empty.

  Args:
    rows: the table, one dict per row; the first row's keys are the header.
    path: file to write.
  """
  with open(path, 'w', newline='') as f:
    writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else [])
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
    with open(self.path, 'a') as f:
      f.write(json.dumps({'step': int(step), **to_json(scalars)}) + '\n')


def format_seconds(seconds: float) -> str:
  seconds = int(round(seconds))
  h, rest = divmod(seconds, 3600)
  m, s = divmod(rest, 60)
  return f'{h}h{m:02d}m{s:02d}s' if h else f'{m}m{s:02d}s'


class Progress:
  """Step rate, items per second and ETA since the first measured step."""

  def __init__(self, total_steps: int, items_per_step: int):
    self.total = total_steps
    self.items = items_per_step
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
            f'{rate:.2f} steps/s {rate * self.items:.0f} windows/s '
            f'ETA {format_seconds(eta)}')
