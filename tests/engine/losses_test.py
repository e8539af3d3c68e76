"""The shared classification loss."""

import numpy as np
import pytest

from seisjax.engine import losses


def test_classification_loss_and_accuracy():
  logits = np.log(np.array([[0.25, 0.75], [0.9, 0.1], [0.5, 0.5]]))
  labels = np.array([1, 1, 0])
  value, metrics = losses.classification(logits, labels)
  assert float(value) == pytest.approx(
      -(np.log(0.75) + np.log(0.1) + np.log(0.5)) / 3, rel=1e-6)
  # A tie goes to the first class, as argmax does.
  assert float(metrics['accuracy']) == pytest.approx(2 / 3)
