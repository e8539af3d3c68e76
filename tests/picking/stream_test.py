"""Tests of picking on ObsPy Streams and the pick command, with fake models.

The fake picker puts each member's pick at the first sample of the window
whose |x| reaches a tenth of the window's peak (plus a fixed offset per
member), which on the planted impulsive 10 Hz arrivals is within 0.02 s of
the true onset after the causal band-pass. The fake polarity model reads the
sign of that sample. The chunk tests pick a 30 min stream in 5 min chunks
and whole; there `CentrePicker` (window centre plus offsets) makes the
picks a function of the trigger onsets alone.
"""

import logging

import numpy as np
import obspy
import pytest

from seisjax.picking import pick as pick_cmd
from seisjax.picking import inference
from seisjax.picking import stream

T0 = obspy.UTCDateTime(2024, 5, 1, 12)
ARRIVALS = ((8.0, 1), (18.3, -1))  # (seconds after T0, first-motion sign)
TOL = 0.05  # s


def _trace(arrivals=ARRIVALS, rate=100.0, duration=30.0, station='A',
           channel='HHZ', start=T0, seed=0, amplitudes=None):
  """Noise with impulsive arrivals at (time after `start`, sign)."""
  rng = np.random.default_rng(seed)
  t = np.arange(int(round(duration * rate))) / rate
  x = 0.01 * rng.standard_normal(t.size)
  for i, (onset, sign) in enumerate(arrivals):
    dt = t - onset
    amp = 1.0 if amplitudes is None else amplitudes[i]
    x += np.where(dt >= 0, amp * sign * np.sin(2 * np.pi * 10 * dt)
                  * np.exp(-np.maximum(dt, 0) / 0.4), 0.0)
  return obspy.Trace((x * 1000).astype(np.float32), header={
      'network': 'XX', 'station': station, 'location': '',
      'channel': channel, 'sampling_rate': rate, 'starttime': start})


def _first_motion(windows):
  """(n,) first sample of each window with |x| >= a tenth of its peak."""
  a = np.abs(windows)
  return np.argmax(a >= 0.1 * a.max(axis=1, keepdims=True), axis=1)


class FakePicker:
  """Members pick the first motion plus `offsets` samples; keeps its input."""

  task = 'picker'

  def __init__(self, offsets=(0.0,), spread_by_peak=False):
    self.offsets = np.asarray(offsets, float)
    self.spread_by_peak = spread_by_peak
    self.calls = []

  def __call__(self, windows):
    self.calls.append(np.array(windows))
    first = _first_motion(windows).astype(float)
    offsets = self.offsets[:, None]
    if self.spread_by_peak:  # louder windows: members agree more
      offsets = offsets / np.abs(windows).max(axis=1)[None] * 1000
    return first[None] + offsets  # (members, n)


class FakePolarity:
  """Probabilities from the sign of the first motion, or fixed ones."""

  task = 'polarity'

  def __init__(self, fixed=None):
    self.fixed = None if fixed is None else np.asarray(fixed, float)
    self.calls = []

  def __call__(self, windows):
    self.calls.append(np.array(windows))
    n = len(windows)
    if self.fixed is not None:  # (members, 3) for every window
      return np.repeat(self.fixed[:, None], n, axis=1)
    up = windows[np.arange(n), _first_motion(windows)] > 0
    probs = np.where(up[:, None], [0.1, 0.8, 0.1], [0.8, 0.1, 0.1])
    return np.stack([probs, probs])  # (members, n, 3)


def _offsets_s(picks, start=T0):
  return [p.time - start for p in picks]


@pytest.mark.parametrize('rate', [100.0, 200.0, 40.0])
def test_picks_near_planted_times_with_member_spread(rate):
  offsets = (-6.0, 0.0, 6.0)
  picks = stream.pick(obspy.Stream([_trace(rate=rate)]),
                      FakePicker(offsets))
  assert len(picks) == 2
  np.testing.assert_allclose(_offsets_s(picks), [a for a, _ in ARRIVALS],
                             atol=TOL)
  for p in picks:
    assert p.time_errors.uncertainty == pytest.approx(np.std(offsets) / 100)
    assert p.waveform_id.get_seed_string() == 'XX.A..HHZ'
    assert p.phase_hint == 'P'
    assert p.evaluation_mode == 'automatic'
    assert str(p.method_id) == stream.METHOD_ID
    assert p.polarity is None  # no polarity model


