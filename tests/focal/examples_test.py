"""Issue 17's reproductions, end to end through the command's run
(seisjax/focal/run.py): HASH v1.2's five examples against their reference
outputs, SKHASH's maacama example against OUT/out.csv, the Kumamoto
events from the analysts' polarities and from a polarity classifier.

The criteria are computed here again from the files the runs wrote
(mechanisms.csv against example<N>.out), not only read from summary.json.
Each example runs once (module fixtures); everything skips cleanly
without ../shared/data.
"""

import csv

import numpy as np
import pytest

from configs import focal as focal_config
from seisjax.focal import classify
from seisjax.focal import hash_runs
from seisjax.focal import mechanism
from seisjax.focal import run as run_lib
from seisjax.focal import sources
from seisjax.picking import records

from tests.focal.shared_data import HASH, SKHASH
from tests.focal.shared_data import needs_hash, needs_kumamoto, needs_skhash


def _run(arg, workdir, **fields):
  config = focal_config.get_config(arg)
  config.outputs.figures = False
  config.update(fields)
  return run_lib.run(config, str(workdir))


def _csv(path):
  with open(path, newline='') as f:
    return list(csv.DictReader(f))


def _preferred(workdir):
  """{event id: first row} of a run's mechanisms.csv."""
  out = {}
  for row in _csv(workdir / 'mechanisms.csv'):
    out.setdefault(row['event_id'], row)
  return out


@pytest.fixture(scope='module')
def examples(tmp_path_factory):
  """{n: (workdir, summary)} of the five examples, run once."""
  if not HASH.is_dir():
    pytest.skip(f'HASH examples not found at {HASH}')
  out = {}
  for n in range(1, 6):
    workdir = tmp_path_factory.mktemp(f'example{n}')
    out[n] = (workdir, _run(f'example{n}', workdir))
  return out


@needs_hash
@pytest.mark.parametrize('n', [1, 2, 3, 4, 5])
def test_example_reproduces_hash(examples, n):
  """At least 90% of events within the reference's larger plane
  uncertainty (Kagan), median Kagan <= 5 degrees, the same letter for at
  least 75% and within one grade for all."""
  workdir, summary = examples[n]
  reference = hash_runs.read_hash_output(
      HASH / 'examples' / 'output' / f'example{n}.out')
  ours = _preferred(workdir)
  assert len(ours) == 24
  kagan, within, same, one = [], [], [], []
  for event_id, solutions in reference.items():
    ref, row = solutions[0], ours[event_id]
    angle = float(mechanism.kagan_angle(
        [float(row[k]) for k in ('strike', 'dip', 'rake')],
        [ref.strike, ref.dip, ref.rake]))
    kagan.append(angle)
    within.append(angle <= max(ref.fault_plane_uncertainty,
                               ref.aux_plane_uncertainty))
    same.append(row['quality'] == ref.quality)
    one.append(abs(ord(row['quality']) - ord(ref.quality)) <= 1)
    assert int(row['npol']) == ref.npol, event_id
  measured = {'within': np.mean(within), 'median_kagan': np.median(kagan),
              'same_quality': np.mean(same), 'one_grade': np.mean(one)}
  assert measured['within'] >= 0.9, measured
  assert measured['median_kagan'] <= 5.0, measured
  assert measured['same_quality'] >= 0.75, measured
  assert measured['one_grade'] == 1.0, measured
  for key, value in measured.items():  # the run's own comparison agrees
    assert summary['comparison'][key] == pytest.approx(value), key
  assert all(summary['criteria'].values())
  assert summary['comparison']['n_reference'] == len(reference)


@needs_hash
def test_example_events_without_a_line_in_hash_are_e(examples):
  """HASH writes no line for quality E/F: example 5's 3159027 and 3160206
  have azimuthal gaps above 90 degrees; ours are E, with the reason."""
  workdir, summary = examples[5]
  rows = _preferred(workdir)
  for event_id in ('3159027', '3160206'):
    assert rows[event_id]['quality'] == 'E' and rows[event_id]['strike'] == ''
    assert 'azimuthal gap' in summary['no_mechanism'][event_id]
  assert summary['qualities']['E'] == 2


@needs_hash
def test_example_3_uses_sp_ratios_and_the_drivers_rules(examples):
  workdir, summary = examples[3]
  assert summary['options']['rate_misfit'] is False
  assert summary['options']['npolmin'] == 0
  rows = _csv(workdir / 'mechanisms.csv')
  assert {'n_sp', 'sp_misfit'} <= set(rows[0])
  reference = hash_runs.read_hash_output(
      HASH / 'examples' / 'output' / 'example3.out')
  ours = _preferred(workdir)
  assert all(int(ours[e]['n_sp']) == s[0].n_sp for e, s in reference.items())


