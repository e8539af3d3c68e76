"""The P-wave picker task (Ross et al. 2018): regress the pick in a window.

The target is the pick's position in the window, as its offset in seconds
from the centre (so an untrained network starts near the right answer); the
loss is Huber (`config.train.huber_delta`); the validation score is minus
the validation loss, so the best weights and early stopping follow it. The
final evaluation scores the test events' windows with the CNN ensemble and
the ObsPy baselines (seisjax/picking/evaluation.py).
"""

import jax.numpy as jnp
import numpy as np
import optax

from seisjax.engine import ensemble
from seisjax.engine import validation
from seisjax.picking import data as pick_data
from seisjax.picking import evaluation
from seisjax.picking import model as model_lib
from seisjax.picking import records
from seisjax.picking import semisynthetic


class PickerTask:
  """The `seisjax.engine.task.Task` of the P-wave picker."""

  name = 'picker'
  rng_streams = ()  # The network draws no random numbers.
  continuing_fields = ('baselines',)  # Scored beside it, not trained.
  output = 'picks'  # What `make_predict` returns: (batch,) samples.

  def check_config(self, config) -> None:
    pick_data.check_config(config)
    validation.require(config, 'train.huber_delta',
                       validation.number(above=0), 'a number > 0 (s)')

  def get_datasets(self, config) -> pick_data.PickDatasets:
    if config.data.name == pick_data.SEMISYNTHETIC:
      return semisynthetic.get_datasets(config.data)
    return pick_data.get_datasets(config.data)

  def make_model(self, config) -> model_lib.PickerCNN:
    return model_lib.from_config(config.model)

  def input_shape(self, config) -> tuple[int, int]:
    del config
    return model_lib.INPUT_SHAPE

  def loss(self, outputs, batch, config):
    """Huber loss of the pick in seconds; also the mean absolute error."""
    error = outputs - batch['pick']
    value = optax.huber_loss(error, delta=config.train.huber_delta).mean()
    return value, {'mae_s': jnp.abs(error).mean()}

  def make_predict(self, model):
    def predict(variables, x):
      """The pick of each window in samples from its start: (batch,)."""
      offset = model.apply(variables, x, train=False)  # seconds from centre
      return records.WINDOW_SAMPLES // 2 + offset * records.SAMPLING_RATE
    return predict

  def validate(self, predict_fn, variables, val, config):
    """Minus the Huber loss per member (higher is better), and scalars."""
    picks = ensemble.eval_step(predict_fn, variables, val,
                               config.train.eval_batch_size)
    error = (picks - val.picks) / records.SAMPLING_RATE  # (members, n) in s
    val_loss = np.asarray(optax.huber_loss(
        error, delta=config.train.huber_delta)).mean(axis=1)
    return -val_loss, {'val_loss': val_loss,
                       'val_mae_s': np.abs(error).mean(axis=1)}

  def evaluate(self, config, workdir, datasets, predict_fn, variables):
    """Scores the test events' windows, CNN and baselines alike."""
    return evaluation.evaluate_test_events(
        config, workdir, datasets, predict_fn, variables, self.output)


TASK = PickerTask()
