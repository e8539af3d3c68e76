"""Runs a script in SKHASH's own environment.

SKHASH 1.1.5 pins numpy<2, so it is never a dependency of seisjax: the
comparisons run its code in another interpreter, with its package folder
on PYTHONPATH (its modules import each other as `functions.*`).
"""

import os
import subprocess


def run(python: str, script, *args: str) -> None:
  """`python script *args` with SKHASH's package folder importable."""
  package = subprocess.run(
      [python, '-c', 'import os, SKHASH; '
       'print(os.path.dirname(SKHASH.__file__))'],
      capture_output=True, text=True, check=True).stdout.strip()
  subprocess.run([python, str(script), *args], check=True,
                 env={**os.environ, 'PYTHONPATH': package})
