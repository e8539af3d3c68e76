"""Tests of the semi-synthetic source (seisjax/picking/semisynthetic.py).

Small traces are generated here: pre-event noise that is a sinusoid of a
frequency of its own per event (so a mix's noise tells which event it came
from), then a P wave of known sign at the pick.
"""

import ml_collections
import numpy as np
import obspy
import pytest

from configs import picker as picker_config
from seisjax.picking import data as pick_data
from seisjax.picking import picker
from seisjax.picking import readers
from seisjax.picking import records
from seisjax.picking import semisynthetic as semi
from seisjax.picking import synthetic

FS = 100.0
P_AT = 3000  # Sample of the pick in the generated 60 s traces.


def _trace(freq, sign, seed, p=P_AT, n=6000, amplitude=1.0, lag=0):
  """Noise: a sinusoid at `freq` Hz (plus a little white noise); P at p+lag."""
  rng = np.random.default_rng(seed)
  t = np.arange(n) / FS
  x = 0.01 * np.sin(2 * np.pi * freq * t) + 1e-4 * rng.standard_normal(n)
  k = np.arange(n - p - lag) / FS
  x[p + lag:] += sign * amplitude * np.sin(2 * np.pi * 5 * k) * np.exp(-k)
  return x


def _rows(n_events=5, per_event=2, labels=None):
  rows = []
  for e in range(n_events):
    for s in range(per_event):
      i = e * per_event + s
      sign = 1.0 if i % 3 else -1.0
      rows.append(readers.raw_row(
          _trace(2.0 * (e + 1), sign, seed=i), FS, P_AT, event=f'ev{e}',
          # '' is a SeisBench cell without a label (not 'unknown').
          trace=f'tr{i}', polarity=labels[i] if labels else ''))
  return rows


def _data(folder, **overrides):
  data = ml_collections.ConfigDict({
      'name': 'semisynthetic', 'sets': (f'seisbench:{folder}',),
      'noise_files': (), 'mixes_per_signal': 4, 'snr_range_db': (30.0, 40.0),
      'pseudo_polarity': True, 'test_fraction': 0.2, 'val_fraction': 0.2,
      'split_seed': 0, 'shift_seed': 0, 'train_copies': 1, 'data_dir': '',
      'generator': ml_collections.ConfigDict({'n_events': 0})})
  data.update(overrides)
  return data


@pytest.fixture(name='folder')
def _folder(tmp_path):
  semi.load_parts.cache_clear()
  folder = tmp_path / 'set'
  readers.write_seisbench(_rows(), folder)
  return folder


def test_clean_rule():
  y = records.preprocess(_trace(3.0, 1.0, 0), FS)
  assert semi.clean(y, P_AT)[0]
  assert semi.clean(y, P_AT)[1] > 30
  # A pick 0.5 s late has signal just before it; 0.5 s early, none after.
  assert not semi.clean(y, P_AT + 50)[0]
  assert not semi.clean(y, P_AT - 50)[0]
  weak = records.preprocess(_trace(3.0, 1.0, 0, amplitude=0.02), FS)
  assert not semi.clean(weak, P_AT)[0]  # Below 20 dB.


@pytest.mark.parametrize('sign, want', [(1.0, records.UP),
                                        (-1.0, records.DOWN)])
def test_pseudo_label_is_the_first_motion(sign, want):
  y = records.preprocess(_trace(3.0, sign, 0), FS)
  ok, _, noise = semi.clean(y, P_AT)
  assert ok
  assert semi.pseudo_label(y[P_AT:P_AT + semi.SIGNAL_SAMPLES], noise) == want
  # A first motion 0.3 s after the pick (beyond 0.15 s) is not labelled.
  late = records.preprocess(_trace(3.0, sign, 0, lag=30), FS)
  assert semi.pseudo_label(late[P_AT:P_AT + 300], noise) == semi.UNLABELLED


def test_mix_snr_gain_and_flip():
  signal = records.preprocess(_trace(3.0, 1.0, 0), FS)[P_AT:P_AT + 300]
  # 5 Hz: whole periods in every second, so every second has the same RMS.
  noise = np.sin(2 * np.pi * 5 * np.arange(semi.N) / FS + 0.3)
  x = semi.mix(signal, noise, 20.0)
  assert x.shape == (semi.N,) and np.all(x[:semi.P] != 0)
  # The SNR the records' own measure sees (noise-free signal, 20 dB).
  assert synthetic.snr_db(x) == pytest.approx(
      10 * np.log10(10**2 + 1), abs=1.0)  # (signal + noise) / noise.
  np.testing.assert_allclose(semi.mix(signal, noise, 20.0, gain=1e3),
                             1e3 * x, rtol=1e-5)
  quiet = np.zeros(semi.N)
  up, down = (semi.mix(signal, quiet, 20.0, flip=f) for f in (False, True))
  np.testing.assert_array_equal(up[:semi.P], 0)
  np.testing.assert_allclose(up[semi.P:], signal, rtol=1e-6)
  np.testing.assert_allclose(down, -up)


@pytest.mark.parametrize('label, flip, snr, want', [
    (records.UP, False, 30.0, records.UP),
    (records.UP, True, 30.0, records.DOWN),
    (records.DOWN, True, 30.0, records.UP),
    (records.DOWN, False, 30.0, records.DOWN),
    (records.UP, True, -10.0, records.UNKNOWN),  # Motion below 3x noise.
    (records.UNKNOWN, True, 30.0, records.UNKNOWN),
    (semi.UNLABELLED, True, 30.0, semi.UNLABELLED),
])
def test_mix_polarity_flips_the_label(label, flip, snr, want):
  # First motion 1, signal RMS 1: noise RMS 10^(-snr/20).
  assert semi.mix_polarity(label, 1.0, 1.0, snr, flip) == want


