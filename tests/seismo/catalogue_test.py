"""Tests of seisjax.seismo.catalogue: Mw events, CSV files, noise times.

The events come from seisjax.precursor.mock_fdsn's MockClient, which serves a
hand-made catalogue around IU.MAJO as an FDSN event service would.
"""

import numpy as np
from obspy import UTCDateTime
import pytest

from seisjax.precursor import mock_fdsn
from seisjax.seismo import catalogue

LAT, LON = mock_fdsn.LAT, mock_fdsn.LON
MockClient = mock_fdsn.MockClient


# Catalogue.


def test_catalogue_keeps_mw_events_in_range_sorted(tmp_path):
  client = MockClient()
  rows = catalogue.rebuild_catalogue(client, '2012-01-01', '2023-01-01',
                                     latitude=LAT, longitude=LON)
  assert [r['event_id'] for r in rows] == ['a', 'e', 'f']
  by_id = {r['event_id']: r for r in rows}
  assert (by_id['e']['magnitude'], by_id['e']['magnitude_type']) == (
      6.1, 'Mwc')
  assert by_id['e']['depth_km'] is None
  assert by_id['a']['depth_km'] == 10.0
  assert by_id['f']['distance_deg'] == pytest.approx(19.9)
  assert by_id['a']['time'] == '2012-03-14T09:08:35.000000Z'
  # The server is asked below 6 so that 'e' (preferred mb 5.9) comes back.
  assert client.kwargs['events']['minmagnitude'] == 5.5
  assert client.kwargs['events']['orderby'] == 'time-asc'

  path = tmp_path / 'catalogue.csv'
  catalogue.write_catalogue_csv(rows, path)
  assert catalogue.read_catalogue_csv(path) == rows


def test_catalogue_radius_and_magnitude_arguments():
  rows = catalogue.rebuild_catalogue(MockClient(), '2012-01-01',
                                     '2023-01-01', latitude=LAT,
                                     longitude=LON, max_radius_deg=10.0,
                                     min_magnitude=6.5)
  assert [r['event_id'] for r in rows] == ['a']


def test_read_catalogue_names_missing_columns(tmp_path):
  path = tmp_path / 'bad.csv'
  path.write_text('time,latitude\n2012-01-01,1\n')
  with pytest.raises(ValueError, match='magnitude'):
    catalogue.read_catalogue_csv(path)


# Noise windows.


def _far_enough(t, events, length_s=1000.0, sep=48 * 3600.0):
  return all(t + length_s <= e - sep or t >= e + sep for e in events)


def test_noise_times_keep_48_h_from_events():
  start, end = UTCDateTime('2015-01-01'), UTCDateTime('2015-03-01')
  events = [UTCDateTime('2014-12-31T12:00'), UTCDateTime('2015-01-20'),
            UTCDateTime('2015-01-22T06:00'), UTCDateTime('2015-02-15')]
  times = catalogue.noise_times(events, 100, start, end, seed=1)
  assert len(times) == 100 and times == sorted(times)
  assert all(_far_enough(t, events) for t in times)
  assert all(start <= t and t + 1000 <= end for t in times)
  assert min(np.diff([t.timestamp for t in times])) >= 1000  # no overlap
  assert catalogue.noise_times(events, 100, start, end, seed=1) == times
  assert catalogue.noise_times(events, 100, start, end, seed=2) != times


def test_noise_times_use_exactly_the_allowed_gap():
  sep, length = 48 * 3600.0, 1000.0
  t0 = UTCDateTime('2015-01-01')
  events = [t0, t0 + 2 * sep + length + 10]  # allowed: t0 + sep + [0, 10]
  times = catalogue.noise_times(events, 200, t0, events[1], seed=0,
                                allow_overlap=True)
  offsets = {t - t0 - sep for t in times}
  assert offsets <= set(range(11)) and len(offsets) > 5
  with pytest.raises(ValueError, match='non-overlapping'):
    catalogue.noise_times(events, 2, t0, events[1])
  daily = [t0 + k * 86400 for k in range(10)]
  with pytest.raises(ValueError, match='no 1000 s window'):
    catalogue.noise_times(daily, 1, t0, daily[-1])


def test_noise_times_are_uniform_over_the_allowed_set():
  sep = 48 * 3600.0
  t0 = UTCDateTime('2015-01-01')
  # Allowed: 10 days before the event, 30 days after it.
  event = t0 + 10 * 86400 + sep + 1000
  end = event + sep + 30 * 86400 + 1000
  times = catalogue.noise_times([event], 4000, t0, end, allow_overlap=True)
  before = np.mean([t < event for t in times])
  assert before == pytest.approx(0.25, abs=0.03)