def test_pick_is_member_mean_and_uncertainty_has_one_sample_floor():
  picks = stream.pick(obspy.Stream([_trace()]), FakePicker((0, 0, 60)))
  # A median or first member would leave the pick on the onset.
  np.testing.assert_allclose(_offsets_s(picks), [8.2, 18.5], atol=TOL)
  assert picks[0].time_errors.uncertainty == pytest.approx(
      np.std([0, 0, 60]) / 100)
  agreeing = stream.pick(obspy.Stream([_trace()]), FakePicker((0, 0, 0)))
  assert [p.time_errors.uncertainty for p in agreeing] == [0.01, 0.01]


def test_windows_are_preprocessed_not_normalised():
  tr = _trace(rate=200.0)
  picker = FakePicker()
  stream.pick(obspy.Stream([tr]), picker, refine=0)
  y = stream.records.preprocess(tr.data, 200.0)
  (windows,) = picker.calls
  assert windows.shape == (2, 400)
  assert np.abs(windows).max() > 10  # the data were scaled by 1000
  for w in windows:
    assert any(np.array_equal(y[s:s + 400], w) for s in range(len(y) - 399))


def test_refine_recentres_window_on_previous_pick():
  # Biased members: the first pick is 20 samples late, so a re-centred
  # window has its first motion 20 samples before the centre.
  picker, polarity = FakePicker((0, 0, 60)), FakePolarity()
  stream.pick(obspy.Stream([_trace()]), picker, polarity, refine=3)
  assert len(picker.calls) == 2  # the third pass would not move the window
  np.testing.assert_array_equal(_first_motion(picker.calls[1]), [180, 180])
  (windows,) = polarity.calls  # centred on the final pick
  np.testing.assert_array_equal(_first_motion(windows), [180, 180])
  once, polarity = FakePicker((0, 0, 60)), FakePolarity()
  stream.pick(obspy.Stream([_trace()]), once, polarity, refine=0)
  assert len(once.calls) == 1
  assert np.all(np.abs(_first_motion(once.calls[0]) - 200) <= 3)  # trigger
  (windows,) = polarity.calls  # centred on the pick, not on the trigger
  np.testing.assert_array_equal(_first_motion(windows), [180, 180])


def test_polarity_from_first_motion():
  picks = stream.pick(obspy.Stream([_trace()]), FakePicker(), FakePolarity())
  assert [p.polarity for p in picks] == ['positive', 'negative']


@pytest.mark.parametrize('members, expected', [
    # The mean says down although two of three members say up.
    ([[0.45, 0.55, 0.0], [0.45, 0.55, 0.0], [1.0, 0.0, 0.0]], 'negative'),
    ([[0.55, 0.45, 0.0], [0.55, 0.45, 0.0], [0.0, 1.0, 0.0]], 'positive'),
    ([[0.2, 0.3, 0.5], [0.3, 0.2, 0.5]], 'undecidable'),
])
def test_polarity_mean_probabilities_to_quakeml(members, expected):
  picks = stream.pick(obspy.Stream([_trace()]), FakePicker(),
                      FakePolarity(members))
  assert [p.polarity for p in picks] == [expected, expected]


def test_quakeml_round_trip(tmp_path):
  picks = stream.pick(obspy.Stream([_trace(), _trace(station='B', seed=1)]),
                      FakePicker((-3, 3)), FakePolarity())
  path = tmp_path / 'picks.xml'
  stream.write_quakeml(picks, path)
  catalog = obspy.read_events(str(path))
  assert len(catalog) == 1
  back = catalog[0].picks
  assert len(back) == len(picks) == 4
  for a, b in zip(picks, back):
    assert abs(a.time - b.time) < 1e-6
    assert b.polarity == a.polarity
    assert b.time_errors.uncertainty == pytest.approx(0.03)
    assert b.waveform_id.get_seed_string() == a.waveform_id.get_seed_string()
    assert b.phase_hint == 'P'
  assert [p.polarity for p in back] == ['positive', 'positive', 'negative',
                                        'negative']


