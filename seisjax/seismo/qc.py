"""Quality control of continuous records before they become training data.

The precursor study (Ong et al.) trains on 10 h, 3-component (BH1, BH2, BHZ)
40 Hz records before M>=6 earthquakes. A record with gaps, the wrong sampling
rate, missing channels, instrument spikes or an earthquake already in it would
teach the model the defect, so such records are rejected, and every rejection
is reported with its reasons: nothing is dropped silently.

  results = [qc.check_record(obspy.read(path)) for path in paths]
  qc.write_report(results, streams, outdir)  # qc_report.csv + one PNG each

`check_record` runs every check and collects every failure; it never
resamples or repairs the record.
"""

import dataclasses
import os
import re
from typing import Any, Sequence

from matplotlib.figure import Figure
import numpy as np
from scipy import fft
from scipy import ndimage
from scipy import signal

from seisjax.engine import writers

# Accepted last letters of the channel code for each requested component:
# SEED '1'/'2' for the horizontals of a rotated or unoriented sensor, 'N'/'E'
# for oriented ones. Either naming is the same data for the model.
COMPONENT_ALIASES = {'1': ('1', 'N'), '2': ('2', 'E'), 'Z': ('Z',)}

# Spikes. A sample is a spike when it departs from the running median by more
# than SPIKE_K robust standard deviations of the whole channel AND by more than
# SPIKE_K RMS of its neighbourhood (+-SPIKE_CONTEXT_S, the spike excluded).
# 10 sigma is never reached by Gaussian noise (p ~ 1e-23 per sample), and a
# band-limited seismic wave has a peak-to-RMS ratio of about 1.4 (sinusoid) to
# 4 (Gaussian wave train), so the local test keeps earthquake phases out.
# An excursion wider than SPIKE_MAX_SAMPLES is a signal, not a glitch.
SPIKE_K = 10.0
SPIKE_MAX_SAMPLES = 3
SPIKE_CONTEXT_S = 2.0

# Earthquake signal: each band is band-passed, enveloped, and the RMS of the
# envelope in EQ_WINDOW_S windows is compared with its median over the record.
# 0.02-0.1 Hz (10-50 s) holds teleseismic surface waves, which dominate the
# long-period wavefield of any M>=6 event; 1-10 Hz holds the P and S waves of
# local and regional events. The same factor serves both bands: for
# stationary Gaussian noise the loudest of ~600 one-minute windows (10 h) is
# below 2x the median even in the narrow long-period band (a 60 s window holds
# only ~10 independent samples there); real quiet noise drifts more, by up to
# ~3-5x (tilt noise from wind and temperature at long periods, day/night
# cultural noise at 1-10 Hz). 8x (18 dB) clears that drift with a margin,
# while the surface waves of a M>=6 event at teleseismic distance, and any
# local event worth rejecting, stand 10-100x above the background.
EQ_BANDS_HZ = {'0.02-0.1 Hz': (0.02, 0.1), '1-10 Hz': (1.0, 10.0)}
EQ_FACTOR = 8.0
EQ_WINDOW_S = 60.0
# Windows this close to a segment's ends are skipped: the filter rings there.
EQ_EDGE_PERIODS = 2.0
# A segment shorter than this many windows has no meaningful background.
EQ_MIN_WINDOWS = 10

MAX_LISTED = 3  # times listed in a reason, so reasons stay one line


@dataclasses.dataclass
class QCResult:
  """Outcome of `check_record` on one record.

  Attributes:
    record_id: 'NET.STA.LOC.BB?_<start time>' of the record.
    passed: True when no check failed.
    reasons: one human-readable line per failed check.
    details: the measured numbers behind the checks (python scalars and
      strings, so they go straight into the CSV report).
    flags: (label, start, end) UTCDateTime spans to mark in plots: gaps,
      spikes and windows with earthquake signal.
  """

  record_id: str
  passed: bool
  reasons: list[str]
  details: dict[str, Any]
  flags: list[tuple[str, Any, Any]] = dataclasses.field(default_factory=list)


