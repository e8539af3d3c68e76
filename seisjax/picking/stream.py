"""P picks and first-motion polarities on ObsPy Streams (Ross et al. 2018).

`pick(stream, picker, polarity)` returns `obspy.core.event.Pick` objects, the
shape of SeisBench's `classify`; `write_quakeml` stores them as one event.

Per station (network.station.location) one vertical channel is used: the
first component code of `components` found ('Z' by default; SEED's '3' and
'U' are only vertical on some instruments, U/V/W are Galperin-oblique, so
they are opt-in), and among channels with that code the highest rate.
Each contiguous segment of it is preprocessed as the training records were
(`records.preprocess`: detrend, 100 Hz, causal 1-20 Hz), a recursive STA/LTA
proposes onsets, and the picker ensemble places the pick in the 4 s window
centred on each, then again in the window centred on its own pick
(`refine` times). The member mean is the pick, the member standard deviation
(at least one sample) its uncertainty. The polarity ensemble classifies the
window centred on the final pick by its mean class probabilities.

Long segments (a day of continuous data) are picked in chunks of `chunk`
seconds (an hour by default) so that the work arrays do not grow with the
trace: each chunk is preprocessed and triggered with a lead of 30 LTA
lengths (150 s) plus room for its windows before it and a tail of room
after it, and keeps only the trigger onsets in its own part; the own parts
tile the segment, so no onset is picked twice. Within the lead the chunk
forgets its start (its own detrend, the STA/LTA restart), so the picks are
those of the whole segment to float rounding; only a trigger still on when
a lead begins (STA/LTA above `off` for over 150 s) could differ. Each
onset keeps the few seconds of preprocessed data its windows can reach,
and the onsets of many chunks and segments are picked together, in
batches of at least BATCH_TRIGGERS: an ensemble call costs a padded batch
however few windows it holds. A re-centring that would take a window out
of the data its onset keeps (only a picker answering outside its window
can ask for one) is refused, as one leaving the segment is. After each
chunk an INFO line logs progress, rate and ETA. `chunk=None` picks every
segment whole. The stream itself stays in memory as read (a day of 100 Hz
int32 samples is 35 MB).

Bad input, error or documented skip (skips are logged as warnings):
  * empty stream, or no station with a vertical channel: ValueError listing
    the channels found; stations without one when others have one: skipped.
  * a vertical trace below 40 Hz, or with NaN / infinite samples: ValueError
    naming the trace (dropping it would hide a data problem).
  * gaps and overlaps: the contiguous segments are picked separately; P in a
    gap, or within `TriggerConfig.lta` of a segment start (where the LTA is
    still warming up and ObsPy zeroes the STA/LTA), is not picked.
  * segments shorter than a window (4 s at 100 Hz): skipped.
  * onsets closer than half a window (2 s) to a segment end: skipped; so are
    picks the picker places outside their window.
"""

import dataclasses
import fractions
import logging
import math
from typing import Protocol

import numpy as np
import obspy
from obspy.core import event as qml
from obspy.signal import trigger as obspy_trigger

from seisjax.engine import writers
from seisjax.picking import records

log = logging.getLogger(__name__)

RATE = records.SAMPLING_RATE
HALF = records.WINDOW_SAMPLES // 2
METHOD_ID = 'smi:local/seisjax/picker'
QUAKEML_POLARITY = {records.DOWN: 'negative', records.UP: 'positive',
                    records.UNKNOWN: 'undecidable'}
CHUNK_S = 3600.0  # Default chunk of a long segment, in seconds.
# Each chunk starts this many LTA lengths before the data it picks: the
# recursive LTA forgets the chunk's start (LTA 0, ratio zeroed, then
# inflated) by exp(-30), even after a step of 1e6 x the noise energy where
# the chunk's own detrend leaves an offset; the 1-20 Hz filter's
# transients die within seconds.
WARMUP_LTAS = 30
RESAMPLE_REACH_S = 2.0  # > half of resample_poly's FIR at any rate >= 40 Hz
# Triggers are gathered over chunks and picked in batches of at least this
# many: an ensemble call costs a whole padded batch however few windows it
# holds (a day of noise has a few triggers an hour).
BATCH_TRIGGERS = 512


