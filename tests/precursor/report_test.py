"""Tests for seisjax.precursor.report: tables, figures and the report.

The statistics they are built from are tested in stats_test.py.
"""

import csv
import json

import numpy as np
import pytest

from seisjax.engine import writers
from seisjax.precursor import report
from seisjax.precursor import stats

PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


def _read_csv(path):
  with open(path, newline='') as f:
    return list(csv.DictReader(f))


def _assert_png(path):
  data = path.read_bytes()
  assert data[:8] == PNG_MAGIC, path
  assert len(data) > 1000, path


def test_per_event_markdown():
  # The rows of test_per_event_table_rows (stats_test.py): a, b and c.
  rows = stats.per_event_table(['b', 'a', 'c', 'a', 'b', 'a', 'b', 'a'],
                               [1, 1, 0, 1, 0, 0, 0, 0],
                               [1, 1, 0, 0, 1, 0, 1, 0])
  markdown = report.per_event_markdown(rows).splitlines()
  assert len(markdown) == 2 + 3
  assert markdown[3] == '| b | 3 | 1 | 100.0 | 0.0 | 33.3 |'
  assert markdown[4] == '| c | 1 | 1 | n/a | 100.0 | 100.0 |'


def test_write_csv_round_trips_rows_with_missing_values(tmp_path):
  rows = stats.per_event_table([7, 7, 9], [1, 0, 0], [1, 1, 0])
  writers.write_csv(rows, tmp_path / 'table.csv')
  read = _read_csv(tmp_path / 'table.csv')
  assert [r['event'] for r in read] == ['7', '9']
  assert read[0]['noise_accuracy_pct'] == '0.0'
  assert read[1]['precursor_accuracy_pct'] == ''


@pytest.mark.parametrize('onset', [2, None])
def test_plots_write_png(tmp_path, onset):
  report.plot_confusion([[3, 1], [0, 0]], tmp_path / 'cm.png', 'empty row')
  report.plot_interval_fractions(
      [0.1, 0.1, 0.4], [0.0, 0.1, 0.1], onset, tmp_path / 'fr.png'
  )
  _assert_png(tmp_path / 'cm.png')
  _assert_png(tmp_path / 'fr.png')


def test_write_precursor_report(tmp_path):
  # Train has precursor windows only, so its score is undefined.
  train = report.SplitPredictions(
      probs=[[0.9, 0.4, 0.6], [0.7, 0.8, 0.5]],  # Means 0.8, 0.6, 0.55.
      labels=[1, 1, 1],
      events=[5, 5, 5],
  )
  test = report.SplitPredictions(
      probs=np.array([
          [0.9, 0.2, 0.6, 0.1, 0.45, 0.7, 0.3, 0.8],
          [0.3, 0.9, 0.3, 0.1, 0.65, 0.2, 0.4, 0.1],
      ]),  # Means 0.6 0.55 0.45 0.1 0.55 0.45 0.35 0.45.
      labels=np.array([1, 1, 0, 0, 1, 1, 0, 0]),
      events=np.array([10, 10, 10, 10, 20, 20, 20, 20]),
  )
  all_interval_probs = np.array([
      [0.1, 0.2, 0.9, 0.1, 0.8, 0.7, 0.9, 0.6],  # Fractions 0, 1/2, 1, 1.
      [0.1, 0.7, 0.2, 0.3, 0.9, 0.6, 0.9, 0.8],  # Fractions 1/2, 0, 1, 1.
  ])
  summary = report.write_precursor_report(
      tmp_path / 'report',
      train=train,
      test=test,
      all_interval_probs=all_interval_probs,
      all_interval_intervals=np.array([1, 1, 2, 2, 3, 3, 4, 4]),
      n_intervals=4,
  )
  out = tmp_path / 'report'

  # Ensemble predicts 1 1 0 0 1 0 0 0: only window 5 is wrong, although
  # member 0 gets 4 of 8 and member 1 gets 6 of 8.
  assert summary == {
      'train_accuracy': pytest.approx(1.0),
      'member_train_accuracy': [pytest.approx(2 / 3), pytest.approx(2 / 3)],
      'train_f': pytest.approx(100.0),
      'train_score': None,
      'test_accuracy': pytest.approx(7 / 8),
      'member_test_accuracy': [pytest.approx(0.5), pytest.approx(0.75)],
      'test_f': pytest.approx(87.5),
      'test_score': pytest.approx(0.75),
      # Mean 1/4 1/4 1 1, std 1/4 1/4 0 0.
      'onset_interval': 3,
      # Bootstrap over events: one train event; test event 10 is 4/4 and
      # event 20 3/4 right, so resamples score 1, 7/8 or (1 in 4) 3/4.
      'train_accuracy_ci': [1.0, 1.0],
      'member_train_accuracy_ci': [[pytest.approx(2 / 3)] * 2] * 2,
      'test_accuracy_ci': [0.75, 1.0],
      'member_test_accuracy_ci': [[0.5, 0.5], [0.75, 0.75]],
  }
  json.dumps(summary, allow_nan=False)
  assert all(type(a) is float for a in summary['member_test_accuracy'])

  for name in ('confusion_train', 'confusion_test', 'interval_fractions'):
    _assert_png(out / f'{name}.png')

  confusion = json.loads((out / 'confusion.json').read_text())
  assert confusion['test']['ensemble']['matrix'] == [[4, 0], [1, 3]]
  assert confusion['test']['members'][0]['matrix'] == [[2, 2], [2, 2]]
  assert confusion['test']['members'][1]['score'] == pytest.approx(0.5)
  assert confusion['train']['ensemble']['score'] is None
  assert len(confusion['train']['members']) == 2

  per_event = _read_csv(out / 'per_event_test.csv')
  assert [(r['event'], r['n_correct']) for r in per_event] == [
      ('10', '4'), ('20', '3'),
  ]
  assert float(per_event[1]['precursor_accuracy_pct']) == 50.0
  markdown = (out / 'per_event_test.md').read_text().splitlines()
  assert len(markdown) == 2 + 2 + 2  # Header, 2 events, blank, CI line.
  assert markdown[-1] == ('Ensemble accuracy 87.5 %, 95 % CI 75.0-100.0 % '
                          '(bootstrap over the 2 test events).')

  fractions = _read_csv(out / 'interval_fractions.csv')
  assert len(fractions) == 4
  assert list(fractions[0]) == [
      'interval', 'hours_before_event', 'mean', 'std', 'member_0', 'member_1',
  ]
  np.testing.assert_allclose(
      [[float(r[k]) for k in ('mean', 'std', 'member_0', 'member_1')]
       for r in fractions],
      [[0.25, 0.25, 0, 0.5], [0.25, 0.25, 0.5, 0], [1, 0, 1, 1], [1, 0, 1, 1]],
  )
  # Interval k starts (4 + 1 - k) * 1000 s before the event.
  np.testing.assert_allclose(
      [float(r['hours_before_event']) for r in fractions],
      [4000 / 3600, 3000 / 3600, 2000 / 3600, 1000 / 3600],
  )
