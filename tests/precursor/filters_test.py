"""Tests of seisjax.precursor.analyses.filters: scipy.signal, a fake model."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.signal

from seisjax.precursor.analyses import filters

FS = 40.0
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'

# Cut-offs at both ends of the band (0.1 Hz, 19.9 Hz) and in between.
DESIGNS = [
    ('lowpass', 0.1),
    ('lowpass', 1.0),
    ('lowpass', 19.9),
    ('highpass', 0.1),
    ('highpass', 5.0),
    ('highpass', 19.9),
    ('bandstop', (0.1, 0.3)),
    ('bandstop', (2.0, 8.0)),
    ('bandstop', (15.0, 19.9)),
    ('bandstop', (0.1, 19.9)),
]


def _scipy_sos(order, cutoff, btype):
  return scipy.signal.butter(order, cutoff, btype, fs=FS, output='sos')


# ------------------------------------------------------------------ design


@pytest.mark.parametrize('order', [8, 5])  # 5: the odd order's real pole.
@pytest.mark.parametrize('btype, cutoff', DESIGNS)
def test_response_matches_scipy_sosfreqz(btype, cutoff, order):
  freqs = np.linspace(0.0, FS / 2, 4001)  # DC and Nyquist included.
  _, want = scipy.signal.sosfreqz(_scipy_sos(order, cutoff, btype),
                                  worN=freqs, fs=FS)
  got = filters.butter_freqz(freqs, cutoff, btype, order, FS)
  assert got.shape == freqs.shape
  big = np.abs(want) > 1e-3
  np.testing.assert_allclose(np.abs(got[big]), np.abs(want[big]), rtol=1e-9)
  phase_error = np.angle(got[big] * np.conj(want[big]))
  np.testing.assert_array_less(np.abs(phase_error), 1e-9)
  np.testing.assert_allclose(got[~big], want[~big], rtol=0, atol=1e-12)


def test_batched_cutoffs_match_one_at_a_time():
  freqs = np.fft.rfftfreq(1024, 1 / FS)
  cutoffs = np.array([[0.1, 0.5], [1.0, 3.0], [8.0, 19.9]])  # (3, 2)
  batched = filters.butter_freqz(freqs, cutoffs, 'bandstop')
  assert batched.shape == (3, len(freqs))
  for row, edges in zip(batched, cutoffs):
    np.testing.assert_allclose(
        row, filters.butter_freqz(freqs, edges, 'bandstop'), atol=1e-14)


def test_fft_grid_response_is_complex64_of_the_design():
  response = filters.butter_response(2048, [0.5, 2.0], 'highpass')
  assert response.shape == (2, 1025) and response.dtype == jnp.complex64
  freqs = np.fft.rfftfreq(2048, 1 / FS)
  np.testing.assert_allclose(
      response, filters.butter_freqz(freqs, [0.5, 2.0], 'highpass'),
      atol=1e-6)


def test_cutoffs_outside_the_band_mean_no_filter_or_all_stopped():
  freqs = np.fft.rfftfreq(512, 1 / FS)
  design = lambda c, b: filters.butter_freqz(freqs, c, b)
  np.testing.assert_array_equal(design(20.0, 'lowpass'), 1.0)
  np.testing.assert_array_equal(design(25.0, 'lowpass'), 1.0)
  np.testing.assert_array_equal(design(20.0, 'highpass'), 0.0)
  np.testing.assert_array_equal(design(0.0, 'highpass'), 1.0)
  np.testing.assert_array_equal(design((-1.0, 21.0), 'bandstop'), 0.0)
  # A stop band reaching DC is a high-pass at its upper edge, one reaching
  # Nyquist a low-pass at its lower edge.
  np.testing.assert_allclose(design((-0.05, 0.05), 'bandstop'),
                             design(0.05, 'highpass'), atol=1e-14)
  np.testing.assert_allclose(design((19.95, 20.05), 'bandstop'),
                             design(19.95, 'lowpass'), atol=1e-14)


def test_design_rejects_bad_arguments():
  with pytest.raises(ValueError, match='btype'):
    filters.butter_freqz([1.0], 1.0, 'bandpass')
  with pytest.raises(ValueError, match='low < high'):
    filters.butter_freqz([1.0], (2.0, 1.0), 'bandstop')
  with pytest.raises(ValueError, match='too short'):
    filters.filter_batch(jnp.zeros((1, 100, 3)),
                         filters.butter_response(64, 1.0))


# ------------------------------------------------------------- filtering


@pytest.mark.parametrize('btype, cutoff', [
    ('lowpass', 0.1), ('lowpass', 19.9), ('highpass', 0.1),
    ('highpass', 19.9), ('bandstop', (0.15, 0.25)), ('bandstop', (2.0, 8.0)),
])
def test_filter_batch_matches_causal_sosfilt(btype, cutoff):
  x = np.random.default_rng(0).standard_normal((3, 8192, 3))
  x = x.astype(np.float32)
  response = filters.butter_response(filters.padded_length(8192), cutoff,
                                     btype)
  got = np.asarray(filters.filter_batch(jnp.asarray(x), response))
  assert got.shape == x.shape and got.dtype == np.float32
  want = scipy.signal.sosfilt(_scipy_sos(8, cutoff, btype),
                              x.astype(np.float64), axis=1)
  # From the first sample: zero-padding makes the FFT filter start from
  # rest, as sosfilt does. The bound is float32 rounding plus the impulse
  # response wrapped around the padded length.
  rms = np.sqrt(np.mean(x.astype(np.float64)**2))
  np.testing.assert_allclose(got, want, rtol=0, atol=3e-5 * rms)


def test_filter_batch_takes_one_response_per_window():
  x = np.random.default_rng(1).standard_normal((2, 256, 3)).astype(np.float32)
  responses = filters.butter_response(512, [1.0, 5.0])  # (2, 257)
  both = filters.filter_batch(x, responses)
  for i in range(2):
    np.testing.assert_allclose(
        both[i:i + 1], filters.filter_batch(x[i:i + 1], responses[i]),
        atol=1e-6)


def test_padded_length_is_even_and_at_least_double():
  for n in (100, 4096, 16384, 12345):
    n_fft = filters.padded_length(n)
    assert n_fft % 2 == 0 and n_fft >= 2 * n
  assert filters.padded_length(16384) == 32768


# ---------------------------------------------------------------- sweeps


def test_default_cutoffs_run_from_nyquist_down_to_a_tenth():
  cutoffs = filters.default_cutoffs()
  assert cutoffs.shape == (200,)
  assert cutoffs[0] == 20.0 and cutoffs[1] == 19.9 and cutoffs[-1] == 0.1
  assert cutoffs[100] == 10.0 and cutoffs[-2] == 0.2
  np.testing.assert_allclose(cutoffs, np.linspace(20.0, 0.1, 200),
                             rtol=0, atol=1e-12)
  np.testing.assert_array_equal(cutoffs, np.round(cutoffs, 1))
  assert len(filters.default_cutoffs(100.0, 0.5)) == 100


def test_sweep_metrics_on_fixed_probabilities():
  labels = np.array([0, 0, 1, 1, 1])
  probs = np.array([
      [0.8, 0.8, 0.8, 0.8, 0.8],  # Everything precursor.
      [0.2, 0.6, 0.9, 0.5, 0.7],  # 0.5 is not above the threshold.
      [0.0, 0.0, 1.0, 1.0, 1.0],  # Perfect and certain: clipped logs.
  ])
  metrics = filters.sweep_metrics(probs, labels)
  np.testing.assert_allclose(metrics['accuracy'], [0.6, 0.6, 1.0])
  np.testing.assert_allclose(metrics['accuracy_noise'], [0.0, 0.5, 1.0])
  np.testing.assert_allclose(metrics['accuracy_precursor'],
                             [1.0, 2 / 3, 1.0])
  want_loss = [
      -(2 * np.log(0.2) + 3 * np.log(0.8)) / 5,
      -(np.log(0.8) + np.log(0.4) + np.log(0.9) + np.log(0.5)
        + np.log(0.7)) / 5,
      -np.log(1 - 1e-7),
  ]
  np.testing.assert_allclose(metrics['loss'], want_loss, rtol=1e-6)


@pytest.mark.parametrize('cutoffs, accuracy, kwargs, want', [
    # Falls at 0.5 Hz and stays down.
    ([20, 10, 1, 0.5, 0.2, 0.1], [0.9, 0.9, 0.88, 0.7, 0.5, 0.5], {}, 0.5),
    # The same, in ascending order.
    ([0.1, 0.2, 0.5, 1, 10, 20], [0.5, 0.5, 0.7, 0.88, 0.9, 0.9], {}, 0.5),
    # A dip at 10 Hz with recovery below it does not count.
    ([20, 10, 1, 0.5, 0.2, 0.1], [0.9, 0.6, 0.9, 0.9, 0.5, 0.5], {}, 0.2),
    # Never degraded.
    ([20, 1, 0.1], [0.9, 0.87, 0.86], {}, None),
    # Degraded only in the middle.
    ([20, 1, 0.1], [0.9, 0.5, 0.9], {}, None),
    # Explicit baseline and tolerance: 0.88 < 0.95 - 0.05 at 1 Hz.
    ([20, 1, 0.1], [0.9, 0.88, 0.5], dict(baseline=0.95, tolerance=0.05),
     1.0),
])
def test_drop_cutoff(cutoffs, accuracy, kwargs, want):
  assert filters.drop_cutoff(cutoffs, accuracy, **kwargs) == want


# A fake model: precursor when the power in 0.1-0.3 Hz is high. Windows with
# a 0.2 Hz sinusoid of amplitude 1 on each channel have 1.5 there; white
# noise of unit variance has 3 * 0.2 / 20 = 0.03.
BAND_THRESHOLD = 0.2


def _band_power_model(x):
  """(batch, time, 3) -> (batch,) probabilities from 0.1-0.3 Hz power."""
  n_time = x.shape[1]
  freqs = jnp.fft.rfftfreq(n_time, 1 / FS)
  in_band = (freqs >= 0.1) & (freqs <= 0.3)
  spectrum = jnp.fft.rfft(x, axis=1)  # (batch, n_freq, 3)
  # Parseval: the mean square of the band's part of the signal.
  power = 2 * jnp.sum(jnp.abs(spectrum)**2 * in_band[:, None],
                      axis=(1, 2)) / n_time**2
  return jax.nn.sigmoid(4 * (jnp.log(power + 1e-12)
                             - jnp.log(BAND_THRESHOLD)))


@pytest.fixture(scope='module')
def planted():
  """20 windows of white noise, the odd ones with a 0.2 Hz sinusoid."""
  rng = np.random.default_rng(3)
  n, n_time = 20, 2048
  t = np.arange(n_time) / FS
  labels = np.arange(n) % 2
  x = rng.standard_normal((n, n_time, 3))
  phases = rng.uniform(0, 2 * np.pi, (n, 1, 1))
  x += labels[:, None, None] * np.sin(2 * np.pi * 0.2 * t[:, None] + phases)
  return x.astype(np.float32), labels


def test_fake_model_is_right_without_filtering(planted):
  x, labels = planted
  probs = np.asarray(_band_power_model(jnp.asarray(x)))
  np.testing.assert_array_equal(probs > 0.5, labels == 1)


def test_lowpass_sweep_drops_below_the_planted_frequency(planted):
  x, labels = planted
  cutoffs = [20.0, 5.0, 1.0, 0.5, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05]
  result = filters.frequency_sweep(_band_power_model, x, labels, cutoffs,
                                   'lowpass', batch_size=8)
  np.testing.assert_array_equal(result['cutoff'], cutoffs)
  accuracy = dict(zip(cutoffs, result['accuracy']))
  for c in (20.0, 5.0, 1.0, 0.5, 0.3, 0.25, 0.2):  # -3 dB at 0.2 Hz.
    assert accuracy[c] == 1.0, (c, accuracy)
  for c in (0.15, 0.1, 0.05):  # -40 dB at 0.2 Hz and more.
    assert accuracy[c] == 0.5, (c, accuracy)
  # Lost precursors, not noise, make the drop; the loss rises with it.
  assert np.all(result['accuracy_noise'] == 1.0)
  assert result['loss'][-1] > 2 * result['loss'][0]
  assert filters.drop_cutoff(result['cutoff'], result['accuracy']) == 0.15


def test_highpass_sweep_is_the_opposite(planted):
  x, labels = planted
  cutoffs = [20.0, 5.0, 1.0, 0.3, 0.25, 0.15, 0.1, 0.05]
  result = filters.frequency_sweep(_band_power_model, x, labels, cutoffs,
                                   'highpass', batch_size=8)
  np.testing.assert_array_equal(result['accuracy'],
                                [0.5, 0.5, 0.5, 0.5, 0.5, 1.0, 1.0, 1.0])


def test_bandstop_sweep_drops_only_near_the_planted_frequency(planted):
  x, labels = planted
  centres = [20.0, 5.0, 1.0, 0.5, 0.35, 0.2, 0.05]
  result = filters.frequency_sweep(_band_power_model, x, labels, centres,
                                   'bandstop', batch_size=8,
                                   stop_width=0.1)
  np.testing.assert_array_equal(result['accuracy'],
                                [1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 1.0])


def test_sweep_compiles_once_for_a_ragged_last_batch(planted):
  x, labels = planted
  traces = []

  def model(batch):
    traces.append(batch.shape)
    return _band_power_model(batch)

  # 20 windows in batches of 8: the last one (4) is padded to 8.
  result = filters.frequency_sweep(model, x, labels, [20.0, 0.1],
                                   batch_size=8)
  assert traces == [(8, 2048, 3)]
  np.testing.assert_array_equal(result['accuracy'], [1.0, 0.5])


def test_default_sweep_covers_200_cutoffs(planted):
  x, labels = planted
  result = filters.frequency_sweep(_band_power_model, x[:4], labels[:4])
  assert result['cutoff'].shape == result['accuracy'].shape == (200,)
  assert result['accuracy'][0] == 1.0 and result['accuracy'][-1] == 0.5


def test_plot_frequency_sweep_writes_png(tmp_path):
  cutoffs = filters.default_cutoffs()
  accuracy = np.where(cutoffs > 0.2, 0.9, 0.5)
  result = dict(cutoff=cutoffs, accuracy=accuracy,
                loss=1.0 - accuracy)
  path = tmp_path / 'sweep.png'
  filters.plot_frequency_sweep(result, path,
                               drop=filters.drop_cutoff(cutoffs, accuracy),
                               title='low-pass')
  data = path.read_bytes()
  assert data[:8] == PNG_MAGIC and len(data) > 1000
