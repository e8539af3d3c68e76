"""Tests for seisjax.picking.synthetic and the synthetic_picks TFDS builder.

The source physics it builds on is tested in tests/seismo/source_test.py.
"""

import numpy as np
import pytest
import scipy.signal

from seisjax import seismo
from seisjax.picking import records
from seisjax.picking import synthetic as picks
from seisjax.seismo import source
from seisjax_datasets.synthetic_picks import (
    synthetic_picks_dataset_builder as builder_lib)

REAL_NOISE = seismo.SHARED_DATA / 'continuous' / 'YA.UV06.00.HHZ.D.2010.244'
TINY = dict(n_events=40)


def _sign(polarity):
  return {records.UP: 1.0, records.DOWN: -1.0}[int(polarity)]


def _noise_rms(waveform):
  return np.sqrt(np.mean(np.square(
      waveform[records.P_SAMPLE - 100:records.P_SAMPLE], dtype=np.float64)))


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
  """(builder, list of records, list of (event, station)) of a tiny build."""
  builder = builder_lib.Builder(config=builder_lib.make_config(**TINY),
                                data_dir=str(tmp_path_factory.mktemp('tfds')))
  builder.download_and_prepare()
  source = builder.as_data_source(builder_lib.SPLIT)
  keys = [(e, s) for e in range(TINY['n_events'])
          for s in range(picks.event_source(0, e)['n_stations'])]
  return builder, [source[i] for i in range(len(source))], keys


# ---------------------------------------------------------------- records


def test_record_depends_only_on_its_key():
  one = picks.station_record(3, 5, 2)
  np.testing.assert_array_equal(one['waveform'],
                                picks.station_record(3, 5, 2)['waveform'])
  # Another station count for the event leaves the station's record alone.
  np.testing.assert_array_equal(
      one['waveform'],
      picks.station_record(3, 5, 2, stations_per_event=(3, 4))['waveform'])
  for other in ((3, 5, 1), (3, 6, 2), (4, 5, 2)):
    assert not np.allclose(one['waveform'],
                           picks.station_record(*other)['waveform'])
  assert one['event'] == 'syn000005' and one['trace'] == 'syn000005.S02'


@pytest.mark.parametrize('key', [(0, 0, 0), (0, 7, 1), (1, 3, 4), (2, 11, 0)])
def test_onset_is_at_p_sample(key):
  noise, signal, _ = picks.station_parts(*key)
  assert noise.shape == signal.shape == (picks.RAW_SAMPLES,)
  assert np.all(signal[:picks.P_INDEX] == 0)
  assert signal[picks.P_INDEX] != 0
  assert np.std(noise) > 0
  record = picks.station_record(*key, analyst_k=0)
  assert record['p_sample'] == records.P_SAMPLE
  # The record is the preprocessed sum, and the signal in it starts at P.
  from_noise = records.cut(records.preprocess(noise, picks.FS), picks.P_INDEX)
  difference = record['waveform'] - from_noise
  from_signal = records.cut(scipy.signal.sosfilt(records.SOS, signal),
                            picks.P_INDEX)
  assert np.all(from_signal[:records.P_SAMPLE] == 0)
  np.testing.assert_allclose(difference, from_signal,
                             atol=1e-3 * np.abs(from_signal).max())


@pytest.mark.parametrize('key', [(0, 0, 0), (0, 7, 1), (1, 3, 4), (2, 11, 0),
                                 (0, 2, 3), (1, 9, 1)])
def test_label_is_the_first_break_an_analyst_sees(key):
  noise, signal, _ = picks.station_parts(*key)
  record = picks.station_record(*key)  # analyst_k=3
  lag = picks.analyst_lag(noise, signal, 3.0)
  assert 0 <= lag <= 50
  moved = np.roll(signal, -lag)  # Zeros before the onset roll to the end.
  np.testing.assert_allclose(
      record['waveform'],
      records.cut(records.preprocess(noise + moved, picks.FS), picks.P_INDEX),
      rtol=1e-5, atol=1e-6)
  # On the band-passed signal: nothing above 3 x the noise RMS before P,
  # and P itself above it (unless the onset never stands out).
  filtered = scipy.signal.sosfilt(records.SOS, moved)
  noise_rms = np.sqrt(np.mean(scipy.signal.sosfilt(
      records.SOS, noise - noise.mean())[picks.P_INDEX - 100:picks.P_INDEX]
                              ** 2))
  assert np.all(np.abs(filtered[:picks.P_INDEX]) <= 3 * noise_rms)
  if lag:
    assert abs(filtered[picks.P_INDEX]) > 3 * noise_rms


