"""The paper's experiments (configs/experiments.py) and the 7.2 cycles."""

import csv
import json

import numpy as np
import pytest

from configs import experiments
from seisjax.precursor import cycles
from seisjax.precursor import data as precursor_data


def test_the_experiments_follow_the_paper():
  e = {name: experiments.get_config(f'exp={name}')
       for name in experiments.EXPERIMENTS}
  for name in ('5.1', '5.2.2', '7.1', '7.2'):
    assert e[name].data.noise_intervals == (1,)
  for name in ('5.1', '5.2.2', '7.1', '7.2'):
    assert e[name].data.precursor_intervals == (36,)
  assert e['5.1'].data.n_noise_b > 0 and e['5.1'].data.balance
  # 5.2.1: interval 1 noise, 2-36 precursor, 5 seeds.
  assert e['5.2.1'].data.precursor_intervals == tuple(range(2, 37))
  assert e['5.2.1'].n_members == 5 and e['5.2.1'].data.balance
  assert e['7.1'].data.n_verify_events == 32  # Table 2.
  # 7.2: A and B pooled, 100 cycles over 10 random event splits.
  c = e['7.2']
  assert c.mode == 'cycles' and c.data.pool_sets
  assert (c.cycles.n_splits, c.n_members) == (10, 10)
  assert (c.data.n_events, c.data.n_verify_events) == (31, 32)
  assert e['fake'].data.snr == 0 and e['fake'].data.n_noise_b > 0
  assert e['5.1'].data.snr > 0


def test_real_data_uses_the_catalogue_split_and_the_fake_records():
  arg = 'data=japan,catalogue=cat.csv,waveforms=cache,client='
  real = experiments.get_config(f'exp=5.1,{arg}')
  assert real.data.name == 'japan_precursor'
  assert (real.data.split, real.data.fake) == ('catalogue', False)
  assert (real.data.catalogue, real.data.waveform_dir, real.data.client) == (
      'cat.csv', 'cache', '')
  fake = experiments.get_config(f'exp=fake,{arg}')
  assert (fake.data.split, fake.data.fake, fake.data.snr) == (
      'random', True, 2.0)


@pytest.mark.parametrize('arg, message', [
    ('exp=5.3', 'choose one of'), ('', 'choose one of'),
    ('exp=5.1,data=stead', "'synthetic' or 'japan'")])
def test_bad_experiment_arguments(arg, message):
  with pytest.raises(ValueError, match=message):
    experiments.get_config(arg)


def test_balanced_repeats_the_rare_class_and_keeps_every_span():
  labels = np.array([0, 1, 1, 1, 1, 1, 0], np.int32)
  spans = np.arange(7, dtype=np.float32)[:, None, None] * np.ones((1, 4, 3))
  ws = precursor_data.IntervalWindows(spans, np.arange(7), np.arange(1, 8),
                                      labels, window=4, stride=1, n_windows=1)
  out = precursor_data.balanced(ws)
  assert np.sum(out.labels == 0) == np.sum(out.labels == 1) == 5
  np.testing.assert_array_equal(out.spans[:7], spans)
  np.testing.assert_array_equal(out.spans[:, 0, 0], out.events)
  assert sorted(set(out.events[7:])) == [0, 6]  # Only noise repeated.


def test_cycles_table_and_best_combined_cycle(tmp_path):
  rows = [{'cycle': i, 'split': i // 2, 'member': i % 2, 'seed': i % 2,
           'train_accuracy': 1.0, 'test_accuracy': t, 'verify_accuracy': v}
          for i, (t, v) in enumerate([(0.9, 0.5), (0.6, 0.9), (0.8, 0.8),
                                      (0.7, None)])]
  cycles.write_cycles(rows, str(tmp_path))
  with open(tmp_path / 'cycles.csv') as f:
    table = list(csv.DictReader(f))
  assert [float(r['combined_accuracy']) for r in table] == pytest.approx(
      [0.7, 0.75, 0.8, 0.7])
  text = (tmp_path / 'cycles.md').read_text()
  assert 'cycle 2 (split 1, seed 0)' in text
  assert '| test | 75.0 |' in text
  assert (tmp_path / 'cycles.png').exists()


def test_cycles_train_every_split_with_noise_b_and_verification(
    data_dir, tmp_path):
  config = experiments.get_config('exp=7.2,tiny')
  config.data.data_dir = data_dir
  config.data.n_noise_b = 4
  config.train.num_epochs = 1
  rows = cycles.run_cycles(config, str(tmp_path))
  assert len(rows) == 2 * 2  # splits x members
  for row in rows:
    for name in ('train', 'test', 'verify'):
      assert (0 <= row[f'{name}_ci_low'] <= row[f'{name}_accuracy']
              <= row[f'{name}_ci_high'] <= 1)
  d = config.data
  n_records = d.n_events + d.n_verify_events  # Noise B windows after them.
  runs = []
  for k in range(2):
    with open(tmp_path / f'split_{k:02d}' / 'run.json') as f:
      runs.append(json.load(f)['splits'])
    assert len(runs[k]['verify']) == d.n_verify_events
    assert max(runs[k]['verify']) < n_records
    assert any(e >= n_records for e in runs[k]['train'])  # noise B
    assert (tmp_path / f'split_{k:02d}' / 'per_event_verify.md').exists()
  assert runs[0]['verify'] != runs[1]['verify']
