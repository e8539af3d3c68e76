"""The paper's section-6 analyses as evaluators built from `config.evals`.

Each class takes the shared `common.Context` and its config entry's fields,
and `run(prefix)` writes `<prefix>.csv` / `<prefix>.png` (and variants) and
yields `(name, value)` pairs. Windows come from the test events of the run
(`context.datasets.test_all`), normalised exactly as in training.
"""

import numpy as np

from seisjax.engine import writers
from seisjax.precursor import data as precursor_data
from seisjax.precursor import windowing
from seisjax.precursor.analyses import common
from seisjax.precursor.analyses import filters
from seisjax.precursor.analyses import occlusion
from seisjax.precursor.analyses import sequential
from seisjax.precursor.analyses import spectra


def _event_windows(context: common.Context, event: int, intervals):
  """Windows of one test event in time order, with their end times.

  Args:
    context: the analysis context.
    event: index into the run's test events (0 = the first test event).
    intervals: 1-based intervals to take, ascending.

  Returns:
    (windows (n, time, 3), end_time_s (n,) relative to the event, and
    record_start (n,) sample of each window in the event's stored record).
  """
  ws, data = context.datasets.test_all, context.data
  event_id = context.datasets.splits['test'][event]
  starts = windowing.window_starts(
      ws.spans.shape[1], ws.window, ws.stride, ws.n_windows)
  windows, end_times, record_starts = [], [], []
  for interval in intervals:
    span = np.flatnonzero((ws.events == event_id) &
                          (ws.intervals == interval))[0]
    for w, start in enumerate(starts):
      windows.append(ws[span * ws.n_windows + w]['x'])
      end = (interval - data.n_intervals) * data.interval_samples - (
          ws.n_windows - 1 - w) * ws.stride
      end_times.append(end / data.sampling_rate)
      record_starts.append((interval - 1) * data.interval_samples + start)
  return np.stack(windows), np.asarray(end_times), np.asarray(record_starts)


def _planted(context: common.Context, event: int):
  """The precursor planted in a synthetic test event's record, (n, 3)."""
  return precursor_data.planted_precursor(
      context.data, int(context.datasets.splits['test'][event]))


@common.register('sequential')
class Sequential:
  """Fig. 6: scores of consecutive windows of a test event."""

  def __init__(self, context, event=0, first_interval=25):
    self.context, self.event, self.first = context, event, first_interval

  def run(self, prefix) -> common.Yields:
    windows, end_times, _ = _event_windows(
        self.context, self.event,
        range(self.first, self.context.data.n_intervals + 1))
    result = sequential.sequential_scores(
        self.context.predict_fn, windows, end_times,
        self.context.batch_size)
    writers.write_columns({'end_time_s': result['end_time_s'],
                           'score': result['score']}, f'{prefix}.csv')
    sequential.plot_sequential(result, f'{prefix}.png',
                               title=f'Test event {self.event}')
    yield 'largest_rise_time_s', result['largest_rise_time_s']
    yield 'largest_rise', result['rise']


@common.register('time_occlusion')
class TimeOcclusion:
  """Fig. 7: a zero mask slid along the window ending at the origin time.

  On synthetic data the CSV also gives the energy of the planted precursor
  under each mask position, and `planted_correlation` correlates it with the
  score drop when all channels are masked.
  """

  def __init__(self, context, mask=400, stride=400, event=0):
    self.context, self.mask, self.stride, self.event = (context, mask, stride,
                                                        event)

  def run(self, prefix) -> common.Yields:
    data = self.context.data
    windows, _, record_starts = _event_windows(self.context, self.event,
                                               [data.n_intervals])
    window, record_start = windows[-1], record_starts[-1]
    result = occlusion.time_occlusion(
        self.context.predict_fn, window, self.mask, self.stride,
        batch_size=self.context.batch_size,
        sampling_rate=data.sampling_rate)
    drop = occlusion.occlusion_drop(result)
    columns = {'start': result['start'], 'time_s': result['time_s']}
    columns.update({f'score_{c}': result['scores'][:, i]
                    for i, c in enumerate(occlusion.CASES)})
    columns['drop_all'] = drop[:, -1]
    if data.snr > 0:
      planted = _planted(self.context, self.event)[
          record_start:record_start + len(window)]
      energy = np.array([np.sum(planted[s:s + self.mask] ** 2)
                         for s in result['start']])
      columns['planted_energy'] = energy
      yield 'planted_correlation', float(np.corrcoef(energy, drop[:, -1])[0,
                                                                         1])
    writers.write_columns(columns, f'{prefix}.csv')
    occlusion.plot_time_occlusion(
        window, result, f'{prefix}.png', data.sampling_rate,
        title=f'Test event {self.event}, window ending at the origin time')
    yield 'unmasked_score', result['unmasked']
    yield 'largest_drop_time_s', float(result['time_s'][np.argmax(
        drop[:, -1])])


@common.register('spectrogram')
class Spectrogram:
  """Fig. 9: STFTs of precursor windows of a test event, with their scores.

  The windows are the last one of each of the last `n_windows` intervals
  (one interval apart), so the figure follows the precursor as it grows.
  """

  def __init__(self, context, event=0, n_windows=6, window=1000, stride=500):
    self.context, self.event, self.n = context, event, n_windows
    self.window, self.stride = window, stride

  def run(self, prefix) -> common.Yields:
    data = self.context.data
    windows, end_times, _ = _event_windows(
        self.context, self.event,
        range(data.n_intervals - self.n + 1, data.n_intervals + 1))
    per_interval = self.context.datasets.test_all.n_windows
    last = np.arange(1, self.n + 1) * per_interval - 1
    windows, end_times = windows[last], end_times[last]
    scores = sequential.sequential_scores(
        self.context.predict_fn, windows, end_times,
        self.context.batch_size)['score']
    spec, freqs, times = sequential.spectrogram(
        windows, self.window, self.stride, data.sampling_rate)
    sequential.plot_spectrogram(spec, freqs, times, scores, end_times,
                                f'{prefix}.png',
                                title=f'Test event {self.event}')
    writers.write_columns({'end_time_s': end_times, 'score': scores},
                          f'{prefix}.csv')
    yield 'scores', scores


