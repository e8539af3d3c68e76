"""The event-level permutation test: label flips, per-member labels, runs.

The bootstrap intervals over events are tested in stats_test.py.
"""

import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from configs import precursor
from seisjax.engine import data as engine_data
from seisjax.engine import ensemble
from seisjax.engine import train
from seisjax.precursor import data as precursor_data
from seisjax.precursor import significance
from seisjax.precursor import task as precursor_task


# --- label flips and the statistic ----------------------------------------


def test_flip_labels_swaps_the_flipped_events_only():
  labels = [0, 1, 0, 1, -1]
  events = [0, 0, 2, 2, 2]
  flips = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 1]], bool)
  np.testing.assert_array_equal(
      significance.flip_labels(labels, events, flips),
      [[0, 1, 0, 1, -1],
       [1, 0, 0, 1, -1],  # Event 0 swapped.
       [0, 1, 1, 0, -1]])  # Event 2 swapped, the unlabelled window kept.


def test_draw_flips():
  flips = significance.draw_flips(200, 30, seed=1)
  assert flips.shape == (201, 30) and flips.dtype == bool
  assert not flips[0].any()  # The real ensemble.
  assert 0.45 < flips[1:].mean() < 0.55
  assert len({row.tobytes() for row in flips}) == 201
  np.testing.assert_array_equal(flips, significance.draw_flips(200, 30, 1))
  assert (flips != significance.draw_flips(200, 30, 2)).any()


def test_member_labels_reach_the_batches():
  # Span i holds the value i, so a batch says which span each window is.
  n_spans, n_windows = 6, 3
  window_set = precursor_data.IntervalWindows(
      spans=np.repeat(np.arange(n_spans, dtype=np.float32), 40).reshape(
          n_spans, 40, 1),
      events=np.array([4, 4, 7, 7, 9, 9]), intervals=np.array([1, 36] * 3),
      labels=np.array([0, 1] * 3, np.int32), window=20, stride=10,
      n_windows=n_windows)
  flips = significance.draw_flips(3, 10, seed=0)  # (4, 10): 4 members
  member_set = significance.with_member_labels(window_set, flips)
  iterator = engine_data.train_iterator(member_set, batch_size=6,
                                        num_epochs=1, seed=0)
  for batch in iterator:
    span = batch['x'][:, 0, 0].astype(int)  # (batch,)
    assert batch['label'].shape == (6, 4)  # (batch, members)
    expected = window_set.labels[span][:, None] ^ flips[:, window_set.events[
        span]].T
    np.testing.assert_array_equal(batch['label'], expected)
  assert flips[1:, [4, 7, 9]].any()  # Some event is swapped for someone.


def test_ensemble_accuracies_and_p_value():
  probs = np.array([[0.9, 0.1, 0.6, 0.2],  # Ensemble 0: means
                    [0.7, 0.3, 0.2, 0.4],  # 0.8 0.2 0.4 0.3 -> 1 0 0 0
                    [0.1, 0.9, 0.5, 0.5],  # Ensemble 1: means
                    [0.2, 0.8, 0.5, 0.6]])  # 0.15 0.85 0.5 0.55 -> 0 1 0 1
  labels = np.array([[1, 0, 0, 1], [0, 1, 0, 1]])
  np.testing.assert_allclose(
      significance.ensemble_accuracies(probs, labels, 2), [0.75, 1.0])
  np.testing.assert_allclose(
      significance.ensemble_accuracies(probs, labels[[0, 0, 0, 0]], 1),
      [0.5, 0.75, 0.25, 0.5])
  with pytest.raises(ValueError, match='must be'):
    significance.ensemble_accuracies(probs, labels, 1)
  assert significance.p_value(0.9, [0.5, 0.6, 0.95]) == 0.5
  assert significance.p_value(0.9, [0.5, 0.6, 0.9]) == 0.5  # Ties count.
  assert significance.p_value(0.9, np.full(19, 0.5)) == 0.05


# --- the engine with per-member labels -------------------------------------


