r"""How long building the real Japan data set takes, measured on local data.

  python bench/japan_build.py [--records=4]

No machine here reaches an FDSN server, so the mocked client of the tests
(seisjax/precursor/mock_fdsn.py: real TA.O18A 40 Hz noise relabelled
IU.MAJO) serves
`--records` records of the paper's layout (10 h + 318 s, 3 channels, 40
Hz). It times the two stages of `japan_precursor` separately: filling the
MiniSEED cache (the server's part excluded: the mock answers instantly) and
the QC + TFDS build from the cache. Prints one JSON object: MB and seconds
per record, and both extrapolated to the paper's 63 event records plus
`--noise_b` noise B windows and 31 fake-event records. Download time is
the cache's MB divided by your link's throughput, plus server latency.
Needs ../shared/data/continuous.
"""

import json
import os
import pathlib
import shutil
import sys
import tempfile
import time

from absl import app
from absl import flags
from obspy.core import event as ev
from seisjax_datasets.japan_precursor import (
    japan_precursor_dataset_builder as builder_lib)

from seisjax.precursor import japan
from seisjax.precursor import mock_fdsn

flags.DEFINE_integer('records', 4, 'Event records to build.')
flags.DEFINE_integer('noise_b', 100, 'Noise B windows to extrapolate to.')
FLAGS = flags.FLAGS


def _size_mb(folder) -> float:
  return sum(p.stat().st_size for p in pathlib.Path(folder).rglob('*')
             if p.is_file()) / 1e6


def main(argv):
  del argv
  if not mock_fdsn.CONTINUOUS.is_dir():
    sys.exit(f'needs the real recordings in {mock_fdsn.CONTINUOUS}')
  tmp = tempfile.mkdtemp(prefix='japan_build_')
  catalog = ev.Catalog([
      mock_fdsn.event(f'e{k}', f'{2013 + k}-06-01T12:00:00', 37.0, 141.0,
                      [(6.5, 'Mww')]) for k in range(FLAGS.records)])
  client = mock_fdsn.MockClient(catalog=catalog)
  rows = japan.rebuild_catalogue(client, n_set_a=FLAGS.records, n_test=1)
  japan.write_catalogue(rows, os.path.join(tmp, 'catalogue.csv'))
  config = builder_lib.make_config(
      kind='set_a', catalogue=os.path.join(tmp, 'catalogue.csv'),
      waveform_dir=os.path.join(tmp, 'cache'))  # The paper's layout.
  layout = builder_lib.layout(config)
  targets = japan.plan('set_a', rows, layout)

  start = time.perf_counter()
  japan.fetch(targets, client, config.waveform_dir, config.sampling_rate)
  fetch_s = time.perf_counter() - start
  start = time.perf_counter()
  builder = builder_lib.Builder(config=config,
                                data_dir=os.path.join(tmp, 'tfds'),
                                client=client)
  builder.download_and_prepare()
  build_s = time.perf_counter() - start

  n = len(builder_lib.records_of(builder))
  record_s = layout.record_samples / config.sampling_rate
  per = {'cache_mb': _size_mb(config.waveform_dir) / n,
         'tfds_mb': _size_mb(os.path.join(tmp, 'tfds')) / n,
         'cache_write_s': fetch_s / n, 'qc_and_build_s': build_s / n}
  # A noise B window (lead-in + one interval) is about 1/28 of a record.
  paper = 63 + 31 + FLAGS.noise_b * layout.span_samples / (
      layout.record_samples)
  print(json.dumps({
      'records': n, 'record_hours': round(record_s / 3600, 3),
      'per_record': {k: round(v, 2) for k, v in per.items()},
      'paper_set_record_equivalents': round(paper, 1),
      'paper_set': {k: round(v * paper, 1) for k, v in per.items()}},
                   indent=2))
  shutil.rmtree(tmp)


if __name__ == '__main__':
  app.run(main)
