"""Tests for seisjax.precursor.synthetic and the synthetic_precursor builder.

The Peterson noise it plants the precursor in is tested in
tests/seismo/noise_test.py.
"""

import sys

import numpy as np
import pytest
import scipy.signal

from seisjax import seismo
from seisjax.precursor import synthetic
from seisjax.seismo import noise
from seisjax_datasets.synthetic_precursor import (
    synthetic_precursor_dataset_builder as builder_lib)

CONTINUOUS = seismo.SHARED_DATA / 'continuous'
TA_O18A = CONTINUOUS / 'TA.O18A..BH?.M.2008.227.120000.SAC'
FS = 40.0
TEN_HOURS = 12744 + 36 * 40000


def _fft_bandpass(x, lo, hi):
  """Brick-wall band-pass of (time, channels), independent of the code."""
  spectrum = np.fft.rfft(x, axis=0)
  f = np.fft.rfftfreq(len(x), 1 / FS)
  spectrum[(f < lo) | (f > hi)] = 0
  return np.fft.irfft(spectrum, len(x), axis=0)


def _find_segment(source, piece):
  """Asserts `piece` is a verbatim slice of `source`; returns its start."""
  starts = np.flatnonzero(np.all(source == piece[0], axis=1))
  assert len(starts) == 1, starts
  np.testing.assert_array_equal(piece, source[starts[0]:][:len(piece)])
  return starts[0]


def _rms(x):
  return np.sqrt(np.mean(np.square(x, dtype=np.float64)))


# ---------------------------------------------------------------- precursor


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_precursor_is_zero_before_onset_and_grows(seed):
  n, onset = TEN_HOURS, TEN_HOURS - 3 * 144000
  s = synthetic.precursor_signal(np.random.default_rng(seed), n, FS, onset)
  assert not s[:onset].any()
  assert s[onset:].any()
  early = _rms(s[onset:onset + 40000 * 4])  # the first 4000 s after onset
  late = _rms(s[-40000:])
  assert late > 5 * early
  # Most energy sits in the 0.1-0.9 Hz band, near the peaks.
  f, p = scipy.signal.welch(s[-40000:], fs=FS, nperseg=4096, axis=0)
  p = p.sum(axis=1)
  assert p[(f >= 0.1) & (f <= 0.9)].sum() > 0.95 * p.sum()
  near = (np.abs(f - 0.16) < 0.03) | (np.abs(f - 0.21) < 0.03)
  assert p[near].sum() > 0.5 * p.sum()


@pytest.mark.parametrize('seed', [(0, 0), (0, 1), (7, 3)])
def test_relative_spectral_difference_peaks_near_paper_peaks(seed):
  background, signal = synthetic.event_parts(seed, n_samples=TEN_HOURS)
  f, with_signal = scipy.signal.welch((background + signal)[-40000:], fs=FS,
                                      nperseg=4096, axis=0)
  _, without = scipy.signal.welch(background[-40000:], fs=FS, nperseg=4096,
                                  axis=0)
  relative = (with_signal.sum(1) - without.sum(1)) / without.sum(1)
  keep = (f > 0.03) & (f < 5.0)
  peak = f[keep][np.argmax(relative[keep])]
  assert min(abs(peak - 0.16), abs(peak - 0.21)) <= 0.03, peak


def _noise_with_out_of_band_energy():
  """Noise whose power lies mostly outside 0.1-0.9 Hz (3 Hz, 0.03 Hz)."""
  x = noise.synthetic_noise(np.random.default_rng(10), 100000, FS)
  t = np.arange(100000)[:, None] / FS
  rms = _rms(x)
  return x + 3 * rms * (np.sin(2 * np.pi * 3.0 * t + [0, 1, 2])
                        + np.sin(2 * np.pi * 0.03 * t))


@pytest.mark.parametrize('snr, given_noise', [(0.5, False), (2.0, True)])
def test_event_record_has_requested_snr(snr, given_noise):
  kwargs = dict(n_samples=200000, sampling_rate=FS, onset_fraction=0.3)
  if given_noise:  # Here an SNR without the band-pass would be far off.
    kwargs['noise'] = _noise_with_out_of_band_energy()
  record = synthetic.event_record((3, 4), snr=snr, **kwargs)
  background = synthetic.event_record((3, 4), snr=0.0, **kwargs)
  assert record.shape == (200000, 3) and record.dtype == np.float32
  signal = record.astype(np.float64) - background
  onset = 200000 - 60000
  assert not signal[:onset].any()
  # Recompute the definition with an independent (FFT) band-pass.
  noise_rms = _rms(_fft_bandpass(background, 0.1, 0.9)[-40000:])
  assert _rms(signal[-40000:]) / noise_rms == pytest.approx(snr, rel=0.05)