def test_per_member_labels_step_equals_shared_label_runs():
  config = precursor.get_config('tiny')
  model = precursor_task.TASK.make_model(config)
  tx = optax.sgd(1e-2, momentum=0.9)  # See train_test: Adam amplifies noise.
  shape = (256, 3)  # Short windows: the compilations stay quick.
  rng = np.random.default_rng(0)
  x = [rng.normal(size=(8, *shape)).astype(np.float32) for _ in range(2)]
  y = [rng.integers(0, 2, 8).astype(np.int32) for _ in range(2)]
  mesh = ensemble.make_mesh(1, 1, devices=jax.devices()[:1])
  member_step = train.make_train_step(precursor_task.TASK, config)
  initial = ensemble.create_ensemble(model, tx, shape, [0, 1], mesh)
  shared_step = ensemble.jit_ensemble_step(member_step, mesh)

  def run(step, labels):
    state = jax.tree.map(jnp.copy, initial)  # The step donates its input.
    for i in range(2):
      state, _ = step(state, {'x': x[i], 'label': labels[i]}, jnp.int32(i))
    return jax.tree.map(np.asarray, state.params)

  # Member 0 keeps the labels, member 1 has them swapped: (batch, members).
  both = run(ensemble.jit_ensemble_step(member_step, mesh,
                                        significance.PER_MEMBER_LABELS),
             [np.stack([l, 1 - l], axis=1) for l in y])
  kept = run(shared_step, y)
  swapped = run(shared_step, [1 - l for l in y])
  close = lambda a, b: np.testing.assert_allclose(a, b, atol=2e-5)
  jax.tree.map(lambda b, k: close(b[0], k[0]), both, kept)
  jax.tree.map(lambda b, s: close(b[1], s[1]), both, swapped)
  gaps = jax.tree.map(lambda b, k: np.abs(b[1] - k[1]).max(), both, kept)
  assert max(jax.tree.leaves(gaps)) > 1e-3  # The swapped labels mattered.


# --- permutation_test end to end --------------------------------------------


def test_permutation_groups_and_seeds(data_dir, tiny_config, tmp_path):
  # k = 2: the real ensemble and one null one, 4 members in groups of 3 + 1.
  config = tiny_config(data_dir, num_epochs=1)
  workdir = str(tmp_path)
  result = significance.permutation_test(config, workdir, n_null=1,
                                         group_size=3, members_per_null=2)
  for g, (n_members, seed) in enumerate([(3, 0), (1, 3)]):
    with open(os.path.join(workdir, 'permutation', f'group_{g:03d}',
                           'config.json')) as f:
      group_config = json.load(f)
    assert (group_config['n_members'], group_config['seed']) == (n_members,
                                                                 seed)
  with open(os.path.join(workdir, 'permutation.json')) as f:
    written = json.load(f)
  assert written['members_per_ensemble'] == 2
  assert len(written['null_accuracies']) == 1
  assert written['p_value'] in (0.5, 1.0)
  assert np.shape(written['flips']) == (2, config.data.n_events)
  assert not any(written['flips'][0])
  assert os.path.getsize(os.path.join(workdir, 'permutation_null.png')) > 1000
  assert written['null_accuracies'] == result['null_accuracies']


def _permutation(tiny_config, data_dir, arg, workdir):
  # Single-member ensembles keep the test at 10 tiny models per data set.
  config = tiny_config(data_dir, arg)
  return significance.permutation_test(config, workdir, n_null=9,
                                       group_size=10, members_per_null=1)


def test_permutation_test_finds_planted_signal(data_dir, tiny_config,
                                               tmp_path):
  result = _permutation(tiny_config, data_dir, 'tiny', str(tmp_path))
  assert result['real_accuracy'] >= 0.75
  assert result['p_value'] <= 0.1  # The real model beats all 9 nulls.
  null = np.asarray(result['null_accuracies'])
  assert 0.3 <= null.mean() <= 0.7
  assert null.std() > 0  # The null members did train differently.


def test_permutation_test_on_null_data_is_not_significant(data_dir,
                                                          tiny_config,
                                                          tmp_path):
  result = _permutation(tiny_config, data_dir, 'tiny,snr=0', str(tmp_path))
  assert 0.3 <= result['real_accuracy'] <= 0.7
  assert result['p_value'] > 0.1
