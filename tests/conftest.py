"""Shared fixtures: the tiny datasets and tiny runs, built once per session.

The TFDS data of every tiny config goes into one session folder; each run
fixture trains once and is shared by the tests that read its workdir.
"""

import pytest

from configs import picker
from configs import polarity
from configs import precursor
from seisjax import registry
from seisjax.engine import train


@pytest.fixture(scope='session')
def data_dir(tmp_path_factory):
  return str(tmp_path_factory.mktemp('tfds'))


def _tiny(module, arg, data_dir, train_overrides):
  config = module.get_config(arg)
  config.data.data_dir = data_dir
  config.train.update(train_overrides)
  return config


def _tiny_config(data_dir, arg='tiny', **train_overrides):
  return _tiny(precursor, arg, data_dir, train_overrides)


def _run(config, workdir):
  return train.train_and_evaluate(config, workdir,
                                  registry.get_task(config.task))


@pytest.fixture(scope='session')
def tiny_config():
  """(data_dir, arg='tiny', **train_overrides) -> a tiny precursor config."""
  return _tiny_config


@pytest.fixture(scope='session')
def planted_run(data_dir, tmp_path_factory):
  """(workdir, summary, trace counts) of a tiny run on planted signal."""
  workdir = str(tmp_path_factory.mktemp('planted'))
  train.TRACES.clear()
  summary = _run(_tiny_config(data_dir), workdir)
  return workdir, summary, dict(train.TRACES)


@pytest.fixture(scope='session')
def null_run(data_dir, tmp_path_factory):
  """(workdir, summary) of a tiny run on the null data (snr=0)."""
  workdir = str(tmp_path_factory.mktemp('null'))
  return workdir, _run(_tiny_config(data_dir, 'tiny,snr=0'), workdir)


def _tiny_pick_config(name, data_dir, **train_overrides):
  module = {'picker': picker, 'polarity': polarity}[name]
  return _tiny(module, 'tiny', data_dir, train_overrides)


@pytest.fixture(scope='session')
def tiny_pick_config():
  """(name, data_dir, **train_overrides) -> a tiny picker/polarity config."""
  return _tiny_pick_config


@pytest.fixture(scope='session')
def picker_run(data_dir, tmp_path_factory):
  """(workdir, summary) of a tiny picker run on synthetic picks."""
  workdir = str(tmp_path_factory.mktemp('picker'))
  return workdir, _run(_tiny_pick_config('picker', data_dir), workdir)


@pytest.fixture(scope='session')
def polarity_run(data_dir, tmp_path_factory):
  """(workdir, summary) of a tiny polarity run on synthetic picks."""
  workdir = str(tmp_path_factory.mktemp('polarity'))
  return workdir, _run(_tiny_pick_config('polarity', data_dir), workdir)