def _component(channel: str, components: Sequence[str]) -> str | None:
  """The requested component a channel code stands for, or None."""
  for comp in components:
    if channel[-1:] in COMPONENT_ALIASES.get(comp, (comp,)):
      return comp
  return None


def _record_id(stream) -> str:
  """'NET.STA.LOC.BB?_YYYY-MM-DDTHH:MM:SS' from the stream's first trace."""
  tr = stream[0]
  stats = tr.stats
  start = min(t.stats.starttime for t in stream)
  return (
      f'{stats.network}.{stats.station}.{stats.location}.'
      f'{stats.channel[:2]}?_{start.strftime("%Y-%m-%dT%H:%M:%S")}'
  )


def _filled(tr) -> tuple[np.ndarray, np.ndarray]:
  """Float samples with masked/non-finite ones set to the mean, and the mask.

  The later checks need finite numbers; the bad samples are reported by the
  gap check, so filling them here hides nothing.
  """
  data = np.ma.asarray(tr.data, dtype=np.float64)
  bad = np.ma.getmaskarray(data) | ~np.isfinite(data.filled(0.0))
  x = data.filled(0.0)
  mean = x[~bad].mean() if (~bad).any() else 0.0
  x = np.where(bad, mean, x) - mean
  return x, bad


def find_spikes(x: np.ndarray, sampling_rate: float) -> np.ndarray:
  """Indices of isolated spikes: short excursions far above the local level.

  Args:
    x: (samples,) finite, demeaned data of one continuous segment.
    sampling_rate: in Hz.

  Returns:
    Sorted int array with the peak sample of each spike.
  """
  if x.size < 4 * SPIKE_MAX_SAMPLES:
    return np.zeros(0, np.int64)
  # The median over 2w+1 samples ignores any excursion of at most w samples.
  residual = x - ndimage.median_filter(
      x, size=4 * SPIKE_MAX_SAMPLES + 1, mode='nearest')
  mad = np.median(np.abs(residual - np.median(residual)))
  robust_std = 1.4826 * mad
  if robust_std == 0:
    robust_std = np.std(residual)
  if robust_std == 0:
    return np.zeros(0, np.int64)
  over = np.abs(residual) > SPIKE_K * robust_std
  labels, n = ndimage.label(over)
  context = max(int(SPIKE_CONTEXT_S * sampling_rate), 2 * SPIKE_MAX_SAMPLES)
  peaks = []
  for run in ndimage.find_objects(labels):
    lo, hi = run[0].start, run[0].stop
    if hi - lo > SPIKE_MAX_SAMPLES:
      continue
    around = np.concatenate([
        residual[max(lo - context, 0):max(lo - 1, 0)],
        residual[hi + 1:hi + context],
    ])
    peak = lo + int(np.argmax(np.abs(residual[lo:hi])))
    local_rms = np.sqrt(np.mean(around**2)) if around.size else 0.0
    if np.abs(residual[peak]) > SPIKE_K * local_rms:
      peaks.append(peak)
  return np.asarray(peaks, np.int64)


def _window_rms(x, sampling_rate, band):
  """Envelope RMS per EQ_WINDOW_S window of x band-passed, edges skipped.

  Returns:
    (rms, starts): (windows,) RMS values and each window's start in samples;
    both empty when the segment is too short or the band is above Nyquist.
  """
  nyquist = sampling_rate / 2
  fmin, fmax = band[0], min(band[1], 0.8 * nyquist)
  win = int(round(EQ_WINDOW_S * sampling_rate))
  edge = int(EQ_EDGE_PERIODS / fmin * sampling_rate)
  if fmin >= fmax or x.size < 2 * edge + EQ_MIN_WINDOWS * win:
    return np.zeros(0), np.zeros(0, np.int64)
  sos = signal.butter(4, [fmin, fmax], 'bandpass', fs=sampling_rate,
                      output='sos')
  taper = signal.windows.tukey(x.size, alpha=2 * edge / x.size)
  y = signal.sosfiltfilt(sos, signal.detrend(x) * taper)
  envelope = np.abs(signal.hilbert(y, fft.next_fast_len(y.size))[:y.size])
  starts = np.arange(edge, x.size - edge - win + 1, win)
  blocks = envelope[starts[:, None] + np.arange(win)]
  return np.sqrt(np.mean(blocks**2, axis=1)), starts