@pytest.mark.parametrize('key', [(0, 0, 0), (0, 7, 1), (1, 3, 4)])
def test_display_threshold_moves_the_label_to_a_visible_break(key):
  noise, signal, _ = picks.station_parts(*key, level_range=(0.0, 0.1))
  y = scipy.signal.sosfilt(records.SOS, signal)[picks.P_INDEX:]
  visible = 0.02 * np.abs(y[:100]).max()
  lag = picks.analyst_lag(noise, signal, 3.0, display=0.02)
  assert np.all(np.abs(y[:lag]) <= visible)
  assert abs(y[lag]) > visible
  assert lag >= picks.analyst_lag(noise, signal, 3.0)


def test_reverberation_rings_at_the_layer_frequency():
  impulse = np.zeros(400)
  impulse[0] = 1.0
  h = picks.reverberate(impulse, 5, 0.6)  # 10 Hz at 100 Hz.
  multiples = np.arange(0, 400, 5)
  np.testing.assert_allclose(h[multiples], (-0.6) ** np.arange(80),
                             atol=1e-9)
  np.testing.assert_allclose(np.delete(h, multiples), 0, atol=1e-9)
  gain = np.abs(np.fft.rfft(h, 4000))
  f = np.fft.rfftfreq(4000, 1 / picks.FS)
  assert f[np.argmax(gain[f < 15])] == pytest.approx(10.0)
  assert gain.max() == pytest.approx(1 / (1 - 0.6), rel=1e-3)


def test_reverberation_keeps_noise_and_onset():
  noise, signal, _ = picks.station_parts(0, 7, 1)
  noise_r, signal_r, info = picks.station_parts(0, 7, 1,
                                                max_reverberation=0.8)
  np.testing.assert_array_equal(noise_r, noise)
  assert 2.0 <= info['site_f0'] <= 25.0 and 0.0 <= info['site_r'] <= 0.8
  assert np.all(signal_r[:picks.P_INDEX] == 0)
  assert signal_r[picks.P_INDEX] == pytest.approx(signal[picks.P_INDEX])
  assert not np.allclose(signal_r, signal)


def test_polarity_is_first_motion_of_clear_impulsive_onsets(tiny):
  _, recs, keys = tiny
  checked = 0
  for record, (event, station) in zip(recs, keys):
    if record['polarity'] == records.UNKNOWN:
      continue
    noise, signal, info = builder_lib.station_parts(
        builder_lib.make_config(**TINY), event, station)
    sign = _sign(record['polarity'])
    assert np.sign(info['radiation']) == sign
    lag, motion = picks.first_motion(signal)
    # The record has the first visible break at P, the onset `early` before.
    early = picks.analyst_lag(noise, signal, 3.0)
    noise_rms = _noise_rms(record['waveform'])
    assert np.sign(motion) == sign
    assert (record['waveform'][records.P_SAMPLE + lag - early] * sign
            > 3 * noise_rms)
    if info['emergent'] or abs(motion) < 6 * noise_rms:
      continue
    assert np.sign(signal[picks.P_INDEX]) == sign
    # On the record as a picker sees it: the first clear swing from P.
    waveform = record['waveform'][records.P_SAMPLE:]
    first = np.flatnonzero(np.abs(waveform) > 3 * noise_rms)[0]
    assert np.sign(waveform[first]) == sign, (event, station)
    checked += 1
  assert checked >= 10


def test_unknown_where_onset_is_below_noise(tiny):
  _, recs, _ = tiny
  snr = np.array([r['snr_db'] for r in recs])
  unknown = np.array([r['polarity'] == records.UNKNOWN for r in recs])
  fractions = [np.mean(unknown[(snr >= lo) & (snr < hi)])
               for lo, hi in ((-np.inf, 5), (5, 25), (25, np.inf))]
  assert fractions[0] > 0.75 and fractions[2] < 0.4, fractions
  assert fractions[0] > fractions[1] > fractions[2], fractions