class Ensemble(Protocol):
  """A trained ensemble (seisjax.picking.inference.load_ensemble)."""

  task: str  # 'picker' or 'polarity'

  def __call__(self, windows: np.ndarray) -> np.ndarray:
    """(n, WINDOW_SAMPLES) preprocessed windows, not normalised.

    Returns (members, n) pick samples in each window for a picker, or
    (members, n, 3) probabilities of down, up, unknown for polarity.
    """


@dataclasses.dataclass(frozen=True)
class TriggerConfig:
  """Recursive STA/LTA on the preprocessed (1-20 Hz, 100 Hz) trace.

  The trigger only has to put P inside the picker's window (within the
  +-0.5 s the picker was trained on), so short windows for local P: an STA
  of a few periods of a 1-20 Hz onset, an LTA long enough for the noise.

  Attributes:
    sta, lta: window lengths in seconds.
    on, off: STA/LTA ratios that switch a trigger on and off.
  """
  sta: float = 0.5
  lta: float = 5.0
  on: float = 3.5
  off: float = 1.5


def pick(stream: obspy.Stream, picker: Ensemble,
         polarity: Ensemble | None = None, *,
         trigger: TriggerConfig = TriggerConfig(), refine: int = 1,
         min_separation: float = 1.0,
         components: str = 'Z',
         chunk: float | None = CHUNK_S) -> list[qml.Pick]:
  """P picks (and polarities) on the vertical channels of a stream.

  Args:
    stream: any channels of any stations; only vertical ones are used.
    picker: an ensemble with task 'picker'.
    polarity: an ensemble with task 'polarity', or None for no polarities.
    trigger: STA/LTA settings that propose the windows.
    refine: how many times to re-centre the window on the pick and pick
      again (0: one pass on the trigger window).
    min_separation: seconds; of picks on one channel closer than this only
      the one with the smallest uncertainty (then the earliest) is kept.
    components: accepted vertical component codes, in order of preference.
    chunk: seconds; longer segments are picked in chunks of this length
      (see the module docstring); None picks every segment in one piece.

  Returns:
    Picks sorted by time (see the module docstring for what is skipped).

  Raises:
    ValueError: for the bad input listed in the module docstring, or an
      ensemble of the wrong task or output shape.
  """
  _check_task(picker, 'picker')
  if polarity is not None:
    _check_task(polarity, 'polarity')
  if chunk is not None and not chunk > 0:
    raise ValueError(f'chunk={chunk}: expected a positive number of seconds '
                     'or None.')
  # Every trace is checked before any picking, so bad data fails at once.
  plans = [(segment, _chunks(segment, chunk, trigger, refine))
           for traces in _vertical_traces(stream, components)
           for segment in _segments(traces)]
  total = sum(len(chunks) for _, chunks in plans)
  progress = None
  if total > len(plans):  # long work: a progress line after each chunk
    progress = writers.Progress(total, chunk, unit='s of data')
  picks, pending, done = [], [], 0
  for segment, chunks in plans:
    for c in chunks:
      pending.extend(_triggers(segment, c, trigger, refine))
      if len(pending) >= BATCH_TRIGGERS:
        picks.extend(_pick_triggers(pending, picker, polarity, refine))
        pending = []
      done += 1
      if progress is not None:
        log.info('%s from %s: %s', segment.id, segment.stats.starttime,
                 progress.line(done))
  picks.extend(_pick_triggers(pending, picker, polarity, refine))
  picks = _merge_close(picks, min_separation)
  return sorted(picks, key=lambda p: (p.time, p.waveform_id.get_seed_string()))


def write_quakeml(picks: list[qml.Pick], path: str) -> None:
  """Writes the picks as one event of a QuakeML catalog."""
  catalog = qml.Catalog(events=[qml.Event(picks=list(picks))])
  with writers.atomic_path(path) as tmp:
    catalog.write(tmp, format='QUAKEML')