def test_merges_close_picks_keeping_most_certain():
  tr = _trace(amplitudes=(1.0, 3.0))
  picker = FakePicker((-5, 5), spread_by_peak=True)
  assert len(stream.pick(obspy.Stream([tr]), picker)) == 2
  (kept,) = stream.pick(obspy.Stream([tr]), picker, min_separation=15.0)
  assert abs(kept.time - T0 - 18.3) < TOL  # the louder, more certain one


def test_no_vertical_channel_is_an_error():
  st = obspy.Stream([_trace(channel='HHN'), _trace(channel='HHE')])
  with pytest.raises(ValueError, match=r'HHE.*HHN'):
    stream.pick(st, FakePicker())


def test_station_without_vertical_is_skipped(caplog):
  st = obspy.Stream([_trace(), _trace(station='B', channel='HH1'),
                     _trace(station='C', channel='HH3')])
  with caplog.at_level(logging.WARNING):
    picks = stream.pick(st, FakePicker())
  assert {p.waveform_id.station_code for p in picks} == {'A'}
  assert 'XX.B.' in caplog.text and 'HH1' in caplog.text
  # '3' is vertical only when asked for.
  picks = stream.pick(st, FakePicker(), components='Z3')
  assert {p.waveform_id.station_code for p in picks} == {'A', 'C'}


def test_prefers_highest_rate_vertical():
  st = obspy.Stream([_trace(channel='BHZ', rate=40.0),
                     _trace(channel='HHZ', rate=200.0, seed=3)])
  picks = stream.pick(st, FakePicker())
  assert {p.waveform_id.channel_code for p in picks} == {'HHZ'}


def test_low_rate_is_an_error():
  with pytest.raises(ValueError, match=r'XX\.A\.\.HHZ.*20 Hz'):
    stream.pick(obspy.Stream([_trace(rate=20.0)]), FakePicker())


def test_nans_are_an_error():
  tr = _trace()
  tr.data[100:105] = np.nan
  with pytest.raises(ValueError, match=r'XX\.A\.\.HHZ.*5 of 3000.*NaN'):
    stream.pick(obspy.Stream([tr]), FakePicker())


def test_gap_segments_are_picked_separately(caplog):
  tr = _trace(arrivals=((8.0, 1), (30.0, -1)), duration=40.0)
  st = obspy.Stream([tr.slice(T0, T0 + 15), tr.slice(T0 + 20, T0 + 40)])
  with caplog.at_level(logging.WARNING):
    picks = stream.pick(st, FakePicker(), FakePolarity())
  np.testing.assert_allclose(_offsets_s(picks), [8.0, 30.0], atol=TOL)
  assert [p.polarity for p in picks] == ['positive', 'negative']
  assert '1 gaps' in caplog.text


def test_short_segments_and_edge_triggers_are_skipped(caplog):
  st = obspy.Stream([_trace(arrivals=((9.0, 1), (29.0, 1))),
                     _trace(station='B', duration=3.5)])
  with caplog.at_level(logging.WARNING):
    picks = stream.pick(st, FakePicker())
  np.testing.assert_allclose(_offsets_s(picks), [9.0], atol=TOL)
  assert 'XX.B..HHZ' in caplog.text and 'shorter than a 4 s window' in (
      caplog.text)
  assert 'from the segment end' in caplog.text
  with pytest.raises(ValueError, match='no traces'):
    stream.pick(obspy.Stream(), FakePicker())


def test_swapped_ensembles_are_an_error():
  with pytest.raises(ValueError, match='swapped'):
    stream.pick(obspy.Stream([_trace()]), FakePolarity(), FakePicker())


@pytest.fixture
def fake_inference(monkeypatch):
  """Replaces `load_ensemble` with fakes; records the workdirs."""
  loaded = []

  def load_ensemble(workdir=None, task='picker'):
    del task  # the workdirs below name theirs
    loaded.append(workdir)
    return FakePicker((-2, 2)) if 'picker' in workdir else FakePolarity()
  monkeypatch.setattr(inference, 'load_ensemble', load_ensemble)
  return loaded


