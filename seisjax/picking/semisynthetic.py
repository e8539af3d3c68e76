"""Semi-synthetic P records from real parts: real P waves in real noise.

The data source `semisynthetic` (configs/picker.py:data=semisynthetic):
records of real sets (the analysts' picks of ../shared/data/picks, or any
folder a reader of seisjax/picking/readers.py reads), the parts cut from
them, their recombinations, and the synthetic records of
seisjax/picking/synthetic.py, all in the layout of records.py (600 samples
at 100 Hz, P at 300), split by event.

Parts, cut from each whole trace after the preprocessing of records.py:
  - the record itself, as it is (its own noise, its analyst pick);
  - its P signal: the 3 s from the analyst pick, only from records that
    pass the cleanliness rule (`clean`): 20 dB or more of signal (the 1 s
    after the pick) over noise (RMS of the 2 s that end 0.5 s before the
    pick), the 0.3 s just before the pick no louder than 2x that noise
    (the pick is not late) and the 0.3 s after it at least 3x louder (the
    pick is not early: the signal starts within 0.3 s of it);
  - its pre-event noise: 6 s pieces from 2 s after the trace start (the
    causal band-pass settles) to 1 s before the pick;
  - and, from the continuous recordings (`data.noise_files`, by default
    the 100 Hz day of YA.UV06), 6 s pieces whose RMS is at most 3x the
    day's median and whose peak is at most 8x their own RMS (no event, no
    glitch); they are grouped by hour, the hour being their "event".
A mix (`mix`) puts a signal at P (zero before it) into a noise piece at a
random SNR (uniform in `data.snr_range_db`, SNR as synthetic.snr_db
measures it), with a random gain (log-uniform 1e-3-1e3: the windows are
divided by their peak, so this only checks that nothing depends on scale)
and, for half of them, the sign flipped; noise comes from the pre-event
pieces or the continuous pieces with equal probability. The window shift
of +-0.5 s is drawn by data.PickWindows as for any source.

Polarity labels: the analyst's where the set has them (Kumamoto: U, D, K).
A flipped signal gets the flipped label; a mix whose first motion is below
3x the added noise RMS is UNKNOWN (synthetic.py's rule). Sets without
first motions (the NCEDC and STEAD sets) give polarity examples only with
`data.pseudo_polarity`: a clean signal is then labelled by the sign of its
first motion (`first_motion`) when that motion comes within 0.15 s of the
pick and is at least 8x the pre-pick noise RMS; other signals of such
sets give no polarity example. These rules were fixed before any result.

Splits are by event: the real events of all sets are split with
data.split_events, the continuous hours and the synthetic events each by
the same fractions; every record, signal, noise piece and mix of an event
is on the side of its event. Everything is deterministic given the
config's seeds.
"""

import dataclasses
import functools
import hashlib
import json
import logging
import os

import numpy as np
import obspy
import scipy.signal

from seisjax import seismo
from seisjax.picking import data as pick_data
from seisjax.picking import readers
from seisjax.picking import records
from seisjax.picking import synthetic

log = logging.getLogger(__name__)
SHARED_SETS = pick_data.SHARED_READERS  # The sets of ../shared/data/picks.
CONTINUOUS = str(seismo.SHARED_DATA / 'continuous' /
                 'YA.UV06.00.HHZ.D.2010.244')
UNLABELLED = -1  # A signal without a first-motion label.
N = records.RECORD_SAMPLES
P = records.P_SAMPLE
SIGNAL_SAMPLES = N - P  # 3 s from the pick.
SETTLE = 200  # Samples after a trace's start before the band-pass settles.
GUARD = 100  # Pre-event noise ends 1 s before the pick.
CLEAN_SNR_DB = 20.0
NOISE_SPAN = (-250, -50)  # Pre-pick noise, in samples from the pick.
EDGE = 30  # 0.3 s either side of the pick (late / early pick checks).
MIN_FIRST_MOTION = 3.0  # As synthetic.py: UNKNOWN below 3x the noise RMS.
PSEUDO_K, PSEUDO_LAG = 8.0, 15  # Pseudo-labels: 8x noise, within 0.15 s.