def test_snr_spans_the_scsn_range(tiny):
  _, recs, _ = tiny
  snr = np.array([r['snr_db'] for r in recs])
  low, median, high = np.percentile(snr, [5, 50, 95])
  assert -3 < low < 5 and 10 < median < 25 and 35 < high < 60
  assert np.mean((snr > 0) & (snr < 40)) > 0.75
  # snr_db is the stated power ratio of the stored record.
  record = recs[0]
  np.testing.assert_allclose(record['snr_db'],
                             picks.snr_db(record['waveform']), rtol=1e-5)


def test_metadata_ranges(tiny):
  _, recs, keys = tiny
  magnitude = np.array([r['magnitude'] for r in recs])
  distance = np.array([r['distance_km'] for r in recs])
  assert magnitude.min() >= 1.5 and magnitude.max() <= 5.0
  assert np.median(magnitude) < 2.5  # Gutenberg-Richter: mostly small.
  assert distance.min() >= 3.0 and distance.max() <= 150.0
  n_stations = np.bincount([e for e, _ in keys])
  assert n_stations.min() >= 3 and n_stations.max() <= 8
  assert all(np.all(np.isfinite(r['waveform'])) for r in recs)


@pytest.mark.parametrize('b', [1.0, 0.5, 0.0])
def test_magnitudes_follow_gutenberg_richter(b):
  magnitude = np.array([picks.event_source(0, e, magnitude_b=b)['magnitude']
                        for e in range(4000)])
  assert magnitude.min() >= 1.5 and magnitude.max() <= 5.0
  # Truncated Gutenberg-Richter: P(M >= m) is proportional to
  # 10^(-b m) - 10^(-b 5); b = 0 is uniform.
  for m in (2.0, 3.0, 4.0):
    want = ((10 ** (-b * m) - 10 ** (-b * 5)) / (10 ** (-b * 1.5)
                                                  - 10 ** (-b * 5))
            if b else (5 - m) / 3.5)
    assert abs(np.mean(magnitude >= m) - want) < 0.03, (b, m)


def test_nucleation_phase_leads_the_main_rupture():
  events = [picks.event_source(0, e, nucleation_fraction=0.5)
            for e in range(2000)]
  leads = np.array([e['nucleation_s'] for e in events])
  assert abs(np.mean(leads > 0) - 0.5) < 0.04
  assert leads[leads > 0].min() >= 0.05 and leads.max() <= 0.5
  ratios = np.array([e['nucleation_ratio'] for e in events])
  assert ratios.min() >= 0.01 and ratios.max() <= 0.3
  # The option only adds draws: the other source parameters stay.
  event = int(np.argmax(leads > 0))
  plain = picks.event_source(0, event)
  assert plain.pop('nucleation_s') == 0
  assert {k: events[event][k] for k in plain} == plain
  _, signal, _ = picks.station_parts(0, event, 0)
  _, nucleated, info = picks.station_parts(0, event, 0,
                                           nucleation_fraction=0.5)
  lead = round(info['nucleation_s'] * picks.FS)
  want = info['nucleation_ratio'] * signal
  want[picks.P_INDEX + lead:] += signal[picks.P_INDEX:-lead]
  np.testing.assert_allclose(nucleated, want)
  assert np.all(nucleated[:picks.P_INDEX] == 0)


def test_relative_nucleation_grows_with_the_rupture_duration():
  def events(**kwargs):
    return [picks.event_source(0, e, nucleation_fraction=1.0, **kwargs)
            for e in range(500)]
  fixed, relative = events(), events(nucleation_relative=True)
  durations = np.array([1 / source.corner_frequency(e['magnitude'],
                                                    e['stress_drop_mpa'])
                        for e in relative])
  leads = np.array([e['nucleation_s'] for e in relative])
  np.testing.assert_allclose(  # The same draw, on another scale.
      leads / durations, [e['nucleation_s'] / 0.5 for e in fixed])
  magnitudes = np.array([e['magnitude'] for e in relative])
  assert np.median(leads[magnitudes > 3.5]) > 10 * np.median(
      leads[magnitudes < 2])


# ---------------------------------------------------------------- builder


