"""A workdir holds one run: reruns continue it or are refused, one process
at a time, and nothing in it changes before the run is known to be valid."""

import json
import multiprocessing
import os

import pytest

from seisjax.engine import train
from seisjax.engine import validation
from seisjax.engine import workdir
from tests import clitools
from tests.engine import toy


@pytest.fixture(scope='module')
def run_dir(tmp_path_factory):
  path = str(tmp_path_factory.mktemp('run'))
  train.train_and_evaluate(toy.config(num_epochs=1), path, toy.TASK)
  return path


@pytest.mark.parametrize('field, value, listed', [
    ('seed', 7, 'seed 0 -> 7'),
    ('n_members', 3, 'n_members 2 -> 3'),
    ('data.n_train', 96, 'data.n_train 128 -> 96'),
    ('model.features', 8, 'model.features 4 -> 8'),
    ('train.learning_rate', 0.1, 'train.learning_rate 0.01 -> 0.1'),
])
def test_another_config_is_refused_and_nothing_changes(run_dir, field, value,
                                                       listed):
  before = clitools.snapshot(run_dir)
  config = toy.config(num_epochs=1)
  section, _, key = field.rpartition('.')
  (config[section] if section else config)[key] = value
  with pytest.raises(workdir.WorkdirError) as info:
    train.train_and_evaluate(config, run_dir, toy.TASK)
  message = str(info.value)
  assert listed in message and '--config.init_from=' in message
  assert clitools.snapshot(run_dir) == before


def test_a_continuing_change_is_allowed_and_logged(run_dir, caplog, tmp_path):
  import shutil  # pylint: disable=g-import-not-at-top
  copy = str(tmp_path / 'copy')
  shutil.copytree(run_dir, copy)
  caplog.set_level('INFO', logger='seisjax')
  summary = train.train_and_evaluate(
      toy.config(num_epochs=2, eval_batch_size=32), copy, toy.TASK)
  assert 'with train.num_epochs 1 -> 2' in caplog.text
  assert len(summary['best_epoch']) == 2
  with open(os.path.join(copy, 'config.json')) as f:
    assert json.load(f)['train']['num_epochs'] == 2


def test_differences_of_flattened_configs():
  a = workdir.flatten({'a': {'b': [1, 2]}, 'c': 1})
  b = workdir.flatten({'a': {'b': (1, 3)}, 'd': 2})
  assert workdir.differences(a, a) == {}
  changes = workdir.differences(a, b)
  assert changes['a.b'] == ((1, 2), (1, 3))
  assert set(changes) == {'a.b', 'c', 'd'}


def _hold_lock(path, ready, release):
  with workdir.lock(path):
    ready.set()
    release.wait(30)


def test_a_second_process_is_refused_by_the_lock(tmp_path):
  ctx = multiprocessing.get_context('spawn')
  ready, release = ctx.Event(), ctx.Event()
  holder = ctx.Process(target=_hold_lock,
                       args=(str(tmp_path), ready, release))
  holder.start()
  try:
    assert ready.wait(60)
    with pytest.raises(workdir.WorkdirError, match='in use by another '
                       'process'):
      train.train_and_evaluate(toy.config(), str(tmp_path), toy.TASK)
    assert not os.path.exists(tmp_path / 'config.json')
  finally:
    release.set()
    holder.join(30)
  # Released: the same process may take it, and again inside (re-entrant).
  with workdir.lock(str(tmp_path)), workdir.lock(str(tmp_path)):
    pass


@pytest.mark.parametrize('field, value, message', [
    ('n_members', 0, 'config.n_members must be an integer >= 1, got 0'),
    ('train.batch_size', 0, 'config.train.batch_size must be an integer'),
    ('train.num_epochs', -1, 'config.train.num_epochs must be'),
    ('train.optimizer', 'lamb', "config.train.optimizer must be 'adam' or"),
    ('train.learning_rate', float('nan'), 'config.train.learning_rate'),
    ('mesh.member', 0, 'config.mesh.member must be'),
    ('data.n_train', 0, 'config.data.n_train must be'),  # The task's check.
])
def test_impossible_settings_fail_before_any_work(tmp_path, field, value,
                                                  message):
  config = toy.config()
  section, _, key = field.rpartition('.')
  (config[section] if section else config)[key] = value
  with pytest.raises(validation.ConfigError, match=message):
    train.train_and_evaluate(config, str(tmp_path / 'run'), toy.TASK)
  assert not os.path.exists(tmp_path / 'run')


def test_a_batch_larger_than_the_training_set_trains_nothing(tmp_path):
  config = toy.config(batch_size=256)  # 128 training windows.
  with pytest.raises(validation.ConfigError,
                     match=r'batch_size \(256\) is larger than the training '
                     r'set \(128 windows\)'):
    train.train_and_evaluate(config, str(tmp_path), toy.TASK)
  assert not os.path.exists(tmp_path / 'config.json')