def _rms(x) -> float:
  return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def clean(y: np.ndarray, p: int) -> tuple[bool, float, float]:
  """The cleanliness rule (module docstring) at pick `p` of trace `y`.

  Returns:
    (clean, SNR in dB, pre-pick noise RMS).
  """
  noise = _rms(y[max(p + NOISE_SPAN[0], 0):p + NOISE_SPAN[1]])
  noise = max(noise, 1e-30)
  snr = 20 * np.log10(max(_rms(y[p:p + 100]), 1e-30) / noise)
  ok = (snr >= CLEAN_SNR_DB and _rms(y[p - EDGE:p]) <= 2 * noise
        and _rms(y[p:p + EDGE]) >= 3 * noise)
  return bool(ok), float(snr), noise


def first_motion(signal: np.ndarray, threshold: float) -> tuple[int, float]:
  """(lag, signed amplitude) of a signal's first motion; (-1, 0) if none.

  The first motion is the first local extremum after the first sample
  whose |value| exceeds `threshold` (e.g. a multiple of the noise RMS).
  """
  above = np.flatnonzero(np.abs(signal) > threshold)
  if not above.size:
    return -1, 0.0
  i = int(above[0])
  sign = np.sign(signal[i])
  while i + 1 < len(signal) and sign * signal[i + 1] > sign * signal[i]:
    i += 1
  return i, float(signal[i])


def pseudo_label(signal: np.ndarray, noise_rms: float) -> int:
  """UP / DOWN by the first motion of a clean signal, else UNLABELLED.

  The first motion (beyond MIN_FIRST_MOTION x `noise_rms`) must come within
  PSEUDO_LAG samples of the pick and reach PSEUDO_K x `noise_rms`.
  """
  lag, motion = first_motion(signal, MIN_FIRST_MOTION * noise_rms)
  if 0 <= lag <= PSEUDO_LAG and abs(motion) >= PSEUDO_K * noise_rms:
    return records.UP if motion > 0 else records.DOWN
  return UNLABELLED


@dataclasses.dataclass
class Parts:
  """What one set's traces give (per-signal and per-piece arrays)."""
  records: pick_data.PickRecords
  signal: np.ndarray  # (k, SIGNAL_SAMPLES) clean P signals from the pick
  signal_record: np.ndarray  # (k,) index of its record
  signal_polarity: np.ndarray  # (k,) DOWN / UP / UNKNOWN / UNLABELLED
  signal_motion: np.ndarray  # (k,) signed first-motion amplitude
  signal_noise: np.ndarray  # (k,) pre-pick noise RMS of its record
  record_polarity: np.ndarray  # (n,) each record's label, as signal_polarity
  noise: np.ndarray  # (m, N) pre-event noise pieces
  noise_event: np.ndarray  # (m,) event of each piece
  rejections: records.Rejections


def _concat(parts: list[pick_data.PickRecords]) -> pick_data.PickRecords:
  return pick_data.PickRecords(**{
      f: np.concatenate([getattr(p, f) for p in parts])
      for f in pick_data.FIELDS})


def _as_records(rows: list[dict]) -> pick_data.PickRecords:
  if not rows:
    return pick_data.PickRecords(
        waveform=np.zeros((0, N), np.float32), p_sample=np.zeros(0, np.int32),
        polarity=np.zeros(0, np.int32), event=np.zeros(0, str),
        trace=np.zeros(0, str), **{k: np.zeros(0, np.float32)
                                   for k in records.METADATA})
  return pick_data.PickRecords(**{
      f: np.asarray([r[f] for r in rows]) for f in pick_data.FIELDS})