def test_command_end_to_end(tmp_path, capsys, fake_inference):
  folder = tmp_path / 'waveforms'
  folder.mkdir()
  _trace().write(str(folder / 'A.mseed'), format='MSEED')
  _trace(station='B', seed=1, rate=200.0).write(str(folder / 'B.sac'),
                                                format='SAC')
  (folder / 'README.txt').write_text('not a waveform')
  output = tmp_path / 'picks.xml'
  picks = pick_cmd.run('runs/picker', 'runs/polarity', [str(folder)],
                       str(output))
  assert fake_inference == ['runs/picker', 'runs/polarity']
  assert len(picks) == 4
  back = obspy.read_events(str(output))[0].picks
  assert [p.polarity for p in back] == ['positive'] * 2 + ['negative'] * 2
  np.testing.assert_allclose(sorted(_offsets_s(back)), [8, 8, 18.3, 18.3],
                             atol=TOL)
  lines = capsys.readouterr().out.splitlines()
  assert len(lines) == 5 and lines[-1].startswith('4 P picks')
  assert 'XX.A..HHZ' in lines[0] and 'positive' in lines[0]


def test_command_unreadable_named_file(tmp_path, fake_inference):
  good = tmp_path / 'A.mseed'
  _trace().write(str(good), format='MSEED')
  bad = tmp_path / 'notes.txt'
  bad.write_text('not a waveform')
  with pytest.raises(ValueError, match='notes.txt'):
    pick_cmd.run('runs/picker', None, [str(good), str(bad)],
                 str(tmp_path / 'p.xml'))
  with pytest.raises(ValueError, match='No file'):
    pick_cmd.run('runs/picker', None, [str(tmp_path / '*.sac')],
                 str(tmp_path / 'p.xml'))
  picks = pick_cmd.run('runs/picker', None, [str(tmp_path / '*.mseed')],
                       str(tmp_path / 'p.xml'))
  assert len(picks) == 2 and all(p.polarity is None for p in picks)


# Chunks of long segments: a 30 min stream in 5 min chunks, with onsets on
# both sides of chunk boundaries (300 s, 600 s, ...), some weak.
LONG_ARRIVALS = ((61.0, 1), (298.9, -1), (301.2, 1), (450.0, -1),
                 (599.5, 1), (900.4, -1), (1203.0, 1), (1500.0, -1),
                 (1798.5, 1))
LONG_AMPLITUDES = (1.0, 0.2, 0.5, 0.1, 1.0, 0.1, 0.3, 1.0, 0.5)


class CentrePicker:
  """Members pick the window centre plus fixed offsets (no data read)."""

  task = 'picker'

  def __init__(self, offsets=(-2.0, 3.0)):
    self.offsets = np.asarray(offsets, float)

  def __call__(self, windows):
    centre = np.full(len(windows), windows.shape[1] / 2)
    return centre[None] + self.offsets[:, None]  # (members, n)


def _long_stream(rate):
  return obspy.Stream([_trace(LONG_ARRIVALS, rate=rate, duration=1800.0,
                              amplitudes=LONG_AMPLITUDES, seed=4)])


