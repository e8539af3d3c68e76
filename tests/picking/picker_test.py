"""The picker and polarity tasks: configs, model, pipeline, training, use."""

import json
import math
import os
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import obspy
import pytest

from configs import picker
from configs import polarity
from seisjax.picking import data as pick_data
from seisjax.picking import evaluate
from seisjax.picking import inference
from seisjax.picking import pick
from seisjax.picking import polarity as polarity_task
from seisjax.picking import records
from seisjax.picking import synthetic as synthetic_picks
from seisjax.picking.model import PickerCNN

SHARED_PICKS = pathlib.Path(pick_data.SHARED_PICKS)


def test_default_configs_follow_the_paper():
  config = picker.get_config()
  assert (records.SAMPLING_RATE, records.BAND) == (100.0, (1.0, 20.0))
  assert records.WINDOW_SAMPLES == 400 and records.MAX_SHIFT == 50
  assert config.data.train_copies == 5
  assert config.data.test_fraction == 0.25
  assert tuple(config.model.filters) == (32, 64, 128)
  assert tuple(config.model.kernel_sizes) == (21, 15, 11)
  assert tuple(config.model.dense_units) == (512, 512)
  assert config.model.pool_size == 2 and config.model.outputs == 1
  train_config = config.train
  assert (train_config.batch_size, train_config.optimizer,
          train_config.learning_rate, train_config.patience) == (
              480, 'adam', 1e-3, 5)
  assert train_config.lr_schedule == 'constant'
  pol = polarity.get_config()
  assert pol.task == 'polarity' and pol.model.outputs == 3
  assert pol.data.kind == 'fm' and config.data.kind == 'pick'


def test_data_sources():
  config = picker.get_config('data=kumamoto_hinet')
  assert (config.data.name, config.data.reader) == ('seisbench',
                                                    'kumamoto_hinet')
  assert config.data.path == str(SHARED_PICKS / 'kumamoto_hinet')
  assert picker.get_config('data=scsn:/x').data.name == 'scsn_ross2018'
  with pytest.raises(ValueError, match='Unknown data source'):
    picker.get_config('data=stead')


def test_picker_cnn_shapes_and_parameters():
  model = PickerCNN()
  variables = model.init(jax.random.key(0), jnp.zeros((2, 400, 1)))
  n_params = sum(math.prod(p.shape)
                 for p in jax.tree.leaves(variables['params']))
  conv = (21 * 1 + 1) * 32 + (15 * 32 + 1) * 64 + (11 * 64 + 1) * 128
  batch_norm = 2 * (32 + 64 + 128 + 512 + 512)
  # 400 samples halved by three pools: 50 x 128 features into dense 512.
  dense = (50 * 128 + 1) * 512 + (512 + 1) * 512 + 513
  assert n_params == conv + batch_norm + dense
  assert model.apply(variables, jnp.ones((2, 400, 1))).shape == (2,)
  classifier = PickerCNN(outputs=3)
  v = classifier.init(jax.random.key(0), jnp.zeros((2, 400, 1)))
  assert classifier.apply(v, jnp.ones((2, 400, 1))).shape == (2, 3)


def test_split_is_by_event():
  events = np.repeat(np.arange(40).astype(str), 3)
  split = pick_data.split_events(events, 0.25, 0.1, seed=0)
  sets = {k: set(events[v]) for k, v in split.items()}
  assert not sets['train'] & sets['test'] and not sets['val'] & sets['test']
  assert not sets['train'] & sets['val']
  assert (len(sets['test']), len(sets['val'])) == (10, 4)
  assert sum(len(v) for v in split.values()) == len(events)
  with pytest.raises(ValueError, match='none for training'):
    pick_data.split_events(events, 0.6, 0.4, seed=0)


def test_balance_draws_each_class_to_the_smallest():
  labels = np.array([0] * 7 + [1] * 20 + [2] * 50)
  kept = pick_data.balance(labels, seed=0)
  assert np.bincount(labels[kept]).tolist() == [7, 7, 7]
  assert len(set(kept)) == len(kept)
  with pytest.raises(ValueError, match='one class has no records'):
    pick_data.balance(np.array([2, 2, 1]), seed=0)


def _spike_records(n):
  waveform = np.zeros((n, records.RECORD_SAMPLES), np.float32)
  waveform[:, records.P_SAMPLE] = np.arange(1, n + 1)
  return pick_data.PickRecords(
      waveform=waveform, p_sample=np.full(n, records.P_SAMPLE),
      polarity=np.arange(n) % 3, event=np.arange(n).astype(str),
      trace=np.arange(n).astype(str), snr_db=np.zeros(n),
      distance_km=np.zeros(n), magnitude=np.zeros(n))