def cut_parts(rows, prefix: str, pseudo_polarity: bool = False) -> Parts:
  """Records, clean signals and noise pieces of a reader's raw rows.

  Args:
    rows: raw rows (seisjax/picking/readers.py).
    prefix: put before event ids (the set's name), so that sets never
      share an event id.
    pseudo_polarity: label the first motion of clean signals of traces
      without a polarity label (module docstring).
  """
  rejections = records.Rejections()
  recs, signals, sig_rec, sig_pol, sig_motion = [], [], [], [], []
  rec_pol, sig_noise = [], []
  noise, noise_event = [], []
  for row in rows:
    if row.get('reject'):
      rejections.add(row['trace'], row['reject'])
      continue
    event = f'{prefix}:{row["event"]}'
    try:
      record = records.make_record(
          row['data'], row['sampling_rate'], row['p_sample'], event=event,
          trace=f'{prefix}:{row["trace"]}', polarity=row['polarity'],
          snr_db=row['snr_db'], distance_km=row['distance_km'],
          magnitude=row['magnitude'])
    except ValueError as error:
      rejections.add(row['trace'], f'unusable: {error}')
      continue
    y = records.preprocess(row['data'], row['sampling_rate'])
    p = int(round(row['p_sample'] * records.SAMPLING_RATE
                  / row['sampling_rate']))
    recs.append(record)
    # A reader that knows no first motion leaves its default, the code
    # UNKNOWN; a label read from a file is a string (U, D, K...).
    labelled = isinstance(row['polarity'], str) or (
        row['polarity'] != records.UNKNOWN)
    rec_pol.append(int(record['polarity']) if labelled else UNLABELLED)
    for start in range(SETTLE, p - GUARD - N + 1, N):
      noise.append(y[start:start + N])
      noise_event.append(event)
    ok, _, noise_rms = clean(y, p)
    if not ok or p + SIGNAL_SAMPLES > len(y):
      continue
    signal = y[p:p + SIGNAL_SAMPLES]
    _, motion = first_motion(signal, MIN_FIRST_MOTION * noise_rms)
    label = rec_pol[-1]
    if label == UNLABELLED and pseudo_polarity:
      label = rec_pol[-1] = pseudo_label(signal, noise_rms)
    signals.append(signal)
    sig_rec.append(len(recs) - 1)
    sig_pol.append(label)
    sig_motion.append(motion)
    sig_noise.append(noise_rms)
  return Parts(
      records=_as_records(recs),
      signal=np.asarray(signals, np.float32).reshape(-1, SIGNAL_SAMPLES),
      signal_record=np.asarray(sig_rec, np.int64),
      signal_polarity=np.asarray(sig_pol, np.int32),
      signal_motion=np.asarray(sig_motion, np.float32),
      signal_noise=np.asarray(sig_noise, np.float32),
      record_polarity=np.asarray(rec_pol, np.int32),
      noise=np.asarray(noise, np.float32).reshape(-1, N),
      noise_event=np.asarray(noise_event, str), rejections=rejections)


def continuous_noise(paths, name: str = '') -> tuple[np.ndarray, np.ndarray]:
  """Screened 6 s noise pieces of continuous files, and their hour ids.

  Vertical traces are preprocessed whole (records.preprocess) and cut into
  consecutive pieces of N samples after SETTLE; pieces louder than 3x the
  median piece RMS or with a peak above 8x their RMS are left out.

  Returns:
    ((m, N) float32 pieces, (m,) ids '<name or trace id>:<hour>').
  """
  pieces, hours = [], []
  for path in ([paths] if isinstance(paths, str) else paths):
    for trace in obspy.read(str(path)).select(component='Z'):
      rate = trace.stats.sampling_rate
      y = records.preprocess(trace.data, rate)
      n = (len(y) - SETTLE) // N
      if n <= 0:
        continue
      cut = y[SETTLE:SETTLE + n * N].reshape(n, N)
      rms = np.sqrt(np.mean(np.square(cut, dtype=np.float64), axis=1))
      peak = np.abs(cut).max(axis=1)
      keep = (rms <= 3 * np.median(rms)) & (peak <= 8 * rms) & (rms > 0)
      hour = (SETTLE + np.arange(n) * N) // int(3600 * records.SAMPLING_RATE)
      tag = name or trace.id
      pieces.append(cut[keep])
      hours += [f'{tag}:{trace.stats.starttime.isoformat()}:{h}'
                for h in hour[keep]]
  if not pieces:
    raise ValueError(f'No vertical noise of {N / 100:g} s in {paths}.')
  return np.concatenate(pieces).astype(np.float32), np.asarray(hours)


def mix(signal: np.ndarray, noise: np.ndarray, snr_db: float,
        gain: float = 1.0, flip: bool = False) -> np.ndarray:
  """A record: `signal` from P (zero before) in `noise` at `snr_db`.

  Args:
    signal: (SIGNAL_SAMPLES,) from the pick.
    noise: (N,) noise piece.
    snr_db: 20 log10 of the RMS of the signal's first second over that
      of the noise, as put together (synthetic.snr_db of the record, less
      the signal's own residual noise).
    gain: multiplies the record.
    flip: the signal's sign is flipped.

  Returns:
    (N,) float32 record with P at P.
  """
  out = np.zeros(N, np.float64)
  out[P:] = -signal if flip else signal
  scale = _rms(signal[:100]) / 10 ** (snr_db / 20) / max(_rms(noise), 1e-30)
  return (gain * (out + scale * noise)).astype(np.float32)