def test_snr_zero_is_exactly_the_background():
  kwargs = dict(n_samples=50000, sampling_rate=FS)
  background, signal = synthetic.event_parts(11, snr=2.0, **kwargs)
  null = synthetic.event_record(11, snr=0.0, **kwargs)
  np.testing.assert_array_equal(null, background.astype(np.float32))
  assert signal.any()  # ...while snr=2 does plant something.


def test_event_records_are_deterministic_and_differ_between_events():
  kwargs = dict(n_samples=60000, sampling_rate=FS)
  first = synthetic.event_record((0, 1), **kwargs)
  others = [synthetic.event_record((0, e), **kwargs) for e in range(2, 6)]
  np.testing.assert_array_equal(synthetic.event_record((0, 1), **kwargs),
                                first)  # regardless of what ran in between
  assert not np.allclose(first, others[0])
  assert not np.allclose(first, synthetic.event_record((1, 1), **kwargs))
  # Noise levels are drawn per event: their RMS spreads widely.
  rms = [_rms(_fft_bandpass(x, 0.1, 0.9)) for x in [first] + others]
  assert max(rms) / min(rms) > 1.5


def test_event_record_with_given_noise_uses_it():
  real = noise.synthetic_noise(np.random.default_rng(9), 100000, FS)
  record = synthetic.event_record(2, n_samples=150000, noise=real, snr=0.0)
  # The first tiled segment is a verbatim piece of the given noise.
  _find_segment(real, record[:1000])


# ---------------------------------------------------------------- builder


def test_make_config_names():
  default = builder_lib.make_config()
  assert default is builder_lib.Builder.BUILDER_CONFIGS[0]
  assert default.name.startswith(
      'ev31-snr2-seed0-fs40-36x40000-lead12744-on0p3-syn-')
  assert 'snr0p5' in builder_lib.make_config(snr=0.5).name
  assert builder_lib.make_config(snr=2, seed=0.0) is default
  # Knobs outside the readable part still change the name (via the hash).
  assert builder_lib.make_config(transient_rate=1.0).name != default.name
  assert builder_lib.make_config(noise_files=('a.SAC',)).name != default.name


def test_builder_writes_intervals_in_order(tmp_path):
  config = builder_lib.make_config(n_events=3, n_intervals=4,
                                   interval_samples=2000, lead_in_samples=500)
  builder = builder_lib.Builder(config=config, data_dir=str(tmp_path),
                                file_format='array_record')
  builder.download_and_prepare()
  source = builder.as_data_source('events')
  examples = [source[i] for i in range(len(source))]
  assert len(examples) == 12
  assert [(int(e['event']), int(e['interval'])) for e in examples] == [
      (event, interval) for event in range(3) for interval in range(1, 5)]
  for previous, example in zip(examples, examples[1:]):
    assert example['waveform'].shape == (2500, 3)
    assert example['waveform'].dtype == np.float32
    if example['event'] == previous['event']:
      np.testing.assert_array_equal(example['waveform'][:500],
                                    previous['waveform'][-500:])
  # The stored data is the generator's record for (seed, event).
  record = synthetic.event_record((0, 2), n_samples=8500, snr=2.0,
                                  snr_samples=2000)
  np.testing.assert_array_equal(examples[-1]['waveform'], record[-2500:])
  np.testing.assert_array_equal(examples[-4]['waveform'], record[:2500])
  assert builder.info.metadata['components'] == ['BH1', 'BH2', 'BHZ']
  assert builder.info.metadata['lead_in_samples'] == 500
  assert 'tensorflow' not in sys.modules


@pytest.mark.skipif(not CONTINUOUS.is_dir(),
                    reason=f'real recordings not available at {CONTINUOUS}')
def test_builder_with_real_noise(tmp_path):
  config = builder_lib.make_config(n_events=2, n_intervals=2,
                                   interval_samples=4000, lead_in_samples=0,
                                   snr=0.0, noise_files=(str(TA_O18A),))
  builder = builder_lib.Builder(config=config, data_dir=str(tmp_path))
  builder.download_and_prepare()
  source = builder.as_data_source('events')
  real = noise.load_noise(str(TA_O18A))
  first, other = source[0]['waveform'], source[2]['waveform']
  # Each event starts with a verbatim segment, a different one per event.
  assert _find_segment(real, first) != _find_segment(real, other)
