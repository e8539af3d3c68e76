"""The shipped picker and polarity models (seisjax/picking/shipped/).

They are package data, trained by `python bench/ship_models.py`: they must
load with no network and no workdir, be small, say where they came from,
and pick, on synthetic records (always) and on a real Hi-net trace (when
../shared/data is present).
"""

import csv
import json
import socket

import numpy as np
import obspy
import pytest

from seisjax import seismo
from seisjax.picking import inference
from seisjax.picking import pick as pick_lib
from seisjax.picking import records
from seisjax.picking import synthetic

KUMAMOTO = seismo.SHARED_DATA / 'picks' / 'kumamoto_hinet'
SETS = {'phasenet_ncedc', 'kumamoto_hinet', 'deepdenoiser_ncedc',
        'stead_ta109c'}


@pytest.fixture(name='offline')
def _offline(monkeypatch):
  """Any attempt to open a network connection fails the test."""
  def refuse(*args, **kwargs):
    raise AssertionError(f'network access attempted: {args} {kwargs}')
  monkeypatch.setattr(socket.socket, 'connect', refuse)
  monkeypatch.setattr(socket, 'create_connection', refuse)


@pytest.mark.parametrize('task', ['picker', 'polarity'])
def test_shipped_files_are_small_with_provenance(task):
  weights = inference.SHIPPED / f'{task}.npz'
  meta = json.loads((inference.SHIPPED / f'{task}.json').read_text())
  assert weights.stat().st_size < 2e6
  assert meta['weights_bytes'] == weights.stat().st_size
  assert meta['command'] == 'python bench/ship_models.py'
  assert len(meta['git_commit']) == 40
  assert set(meta['data']['sets']) == SETS
  assert meta['data']['synthetic_events'] > 0
  assert meta['config']['task'] == task
  assert meta['scores']['held_in_validation']


def test_shipped_picker_picks_synthetic_records(offline):
  del offline
  picker = inference.load_ensemble()  # No workdir: the shipped picker.
  assert picker.task == 'picker' and picker.n_members == 3
  windows, truth = [], []
  for event in range(20):
    rec = synthetic.station_record(7, event, 0, level_range=(0.0, 0.2),
                                   magnitude_range=(3.0, 4.0))
    shift = event % 7 * 10 - 30
    window, pick = records.window(rec['waveform'], shift)
    windows.append(window)
    truth.append(pick)
  picks = picker(np.stack(windows))  # (members, n)
  assert picks.shape == (3, 20)
  error = np.abs(picks.mean(0) - np.array(truth)) / records.SAMPLING_RATE
  assert np.median(error) < 0.05


def test_shipped_polarity_classifies_synthetic_records(offline):
  del offline
  polarity = inference.load_shipped('polarity')
  windows, labels = [], []
  for event in range(60):
    rec = synthetic.station_record(11, event, 0, level_range=(0.0, 0.2),
                                   magnitude_range=(3.0, 4.0))
    if rec['polarity'] != records.UNKNOWN:
      windows.append(records.window(rec['waveform'], 0)[0])
      labels.append(rec['polarity'])
  probs = polarity(np.stack(windows)).mean(0)
  np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-5)
  called = probs.argmax(-1)
  decided = called != records.UNKNOWN
  assert decided.mean() > 0.5
  # Chance is 0.5; on its validation windows the ensemble scored 0.8.
  assert np.mean(called[decided] == np.array(labels)[decided]) >= 0.7


def test_seisjax_pick_without_workdir_picks_a_real_trace(tmp_path, offline):
  del offline
  if not KUMAMOTO.is_dir():
    pytest.skip(f'{KUMAMOTO} is absent (real data lives outside the repo).')
  with open(KUMAMOTO / 'Kumamoto_phase.csv', newline='') as f:
    rows = list(csv.DictReader(f))
  row = next(r for r in rows if (
      KUMAMOTO / 'waveform' / r['data_id'] / f'{r["sta"]}.U.SAC').is_file())
  trace = obspy.read(str(KUMAMOTO / 'waveform' / row['data_id'] /
                         f'{row["sta"]}.U.SAC'))[0]
  # Hi-net names its vertical channel U (up); seisjax-pick looks for Z.
  trace.stats.network, trace.stats.channel = 'N', 'HHZ'
  path = tmp_path / 'hinet.mseed'
  trace.write(str(path), format='MSEED')
  output = tmp_path / 'picks.xml'
  picks = pick_lib.run(None, None, [str(path)], str(output))
  assert picks and output.is_file()
  truth = obspy.UTCDateTime(row['ptime'])
  nearest = min(abs(p.time - truth) for p in picks)
  assert nearest < 0.5
  # The shipped polarity model ran too (a polarity or 'undecidable').
  assert all(p.polarity in ('positive', 'negative', 'undecidable')
             for p in picks)


def test_export_and_load_round_trip(picker_run, tmp_path):
  meta = inference.export_shipped(picker_run[0], tmp_path, command='test')
  assert meta['command'] == 'test' and meta['task'] == 'picker'
  loaded = inference.load_shipped('picker', tmp_path)
  trained = inference.load_ensemble(picker_run[0])
  windows = np.random.default_rng(0).normal(size=(7, records.WINDOW_SAMPLES))
  np.testing.assert_allclose(loaded(windows), trained(windows), rtol=1e-5,
                             atol=1e-4)
  assert loaded.provenance['config']['task'] == 'picker'
  with pytest.raises(FileNotFoundError, match='No shipped polarity'):
    inference.load_shipped('polarity', tmp_path)
