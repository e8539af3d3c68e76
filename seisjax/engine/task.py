"""What the engine trains: the Task protocol.

The engine (`seisjax.engine.train`) knows no paper. A study hands it a Task,
resolved once at the entry point (`seisjax.registry`), that answers every
question only the study can: where the windows come from, which network,
which loss, which random streams the network draws from, how good a member
is on the validation set, and what to write at the end. A task is an object
with these attributes; `typing.Protocol` makes the contract explicit, so a
new task is checked against it (`isinstance(task, Task)` in the tests) and
the engine is tested on a toy one (tests/engine/).
"""

from typing import Any, Callable, Mapping, Protocol, runtime_checkable

import flax.linen as nn
import numpy as np

from seisjax.engine import data

# (outputs, batch) -> (scalar loss, {name: scalar metric}), both traced.
LossFn = Callable[[Any, dict], tuple[Any, dict]]
# (variables of one member, x (batch, ...)) -> outputs (batch, ...).
PredictFn = Callable[[dict, Any], Any]


@runtime_checkable
class Datasets(Protocol):
  """The data of one run, as a task's `get_datasets` returns it.

  Attributes:
    train: the training windows; the engine shuffles and batches it.
    val: the validation windows, scored by the task's `validate`.
    splits: {split name: sorted record or event ids}, written to run.json:
      the split is by event, and this says which.
    dataset_name, dataset_version: written to run.json.
  """
  train: data.WindowSource
  val: data.WindowSource
  splits: Mapping[str, np.ndarray]
  dataset_name: str
  dataset_version: str


@runtime_checkable
class Task(Protocol):
  """A study's answers to the engine's questions.

  Attributes:
    name: the `config.task` that selects it.
    rng_streams: the random streams the model draws from in training, in a
      fixed order, each with what it changes with: ('random_input', 'epoch')
      is redrawn every epoch, ('dropout', 'step') every step. Stream i
      (from 1) of member m is folded from m's key with i, then with the
      epoch or step, so adding a stream at the end changes no other.
    continuing_fields: config fields (dotted; a prefix covers its subtree)
      whose change in a rerun continues the same run, e.g. evaluation-only
      settings; besides the engine's (`seisjax.engine.workdir.CONTINUING`).
      Any other change is refused in an existing workdir.
  """
  name: str
  rng_streams: tuple[tuple[str, str], ...]
  continuing_fields: tuple[str, ...]

  def check_config(self, config) -> None:
    """Raises `validation.ConfigError` naming any impossible field.

    Called before any work; the engine checks its own fields itself.
    """

  def get_datasets(self, config) -> Datasets:
    """Builds the data if needed and reads every split of `config.data`."""

  def make_model(self, config) -> nn.Module:
    """The network of `config.model` (a Flax Linen module)."""

  def input_shape(self, config) -> tuple[int, ...]:
    """Shape of one window without the batch axis, e.g. (time, channels)."""

  def loss(self, outputs, batch: dict, config) -> tuple[Any, dict]:
    """The training loss of one member's outputs on a batch, and metrics."""

  def make_predict(self, model: nn.Module) -> PredictFn:
    """What the task calls a prediction, from a model's outputs."""

  def validate(self, predict_fn, variables, val, config
               ) -> tuple[np.ndarray, dict]:
    """(score per member, higher is better; {name: per-member values}).

    The score picks each member's best weights and drives early stopping.
    """

  def evaluate(self, config, workdir: str, datasets, predict_fn,
               variables) -> dict:
    """Writes the task's tables and figures; returns the summary.

    The engine adds the best epoch of each member and writes the summary
    to `<workdir>/summary.json`.
    """
