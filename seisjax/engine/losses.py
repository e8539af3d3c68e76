"""Losses more than one task trains with."""

import jax.numpy as jnp
import optax


def classification(logits, labels):
  """Softmax cross-entropy on integer labels, and the accuracy.

  Args:
    logits: (batch, classes).
    labels: (batch,) integer classes.

  Returns:
    (mean cross-entropy, {'accuracy': share of argmax == label}).
  """
  value = optax.softmax_cross_entropy_with_integer_labels(
      logits, labels).mean()
  correct = jnp.argmax(logits, -1) == labels
  return value, {'accuracy': jnp.mean(correct)}
