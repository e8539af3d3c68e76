"""Earthquake catalogues: Mw events near a station, CSV, noise times.

`rebuild_catalogue` asks an FDSN event service for the Mw >= 6 events within
20 deg of a station (the precursor study's rule), `write_catalogue_csv` and
`read_catalogue_csv` keep them, and `noise_times` draws noise windows far
from every event:

  from obspy.clients.fdsn import Client
  rows = catalogue.rebuild_catalogue(Client('USGS'), '2012-01-01',
                                     '2023-01-01', latitude=36.5457,
                                     longitude=138.2041)
"""

import csv
import logging
import math
from typing import Any, Sequence

import numpy as np
from obspy import UTCDateTime
from obspy.geodetics import locations2degrees

from seisjax.engine import writers

# Moment magnitudes, most trusted first: W-phase (Mww, the USGS standard for
# large events), centroid (Mwc, e.g. GCMT), body-wave (Mwb), regional (Mwr),
# unspecified Mw. Mwp/Mi are rapid P-wave estimates and mb/Ms saturate near
# 6: an event with only those is dropped.
MW_TYPES = ('mww', 'mwc', 'mwb', 'mwr', 'mw')
CATALOGUE_COLUMNS = ('time', 'latitude', 'longitude', 'depth_km', 'magnitude',
                     'magnitude_type', 'distance_deg', 'event_id')
_FLOATS = ('latitude', 'longitude', 'depth_km', 'magnitude', 'distance_deg')

def _moment_magnitude(event):
  """The preferred magnitude if of an Mw type, else the most trusted Mw."""
  kind = lambda m: (m.magnitude_type or '').lower()
  preferred = event.preferred_magnitude()
  if preferred is not None and kind(preferred) in MW_TYPES:
    return preferred
  mws = [m for m in event.magnitudes if kind(m) in MW_TYPES and m.mag]
  return min(mws, key=lambda m: MW_TYPES.index(kind(m)), default=None)


def rebuild_catalogue(client, start, end, *, latitude: float,
                      longitude: float, max_radius_deg: float = 20.0,
                      min_magnitude: float = 6.0,
                      query_margin: float = 0.5) -> list[dict[str, Any]]:
  """Events of Mw >= min_magnitude within max_radius_deg of a point.

  Servers filter on the preferred magnitude of any type, so the query reaches
  query_margin lower, asks for all magnitudes, and the Mw rule is applied
  here: the preferred magnitude if of a MW_TYPES type, else the event's most
  trusted Mw-type one. `magnitudetype` is not sent: it would drop events
  whose preferred magnitude is, say, Mwc rather than Mww.

  Args:
    client: obspy FDSN Client with an event service, e.g. Client('USGS').
    start, end: time span (anything UTCDateTime accepts).
    latitude, longitude: the station, in degrees.
    max_radius_deg, min_magnitude: largest distance (deg), smallest Mw.
    query_margin: how far below min_magnitude the server query reaches.

  Returns:
    Dicts with CATALOGUE_COLUMNS keys, by time (ISO UTC); depth_km may be None.
  """
  catalog = client.get_events(
      starttime=UTCDateTime(start), endtime=UTCDateTime(end),
      latitude=latitude, longitude=longitude, maxradius=max_radius_deg,
      minmagnitude=min_magnitude - query_margin, includeallmagnitudes=True,
      orderby='time-asc')
  rows = []
  for event in catalog:
    origin = event.preferred_origin() or (event.origins or [None])[0]
    mag = _moment_magnitude(event)
    if origin is None or mag is None:
      logging.info('catalogue: dropped %s: no origin or no Mw among %s',
                   event.resource_id,
                   sorted({m.magnitude_type or '?' for m in event.magnitudes}))
      continue
    distance = locations2degrees(latitude, longitude, origin.latitude,
                                 origin.longitude)
    if mag.mag >= min_magnitude and distance <= max_radius_deg:
      rows.append({
          'time': str(origin.time), 'latitude': float(origin.latitude),
          'longitude': float(origin.longitude),
          'depth_km': None if origin.depth is None else origin.depth / 1e3,
          'magnitude': float(mag.mag), 'magnitude_type': mag.magnitude_type,
          'distance_deg': float(distance), 'event_id': str(event.resource_id)})
  return sorted(rows, key=lambda r: UTCDateTime(r['time']))


def write_catalogue_csv(rows: Sequence[dict[str, Any]], path) -> None:
  """Writes catalogue rows to CSV; None is written as an empty field."""
  writers.write_csv(rows, path, CATALOGUE_COLUMNS)


def read_catalogue_csv(path) -> list[dict[str, Any]]:
  """Reads a catalogue CSV back into the rows `write_catalogue_csv` took."""
  with open(path, newline='') as f:
    reader = csv.DictReader(f)
    missing = set(CATALOGUE_COLUMNS) - set(reader.fieldnames or ())
    if missing:
      raise ValueError(f'{path}: missing columns {sorted(missing)}; found '
                       f'{reader.fieldnames}')
    return [{k: (None if r[k] == '' else float(r[k])) if k in _FLOATS
             else r[k] for k in CATALOGUE_COLUMNS} for r in reader]


def noise_times(event_times, n: int, start, end, *, length_s: float = 1000.0,
                min_separation_h: float = 48.0, seed: int = 0,
                allow_overlap: bool = False) -> list[UTCDateTime]:
  """Random whole-second noise window starts far from every event.

  A start t is allowed when [t, t + length_s] lies in [start, end] and no
  sample of it is within min_separation_h of an event. Starts are uniform
  over the allowed set; a draw overlapping an earlier window is redrawn
  unless allow_overlap.

  Args:
    event_times: every event to keep away from (UTCDateTime-like).
    n, seed: number of windows, random seed.
    start, end: span the windows must lie in.
    length_s, min_separation_h: window length (s), least distance (h).
    allow_overlap: whether windows may overlap each other.

  Returns:
    The n start times, sorted.
  """
  sep = min_separation_h * 3600.0
  allowed = [(math.ceil(UTCDateTime(start).timestamp),
              math.floor(UTCDateTime(end).timestamp - length_s))]
  for e in sorted(UTCDateTime(t).timestamp for t in event_times):
    # Starts strictly inside (e - sep - length_s, e + sep) come too close.
    lo, hi = math.floor(e - sep - length_s), math.ceil(e + sep)
    allowed = [p for a, b in allowed for p in ((a, min(b, lo)), (max(a, hi), b))
               if p[0] <= p[1]]
  sizes = np.array([b - a + 1 for a, b in allowed] or [0], np.int64)
  if sizes.sum() == 0:
    raise ValueError(f'no {length_s:g} s window in {start}..{end} is '
                     f'{min_separation_h:g} h from all {len(event_times)} '
                     'events')
  rng, edges, out = np.random.default_rng(seed), np.cumsum(sizes), []
  for _ in range(1000 * n):
    if len(out) == n:
      break
    k = int(rng.integers(edges[-1]))
    i = int(np.searchsorted(edges, k, side='right'))
    t = allowed[i][0] + k - int(edges[i] - sizes[i])
    if allow_overlap or all(abs(t - s) >= length_s for s in out):
      out.append(t)
  if len(out) < n:
    raise ValueError(f'only {len(out)} of {n} non-overlapping {length_s:g} s '
                     f'windows fit in {sizes.sum()} allowed seconds')
  return [UTCDateTime(t) for t in sorted(out)]
