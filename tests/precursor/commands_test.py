"""The training command on the precursor study, as a user runs it.

A workdir is a contract (seisjax/engine/workdir.py): a rerun with another
config, an impossible config, a damaged dataset are refused with one or two
lines naming the field or file, exit code 1, and nothing in the workdir
changes. Each test reproduces one case on `:tiny`.
"""

import fcntl
import glob
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from configs import precursor
import seisjax_datasets
from seisjax.engine import train
from seisjax.engine import validation
from seisjax.precursor import data as precursor_data
from seisjax.precursor import task
from tests import clitools

PROG = 'seisjax-train'


def _train(workdir, data_dir, *overrides, arg='tiny'):
  return clitools.run(
      'seisjax.main', f'--config=configs/precursor.py:{arg}',
      f'--workdir={workdir}', f'--config.data.data_dir={data_dir}',
      '--config.train.num_epochs=1', *overrides)


@pytest.fixture(scope='module')
def trained(tmp_path_factory, data_dir):
  workdir = str(tmp_path_factory.mktemp('cli') / 'run')
  done = _train(workdir, data_dir)
  assert done.returncode == 0, done.stderr[-2000:]
  return workdir


def _refused(process, *needles):
  lines = clitools.error_lines(process, PROG)
  assert process.returncode == 1, process.stderr[-2000:]
  assert 'Traceback' not in process.stderr
  assert 1 <= len(lines) <= 2, lines
  for needle in needles:
    assert needle in lines[0], lines[0]


@pytest.mark.parametrize('override, arg, needles', [
    ((), 'tiny,snr=0', ('data.snr 2.0 -> 0',)),
    (('--config.seed=7',), 'tiny', ('seed 0 -> 7',)),
    (('--config.n_members=3',), 'tiny', ('n_members 2 -> 3',)),
    (('--config.mode=analyze', '--config.data.snr=0.0'), 'tiny',
     ('data.snr 2.0 -> 0.0',)),
])
def test_a_rerun_with_another_config_is_refused(trained, data_dir, override,
                                                arg, needles):
  before = clitools.snapshot(trained)
  done = _train(trained, data_dir, *override, arg=arg)
  _refused(done, *needles, f'--config.init_from={trained}')
  assert clitools.snapshot(trained) == before
  # The refusal left the run loadable and unchanged for the same config.
  assert _train(trained, data_dir).returncode == 0


def test_a_second_training_in_the_same_workdir_is_refused(tmp_path,
                                                          data_dir, trained):
  del trained  # Built the tiny set in data_dir.
  workdir = tmp_path / 'run'
  first = subprocess.Popen(
      [sys.executable, '-m', 'seisjax.main', '--config=configs/precursor.py:'
       'tiny', f'--workdir={workdir}', f'--config.data.data_dir={data_dir}',
       '--config.train.num_epochs=4'], cwd=clitools.ROOT,
      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
  try:
    deadline = time.time() + 120
    while not _locked(workdir / clitools.LOCK):
      assert first.poll() is None and time.time() < deadline
      time.sleep(0.2)
    second = _train(str(workdir), data_dir, '--config.train.num_epochs=4')
    _refused(second, 'in use by another process')
  finally:
    assert first.wait(300) == 0, first.stderr.read()[-2000:]
  with open(workdir / 'metrics.jsonl') as f:
    epochs = [json.loads(line)['epoch'] for line in f if '"epoch"' in line]
  assert epochs == [1, 2, 3, 4]  # One run's lines, none interleaved.


def _locked(path) -> bool:
  """Whether another process holds the flock on `path`."""
  if not path.exists():
    return False
  with open(path) as f:
    try:
      fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
      return True
    fcntl.flock(f, fcntl.LOCK_UN)
  return False


def test_debug_shows_the_traceback(trained, data_dir):
  done = _train(trained, data_dir, '--config.seed=7', '--debug')
  assert done.returncode != 0 and 'Traceback' in done.stderr
  assert 'WorkdirError' in done.stderr


@pytest.mark.parametrize('override, needle', [
    ('--config.n_members=0', 'config.n_members must be an integer >= 1'),
    ('--config.data.noise_intervals=(36,)', 'share interval(s) [36]'),
])
def test_an_impossible_config_fails_before_any_work(tmp_path, data_dir,
                                                    override, needle):
  done = _train(str(tmp_path / 'run'), data_dir, override)
  _refused(done, needle)
  assert not os.path.exists(tmp_path / 'run')


@pytest.mark.parametrize('field, value, needle', [
    ('train.batch_size', 0, 'config.train.batch_size must be an integer'),
    ('data.window_stride', 0, 'config.data.window_stride must be'),
    ('data.snr', -1.0, 'config.data.snr must be a number >= 0'),
    ('data.precursor_intervals', (37,), 'intervals in 1..36'),
    ('data.noise_intervals', (), 'a non-empty list of intervals'),
    ('data.n_test_events', 24, 'config.data.n_test_events must be at most'),
    ('data.window_samples', 100000, 'would take 1.2 GB'),
])
def test_impossible_precursor_settings_name_the_field(field, value, needle):
  config = precursor.get_config('tiny')
  section, _, key = field.rpartition('.')
  config[section][key] = value
  with pytest.raises(validation.ConfigError) as info:
    train.check_config(config, task.TASK)
  assert needle in str(info.value)


def test_a_damaged_shard_is_named_with_how_to_rebuild(tmp_path, data_dir,
                                                      trained):
  del trained  # Built the tiny set in data_dir.
  copy = str(tmp_path / 'tfds')
  shutil.copytree(data_dir, copy)
  builder = precursor_data.group_builder(precursor.get_config('tiny').data,
                                         copy)
  shard, = glob.glob(os.path.join(builder.data_dir, '*.array_record-*'))
  with open(shard, 'r+b') as f:
    f.seek(4096)  # In the chunks of event 0, whose interval 1 is read.
    f.write(bytes(range(256)) * 8)
  done = _train(str(tmp_path / 'run'), copy)
  _refused(done, shard, 'damaged', f'delete {builder.data_dir}')


def test_a_killed_build_leaves_nothing_behind(tmp_path):
  config = precursor.get_config('tiny')
  config.data.n_events = 2
  builder = precursor_data.group_builder(config.data, str(tmp_path))
  # What a build killed mid-way leaves: TFDS's temporary folder.
  config_dir = os.path.dirname(os.fspath(builder.data_dir))
  stale = os.path.join(config_dir, f'incomplete.ABC123_{builder.version}')
  os.makedirs(stale)
  seisjax_datasets.prepare(builder)
  assert not glob.glob(os.path.join(config_dir, 'incomplete.*'))
  assert os.path.isdir(builder.data_dir)