def check_record(
    stream,
    *,
    sampling_rate: float = 40.0,
    components: Sequence[str] = ('1', '2', 'Z'),
    expected_duration_s: float | None = None,
    eq_bands_hz: dict[str, tuple[float, float]] | None = None,
    eq_factor: float = EQ_FACTOR,
) -> QCResult:
  """Runs every quality check on one station's record.

  Args:
    stream: ObsPy Stream of one station (any number of segments).
    sampling_rate: expected sampling rate in Hz; no resampling is done.
    components: required components; '1'/'2' also accept 'N'/'E'.
    expected_duration_s: if given, each channel must span this long.
    eq_bands_hz: bands of the earthquake-signal check; EQ_BANDS_HZ if None.
    eq_factor: max/median envelope-RMS ratio above which a band is flagged.

  Returns:
    The QCResult with every failed check's reason.
  """
  eq_bands_hz = EQ_BANDS_HZ if eq_bands_hz is None else eq_bands_hz
  if len(stream) == 0:
    return QCResult('empty', False, ['empty stream'], {})
  reasons, details, flags = [], {}, []
  ids = sorted({tr.id for tr in stream})
  stations = {i.rsplit('.', 1)[0] for i in ids}
  if len(stations) > 1:
    reasons.append(f'several stations: {", ".join(sorted(stations))}')

  # 1. Gaps, overlaps, several segments per channel, masked or bad samples.
  gaps = stream.get_gaps()
  segments = {i: sum(tr.id == i for tr in stream) for i in ids}
  details['n_gaps'] = len(gaps)
  details['max_gap_s'] = max((abs(g[6]) for g in gaps), default=0.0)
  for g in gaps:
    flags.append(('gap', min(g[4], g[5]), max(g[4], g[5])))
  if gaps or any(n > 1 for n in segments.values()):
    worst = max(gaps, key=lambda g: abs(g[6]), default=None)
    where = f', longest {abs(worst[6]):.1f} s in {worst[3]}' if worst else ''
    n_seg = ', '.join(f'{i.rsplit(".", 1)[1]} {n}' for i, n in
                      segments.items() if n > 1)
    reasons.append(f'gap: {len(gaps)} gaps/overlaps{where}; '
                   f'segments per channel: {n_seg or "1"}')
  bad = {}
  for tr in stream:
    n_bad = int(_filled(tr)[1].sum())
    if n_bad:
      bad[tr.stats.channel] = bad.get(tr.stats.channel, 0) + n_bad
  details['n_bad_samples'] = sum(bad.values())
  if bad:
    reasons.append('masked/NaN/inf samples: ' + ', '.join(
        f'{n} in {c}' for c, n in sorted(bad.items())))

  # 2. Sampling rate.
  rates = sorted({float(tr.stats.sampling_rate) for tr in stream})
  details['sampling_rates_hz'] = ' '.join(f'{r:g}' for r in rates)
  wrong = [r for r in rates if not np.isclose(r, sampling_rate, rtol=1e-6)]
  if wrong:
    reasons.append(f'sampling rate {", ".join(f"{r:.1f}" for r in wrong)} '
                   f'Hz, expected {sampling_rate:.1f} Hz')

  # 3. Channels: presence, then common start, length and duration.
  by_comp = {}
  for tr in stream:
    comp = _component(tr.stats.channel, components)
    if comp is not None:
      by_comp.setdefault(comp, []).append(tr)
  band_code = stream[0].stats.channel[:2]
  missing = [band_code + c for c in components if c not in by_comp]
  details['channels'] = ' '.join(sorted({tr.stats.channel for tr in stream}))
  if missing:
    reasons.append(f'missing channels: {", ".join(missing)}')
  spans = {}
  for comp, trs in by_comp.items():
    start = min(t.stats.starttime for t in trs)
    # Coverage includes the last sample's interval: N samples span N / fs.
    end = max(t.stats.endtime + t.stats.delta for t in trs)
    spans[trs[0].stats.channel] = (start, end)
  delta = 1.0 / sampling_rate
  details['duration_s'] = max((e - s for s, e in spans.values()), default=0.0)
  if len(spans) > 1:
    starts = [s for s, _ in spans.values()]
    lengths = [e - s for s, e in spans.values()]
    if max(starts) - min(starts) > delta * 1.001:
      reasons.append('channel start times differ: ' + ', '.join(
          f'{c} {s}' for c, (s, _) in spans.items()))
    if max(lengths) - min(lengths) > delta * 1.001:
      reasons.append('channel lengths differ: ' + ', '.join(
          f'{c} {e - s:.1f} s' for c, (s, e) in spans.items()))
  if expected_duration_s is not None:
    short = {c: e - s for c, (s, e) in spans.items()
             if e - s < expected_duration_s - delta * 1.001}
    if short:
      reasons.append(f'duration shorter than {expected_duration_s:.0f} s: '
                     + ', '.join(f'{c} {d:.1f} s' for c, d in short.items()))

  # 4 and 5 on each segment; spikes are replaced by the running median level
  # first, so that a big glitch is reported as a spike, not as an earthquake.
  spikes, spike_times = {}, {}
  eq = {name: ([], []) for name in eq_bands_hz}  # rms values, window times
  for tr in stream:
    x, _ = _filled(tr)
    fs = tr.stats.sampling_rate
    peaks = find_spikes(x, fs)
    cha = tr.stats.channel
    if peaks.size:
      spikes[cha] = spikes.get(cha, 0) + peaks.size
      times = [tr.stats.starttime + p / fs for p in peaks]
      spike_times.setdefault(cha, []).extend(times)
      flags.extend(('spike', t, t) for t in times)
      x = x.copy()
      for p in peaks:
        lo, hi = max(p - SPIKE_MAX_SAMPLES, 0), p + SPIKE_MAX_SAMPLES + 1
        x[lo:hi] = np.median(x[max(lo - 2 * SPIKE_MAX_SAMPLES, 0):
                               hi + 2 * SPIKE_MAX_SAMPLES])
    for name, band in eq_bands_hz.items():
      rms, starts = _window_rms(x, fs, band)
      eq[name][0].append(rms)
      eq[name][1].extend((cha, tr.stats.starttime + s / fs) for s in starts)
  details['n_spikes'] = sum(spikes.values())
  if spikes:
    reasons.append('spikes: ' + '; '.join(
        f'{n} in {c} at ' + ', '.join(
            str(t)[:19] for t in spike_times[c][:MAX_LISTED])
        + (' ...' if n > MAX_LISTED else '')
        for c, n in sorted(spikes.items())))
  for name, (rms_list, where) in eq.items():
    rms = np.concatenate(rms_list) if rms_list else np.zeros(0)
    key = 'eq_ratio_' + name.replace(' ', '').replace('Hz', 'hz')
    if rms.size == 0:
      details[key] = None
      continue
    # Each channel against its own background: channels differ in noise.
    ratios = np.zeros_like(rms)
    channels = np.array([c for c, _ in where])
    for cha in set(channels):
      sel = channels == cha
      median = np.median(rms[sel])
      ratios[sel] = rms[sel] / median if median > 0 else 0.0
    details[key] = float(ratios.max())
    loud = np.flatnonzero(ratios > eq_factor)
    if loud.size:
      top = int(np.argmax(ratios))
      flags.extend(('earthquake', where[i][1], where[i][1] + EQ_WINDOW_S)
                   for i in loud)
      reasons.append(
          f'earthquake signal ({name}): {ratios[top]:.1f} x background '
          f'(limit {eq_factor:g}) at {str(where[top][1])[:19]} in '
          f'{where[top][0]}, {loud.size} of {rms.size} windows')

  return QCResult(_record_id(stream), not reasons, reasons, details, flags)