@needs_hash
def test_same_inputs_and_seed_give_identical_files(examples, tmp_path):
  workdir, _ = examples[4]
  _run('example4', tmp_path)
  for name in ('mechanisms.csv', 'comparison.csv', 'rejected.csv'):
    assert (tmp_path / name).read_bytes() == (workdir / name).read_bytes()


@pytest.fixture(scope='module')
def maacama(tmp_path_factory):
  if not SKHASH.is_dir():
    pytest.skip(f'SKHASH maacama not found at {SKHASH}')
  workdir = tmp_path_factory.mktemp('maacama')
  summary = _run('maacama', workdir)
  # SKHASH's rule, as its out.csv was made: with HASH's (drop the farthest
  # one at a time) event 2 lands 8.5 degrees away (docs/focal.md).
  assert summary['options']['trim'] == 'skhash'
  reference = sources.read_skhash_out(SKHASH / 'OUT' / 'out.csv')
  ours = _preferred(workdir)
  kagan = {e: float(mechanism.kagan_angle(
      [float(ours[e][k]) for k in ('strike', 'dip', 'rake')],
      [r.strike, r.dip, r.rake])) for e, r in reference.items()}
  return ours, reference, kagan


@needs_skhash
def test_maacama_both_events_within_5_degrees_and_quality_b(maacama):
  ours, reference, kagan = maacama
  assert set(ours) == set(reference) == {'1', '2'}
  assert [ours[e]['quality'] for e in '12'] == ['B', 'B']
  assert [reference[e].quality for e in '12'] == ['B', 'B']
  assert int(ours['1']['npol']) == 2995 and int(ours['2']['npol']) == 4168
  assert kagan['1'] <= 5.0 and kagan['2'] <= 5.0, kagan


@needs_kumamoto
def test_kumamoto_from_the_analysts_polarities(tmp_path):
  summary = _run('kumamoto', tmp_path)
  rows = {r['event_id']: r for r in _csv(tmp_path / 'comparison.csv')}
  assert set(rows) == {'J2016041507465204', 'J2016042016013028'}
  catalogue = {'J2016041507465204': (20, 69, 172),
               'J2016042016013028': (267, 35, -91)}
  for event_id, sdr in catalogue.items():
    row = rows[event_id]
    assert tuple(float(row[f'reference_{k}']) for k in (
        'strike', 'dip', 'rake')) == sdr
    assert 0.0 <= float(row['kagan']) <= 120.0
    assert row['quality'] in 'ABCD'
  assert summary['n_with_mechanism'] == 2
  npol = sum(int(r['npol']) for r in _preferred(tmp_path).values())
  assert npol == 60  # 45 U + 15 D with station coordinates
  reasons = {r['reason'] for r in _csv(tmp_path / 'rejected.csv')}
  assert reasons == {'unknown polarity (K)', 'not in the station list'}


class _FirstMotion:
  """A stand-in polarity ensemble: the sign of the window just after its
  centre (the P), unknown when the motion there is small."""
  task = 'polarity'

  def __call__(self, windows):
    half = records.WINDOW_SAMPLES // 2
    motion = windows[:, half:half + 8].sum(axis=1)
    scale = np.abs(windows).max(axis=1)
    probs = np.zeros((len(windows), 3))
    probs[:, records.UP] = motion > 0.05 * scale
    probs[:, records.DOWN] = motion < -0.05 * scale
    probs[:, records.UNKNOWN] = probs.sum(axis=1) == 0
    return np.stack([probs, probs])  # two identical members


@needs_kumamoto
def test_kumamoto_from_a_classifier_through_the_command(tmp_path,
                                                        monkeypatch):
  """The CNN variant's plumbing: every record with a waveform classified
  at the analyst's P, 'unknown' and unclassified picks left out."""
  monkeypatch.setattr(classify.inference, 'load_ensemble',
                      lambda workdir: _FirstMotion())
  summary = _run('kumamoto,polarities=cnn,polarity_workdir=stand-in',
                 tmp_path)
  table = _csv(tmp_path / 'polarities.csv')
  assert len(table) == 100  # the records with a waveform file
  assert {r['analyst'] for r in table} == {'U', 'D', 'K'}
  counts = {c: sum(r['cnn'] == c for r in table) for c in 'UDK'}
  npol = sum(int(r['npol']) for r in _preferred(tmp_path).values())
  rejected = _csv(tmp_path / 'rejected.csv')
  unclassified = sum(r['reason'] == 'not classified (no usable record)'
                     for r in rejected)
  assert unclassified == 21
  assert sum(r['reason'] == 'unknown polarity (K)'
             for r in rejected) == counts['K']
  # Every record's station has coordinates: each U or D is used.
  assert npol == counts['U'] + counts['D']
  assert summary['inputs']['polarity_workdir'] == 'stand-in'


def test_classifier_must_be_a_polarity_ensemble():
  class Picker:
    task = 'picker'
  with pytest.raises(ValueError, match='Expected a polarity ensemble'):
    classify.classify_records(Picker(), [])