def mix_polarity(label: int, motion: float, signal_rms: float,
                 snr_db: float, flip: bool) -> int:
  """The polarity label of a mix (module docstring); UNLABELLED stays."""
  if label in (UNLABELLED, records.UNKNOWN):
    return label
  noise_rms = signal_rms / 10 ** (snr_db / 20)
  if abs(motion) < MIN_FIRST_MOTION * noise_rms:
    return records.UNKNOWN
  return (records.UP + records.DOWN - label) if flip else label


def make_mixes(parts: Parts, signal_index: np.ndarray, pools: list,
               per_signal: int, snr_range, seed: int,
               polarity: bool = False) -> pick_data.PickRecords:
  """`per_signal` mixes of each chosen signal, with noise of `pools`.

  Args:
    parts: the signals (all sets concatenated).
    signal_index: which signals (those of one split's events).
    pools: noise arrays (m, N) to draw from, each with equal probability
      (empty ones are skipped).
    per_signal: mixes per signal.
    snr_range: (low, high) dB, uniform.
    seed: of every draw.
    polarity: skip signals without a first-motion label.
  """
  rng = np.random.default_rng(seed)
  pools = [p for p in pools if len(p)]
  rows = []
  for i in signal_index:
    label = int(parts.signal_polarity[i])
    if polarity and label == UNLABELLED:
      continue
    rec = parts.records.take(int(parts.signal_record[i]))
    sig = parts.signal[i]
    for k in range(per_signal):
      pool = pools[rng.integers(len(pools))]
      noise = pool[rng.integers(len(pool))]
      snr = rng.uniform(*snr_range)
      gain = 10 ** rng.uniform(-3, 3)
      flip = bool(rng.integers(2))
      x = mix(sig, noise, snr, gain, flip)
      code = mix_polarity(label, float(parts.signal_motion[i]),
                          _rms(sig[:100]), snr, flip)
      rows.append({'waveform': x, 'p_sample': np.int32(P),
                   'polarity': np.int32(records.UNKNOWN if code == UNLABELLED
                                        else code),
                   'event': rec.event, 'trace': f'mix{k}:{rec.trace}',
                   'snr_db': np.float32(synthetic.snr_db(x)),
                   'distance_km': rec.distance_km,
                   'magnitude': rec.magnitude})
  return _as_records(rows)


def _set_rows(name: str):
  """(reader, folder) of a set name: a shared set or '<reader>:<folder>'."""
  if name in SHARED_SETS:
    return SHARED_SETS[name], os.path.join(pick_data.SHARED_PICKS, name)
  reader, _, folder = name.partition(':')
  if reader not in readers.READERS or not folder:
    raise ValueError(f'Unknown set {name!r}: use one of {list(SHARED_SETS)} '
                     f'or <reader>:<folder> with a reader of '
                     f'{readers.READERS}.')
  return reader, folder


@functools.lru_cache(maxsize=16)
def load_parts(name: str, pseudo_polarity: bool) -> Parts:
  """The parts of one set (cached: the bench trains many runs)."""
  reader, folder = _set_rows(name)
  if not os.path.isdir(folder):
    raise FileNotFoundError(f'No folder {folder} for set {name!r}.')
  parts = cut_parts(readers.read(reader, folder), name.split(':')[0],
                    pseudo_polarity)
  log.info('%s: %d records, %d clean signals, %d noise pieces; %s', name,
           len(parts.records), len(parts.signal), len(parts.noise),
           parts.rejections.summary())
  return parts


@functools.lru_cache(maxsize=4)
def _continuous(paths: tuple) -> tuple[np.ndarray, np.ndarray]:
  return continuous_noise(list(paths))


def concat_parts(parts: list[Parts]) -> Parts:
  """One Parts of several sets (signal_record re-indexed)."""
  offsets = np.cumsum([0] + [len(p.records) for p in parts[:-1]])
  return Parts(
      records=_concat([p.records for p in parts]),
      signal=np.concatenate([p.signal for p in parts]),
      signal_record=np.concatenate([p.signal_record + o
                                    for p, o in zip(parts, offsets)]),
      signal_polarity=np.concatenate([p.signal_polarity for p in parts]),
      signal_motion=np.concatenate([p.signal_motion for p in parts]),
      signal_noise=np.concatenate([p.signal_noise for p in parts]),
      record_polarity=np.concatenate([p.record_polarity for p in parts]),
      noise=np.concatenate([p.noise for p in parts]),
      noise_event=np.concatenate([p.noise_event for p in parts]),
      rejections=records.Rejections())


