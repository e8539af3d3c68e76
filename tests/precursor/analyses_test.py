"""The section-6 analyses on a tiny trained model recover what was planted."""

import csv
import json
import os

import numpy as np
import pytest

from configs import precursor as precursor_config
from seisjax.precursor import analyze
from seisjax.precursor import synthetic


def _read_csv(path):
  with open(path) as f:
    rows = list(csv.DictReader(f))
  return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}


def _config(data_dir, arg):
  config = precursor_config.get_config(arg)
  config.data.data_dir = data_dir
  return config


@pytest.fixture(scope='module')
def planted(planted_run, data_dir):
  workdir = planted_run[0]
  return workdir, analyze.analyze(_config(data_dir, 'tiny'), workdir)


def _near_planted(freq_hz, tolerance=0.03):
  return min(abs(freq_hz - f) for f in synthetic.PEAK_FREQUENCIES) <= tolerance


def test_files_are_written(planted):
  workdir, results = planted
  outdir = os.path.join(workdir, 'analyses')
  with open(os.path.join(outdir, 'analyses.json')) as f:
    assert json.load(f) == results
  for name in ('sequential', 'time_occlusion', 'spectrogram', 'lowpass',
               'highpass', 'bandstop', 'spectra_train', 'spectra_test'):
    assert os.path.getsize(os.path.join(outdir, f'{name}.png')) > 0, name
    if name != 'spectrogram':
      assert os.path.getsize(os.path.join(outdir, f'{name}.csv')) > 0, name


def test_spectral_difference_peaks_at_the_planted_frequencies(planted):
  _, results = planted
  for split in ('train', 'test'):
    top = results[f'spectra/{split}_top_peak_hz']
    assert _near_planted(top), (split, top)
    # Peaks that stand out lie at the planted frequencies too.
    peaks = results[f'spectra/{split}_peaks_hz']
    assert all(_near_planted(p) for p in peaks), (split, peaks)


def test_lowpass_sweep_drops_below_the_planted_band(planted):
  workdir, results = planted
  assert results['lowpass/unfiltered_accuracy'] >= 0.75
  drop = results['lowpass/drop_cutoff_hz']
  assert drop is not None and 0.1 <= drop <= 0.9
  sweep = _read_csv(os.path.join(workdir, 'analyses', 'lowpass.csv'))
  kept = sweep['accuracy'][sweep['cutoff'] >= 1.0]
  assert kept.min() >= results['lowpass/unfiltered_accuracy'] - 0.1
  assert sweep['accuracy'][sweep['cutoff'] <= 0.1].max() <= 0.65


def test_highpass_and_bandstop_sweeps_hit_the_planted_band(planted):
  workdir, results = planted
  sweep = _read_csv(os.path.join(workdir, 'analyses', 'highpass.csv'))
  # High-pass above the band removes the precursor: towards chance.
  assert sweep['accuracy'][sweep['cutoff'] == 1.0][0] <= 0.65
  assert 0.1 <= results['bandstop/lowest_accuracy_cutoff_hz'] <= 0.9


def test_occlusion_drops_where_the_planted_bursts_are(planted):
  workdir, results = planted
  assert results['time_occlusion/planted_correlation'] > 0.3
  table = _read_csv(os.path.join(workdir, 'analyses', 'time_occlusion.csv'))
  # The largest drop sits under a burst, not in a quiet stretch.
  at_max_drop = table['planted_energy'][np.argmax(table['drop_all'])]
  assert at_max_drop >= np.median(table['planted_energy'])


def test_no_spectral_peak_on_null_data(null_run, data_dir):
  workdir, _ = null_run
  config = _config(data_dir, 'tiny,snr=0')
  config.evals = {'spectra': config.evals.spectra}
  results = analyze.analyze(config, workdir)
  for split in ('train', 'test'):
    assert results[f'spectra/{split}_peaks_hz'] == []
    assert results[f'spectra/{split}_p_value'] > 0.05
