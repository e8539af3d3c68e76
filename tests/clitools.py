"""Running the commands as a user does, and checking what they left.

Shared by the command tests of each study: `run` starts `python -m <module>`
in the repository root and returns the finished process; `snapshot` reads
every file under a folder, to assert that a refused command changed
nothing.
"""

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
LOCK = '.lock'  # A workdir's lock file (seisjax/engine/workdir.py).


def run(module: str, *args: str, timeout: int = 600
        ) -> subprocess.CompletedProcess:
  """`python -m module args...` from the repository root."""
  env = dict(os.environ, JAX_PLATFORMS='cpu')
  return subprocess.run([sys.executable, '-m', module, *args], cwd=ROOT,
                        env=env, capture_output=True, text=True,
                        timeout=timeout)


def snapshot(folder) -> dict[str, bytes]:
  """{relative path: bytes} of every file under `folder` but the lock."""
  out = {}
  for root, _, files in os.walk(folder):
    for name in files:
      if name != LOCK:
        path = os.path.join(root, name)
        with open(path, 'rb') as f:
          out[os.path.relpath(path, folder)] = f.read()
  return out


def error_lines(process: subprocess.CompletedProcess, prog: str) -> list[str]:
  """The lines of stderr that the command's error report wrote."""
  return [line for line in process.stderr.splitlines()
          if line.startswith(f'{prog}: ')]