def _check_task(ensemble, task):
  found = getattr(ensemble, 'task', None)
  if found != task:
    raise ValueError(f'Expected a {task} ensemble, got task {found!r}: are '
                     'the picker and polarity workdirs swapped?')


def _vertical_traces(stream, components):
  """One Stream per station: the traces of its chosen vertical channel."""
  if not len(stream):
    raise ValueError('The stream holds no traces.')
  stations = {}
  for tr in stream:
    key = '.'.join((tr.stats.network, tr.stats.station, tr.stats.location))
    stations.setdefault(key, []).append(tr)
  chosen, missing = [], {}
  for key, traces in sorted(stations.items()):
    # `'' in 'Z'` is true: a blank channel code must not count as vertical.
    vertical = [tr for tr in traces
                if tr.stats.channel and tr.stats.channel[-1] in components]
    if not vertical:
      missing[key] = sorted({tr.stats.channel for tr in traces})
      continue
    best = max(vertical, key=lambda tr: (
        -components.index(tr.stats.channel[-1]), tr.stats.sampling_rate))
    channel = best.stats.channel
    others = sorted({tr.stats.channel for tr in vertical} - {channel})
    if others:
      log.info('%s: picking %s, not %s.', key, channel, ', '.join(others))
    chosen.append(obspy.Stream(
        [tr for tr in vertical if tr.stats.channel == channel]))
  if not chosen:
    raise ValueError(
        f'No vertical channel (component code in {components!r}) in the '
        f'stream; channels found per station: {missing}.')
  for key, channels in missing.items():
    log.warning('Skipping %s: no vertical channel (component code in %r); '
                'its channels are %s.', key, components, ', '.join(channels))
  return chosen


def _segments(traces):
  """The contiguous segments of one channel, checked for rate and NaNs."""
  for tr in traces:
    rate = tr.stats.sampling_rate
    if rate < records.MIN_SAMPLING_RATE:
      raise ValueError(
          f'{tr.id} from {tr.stats.starttime}: sampling rate {rate:g} Hz is '
          f'below {records.MIN_SAMPLING_RATE:g} Hz, too low for the 1-20 Hz '
          'band the models were trained on.')
    # No float64 copy of a day of samples: integers cannot be NaN.
    data = np.ma.compressed(np.ma.asarray(tr.data))
    bad = (0 if np.issubdtype(data.dtype, np.integer)
           else np.count_nonzero(~np.isfinite(data)))
    if bad:
      raise ValueError(f'{tr.id} from {tr.stats.starttime}: {bad} of '
                       f'{data.size} samples are NaN or infinite.')
  merged = traces.copy()
  if len({tr.data.dtype for tr in merged}) > 1:
    for tr in merged:
      tr.data = tr.data.astype(np.float64)  # merge needs one dtype
  # Gaps and conflicting overlaps become masked, then split() cuts there.
  segments = sorted(merged.merge(method=0).split(),
                    key=lambda tr: tr.stats.starttime)
  if len(segments) > 1:
    log.warning('%s has %d gaps or overlaps: picking its %d segments '
                'separately; nothing is picked inside a gap.',
                segments[0].id, len(segments) - 1, len(segments))
  kept = []
  for seg in segments:
    if seg.stats.npts * RATE / seg.stats.sampling_rate < 2 * HALF:
      log.warning('Skipping %s from %s: %.2f s is shorter than a %g s '
                  'window.', seg.id, seg.stats.starttime,
                  seg.stats.npts / seg.stats.sampling_rate, 2 * HALF / RATE)
    else:
      kept.append(seg)
  return kept


@dataclasses.dataclass(frozen=True)
class _Chunk:
  """A piece of a segment, in samples.

  Attributes:
    begin, end: the slice of the segment's samples (at its own rate) that
      is preprocessed: the chunk with its warm-up lead and its tail.
    base: the 100 Hz sample of the segment where the slice starts.
    own: the 100 Hz samples of the segment [own[0], own[1]) whose trigger
      onsets this chunk picks; the chunks' `own` ranges tile the segment.
  """
  begin: int
  end: int
  base: int
  own: tuple[float, float]


