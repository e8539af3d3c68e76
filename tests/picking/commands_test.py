"""The pick and evaluate commands refuse what would lose data or mislead.

Each test reproduces a case as a user meets it: the output of a pick named
as its input, a missing output folder, a polarity classifier evaluated on a
set without first motions, picks from an ensemble whose training did not
finish. Refusals exit with 1 in one or two lines and leave every file as
it was.
"""

import logging
import os
import shutil

import numpy as np
import obspy
import pytest

from seisjax.picking import data as pick_data
from seisjax.picking import evaluation
from seisjax.picking import inference
from seisjax.picking import records
from tests import clitools


def _mseed(path, seconds=30.0):
  rng = np.random.default_rng(0)
  x = rng.normal(size=int(seconds * 100)).astype(np.float32)
  x[1500:1700] += 40 * np.sin(np.arange(200) / 3.0)
  trace = obspy.Trace(x, header={'network': 'XX', 'station': 'SYN',
                                 'channel': 'HHZ', 'sampling_rate': 100.0,
                                 'starttime': obspy.UTCDateTime(2020, 1, 1)})
  obspy.Stream([trace]).write(str(path), format='MSEED')
  return str(path)


def _pick(picker, *args):
  return clitools.run('seisjax.picking.pick', f'--workdir={picker}', *args)


def _refused(process, needle):
  lines = clitools.error_lines(process, 'seisjax-pick')
  assert process.returncode == 1, process.stderr[-2000:]
  assert 'Traceback' not in process.stderr and 1 <= len(lines) <= 2, lines
  assert needle in lines[0], lines[0]


def test_an_output_that_is_an_input_is_refused(picker_run, tmp_path):
  waveform = _mseed(tmp_path / 'X.mseed')
  before = clitools.snapshot(tmp_path)
  done = _pick(picker_run[0], f'--input={waveform}', f'--output={waveform}')
  _refused(done, 'is one of the inputs')
  # Named through a folder input too.
  done = _pick(picker_run[0], f'--input={tmp_path}', f'--output={waveform}')
  _refused(done, 'is one of the inputs')
  assert clitools.snapshot(tmp_path) == before


@pytest.mark.parametrize('output, needle', [
    ('missing/picks.xml', 'does not exist'),
    ('.', 'is a folder'),
])
def test_an_unwritable_output_is_refused_before_any_work(picker_run, tmp_path,
                                                         output, needle):
  waveform = _mseed(tmp_path / 'X.mseed')
  done = _pick('/nonexistent-workdir', f'--input={waveform}',
               f'--output={tmp_path / output}')
  _refused(done, needle)  # Before the (missing) picker is even loaded.


def test_picking_prints_our_lines_not_the_libraries(picker_run, tmp_path):
  waveform = _mseed(tmp_path / 'X.mseed')
  output = tmp_path / 'picks.xml'
  done = _pick(picker_run[0], f'--input={waveform}', f'--output={output}')
  assert done.returncode == 0, done.stderr[-2000:]
  assert 'P picks from 1 traces written to' in done.stdout
  assert 'orbax' not in done.stderr.lower()
  assert obspy.read_events(str(output))  # Written whole, readable.
  assert not [p for p in os.listdir(tmp_path) if p.startswith('.tmp')]


def test_an_unfinished_training_is_said_when_its_picker_loads(picker_run,
                                                              tmp_path,
                                                              caplog):
  unfinished = str(tmp_path / 'unfinished')
  shutil.copytree(picker_run[0], unfinished)
  os.remove(os.path.join(unfinished, 'summary.json'))
  caplog.set_level(logging.WARNING, logger='seisjax')
  inference.load_ensemble(unfinished)
  assert 'did not finish' in caplog.text
  caplog.clear()
  inference.load_ensemble(picker_run[0])
  assert 'did not finish' not in caplog.text


def _unlabelled_windows(n=6):
  waveform = np.zeros((n, records.RECORD_SAMPLES), np.float32)
  waveform[:, records.P_SAMPLE:] = 1.0
  recs = pick_data.PickRecords(
      waveform=waveform, p_sample=np.full(n, records.P_SAMPLE),
      polarity=np.full(n, records.UNKNOWN), event=np.arange(n).astype(str),
      trace=np.arange(n).astype(str), snr_db=np.zeros(n),
      distance_km=np.zeros(n), magnitude=np.zeros(n))
  return pick_data.PickWindows(recs, 1, 0)


def test_a_polarity_evaluation_without_first_motions_is_refused(tmp_path):
  windows = _unlabelled_windows()
  probs = np.full((2, len(windows), 3), 1 / 3)
  with pytest.raises(ValueError, match='labels no first motion'):
    evaluation.evaluate(windows, str(tmp_path / 'out'), 'unlabelled',
                        probs=probs)
  assert not os.path.exists(tmp_path / 'out')
  # Picks need no polarity labels.
  rows = evaluation.evaluate(windows, str(tmp_path / 'picks'), 'unlabelled',
                             picks=np.full((2, len(windows)), 200.0))
  assert rows[0]['method'] == 'CNN ensemble'


@pytest.mark.skipif(not os.path.isdir(pick_data.SHARED_PICKS),
                    reason='../shared/data/picks is absent')
def test_the_evaluate_command_refuses_it_on_a_real_unlabelled_set(
    polarity_run, tmp_path):
  before = clitools.snapshot(polarity_run[0])
  done = clitools.run('seisjax.picking.evaluate',
                      f'--workdir={polarity_run[0]}', '--data=phasenet_ncedc',
                      f'--output={tmp_path / "out"}')
  lines = clitools.error_lines(done, 'seisjax-evaluate')
  assert done.returncode == 1 and 'Traceback' not in done.stderr
  assert 'labels no first motion' in lines[0]
  assert clitools.snapshot(polarity_run[0]) == before
