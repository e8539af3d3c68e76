"""How the commands speak: our progress, and errors a person can read.

Every command (train, pick, evaluate, japan, focal) logs seisjax's progress
at INFO and the libraries' (Orbax, TFDS, absl) only from WARNING, and
reports an error a user can act on (a bad config field, a workdir holding
another run, an unreadable file, a full disk, an interruption) in one or two
lines that name the field or file, without a traceback, exiting with 1.
`--debug` shows the traceback; other exceptions (bugs) always do.
"""

import errno
import functools
import logging
import sys

from absl import logging as absl_logging

from seisjax.engine import train

# What a user can act on. Anything else is a bug and keeps its traceback.
EXPECTED = (ValueError, OSError, FloatingPointError, train.Interrupted)


def setup_logging() -> None:
  """seisjax at INFO, the libraries (Orbax, TFDS) from WARNING."""
  absl_logging.set_verbosity(absl_logging.WARNING)
  logging.getLogger('seisjax').setLevel(logging.INFO)


def _chain(error: BaseException):
  while error is not None:
    yield error
    error = error.__cause__ or error.__context__


def describe(error: BaseException) -> str:
  """The one-line message of an expected error.

  A full disk is said as such wherever it surfaced (Orbax and TFDS wrap
  the OSError), with the file where known.
  """
  for e in _chain(error):
    if isinstance(e, OSError) and e.errno == errno.ENOSPC:
      where = f' writing {e.filename}' if e.filename else ''
      return (f'No space left on device{where}. Free some space and run '
              'the same command again: a training run resumes from its last '
              'checkpoint.')
  text = str(error) or type(error).__name__
  if isinstance(error, FileNotFoundError) and error.filename:
    text = f'{error.filename}: {error.strerror or text}'
  return ' '.join(text.split())


def reports_errors(prog: str, debug=lambda: False):
  """Decorates a command's main: expected errors as `prog: error: ...`.

  Args:
    prog: the command's name, e.g. 'seisjax-train'.
    debug: returns True to re-raise with the traceback (`--debug`).
  """
  def wrap(main):
    @functools.wraps(main)
    def run(*args, **kwargs):
      try:
        return main(*args, **kwargs)
      except EXPECTED as e:
        if debug():
          raise
        sys.stderr.write(f'{prog}: error: {describe(e)}\n'
                         f'{prog}: (--debug shows the traceback)\n')
        sys.exit(1)
    return run
  return wrap
