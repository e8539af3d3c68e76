r"""Is the precursor accuracy significant? An event-level permutation test.

Ong et al. report accuracies on 7 test events without any uncertainty. The
precursor report puts a bootstrap CI over events on every accuracy
(`stats.bootstrap_ci`); this module adds the test of whether an accuracy
could be chance. `permutation_test(config, workdir)` is an event-level
permutation test of the ensemble's test accuracy, run as one command:

  python -m seisjax.main --config=configs/precursor.py:cpu \
      --workdir=runs/precursor_cpu --config.mode=permutation

It writes `permutation.json` (real accuracy, null accuracies, p-value) and
`permutation_null.png` (the null histogram) to the workdir, and trains in
`<workdir>/permutation/group_*/` (rerun the command to resume).

Null hypothesis. Within every event the noise interval (1) and the precursor
interval (36) are exchangeable: nothing announces the event. Under it,
swapping the two labels of any set of events leaves the joint distribution of
waveforms and labels unchanged.

Statistic. What we report: the test accuracy of an ensemble of k members
(`members_per_null`, by default `config.n_members`) trained on the training
events, best weights chosen on the validation events. A null ensemble runs
the identical procedure on labels XOR flip[event], one coin per event drawn
over *all* events: training, validation and test. The real ensemble is the
identity flip, trained in the same vmapped run. Since the flips form a group
and the procedure is the same (member seeds counting as random draws), the
real and null statistics are exchangeable under the null hypothesis, and
p = (1 + #{null >= real}) / (1 + n_null) is exact; it cannot go below
1 / (1 + n_null), so 19 null ensembles are needed for p = 0.05.

Why flip the test events too, rather than score each null ensemble on the
real test labels: with one coin per event, the training labels of a null
ensemble are unbalanced by chance (7 of 16 events unflipped, say). Where a
signal exists, it then still learns the signal's direction, and its accuracy
on the real test labels goes towards 1 or 0 (on the tiny planted data, one
of 9 such null members scored 0.08): such a null is not null, and the test
loses power as the signal grows. Against its own flipped test labels,
whatever direction it learned meets an independent coin on each test event,
so its accuracy is about 0.5, spread by the few test events. (Scoring
on the real labels and replacing a test event's accuracy a by 1 - a where its
coin is heads is the same thing.) The accuracies on the real test labels are
kept in `permutation.json` under `diagnostics`.

Cost: (1 + n_null) * k members, trained `group_size` at a time (by default
`config.n_members`, the memory of a normal run; larger groups run faster on
a GPU) with per-member labels (`train.fit` with `batch_in_axes`).

Fake-event control: the same pipeline on times without an Mw>=6 event nearby
needs real data. On synthetic data it is the null data set (`snr=0`), on
which the test should give a p-value that is not small.
"""

import dataclasses
import logging
import os
import time

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
import numpy as np

from seisjax.engine import ensemble
from seisjax.engine import train
from seisjax.engine import writers
from seisjax.precursor import data as precursor_data
from seisjax.precursor import stats
from seisjax.precursor import task as task_lib

log = logging.getLogger(__name__)

# Members share the windows of a batch; labels are (batch, members).
PER_MEMBER_LABELS = {'x': None, 'label': 1}


def draw_flips(n_null: int, n_events: int, seed: int) -> np.ndarray:
  """Label flips per event of the real and the null ensembles.

  Args:
    n_null: number of null ensembles.
    n_events: number of events in the data set (all splits).
    seed: seed of the coins.

  Returns:
    (1 + n_null, n_events) bool: row 0 (the real ensemble) flips nothing,
    each other row is a fair coin per event.
  """
  coins = np.random.default_rng(seed).integers(0, 2, (n_null, n_events))
  return np.concatenate([np.zeros((1, n_events), bool), coins.astype(bool)])