def _chunks(segment, chunk, trigger, refine):
  """How to cut a segment so that no two chunks pick the same onset."""
  n = segment.stats.npts
  rate = segment.stats.sampling_rate
  # The ratio of records.resample: 100 Hz sample j is sample j * down / up
  # of the segment, so chunks start on multiples of `up` at 100 Hz.
  ratio = (fractions.Fraction(1) if rate == RATE else
           fractions.Fraction(RATE / rate).limit_denominator(1000))
  up, down = ratio.numerator, ratio.denominator
  length = -(-n * up // down)  # resample_poly's output length
  size = None if chunk is None else max(up, int(chunk * RATE) // up * up)
  if size is None or length <= size:
    return [_Chunk(0, n, 0, (-math.inf, math.inf))]

  def multiple_of_up(samples):
    return -(-math.ceil(samples) // up) * up
  # Before the owned part: the warm-up, then room for the windows of its
  # onsets, which each refinement may move by up to half a window. After
  # it: the same room, and the reach of the resampling filter.
  lead = multiple_of_up(WARMUP_LTAS * trigger.lta * RATE
                        + (refine + 1) * 2 * HALF)
  tail = multiple_of_up((refine + 2) * 2 * HALF + RESAMPLE_REACH_S * RATE)
  chunks = []
  for own in range(0, length, size):
    a, b = max(0, own - lead), own + size + tail
    end = n if b >= length else b * down // up
    chunks.append(_Chunk(a * down // up, end, a, (own, own + size)))
  return chunks


@dataclasses.dataclass(frozen=True)
class _Trigger:
  """A trigger onset and the preprocessed data its windows may need.

  Attributes:
    segment: the trace it is on.
    onset: its 100 Hz sample in the segment.
    begin: the 100 Hz sample of the segment where `y` starts.
    y: the preprocessed samples around the onset that the windows of
      `refine` re-centrings and the polarity window can reach (each moves
      by less than half a window), cut at the ends of the segment.
  """
  segment: obspy.Trace
  onset: int
  begin: int
  y: np.ndarray


def _triggers(segment, chunk, trigger, refine):
  """The trigger onsets a chunk of a contiguous trace owns."""
  y = records.preprocess(segment.data[chunk.begin:chunk.end],
                         segment.stats.sampling_rate)
  cft = obspy_trigger.recursive_sta_lta(
      y.astype(np.float64), int(round(trigger.sta * RATE)),
      int(round(trigger.lta * RATE)))
  onsets = np.asarray(obspy_trigger.trigger_onset(cft, trigger.on,
                                                  trigger.off), int)
  onsets = onsets.reshape(-1, 2)[:, 0] + chunk.base  # in the segment
  # An onset in the lead or tail is another chunk's.
  onsets = onsets[(onsets >= chunk.own[0]) & (onsets < chunk.own[1])]
  end = chunk.base + len(y)
  inside = (onsets >= HALF) & (onsets + HALF <= end)
  for onset in onsets[~inside]:
    log.warning('Skipping the trigger at %s on %s: less than %g s from the '
                'segment end.', _time(segment, onset), segment.id, HALF / RATE)
  reach = (refine + 2) * HALF
  triggers = []
  for onset in onsets[inside]:
    begin = max(chunk.base, onset - reach)
    y_near = y[begin - chunk.base:min(end, onset + reach) - chunk.base]
    # A copy: a view would keep the whole chunk's array alive.
    triggers.append(_Trigger(segment, int(onset), begin, y_near.copy()))
  return triggers


def _pick_triggers(triggers, picker, polarity, refine):
  """The picks of triggers of any chunks and segments, in one batch."""
  if not triggers:
    return []
  begin = np.array([t.begin for t in triggers])
  end = begin + np.array([len(t.y) for t in triggers])
  starts = np.array([t.onset for t in triggers]) - HALF
  for iteration in range(refine + 1):
    if iteration:
      # Re-centre where the whole window stays in the segment.
      centred = np.round(position).astype(int) - HALF
      fits = (centred >= begin) & (centred + 2 * HALF <= end)
      centred = np.where(fits, centred, starts)
      if np.array_equal(centred, starts):
        break
      starts = centred
    members = _run(picker, _windows(triggers, starts), (len(starts),))
    position = starts + members.mean(axis=0)  # samples in the segment
    spread = members.std(axis=0)
  # A pick outside its window is a guess the picker never saw data for.
  ok = (position >= starts) & (position < starts + 2 * HALF)
  for i in np.flatnonzero(~ok):
    seg = triggers[i].segment
    log.warning('Dropping a pick at %s on %s: outside its window.',
                _time(seg, position[i]), seg.id)
  triggers = [t for t, keep in zip(triggers, ok) if keep]
  position, spread = position[ok], spread[ok]
  begin, end = begin[ok], end[ok]
  probs = np.full((len(position), 3), np.nan)
  if polarity is not None:
    centred = np.round(position).astype(int) - HALF
    fits = (centred >= begin) & (centred + 2 * HALF <= end)
    if np.any(fits):
      chosen = [t for t, f in zip(triggers, fits) if f]
      probs[fits] = _run(polarity, _windows(chosen, centred[fits]),
                         (int(fits.sum()), 3)).mean(axis=0)
    for i in np.flatnonzero(~fits):
      seg = triggers[i].segment
      log.warning('No polarity for the pick at %s on %s: the window centred '
                  'on it leaves the segment.', _time(seg, position[i]),
                  seg.id)
  n_members = members.shape[0]
  return [_make_pick(t.segment, p, s, pr, n_members)
          for t, p, s, pr in zip(triggers, position, spread, probs)]


def _windows(triggers, starts):
  """(n, window) windows from each trigger's data, at segment samples."""
  return np.stack([t.y[s - t.begin:s - t.begin + 2 * HALF]
                   for t, s in zip(triggers, starts)])


def _run(ensemble, windows, shape):
  """Calls an ensemble and checks its (members, *shape) output."""
  out = np.asarray(ensemble(windows), np.float64)
  if out.ndim != len(shape) + 1 or out.shape[1:] != shape:
    raise ValueError(f'The {ensemble.task} ensemble returned shape '
                     f'{out.shape} for {len(windows)} windows; expected '
                     f'(members, {", ".join(map(str, shape))}).')
  return out


def _time(segment, sample):
  return segment.stats.starttime + float(sample) / RATE


def _make_pick(segment, position, spread, probs, n_members):
  """An ObsPy Pick from a pick sample at 100 Hz in the segment."""
  uncertainty = max(spread, 1.0) / RATE  # at least one sample
  code = None if np.isnan(probs).any() else int(np.argmax(probs))
  text = (f'seisjax: mean of {n_members} picker members, member std '
          f'{spread / RATE:.4f} s')
  if code is not None:
    text += ('; polarity probabilities down/up/unknown '
             + '/'.join(f'{x:.3f}' for x in probs))
  stats = segment.stats
  return qml.Pick(
      time=_time(segment, position),
      time_errors=qml.QuantityError(uncertainty=float(uncertainty)),
      waveform_id=qml.WaveformStreamID(
          network_code=stats.network, station_code=stats.station,
          location_code=stats.location, channel_code=stats.channel),
      phase_hint='P',
      polarity=None if code is None else QUAKEML_POLARITY[code],
      evaluation_mode='automatic',
      method_id=qml.ResourceIdentifier(METHOD_ID),
      creation_info=qml.CreationInfo(author='seisjax',
                                     creation_time=obspy.UTCDateTime()),
      comments=[qml.Comment(text=text)])


def _merge_close(picks, min_separation):
  """Keeps, per channel, the most certain of picks closer than a bound."""
  kept = {}  # seed id -> kept picks
  for p in sorted(picks, key=lambda p: (p.time_errors.uncertainty, p.time)):
    same = kept.setdefault(p.waveform_id.get_seed_string(), [])
    if all(abs(q.time - p.time) >= min_separation for q in same):
      same.append(p)
  return [p for same in kept.values() for p in same]
