"""Parses the string after ':' in `--config=configs/x.py:cpu,snr=0`.

As in big_vision's `configs/common.py::parse_arg`: comma-separated items, each
either a bare flag (`cpu` -> True) or `key=value` with the value parsed as a
Python literal where possible.
"""

import ast


def parse_arg(arg: str | None, **defaults) -> dict:
  """Returns `defaults` updated from `arg`; unknown keys raise ValueError."""
  result = dict(defaults)
  for item in filter(None, (arg or '').split(',')):
    key, sep, value = item.partition('=')
    key = key.strip()
    if key not in defaults:
      raise ValueError(
          f'Unknown config argument {key!r}; known: {sorted(defaults)}.')
    if not sep:
      result[key] = True
      continue
    try:
      result[key] = ast.literal_eval(value)
    except (ValueError, SyntaxError):
      result[key] = value
  return result