def flip_labels(labels, events, flips) -> np.ndarray:
  """Swaps noise and precursor labels of the flipped events.

  Args:
    labels: (n,) NOISE (0), PRECURSOR (1) or UNLABELLED (kept as it is).
    events: (n,) event index of each label, into the columns of `flips`.
    flips: (m, n_events) bool.

  Returns:
    (m, n) int32: labels XOR flips[:, events].
  """
  labels = np.asarray(labels, np.int32)
  flipped = labels ^ np.asarray(flips)[:, np.asarray(events)]
  return np.where(labels == precursor_data.UNLABELLED, labels,
                  flipped).astype(np.int32)


def ensemble_accuracies(probs, labels, members_per_ensemble: int,
                        threshold: float = 0.5) -> np.ndarray:
  """Accuracy of consecutive groups of members, each on its own labels.

  Args:
    probs: (n_ensembles * members_per_ensemble, n) precursor probabilities.
    labels: (n_ensembles, n) labels of each ensemble.
    members_per_ensemble: k; members i*k ... i*k + k - 1 form ensemble i.
    threshold: as in `stats.ensemble_predict` (mean probability above it).

  Returns:
    (n_ensembles,) accuracies.
  """
  probs = np.asarray(probs, np.float64)
  labels = np.asarray(labels)
  k = members_per_ensemble
  if probs.shape != (labels.shape[0] * k, labels.shape[1]):
    raise ValueError(f'probs {probs.shape} must be ({labels.shape[0]} * {k}, '
                     f'{labels.shape[1]}) to match labels {labels.shape}.')
  mean = probs.reshape(labels.shape[0], k, -1).mean(axis=1)
  return (stats.predict(mean, threshold) == labels).mean(axis=1)


def p_value(real: float, null) -> float:
  """(1 + #{null >= real}) / (1 + n_null): ties count against the real."""
  null = np.asarray(null)
  return float((1 + np.sum(null >= real)) / (1 + null.size))


def plot_null(null, real: float, p: float, path, title: str = '') -> None:
  """Histogram of the null accuracies with the real one marked."""
  fig = Figure(figsize=(5.5, 3.6))
  ax = fig.add_subplot()
  ax.hist(np.asarray(null), bins=np.linspace(0, 1, 41), color='C0',
          alpha=0.8, label=f'null ensembles ({len(null)})')
  ax.axvline(real, color='C3', linewidth=2,
             label=f'real: {real:.3f}, p = {p:.3g}')
  ax.set_xlim(0, 1)
  ax.set_xlabel('Test accuracy')
  ax.set_ylabel('Null ensembles')
  ax.yaxis.set_major_locator(MaxNLocator(integer=True))
  ax.set_title(title)
  ax.legend(loc='upper left', fontsize=8)
  fig.tight_layout()
  writers.save_figure(fig, path)


def with_member_labels(window_set, flips):
  """`window_set` with each member's labels: (members, n_spans)."""
  return dataclasses.replace(
      window_set,
      labels=flip_labels(window_set.labels, window_set.events, flips))


