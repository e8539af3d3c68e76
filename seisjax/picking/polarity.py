"""The first-motion polarity task (Ross et al. 2018): down, up or unknown.

The picker's windows and network (seisjax/picking/picker.py) with 3 logits
trained with softmax cross-entropy; the classes of the training and
validation sets are balanced by drawing each class down to the rarest, as
in the paper (seisjax/picking/data.py). The validation score is minus the
validation cross-entropy.
"""

import jax
import numpy as np

from seisjax.engine import ensemble
from seisjax.engine import losses
from seisjax.picking import data as pick_data
from seisjax.picking import evaluation
from seisjax.picking import model as model_lib
from seisjax.picking import semisynthetic


class PolarityTask:
  """The `seisjax.engine.task.Task` of the polarity classifier."""

  name = 'polarity'
  rng_streams = ()  # The network draws no random numbers.
  continuing_fields = ('baselines',)  # Scored beside it, not trained.
  output = 'probs'  # What `make_predict` returns: (batch, 3).

  def check_config(self, config) -> None:
    pick_data.check_config(config)

  def get_datasets(self, config) -> pick_data.PickDatasets:
    if config.data.name == pick_data.SEMISYNTHETIC:
      return semisynthetic.get_datasets(config.data, balance_polarity=True)
    return pick_data.get_datasets(config.data, balance_polarity=True)

  def make_model(self, config) -> model_lib.PickerCNN:
    return model_lib.from_config(config.model)

  def input_shape(self, config) -> tuple[int, int]:
    del config
    return model_lib.INPUT_SHAPE

  def loss(self, logits, batch, config):
    """Softmax cross-entropy on the polarity codes; also the accuracy."""
    del config  # Nothing to configure.
    return losses.classification(logits, batch['label'])

  def make_predict(self, model):
    def predict(variables, x):
      """Class probabilities (down, up, unknown): (batch, 3)."""
      return jax.nn.softmax(model.apply(variables, x, train=False))
    return predict

  def validate(self, predict_fn, variables, val, config):
    """Minus the cross-entropy per member (higher is better), and scalars."""
    probs = ensemble.eval_step(predict_fn, variables, val,
                               config.train.eval_batch_size)  # (m, n, 3)
    labels = val.per_window(val.records.polarity)
    picked = np.take_along_axis(probs, labels[None, :, None], axis=-1)[..., 0]
    val_loss = -np.log(np.maximum(picked, 1e-12)).mean(axis=1)
    return -val_loss, {'val_loss': val_loss,
                       'val_accuracy': (probs.argmax(-1) == labels).mean(1)}

  def evaluate(self, config, workdir, datasets, predict_fn, variables):
    """Scores the test events' windows, CNN and pk_baer alike."""
    return evaluation.evaluate_test_events(
        config, workdir, datasets, predict_fn, variables, self.output)


TASK = PolarityTask()
