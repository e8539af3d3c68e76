"""':arg' parsing of `--config=configs/x.py:arg`."""

import pytest

from seisjax.engine import config_args


def test_parse_arg():
  assert config_args.parse_arg('cpu,snr=0', cpu=False, snr=2.0) == {
      'cpu': True, 'snr': 0}
  assert config_args.parse_arg(None, cpu=False) == {'cpu': False}
  assert config_args.parse_arg('data=scsn:/x/y', data='') == {
      'data': 'scsn:/x/y'}
  with pytest.raises(ValueError, match="Unknown config argument 'snrr'"):
    config_args.parse_arg('snrr=1', snr=2.0)
