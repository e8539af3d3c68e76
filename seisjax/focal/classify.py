"""First motions from the project's polarity CNN, for the focal inversion.

Ross et al. (2018) feed HASH with the CNN's polarities. Here each Kumamoto
record is read and preprocessed as the picking package reads it for
evaluation (`seisjax.picking.readers.read_kumamoto` and `to_records`:
detrend, 100 Hz, causal 1-20 Hz, the 6 s record around the analyst's P),
its 4 s window centred on that P is cut with `records.window` (as
`seisjax.picking.stream` centres the polarity window on a pick), and the
ensemble of `inference.load_ensemble` classifies it by the members' mean
probabilities of down, up and unknown. 'unknown' is left out later by the
focal reader, as the analysts' K picks are.
"""

import logging

import numpy as np

from seisjax.picking import inference
from seisjax.picking import readers as pick_readers
from seisjax.picking import records

log = logging.getLogger(__name__)
LETTERS = {records.DOWN: 'D', records.UP: 'U', records.UNKNOWN: 'K'}


def classify_records(ensemble, recs) -> np.ndarray:
  """(n, 3) mean probabilities of down, up, unknown of P-centred records."""
  if getattr(ensemble, 'task', None) != 'polarity':
    raise ValueError(f'Expected a polarity ensemble, got task '
                     f'{getattr(ensemble, "task", None)!r}: is '
                     'polarity_workdir the workdir of a configs/polarity.py '
                     'run?')
  if not recs:
    return np.zeros((0, 3))
  windows = np.stack([records.window(r['waveform'], 0)[0] for r in recs])
  probs = np.asarray(ensemble(windows), np.float64)
  if probs.ndim != 3 or probs.shape[1:] != (len(recs), 3):
    raise ValueError(f'The polarity ensemble returned shape {probs.shape} '
                     f'for {len(recs)} windows; expected (members, '
                     f'{len(recs)}, 3).')
  return probs.mean(axis=0)


def kumamoto_polarities(folder, polarity_workdir, ensemble=None):
  """The CNN's polarity of every Kumamoto record at the analysts' P.

  Args:
    folder: the kumamoto_hinet folder.
    polarity_workdir: a trained polarity run (configs/polarity.py).
    ensemble: a loaded ensemble to use instead (tests).

  Returns:
    ({(event_id, sta): 'U', 'D' or 'K'}, rows): rows for polarities.csv,
    one per record (event_id, station, analyst, cnn and the three
    probabilities). Records the picking reader cannot use (no waveform
    file, P too close to an end) are logged and absent.
  """
  if ensemble is None:
    ensemble = inference.load_ensemble(polarity_workdir)
  rejections = records.Rejections()
  recs = list(pick_readers.to_records(pick_readers.read_kumamoto(folder),
                                      rejections))
  if rejections.items:
    log.warning('Kumamoto records not classified: %s.', rejections.summary())
  probs = classify_records(ensemble, recs)
  polarities, rows = {}, []
  for record, p in zip(recs, probs):
    station = record['trace'].split('/', 1)[1]
    letter = LETTERS[int(np.argmax(p))]
    polarities[(record['event'], station)] = letter
    rows.append({'event_id': record['event'], 'station': station,
                 'analyst': LETTERS[int(record['polarity'])], 'cnn': letter,
                 'p_down': p[records.DOWN], 'p_up': p[records.UP],
                 'p_unknown': p[records.UNKNOWN]})
  agree = sum(r['analyst'] == r['cnn'] for r in rows if r['analyst'] != 'K')
  decided = sum(r['analyst'] != 'K' for r in rows)
  log.info('Polarity CNN on %d Kumamoto records: %d U, %d D, %d unknown; '
           'agrees with %d of the analysts\' %d U/D.', len(rows),
           *(sum(r['cnn'] == c for r in rows) for c in 'UDK'), agree,
           decided)
  return polarities, rows