def test_windows_put_the_pick_where_the_target_says():
  window_set = pick_data.PickWindows(_spike_records(40), copies=5, seed=3)
  assert len(window_set) == 200
  picks = window_set.picks
  assert np.all(np.abs(picks - 200) <= records.MAX_SHIFT)
  assert len(np.unique(picks)) > 50  # Shifts differ between copies.
  windows = window_set.windows()
  assert np.array_equal(np.argmax(windows, axis=1), picks)
  item = window_set[17]
  assert item['x'].shape == (400, 1) and np.max(np.abs(item['x'])) == 1.0
  assert item['pick'] == pytest.approx((picks[17] - 200) / 100.0)
  assert item['label'] == 17 // 5 % 3
  again = pick_data.PickWindows(_spike_records(40), copies=5, seed=3)
  assert np.array_equal(again.picks, picks)


def _row(rows, method):
  return next(r for r in rows if r['method'] == method)


def test_picker_learns_and_is_scored_with_baselines(picker_run):
  workdir, summary = picker_run
  for name in ('results.md', 'results.json', 'windows.csv', 'abs_error.png',
               'abs_error_vs_snr_db.csv'):
    assert os.path.getsize(os.path.join(workdir, 'test', name)) > 0, name
  rows = summary['results']
  cnn = _row(rows, 'CNN ensemble')
  assert cnn['n'] == summary['n_test_windows'] > 0
  # Always answering the window centre scores 0.25 s on uniform shifts.
  assert cnn['mean_abs_s'] < 0.2
  assert {r['method'] for r in rows} >= {'sta_lta', 'pk_baer', 'aic'}


def test_polarity_trains_on_balanced_classes(polarity_run, data_dir,
                                             tiny_pick_config):
  workdir, summary = polarity_run
  datasets = polarity_task.TASK.get_datasets(
      tiny_pick_config('polarity', data_dir))
  counts = np.bincount(datasets.train.records.polarity, minlength=3)
  assert counts[0] == counts[1] == counts[2] > 0
  cnn = _row(summary['results'], 'CNN ensemble')
  pk_baer = _row(summary['results'], 'pk_baer')
  assert 0 <= cnn['precision_up'] <= 1 and 'precision_down' in pk_baer
  assert cnn['accuracy'] > 0.4  # Three balanced-ish classes: chance ~0.33.
  assert os.path.getsize(os.path.join(workdir, 'test', 'polarity.png')) > 0


def test_ensemble_loads_and_refuses_other_runs(picker_run, tmp_path):
  ensemble = inference.load_ensemble(picker_run[0])
  windows = np.random.default_rng(0).normal(size=(5, 400))
  assert ensemble(windows).shape == (2, 5)
  assert ensemble(windows[:0]).shape == (2, 0)
  with pytest.raises(ValueError, match='shape'):
    ensemble(windows[:, :300])
  # The run of another task: the picker's config with another task name.
  with open(os.path.join(picker_run[0], 'config.json')) as f:
    config = json.load(f)
  config['task'] = 'precursor'
  (tmp_path / 'config.json').write_text(json.dumps(config))
  with pytest.raises(ValueError, match='not a picker'):
    inference.load_ensemble(str(tmp_path))


@pytest.mark.skipif(not SHARED_PICKS.is_dir(),
                    reason='../shared/data/picks is absent')
def test_evaluate_on_a_real_set(picker_run, tmp_path):
  rows = evaluate.run(picker_run[0], 'kumamoto_hinet', baselines=('aic',),
                      output=str(tmp_path))
  assert {r['method'] for r in rows} == {'CNN ensemble', 'CNN member 0',
                                         'CNN member 1', 'aic'}
  assert all(r['n'] == 100 for r in rows)
  table = (tmp_path / 'results.md').read_text()
  assert 'kumamoto_hinet' in table and 'aic' in table


def test_pick_command_with_trained_models(picker_run, polarity_run,
                                          tmp_path):
  # A continuous trace: synthetic noise and one planted arrival at 30 s.
  noise, signal, _ = synthetic_picks.station_parts(0, 3, 0)
  rng = np.random.default_rng(1)
  data = rng.normal(scale=noise.std(), size=6000)
  onset = 3000
  data[onset - synthetic_picks.P_INDEX:onset - synthetic_picks.P_INDEX
       + len(signal)] += signal * 50
  trace = obspy.Trace(data.astype(np.float32), header={
      'network': 'XX', 'station': 'SYN', 'channel': 'HHZ',
      'sampling_rate': 100.0, 'starttime': obspy.UTCDateTime(2020, 1, 1)})
  path = tmp_path / 'syn.mseed'
  obspy.Stream([trace]).write(str(path), format='MSEED')
  output = tmp_path / 'picks.xml'
  pick.run(picker_run[0], polarity_run[0], [str(path)], str(output))
  catalog = obspy.read_events(str(output))
  found = catalog[0].picks
  assert found, 'no pick written'
  best = min(found, key=lambda p: abs(p.time - trace.stats.starttime - 30))
  assert abs(best.time - trace.stats.starttime - 30) < 0.5
  assert best.time_errors.uncertainty > 0
  assert best.polarity in ('positive', 'negative', 'undecidable')


def test_too_few_events_for_validation_is_an_error():
  with pytest.raises(ValueError, match='no validation event'):
    pick_data.split_events(np.array(['a', 'b']), 0.0, 0.2, seed=0)