def _first_sign(x):
  _, motion = semi.first_motion(x[semi.P:], 0.2 * np.abs(x[semi.P:]).max())
  return np.sign(motion)


def test_polarity_mixes_carry_their_signs(folder):
  splits, _ = semi.build(_data(folder), balance_polarity=False)
  recs = pick_data.PickRecords(**{
      f: np.concatenate([getattr(s, f) for s in splits.values()])
      for f in pick_data.FIELDS})
  mixes = np.array([t.startswith('mix') for t in recs.trace])
  assert mixes.sum() == 4 * 10  # Every record is clean here.
  signs = np.array([_first_sign(x) for x in recs.waveform[mixes]])
  labels = recs.polarity[mixes]
  assert set(labels.tolist()) == {records.UP, records.DOWN}  # Pseudo-labels.
  np.testing.assert_array_equal(signs, np.where(labels == records.UP, 1, -1))
  # Both signs of each signal occur: flips are drawn per mix.
  assert len(set(signs.tolist())) == 2


def _noise_freq(x):
  spectrum = np.abs(np.fft.rfft(x[:semi.P] * np.hanning(semi.P)))
  return np.fft.rfftfreq(semi.P, 1 / FS)[np.argmax(spectrum)]


def test_split_by_event_without_leakage(folder):
  splits, meta = semi.build(_data(folder))
  events = {k: set(v.event.tolist()) for k, v in splits.items()}
  assert all(events.values())
  assert not events['train'] & events['val']
  assert not events['train'] & events['test']
  assert not events['val'] & events['test']
  assert meta['n_clean_signals'] == {f'seisbench:{folder}': 10}
  for name, recs in splits.items():
    # Event k's noise is a sinusoid at 2 (k + 1) Hz: every mix's noise
    # comes from an event of its own split, as does its signal.
    allowed = {2.0 * (int(e.split(':ev')[1]) + 1) for e in events[name]}
    for x, trace in zip(recs.waveform, recs.trace):
      if trace.startswith('mix'):
        assert min(abs(_noise_freq(x) - f) for f in allowed) < 0.5, name


def test_build_is_deterministic_and_seeded(folder):
  first, _ = semi.build(_data(folder))
  again, _ = semi.build(_data(folder))
  for name in first:
    np.testing.assert_array_equal(first[name].waveform,
                                  again[name].waveform)
  other, _ = semi.build(_data(folder, shift_seed=1))
  assert not np.array_equal(first['train'].waveform, other['train'].waveform)


def test_polarity_data_is_balanced_and_labelled(folder):
  # Mixes down to -20 dB: some first motions drown (UNKNOWN).
  data = _data(folder, mixes_per_signal=12, snr_range_db=(-20.0, 40.0))
  splits, _ = semi.build(data, balance_polarity=True)
  counts = np.bincount(splits['train'].polarity, minlength=3)
  assert counts[records.DOWN] == counts[records.UP] == counts[
      records.UNKNOWN] > 0
  # Without pseudo-labels these sets label no first motion: no examples.
  semi.load_parts.cache_clear()
  with pytest.raises(ValueError, match='no polarity examples'):
    semi.build(_data(folder, pseudo_polarity=False), balance_polarity=True)


def test_continuous_noise_screens_events(tmp_path):
  rng = np.random.default_rng(0)
  x = rng.standard_normal(120 * 600)
  x[30000:30300] += 200 * np.sin(np.arange(300) / 3)  # An "event".
  trace = obspy.Trace(x.astype(np.float32), header={
      'sampling_rate': FS, 'network': 'XX', 'station': 'ST',
      'channel': 'HHZ'})
  path = tmp_path / 'day.mseed'
  obspy.Stream([trace]).write(str(path), format='MSEED')
  pieces, hours = semi.continuous_noise([str(path)])
  assert pieces.shape[1] == semi.N and len(pieces) == len(hours)
  assert len(pieces) < 119  # The piece with the event is left out.
  assert np.abs(pieces).max() < 10 * np.sqrt(np.mean(pieces ** 2))
  assert set(hours) == {f'XX.ST..HHZ:{trace.stats.starttime.isoformat()}:0'}


def test_get_datasets_through_the_source(folder):
  config = ml_collections.ConfigDict(
      {'data': _data(folder, test_fraction=0.0)})
  datasets = picker.TASK.get_datasets(config)
  assert datasets.dataset_name.startswith('semisynthetic/')
  assert len(datasets.test) == 0 and len(datasets.train) > len(datasets.val)
  item = datasets.train[0]
  assert item['x'].shape == (records.WINDOW_SAMPLES, 1)
  assert abs(item['pick']) <= 0.5


def test_configs_of_the_source():
  config = picker_config.get_config('cpu,data=semisynthetic,'
                                    'holdout=stead_ta109c')
  assert config.data.name == 'semisynthetic'
  assert config.data.sets == ('phasenet_ncedc', 'kumamoto_hinet',
                              'deepdenoiser_ncedc')
  assert config.data.test_fraction == 0.0
  assert config.model.dense_units == (64, 64)
  assert len(picker_config.get_config('data=semisynthetic').data.sets) == 4
  other = picker_config.get_config('data=semisynthetic:phasenet_ncedc+'
                                   'stead:/data/STEAD')
  assert other.data.sets == ('phasenet_ncedc', 'stead:/data/STEAD')
  with pytest.raises(ValueError, match='not one of'):
    picker_config.get_config('data=semisynthetic,holdout=scsn')
  with pytest.raises(ValueError, match='holdout='):
    picker_config.get_config('holdout=stead_ta109c')
