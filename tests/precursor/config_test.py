"""The precursor config: variants, ':arg' parsing and command-line overrides."""

from absl import flags
from ml_collections import config_flags
import pytest

from configs import precursor


def _parse(*argv):
  argv = ['prog', *argv]
  flag_values = flags.FlagValues()
  # Overrides are registered from the command line when the flag is defined.
  config_flags.DEFINE_config_file('config', None, flag_values=flag_values,
                                  lock_config=True, sys_argv=argv)
  flag_values(argv)
  return flag_values.config


def test_variants():
  paper, cpu, tiny = (precursor.get_config(a) for a in (None, 'cpu', 'tiny'))
  assert paper.data.snr == 2.0 and paper.n_members == 5
  assert cpu.data.window_samples == paper.data.window_samples
  assert cpu.n_members == 3 and tiny.n_members == 2
  assert precursor.get_config('cpu,snr=0').data.snr == 0
  assert precursor.get_config('tiny,members=4').n_members == 4


def test_command_line_overrides():
  config = _parse('--config=configs/precursor.py:cpu',
                  '--config.train.num_epochs=2',
                  '--config.data.data_dir=/tmp/x')
  assert config.train.num_epochs == 2
  assert config.data.data_dir == '/tmp/x'
  assert config.n_members == 3


def test_unknown_override_fails_loudly():
  with pytest.raises(AttributeError, match="nonexistent"):
    _parse('--config=configs/precursor.py', '--config.train.nonexistent=3')
  with pytest.raises(flags.IllegalFlagValueError, match="argument 'bogus'"):
    _parse('--config=configs/precursor.py:bogus')
