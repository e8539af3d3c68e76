"""The detectability sweep, its band-power baseline and the event-swap test."""

import csv
import json
import os

import numpy as np
import pytest

from configs import experiments
from seisjax import registry
from seisjax.precursor import bandpower
from seisjax.precursor import stats


def test_event_swap_p_value_is_exact_and_falls_with_skill():
  # 3 events of 4 windows: all right gives the best of 2^3 swaps.
  events = np.repeat([0, 1, 2], 4)
  assert stats.event_swap_p_value(np.ones(12), events) == 1 / 8
  # Chance-like: every event half right: every swap ties.
  half = np.tile([1, 1, 0, 0], 3)
  assert stats.event_swap_p_value(half, events) == 1.0
  # Random draws for many events: still a valid p (the identity counted).
  many = np.repeat(np.arange(20), 2)
  p = stats.event_swap_p_value(np.ones(40), many, n_permutations=1000)
  assert 0 < p <= 0.01


def test_octave_bands_and_band_powers_see_a_tone():
  bands = bandpower.octave_bands()
  assert bands[0].tolist() == [0.05, 0.1] and bands[-1][1] == 20.0
  assert len(bands) == 9 and np.all(bands[1:, 0] == bands[:-1, 1])
  t = np.arange(4096) / 40.0
  tone = np.sin(2 * np.pi * 0.3 * t)[:, None] * np.ones((1, 3))
  features = bandpower.log_band_powers(tone[None].astype(np.float32), 40.0)
  assert features.shape == (1, 27)
  per_band = features.reshape(9, 3)[:, 0]
  assert np.argmax(per_band) == 2  # 0.2-0.4 Hz holds 0.3 Hz.


def test_logistic_fit_separates_what_is_separable_and_no_more():
  rng = np.random.default_rng(0)
  y = rng.integers(0, 2, 400)
  x = rng.normal(size=(400, 5))
  x[:, 0] += 2.0 * y  # One informative feature.
  clf = bandpower.fit(x[:300], y[:300], x[300:], y[300:])
  assert np.mean((clf.predict(x[300:]) > 0.5) == y[300:]) > 0.8
  noise = rng.normal(size=(400, 5))
  clf = bandpower.fit(noise[:300], y[:300], noise[300:], y[300:])
  assert abs(np.mean((clf.predict(noise[300:]) > 0.5) == y[300:]) - 0.5) < 0.15


@pytest.fixture(scope='module')
def sweep(tmp_path_factory, data_dir):
  config = experiments.get_config('exp=detect,tiny')
  config.data.data_dir = data_dir
  workdir = str(tmp_path_factory.mktemp('detect'))
  return workdir, registry.get_mode(config)(config, workdir)


def test_accuracy_rises_with_snr_and_the_null_is_not_significant(sweep):
  workdir, result = sweep
  rows = {r['snr']: r for r in result['rows']}
  assert sorted(rows) == [0.0, 2.0]
  for method in ('cnn', 'bandpower'):
    assert rows[2.0][f'{method}_accuracy'] > rows[0.0][f'{method}_accuracy']
    assert rows[0.0][f'{method}_p_value'] >= result['alpha']
    low, high = rows[0.0][f'{method}_ci_low'], rows[0.0][f'{method}_ci_high']
    assert low <= rows[0.0][f'{method}_accuracy'] <= high
  assert rows[2.0]['cnn_p_value'] < result['alpha']
  assert result['thresholds']['cnn']['snr'] == 2.0
  for name in ('detectability.csv', 'detectability.json',
               'detectability.png'):
    assert os.path.getsize(os.path.join(workdir, name)) > 0
  with open(os.path.join(workdir, 'detectability.csv')) as f:
    assert len(list(csv.DictReader(f))) == 2
  with open(os.path.join(workdir, 'detectability.json')) as f:
    assert json.load(f)['thresholds']['cnn']['snr'] == 2.0
  # Every point is an ordinary run of its own.
  assert os.path.exists(os.path.join(workdir, 'snr_2', 'summary.json'))
