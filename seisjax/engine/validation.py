"""Refusing impossible configs up front, with the field and what it allows.

A batch larger than the training set trains nothing; a stride of 0 or a
negative SNR builds data that mean nothing; such runs used to exit 0 with a
summary of untrained weights, or die deep inside with a traceback. Every
task checks its fields here before any work (`Task.check_config`), and the
engine checks its own (`check_engine_fields`).
"""

import math
from typing import Any, Callable


class ConfigError(ValueError):
  """A config field has a value the run cannot use."""


def get(config, field: str) -> Any:
  """The value of a dotted field of a ConfigDict."""
  value = config
  for key in field.split('.'):
    value = value[key]
  return value


def require(config, field: str, ok: Callable[[Any], bool],
            allowed: str) -> None:
  """Raises ConfigError naming `config.<field>` unless `ok(value)`.

  Args:
    config: the config.
    field: dotted field name, e.g. 'train.batch_size'.
    ok: the test of its value.
    allowed: what is allowed, for the message ('an integer >= 1').
  """
  value = get(config, field)
  try:
    good = ok(value)
  except (TypeError, ValueError):
    good = False
  if not good:
    raise ConfigError(f'config.{field} must be {allowed}, got {value!r}.')


def integer(minimum: int, maximum: float = math.inf):
  """A test for an integer (not a bool) in [minimum, maximum]."""
  return lambda v: (isinstance(v, int) and not isinstance(v, bool)
                    and minimum <= v <= maximum)


def number(minimum: float = -math.inf, maximum: float = math.inf, *,
           above: float | None = None):
  """A test for a finite number in [minimum, maximum] (and > `above`)."""
  def test(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
      return False
    return (math.isfinite(v) and minimum <= v <= maximum
            and (above is None or v > above))
  return test


def one_of(*choices):
  return lambda v: v in choices


def check_engine_fields(config) -> None:
  """The fields the engine reads: members, seed, mesh, train.*."""
  require(config, 'n_members', integer(1), 'an integer >= 1')
  require(config, 'seed', integer(0), 'an integer >= 0')
  for axis in ('member', 'data'):
    require(config, f'mesh.{axis}', lambda v: v == -1 or integer(1)(v),
            'an integer >= 1, or -1 for the devices left over')
  for field in ('batch_size', 'eval_batch_size', 'num_epochs',
                'log_every_steps', 'max_checkpoints'):
    require(config, f'train.{field}', integer(1), 'an integer >= 1')
  require(config, 'train.shuffle_seed', integer(0), 'an integer >= 0')
  require(config, 'train.learning_rate', number(0.0), 'a number >= 0')
  require(config, 'train.optimizer', one_of('adam', 'sgd'),
          "'adam' or 'sgd'")
  if 'lr_schedule' in config.train:
    require(config, 'train.lr_schedule', one_of('constant', 'cosine'),
            "'constant' or 'cosine'")
  if 'patience' in config.train:
    require(config, 'train.patience', integer(0),
            'an integer >= 0 (0: no early stopping)')
  if 'ensemble_way' in config.train:
    require(config, 'train.ensemble_way',
            one_of('auto', 'vmap', 'unroll', 'chain', 'map'),
            "'auto', 'vmap', 'unroll', 'chain' or 'map'")
  if 'microbatches' in config.train:
    require(config, 'train.microbatches',
            lambda v: integer(1)(v) and config.train.batch_size % v == 0,
            f'an integer >= 1 that divides train.batch_size '
            f'({config.train.batch_size})')