def labelled_test_windows(context: common.Context, max_windows: int,
                           seed: int = 0):
  """Labelled test windows, or a class-balanced random subset of them."""
  ws = context.datasets.test_all
  labels = ws.per_window(ws.labels)
  index = np.flatnonzero(labels != precursor_data.UNLABELLED)
  if max_windows and max_windows < len(index):
    rng = np.random.default_rng(seed)
    index = np.sort(np.concatenate([
        rng.choice(index[labels[index] == c], max_windows // 2, replace=False)
        for c in (precursor_data.NOISE, precursor_data.PRECURSOR)]))
  return np.stack([ws[i]['x'] for i in index]), labels[index]


@common.register('frequency_sweep')
class FrequencySweep:
  """Fig. 8: test accuracy and loss under Butterworth filters (8th order).

  Low-pass cut-offs from Nyquist (no filter) down to `step` in steps of
  `step` Hz, as in the paper; high-pass and band-stop (stop bands `width`
  wide, centred on the same frequencies) are our additions.
  """

  def __init__(self, context, btype='lowpass', step=0.1, width=0.1,
               max_windows=0):
    self.context, self.btype, self.step = context, btype, step
    self.width, self.max_windows = width, max_windows

  def run(self, prefix) -> common.Yields:
    data = self.context.data
    windows, labels = labelled_test_windows(self.context, self.max_windows)
    result = filters.frequency_sweep(
        self.context.predict_fn, windows, labels,
        filters.default_cutoffs(data.sampling_rate, self.step), self.btype,
        self.context.batch_size, data.sampling_rate, stop_width=self.width)
    writers.write_columns(result, f'{prefix}.csv')
    probs = sequential.predict_batches(self.context.predict_fn, windows,
                                       self.context.batch_size)
    baseline = float(np.mean((probs > 0.5) == labels))
    yield 'n_windows', len(labels)
    yield 'unfiltered_accuracy', baseline
    if self.btype == 'lowpass':
      drop = filters.drop_cutoff(result['cutoff'], result['accuracy'],
                                 baseline)
      yield 'drop_cutoff_hz', drop
    else:
      drop = None
      worst = np.argmin(result['accuracy'])
      yield 'lowest_accuracy_cutoff_hz', float(result['cutoff'][worst])
    label = {'lowpass': 'Low-pass cut-off', 'highpass': 'High-pass cut-off',
             'bandstop': f'Centre of a {self.width} Hz stop band'}[self.btype]
    filters.plot_frequency_sweep(result, f'{prefix}.png', drop=drop,
                                 xlabel=f'{label} (Hz)',
                                 title=f'{len(labels)} test windows')


@common.register('spectra')
class Spectra:
  """Figs. 10, 11: cumulative amplitude spectra of noise and precursor.

  Over all windows and channels of the labelled intervals, separately for
  the training and the test events; the relative difference (precursor -
  noise) / noise, Savitzky-Golay smoothed over `smooth_hz`, and the peaks
  that stand out against event-level label swaps (`spectra.peak_test`).
  Every event has as many noise as precursor windows, so sums compare.
  """

  def __init__(self, context, smooth_hz=0.062, n_permutations=999):
    self.context, self.smooth_hz = context, smooth_hz
    self.n_permutations = n_permutations

  def run(self, prefix) -> common.Yields:
    datasets, rate = self.context.datasets, self.context.data.sampling_rate
    for split, ws in (('train', datasets.train),
                      ('test', precursor_data.labelled(datasets.test_all))):
      by_event = []
      for event in np.unique(ws.events):
        spans = np.flatnonzero(ws.events == event)
        index = (spans[:, None] * ws.n_windows
                 + np.arange(ws.n_windows)).ravel()
        by_event.append(spectra.cumulative_spectra(
            np.stack([ws[i]['x'] for i in index]),
            ws.per_window(ws.labels[spans]), rate, self.context.batch_size))
      freqs = by_event[0].freqs
      noise = np.stack([c.noise for c in by_event])  # (events, n_freq)
      precursor = np.stack([c.precursor for c in by_event])
      test = spectra.peak_test(freqs, noise, precursor, self.n_permutations,
                               smooth_hz=self.smooth_hz)
      diff = spectra.relative_difference(noise.sum(0), precursor.sum(0))
      smoothed = spectra.smooth(diff, freqs, self.smooth_hz)
      writers.write_columns({
          'frequency_hz': freqs, 'noise': noise.sum(0),
          'precursor': precursor.sum(0), 'relative_difference_pct': diff,
          'smoothed_pct': smoothed}, f'{prefix}_{split}.csv')
      spectra.plot_spectra(freqs, noise.sum(0), precursor.sum(0), diff,
                           smoothed, test.peaks_hz, f'{prefix}_{split}.png',
                           title=f'{split}: {len(by_event)} events, p = '
                           f'{test.p_value:.3g}')
      yield f'{split}_peaks_hz', test.peaks_hz
      yield f'{split}_top_peak_hz', test.top_hz
      yield f'{split}_p_value', test.p_value