def split_ids(ids: np.ndarray, data, offset: int) -> dict[str, np.ndarray]:
  """Indices of train / val / test of ids split like the real events."""
  if not len(ids):
    return {k: np.zeros(0, np.int64) for k in ('train', 'val', 'test')}
  return pick_data.split_events(ids, data.test_fraction, data.val_fraction,
                                data.split_seed + offset)


def build(data, balance_polarity: bool = False) -> tuple[dict, dict]:
  """The records of every split, and metadata of what went in.

  Args:
    data: `config.data` of the `semisynthetic` source.
    balance_polarity: polarity examples only (labelled signals, balanced
      classes in train and val).

  Returns:
    ({'train', 'val', 'test'}: PickRecords, metadata dict).
  """
  sets = [load_parts(s, bool(data.pseudo_polarity)) for s in data.sets]
  parts = concat_parts(sets)
  recs = parts.records
  index = pick_data.split_events(recs.event, data.test_fraction,
                                 data.val_fraction, data.split_seed)
  continuous = (np.zeros((0, N), np.float32), np.zeros(0, str))
  if data.noise_files:
    continuous = _continuous(tuple(data.noise_files))
  hours = split_ids(continuous[1], data, 1)
  synthetic_split = {k: _as_records([]) for k in index}
  if data.generator.get('n_events', 0):
    source = data.copy_and_resolve_references()
    source.name = 'synthetic_picks'
    syn, _ = pick_data.load_records(source, source.data_dir)
    synthetic_split = {k: syn.take(v) for k, v in
                       split_ids(syn.event, data, 2).items()}
  out, meta = {}, {'sets': list(data.sets), 'n_records': {},
                   'n_clean_signals': {}, 'n_noise_pieces': {}}
  for s, p in zip(data.sets, sets):
    meta['n_records'][s] = len(p.records)
    meta['n_clean_signals'][s] = len(p.signal)
    meta['n_noise_pieces'][s] = len(p.noise)
    meta[f'rejected_{s}'] = p.rejections.as_metadata()['rejected_counts']
  meta['n_continuous_pieces'] = len(continuous[0])
  for k, (name, rec_index) in enumerate(index.items()):
    events = np.unique(recs.event[rec_index])
    signals = np.flatnonzero(np.isin(
        recs.event[parts.signal_record], events))
    pools = [parts.noise[np.isin(parts.noise_event, events)],
             continuous[0][hours[name]]]
    mixes = make_mixes(parts, signals, pools, int(data.mixes_per_signal),
                       tuple(data.snr_range_db), data.shift_seed * 7919 + k,
                       polarity=balance_polarity)
    real = recs.take(rec_index)
    if balance_polarity:  # Real records with a first-motion label only.
      labelled = parts.record_polarity[rec_index]
      real = recs.take(rec_index[labelled >= 0])
      real.polarity = labelled[labelled >= 0].astype(np.int32)
    split = _concat([real, mixes, synthetic_split[name]])
    if balance_polarity and name == 'train' and not len(split):
      raise ValueError(f'{data.sets} give no polarity examples: no set '
                       'labels first motions (use data.pseudo_polarity) '
                       'and there are no synthetic records.')
    if balance_polarity and name != 'test' and len(split):
      split = split.take(pick_data.balance(split.polarity, data.split_seed))
    out[name] = split
    meta[f'n_{name}'] = {'real': len(real), 'mixes': len(mixes),
                         'synthetic': len(synthetic_split[name])}
  return out, meta


def get_datasets(data, balance_polarity: bool = False):
  """The `PickDatasets` of the `semisynthetic` source (data.get_datasets)."""
  splits, meta = build(data, balance_polarity)
  digest = hashlib.sha256(json.dumps(
      data.to_dict(), sort_keys=True, default=str).encode()).hexdigest()[:8]
  return pick_data.PickDatasets(
      train=pick_data.PickWindows(splits['train'], data.train_copies,
                                  data.shift_seed),
      val=pick_data.PickWindows(splits['val'], 1, data.shift_seed + 1),
      test=pick_data.PickWindows(splits['test'], 1, data.shift_seed + 2),
      splits={k: np.unique(v.event) for k, v in splits.items()},
      dataset_name=f'semisynthetic/{"+".join(data.sets)}-{digest}',
      dataset_version='1.0.0', builder_metadata=meta)