def _safe_name(record_id: str) -> str:
  """A file name from a record id: only letters, digits, '.', '_' and '-'."""
  return re.sub(r'[^A-Za-z0-9._-]', '_', record_id)


def plot_record(stream, result: QCResult, path) -> None:
  """Draws each trace of a record with the QC verdict and flagged spans.

  Args:
    stream: the ObsPy Stream that `result` was computed from.
    result: its QCResult.
    path: PNG file to write.
  """
  traces = sorted(stream, key=lambda t: (t.stats.channel, t.stats.starttime))
  channels = sorted({t.stats.channel for t in traces})
  t0 = min(t.stats.starttime for t in traces)
  # A bare Figure, not pyplot: no global backend or figure registry to leak.
  fig = Figure(figsize=(10, 1.0 + 1.8 * len(channels)))
  axes = fig.subplots(len(channels), 1, sharex=True, squeeze=False)[:, 0]
  colours = {'gap': 'grey', 'spike': 'red', 'earthquake': 'orange'}
  for ax, cha in zip(axes, channels):
    for tr in traces:
      if tr.stats.channel != cha:
        continue
      hours = (tr.stats.starttime - t0 + tr.times()) / 3600.0
      # Decimate for drawing only: 10 h at 40 Hz is more points than pixels.
      step = max(1, tr.stats.npts // 20000)
      ax.plot(hours[::step], np.ma.asarray(tr.data)[::step], 'k', lw=0.4)
    for label, start, end in result.flags:
      x0, x1 = (start - t0) / 3600.0, (end - t0) / 3600.0
      if label == 'spike':
        ax.axvline(x0, color=colours[label], lw=0.8, alpha=0.7)
      else:
        ax.axvspan(x0, x1, color=colours[label], alpha=0.3, lw=0)
    ax.set_ylabel(f'{cha}\n(counts)')
  axes[-1].set_xlabel(f'Hours after {str(t0)[:19]}')
  verdict = 'PASS' if result.passed else 'REJECT'
  lines = [f'{result.record_id}: {verdict}'] + [
      r if len(r) < 110 else r[:107] + '...' for r in result.reasons]
  axes[0].set_title('\n'.join(lines), fontsize=8, loc='left')
  fig.tight_layout()
  writers.save_figure(fig, path, dpi=100)


def write_report(
    results: Sequence[QCResult], streams: Sequence[Any] | None, outdir
) -> str:
  """Writes `qc_report.csv` and, when streams are given, one PNG per record.

  Args:
    results: QCResults, one per record.
    streams: the matching Streams (same order), or None for the CSV only.
    outdir: folder to write into; created if needed.

  Returns:
    Path of the CSV file.
  """
  os.makedirs(outdir, exist_ok=True)
  keys = []
  for r in results:
    keys += [k for k in r.details if k not in keys]
  rows = [{
      'record_id': r.record_id,
      'passed': r.passed,
      'reasons': '; '.join(r.reasons),
      **{k: r.details.get(k) for k in keys},
  } for r in results]
  path = os.path.join(outdir, 'qc_report.csv')
  writers.write_csv(rows, path)
  if streams is not None:
    for result, stream in zip(results, streams, strict=True):
      plot_record(stream, result,
                  os.path.join(outdir, _safe_name(result.record_id) + '.png'))
  return path