def test_make_config_names():
  default = builder_lib.make_config()
  assert default is builder_lib.Builder.BUILDER_CONFIGS[0]
  assert default.name.startswith('ev1000-st3to8-seed0-syn-')
  assert builder_lib.make_config(seed=0.0) is default
  assert builder_lib.make_config(n_events=40).name != default.name
  assert builder_lib.make_config(min_first_motion=2).name != default.name
  assert '-real-' in builder_lib.make_config(noise_files=['a']).name


def test_builder_writes_records_in_key_order(tiny):
  builder, recs, keys = tiny
  assert len(recs) == len(keys)
  assert builder.info.splits[builder_lib.SPLIT].num_examples == len(keys)
  for index in (0, len(keys) // 2, len(keys) - 1):
    event, station = keys[index]
    want = picks.station_record(0, event, station)
    got = recs[index]
    assert got['waveform'].shape == (records.RECORD_SAMPLES,)
    assert got['waveform'].dtype == np.float32
    np.testing.assert_array_equal(got['waveform'], want['waveform'])
    assert got['event'].decode() == f'syn{event:06d}'
    assert got['polarity'] == want['polarity']
  assert len({r['trace'] for r in recs}) == len(recs)


def test_builder_passes_label_site_and_source_options(tmp_path):
  options = dict(analyst_display=0.02, max_reverberation=0.8,
                 magnitude_b=0.0, nucleation_fraction=1.0,
                 nucleation_relative=True)
  builder = builder_lib.Builder(
      config=builder_lib.make_config(n_events=2, **options),
      data_dir=str(tmp_path))
  builder.download_and_prepare()
  got = builder.as_data_source(builder_lib.SPLIT)[0]['waveform']
  want = picks.station_record(0, 0, 0, **options)['waveform']
  np.testing.assert_array_equal(got, want)
  assert not np.array_equal(got, picks.station_record(0, 0, 0)['waveform'])


def test_builder_metadata_counts_every_class(tiny):
  builder, recs, _ = tiny
  counts = np.bincount([r['polarity'] for r in recs], minlength=3)
  assert np.all(counts > 0.15 * len(recs))
  # Read back from disk, as a training run sees it.
  reread = builder_lib.Builder(config=builder.builder_config,
                               data_dir=builder.data_dir.rsplit(
                                   '/synthetic_picks/', 1)[0])
  metadata = reread.info.metadata
  assert metadata['polarity_counts'] == dict(
      zip(records.POLARITY_NAMES, counts.tolist()))
  assert metadata['n_records'] == len(recs)
  assert metadata['p_sample'] == records.P_SAMPLE
  assert metadata['sampling_rate'] == records.SAMPLING_RATE


def test_real_noise_is_a_scaled_slice_at_the_peterson_level():
  recording = np.random.default_rng(0).standard_normal(5000) * 1e3
  noise, _, info = picks.station_parts(0, 3, 1, noise_pieces=[recording])
  starts = [k for k in range(len(recording) - picks.RAW_SAMPLES + 1)
            if np.allclose(noise, recording[k:k + picks.RAW_SAMPLES]
                           * noise[0] / recording[k])]
  assert len(starts) == 1
  power = np.mean(records.preprocess(noise, picks.FS)[picks.PRE_ROLL:]
                  .astype(np.float64)**2)
  np.testing.assert_allclose(power, picks._band_power(info['level']),
                             rtol=0.05)


@pytest.mark.skipif(not REAL_NOISE.exists(),
                    reason=f'{REAL_NOISE} is not on this machine')
def test_real_noise_file_gives_records_like_synthetic_noise():
  pieces = picks.load_vertical_noise(REAL_NOISE)
  assert sum(len(p) for p in pieces) >= 8_000_000  # 24 h at 100 Hz.
  real, signal, _ = picks.station_parts(0, 3, 1, noise_pieces=pieces)
  synthetic, same_signal, _ = picks.station_parts(0, 3, 1)
  np.testing.assert_array_equal(signal, same_signal)
  power = [np.mean(records.preprocess(x, picks.FS)[picks.PRE_ROLL:]
                   .astype(np.float64)**2) for x in (real, synthetic)]
  assert 0.3 < power[0] / power[1] < 3.0, power
  record = picks.station_record(0, 3, 1, noise_pieces=pieces)
  assert record['waveform'].shape == (records.RECORD_SAMPLES,)
