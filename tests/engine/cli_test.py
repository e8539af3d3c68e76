"""Errors a person can read, and writes that never leave half a file."""

import errno
import os

import pytest

from seisjax.engine import cli
from seisjax.engine import validation
from seisjax.engine import writers


def test_a_full_disk_is_said_in_one_line_wherever_it_surfaced():
  try:
    try:
      raise OSError(errno.ENOSPC, 'No space left on device', '/runs/x/ckpt')
    except OSError as e:
      raise RuntimeError('Orbax: async save failed') from e
  except RuntimeError as wrapped:
    message = cli.describe(wrapped)
  assert message.startswith('No space left on device writing /runs/x/ckpt.')
  assert '\n' not in message


def test_expected_errors_exit_1_in_two_lines_and_bugs_keep_the_traceback(
    capsys):
  @cli.reports_errors('seisjax-x')
  def refuses():
    raise validation.ConfigError('config.n_members must be an integer >= 1,'
                                 '\n got 0.')

  with pytest.raises(SystemExit) as info:
    refuses()
  assert info.value.code == 1
  lines = capsys.readouterr().err.splitlines()
  assert lines == ['seisjax-x: error: config.n_members must be an integer '
                   '>= 1, got 0.',
                   'seisjax-x: (--debug shows the traceback)']

  @cli.reports_errors('seisjax-x', debug=lambda: True)
  def debugged():
    raise FileNotFoundError(errno.ENOENT, 'No such file', 'a.csv')

  with pytest.raises(FileNotFoundError):
    debugged()

  @cli.reports_errors('seisjax-x')
  def bug():
    raise KeyError('not a user error')

  with pytest.raises(KeyError):
    bug()


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
  path = tmp_path / 'summary.json'
  writers.write_json({'a': 1}, path)
  before = path.read_bytes()
  with pytest.raises(TypeError):
    writers.write_json({'a': object()}, path)  # Not serialisable.
  assert path.read_bytes() == before
  with pytest.raises(RuntimeError):
    with writers.atomic_path(path) as tmp:
      with open(tmp, 'w') as f:
        f.write('half')
      raise RuntimeError('killed mid-write')
  assert path.read_bytes() == before
  assert os.listdir(tmp_path) == ['summary.json']