def permutation_test(config, workdir: str, n_null: int | None = None,
                     group_size: int | None = None,
                     members_per_null: int | None = None,
                     seed: int | None = None) -> dict:
  """Event-level permutation test of the precursor ensemble's test accuracy.

  See the module docstring for the null hypothesis and the statistic.

  Args:
    config: a precursor config; `config.permutation` holds the defaults of
      the other arguments (0 for the sizes means `config.n_members`).
    workdir: where the groups train and the results go.
    n_null: number of null ensembles.
    group_size: members trained at once; need not be a multiple of the
      ensemble size, but it and the last, smaller group must divide over
      the mesh's member axis.
    members_per_null: k, the size of the real and of each null ensemble.
    seed: seed of the label flips.

  Returns:
    What `permutation.json` holds.
  """
  if config.task != 'precursor':
    raise ValueError(f'The permutation test is for the precursor task, not '
                     f'{config.task!r}.')
  start_time = time.perf_counter()
  options = config.permutation
  n_null = options.n_null if n_null is None else n_null
  k = members_per_null or options.members_per_null or config.n_members
  group_size = group_size or options.group_size or config.n_members
  seed = options.seed if seed is None else seed
  task = task_lib.TASK
  datasets = task.get_datasets(config)
  test = precursor_data.labelled(datasets.test_all)
  if np.any(datasets.train.intervals == 0):
    raise ValueError('The permutation test swaps the two labels of each '
                     'record; noise B windows have no precursor to swap '
                     'with. Run it with --config.data.n_noise_b=0.')
  n_records = 1 + max(int(v.max()) for v in datasets.splits.values()
                      if len(v))
  flips = draw_flips(n_null, n_records, seed)  # (1 + n_null, records)
  member_flips = np.repeat(flips, k, axis=0)  # (members, events)
  n_members = len(member_flips)
  n_groups = -(-n_members // group_size)
  log.info('Permutation test: the real ensemble and %d null ensembles of %d '
           'members, %d members in %d groups of up to %d.', n_null, k,
           n_members, n_groups, group_size)
  probs = []
  for g in range(n_groups):
    members = slice(g * group_size, min((g + 1) * group_size, n_members))
    group_config = config.copy_and_resolve_references()
    group_config.n_members = members.stop - members.start
    # Member j of the test has seed config.seed + j: the real ensemble's
    # members are those of `train_and_evaluate` with this config.
    group_config.seed = config.seed + members.start
    group = dataclasses.replace(
        datasets,
        train=with_member_labels(datasets.train, member_flips[members]),
        val=with_member_labels(datasets.val, member_flips[members]))
    log.info('Group %d of %d: members %d-%d.', g + 1, n_groups,
             members.start, members.stop - 1)
    predict_fn, variables, _ = train.fit(
        group_config, os.path.join(workdir, 'permutation', f'group_{g:03d}'),
        task, group, batch_in_axes=PER_MEMBER_LABELS)
    probs.append(ensemble.eval_step(predict_fn, variables, test,
                                    config.train.eval_batch_size))
  probs = np.concatenate(probs)  # (members, test windows)

  labels = test.per_window(test.labels)  # (windows,)
  events = test.per_window(test.events)  # (windows,)
  accuracies = ensemble_accuracies(probs, flip_labels(labels, events, flips),
                                   k)
  real, null = float(accuracies[0]), accuracies[1:]
  p = p_value(real, null)
  real_correct = stats.ensemble_predict(probs[:k]) == labels
  on_true_labels = ensemble_accuracies(
      probs, np.broadcast_to(labels, (len(flips), labels.size)), k)[1:]
  result = {
      'statistic': (f'test accuracy of an ensemble of {k} members on the '
                    f'{labels.size} labelled windows of '
                    f'{len(datasets.splits["test"])} test events'),
      'members_per_ensemble': k,
      'n_null': n_null,
      'real_accuracy': real,
      'real_accuracy_ci': list(
          stats.bootstrap_ci(real_correct, events)[1:]),
      'null_accuracies': null.tolist(),
      'null_mean': float(null.mean()) if n_null else None,
      'null_std': float(null.std()) if n_null else None,
      'p_value': p,
      'min_p_value': 1 / (1 + n_null),
      'flip_seed': seed,
      'flips': flips.astype(int).tolist(),
      'test_events': datasets.splits['test'].tolist(),
      'diagnostics': {
          # Not the statistic (module docstring): the null ensembles'
          # accuracy on the real test labels, which follows the share of
          # their training events left unflipped where there is a signal.
          'null_accuracies_on_true_test_labels': on_true_labels.tolist(),
          'null_unflipped_train_fraction': (
              1 - flips[1:, datasets.splits['train']].mean(axis=1)).tolist(),
      },
      'seconds': time.perf_counter() - start_time,
  }
  writers.write_json(result, os.path.join(workdir, 'permutation.json'))
  plot_null(null, real, p, os.path.join(workdir, 'permutation_null.png'),
            title=f'Event-level permutation test, ensembles of {k}')
  log.info('Real ensemble: test accuracy %.4f (95 %% CI %.4f-%.4f); %d null '
           'ensembles: %.4f +- %.4f; p = %.4g.', real,
           *result['real_accuracy_ci'], n_null, result['null_mean'] or 0,
           result['null_std'] or 0, p)
  return result
