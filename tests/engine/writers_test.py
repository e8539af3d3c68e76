"""Metric lines, progress lines and the CSV/JSON writers."""

import csv
import json

import numpy as np

from seisjax.engine import writers


def test_csv_writes_none_and_nan_as_empty(tmp_path):
  path = tmp_path / 't.csv'
  writers.write_csv([{'a': np.float32(1.5), 'b': None},
                     {'a': float('nan'), 'b': np.int64(3)}], path)
  with open(path) as f:
    assert list(csv.reader(f)) == [['a', 'b'], ['1.5', ''], ['', '3']]
  writers.write_columns({'x': [1, 2], 'y': ['p', 'q']}, path)
  with open(path) as f:
    assert list(csv.DictReader(f)) == [{'x': '1', 'y': 'p'},
                                       {'x': '2', 'y': 'q'}]


def test_json_of_numpy_values(tmp_path):
  value = {'a': np.arange(3), 'b': (np.float64(0.5), [np.int32(2)])}
  writers.write_json(value, tmp_path / 'v.json')
  with open(tmp_path / 'v.json') as f:
    assert json.load(f) == {'a': [0, 1, 2], 'b': [0.5, [2]]}
  assert writers.json_value(np.float32(float('nan'))) is None


def test_metric_writer_appends_one_line_per_call(tmp_path):
  writer = writers.MetricWriter(str(tmp_path))
  writer.write_scalars(1, {'loss': np.array([0.5, 0.25])})
  writer.write_scalars(2, {'epoch': 1})
  with open(tmp_path / 'metrics.jsonl') as f:
    assert [json.loads(line) for line in f] == [
        {'step': 1, 'loss': [0.5, 0.25]}, {'step': 2, 'epoch': 1}]


def test_progress_line_gives_rate_and_eta():
  progress = writers.Progress(total_steps=100, items_per_step=32)
  assert progress.line(10) == 'step 10/100'  # Compilation is not timed.
  line = progress.line(20)
  assert line.startswith('step 20/100 (20%)') and 'windows/s' in line
  assert 'ETA' in line
  assert writers.format_seconds(3725) == '1h02m05s'
  assert writers.format_seconds(65) == '1m05s'
