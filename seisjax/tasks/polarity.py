"""The first-motion polarity task (Ross et al. 2018): down, up or unknown.

Data, windows and evaluation are the picker's (seisjax/tasks/picker.py);
the network ends in 3 logits trained with softmax cross-entropy, and the
training and validation classes are balanced (seisjax/picking/pipeline.py).
The validation score is minus the validation cross-entropy.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax

from seisjax import ensemble
from seisjax.tasks.picker import evaluate, get_datasets, input_shape  # pylint: disable=unused-import


def loss(logits, batch, config):
  """Softmax cross-entropy on the polarity codes; also the accuracy."""
  del config  # Nothing to configure.
  value = optax.softmax_cross_entropy_with_integer_labels(
      logits, batch['label']).mean()
  return value, {'accuracy': jnp.mean(jnp.argmax(logits, -1)
                                      == batch['label'])}


def make_predict(model):
  def predict(variables, x):
    """Class probabilities (down, up, unknown): (batch, 3)."""
    return jax.nn.softmax(model.apply(variables, x, train=False))
  return predict


def validate(predict_fn, variables, val, config):
  """Minus the cross-entropy per member (higher is better), and scalars."""
  probs = ensemble.eval_step(predict_fn, variables, val,
                             config.train.eval_batch_size)  # (members, n, 3)
  labels = val.per_window(val.records.polarity)
  picked = np.take_along_axis(probs, labels[None, :, None], axis=-1)[..., 0]
  val_loss = -np.log(np.maximum(picked, 1e-12)).mean(axis=1)
  return -val_loss, {'val_loss': val_loss,
                     'val_accuracy': (probs.argmax(-1) == labels).mean(1)}