@pytest.mark.parametrize('rate', [100.0, 200.0, 40.0])
@pytest.mark.parametrize('make_picker, tolerance', [
    (CentrePicker, 1e-6),  # picks follow the trigger onsets exactly
    # Reads the data; lost in the weak or close arrivals, moved by refine.
    (lambda: FakePicker((-4.0, 0.0, 4.0)), 0.01 + 1e-6),
])
def test_chunked_equals_unchunked(rate, make_picker, tolerance, caplog):
  st = _long_stream(rate)
  # No merging of close picks: it would hide an onset picked twice.
  whole = stream.pick(st, make_picker(), FakePolarity(), chunk=None,
                      min_separation=0.0)
  if make_picker is CentrePicker:
    # The trigger finds every planted onset but the one within 2 s of the
    # end; the weakest (0.1) up to 0.1 s late.
    np.testing.assert_allclose(_offsets_s(whole),
                               [a for a, _ in LONG_ARRIVALS[:-1]], atol=0.15)
  caplog.clear()
  with caplog.at_level(logging.INFO, logger=stream.__name__):
    chunked = stream.pick(st, make_picker(), FakePolarity(), chunk=300.0,
                          min_separation=0.0)
  assert len(whole) >= 7
  assert len(chunked) == len(whole)
  np.testing.assert_allclose(_offsets_s(chunked), _offsets_s(whole),
                             atol=tolerance, rtol=0)
  assert [p.polarity for p in chunked] == [p.polarity for p in whole]
  assert ([p.time_errors.uncertainty for p in chunked]
          == pytest.approx([p.time_errors.uncertainty for p in whole]))
  # One progress line per chunk, the last with an ETA of zero.
  lines = [r.message for r in caplog.records if 'step ' in r.message]
  assert len(lines) == 6 and 'step 6/6 (100%)' in lines[-1]
  assert 'ETA 0m00s' in lines[-1] and 's of data/s' in lines[-1]
  # The end is still the segment's end: the last onset is skipped there.
  assert caplog.text.count('from the segment end') == 1


def test_chunked_windows_equal_unchunked_windows():
  st = _long_stream(200.0)
  whole, chunked = FakePicker(), FakePicker()
  stream.pick(st, whole, refine=0, chunk=None)
  stream.pick(st, chunked, refine=0, chunk=300.0)
  # The onsets of all six chunks go to the picker in one call.
  assert len(chunked.calls) == 1
  a, b = np.concatenate(whole.calls), np.concatenate(chunked.calls)
  assert a.shape == b.shape == (len(LONG_ARRIVALS) - 1, 400)
  # Same samples but for the chunks' own detrend, forgotten by the filter.
  np.testing.assert_allclose(b, a, rtol=0, atol=1e-4 * np.abs(a).max())


def test_small_batches_pick_the_same(monkeypatch):
  st = obspy.Stream([*_long_stream(100.0),
                     _trace(station='B', seed=1, rate=200.0)])
  whole = stream.pick(st, FakePicker((-4.0, 4.0)), FakePolarity())
  monkeypatch.setattr(stream, 'BATCH_TRIGGERS', 3)
  picker = FakePicker((-4.0, 4.0))
  batched = stream.pick(st, picker, FakePolarity(), chunk=300.0)
  assert len(picker.calls) > 3  # several batches, each refined
  assert [p.waveform_id.station_code for p in batched] == [
      p.waveform_id.station_code for p in whole]
  np.testing.assert_allclose(_offsets_s(batched), _offsets_s(whole),
                             atol=0.01 + 1e-6, rtol=0)
  assert [p.polarity for p in batched] == [p.polarity for p in whole]


def test_chunks_tile_the_segment_and_short_ones_stay_whole():
  trigger = stream.TriggerConfig()
  for rate in (100.0, 200.0, 40.0, 250.0):
    seg = _trace(arrivals=(), rate=rate, duration=1000.3)
    chunks = stream._chunks(seg, 120.0, trigger, refine=1)
    assert len(chunks) == 9
    owns = [c.own for c in chunks]
    assert owns[0][0] == 0 and owns[-1][1] >= 100030
    assert all(a[1] == b[0] for a, b in zip(owns, owns[1:]))
    for c in chunks:
      # The slice starts on the 100 Hz grid of the segment...
      assert c.begin * 100 / rate == pytest.approx(c.base)
      # ...and reaches the warm-up before and a window after its part.
      assert c.base <= max(0, c.own[0] - 30 * 500)
      assert c.end * 100 / rate >= min(c.own[1] + 400, 100030)
    assert stream._chunks(seg, 1000.4, trigger, 1) == [
        stream._Chunk(0, seg.stats.npts, 0, (-np.inf, np.inf))]
  with pytest.raises(ValueError, match='chunk=0'):
    stream.pick(obspy.Stream([_trace()]), FakePicker(), chunk=0)
