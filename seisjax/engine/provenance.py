"""Which code produced a result: the git commit of the working tree.

Benchmarks and shipped models quote it beside their figures, so that a
number can be traced to the code that measured it.
"""

import subprocess


def git(*args: str) -> str:
  """The stripped output of `git *args` here, '' where git fails."""
  try:
    return subprocess.run(['git', *args], capture_output=True, text=True,
                          check=True).stdout.strip()
  except (OSError, subprocess.CalledProcessError):
    return ''


def commit() -> str:
  """Short HEAD, marked when tracked files have uncommitted changes."""
  sha = git('rev-parse', '--short', 'HEAD') or 'unknown'
  dirty = git('status', '--porcelain', '--untracked-files=no')
  return sha + (' (uncommitted changes)' if dirty else '')
