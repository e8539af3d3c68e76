"""Seismology that the studies share, and no training.

Catalogues (catalogue.py), FDSN downloads (fdsn.py), quality control of
continuous records (qc.py), Peterson-model noise (noise.py) and source
physics (source.py). Imports only the engine's writers; the studies import
it, never the reverse.

SHARED_DATA is ../shared/data beside a checkout of the repository: the
real recordings the project evaluates on and tests with when present
(a fresh clone has none; what reads them skips with a reason).
"""

import pathlib

SHARED_DATA = pathlib.Path(__file__).resolve().parents[3] / 'shared' / 'data'
