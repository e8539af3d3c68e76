"""Batching of window sources and the training iterator."""

import numpy as np

from seisjax.engine import data
from tests.engine import toy


def test_padded_batches_pad_with_the_last_window():
  source = toy.make_source(10, seed=0)
  batches = list(data.padded_batches(source, 4))
  assert [n for _, n in batches] == [4, 4, 2]
  assert all(x.shape == (4, *toy.SHAPE) for x, _ in batches)
  np.testing.assert_array_equal(
      np.concatenate([x[:n] for x, n in batches]), source.x)
  # Padding repeats the last real window, never zeros (a model that
  # normalises its input would turn those into NaN).
  np.testing.assert_array_equal(batches[-1][0][2:],
                                np.stack([source.x[-1]] * 2))


def test_padded_batches_of_an_array():
  x = np.arange(5.0)[:, None]
  assert [(b[:, 0].tolist(), n) for b, n in data.padded_batches(x, 3)] == [
      ([0.0, 1.0, 2.0], 3), ([3.0, 4.0, 4.0], 2)]


def test_map_batches_calls_one_shape_and_drops_the_padding():
  shapes = set()

  def fn(x):
    shapes.add(x.shape)
    return x.sum(axis=(1, 2))

  source = toy.make_source(10, seed=1)
  np.testing.assert_allclose(data.map_batches(fn, source, 4),
                             source.x.sum(axis=(1, 2)), rtol=1e-6)
  assert shapes == {(4, *toy.SHAPE)}
  # A batch larger than the source shrinks to it.
  shapes.clear()
  assert data.map_batches(fn, source.x[:3], 64).shape == (3,)
  assert shapes == {(3, *toy.SHAPE)}


def test_train_iterator_reshuffles_each_epoch_and_is_seeded():
  source = toy.ArraySource(np.arange(8.0)[:, None, None],
                           np.zeros(8, np.int64))

  def order(seed):
    iterator = data.train_iterator(source, 4, num_epochs=2, seed=seed)
    return [batch['x'][:, 0, 0].tolist() for batch in iterator]

  batches = order(0)
  assert len(batches) == 4  # 2 epochs of 2 batches.
  first, second = sum(batches[:2], []), sum(batches[2:], [])
  assert sorted(first) == sorted(second) == list(range(8))
  assert first != second
  assert order(0) == batches and order(1) != batches
