"""Tests of seisjax.focal.outputs (CSV, QuakeML) and figures.py."""

import csv
import math

import numpy as np
import obspy
from obspy.core import event as qml
from obspy.imaging.beachball import aux_plane
import pytest

from seisjax.focal import figures
from seisjax.focal import outputs
from seisjax.focal import types
from seisjax.seismo import source


def _solutions(sp=False):
  n_sp = 4 if sp else 0
  return [
      types.Solution('ev1', 254.0, 60.0, 46.0, 26.0, 23.0, 30, 0.09, 'B',
                     0.79, 0.66, n_sp, 0.3 if sp else math.nan, 60.0, 30.0),
      types.Solution('ev2', 155.0, 62.0, 140.0, 29.0, 37.0, 33, 0.12, 'C',
                     0.54, 0.64, magap=70.0),
      types.Solution('ev3', quality='F', npol=3, reason='3 polarities < 8'),
      types.Solution('ev2', 123.0, 55.0, 72.0, 35.0, 44.0, 33, 0.16, 'D',
                     0.26, 0.64),
  ]


def _observations():
  rng = np.random.default_rng(0)
  n = 20
  takeoff = rng.uniform(20.0, 170.0, n)
  azimuth = rng.uniform(0.0, 360.0, n)
  polarity = np.where(source.radiation_p(254, 60, 46, azimuth, takeoff) > 0,
                      types.UP, types.DOWN)
  origin = {'time': '1994-01-21T11:04:15.5Z', 'latitude': 34.2425,
            'longitude': -118.6177, 'depth_km': 18.13, 'magnitude': 2.3}
  return [types.Observations(
      event_id=event_id, station=np.array([f'S{k}' for k in range(n)]),
      polarity=polarity, impulsive=np.ones(n, bool), takeoff=takeoff,
      azimuth=azimuth, origin=dict(origin))
          for event_id in ('ev1', 'ev2', 'ev3')]


def test_csv_columns_and_order(tmp_path):
  path = tmp_path / 'mechanisms.csv'
  outputs.write_csv(_solutions(), path)
  with open(path) as f:
    rows = list(csv.DictReader(f))
  assert list(rows[0]) == list(outputs.CSV_COLUMNS)
  # Grouped by event in order of appearance, each event's preferred first.
  assert [(r['event_id'], r['quality']) for r in rows] == [
      ('ev1', 'B'), ('ev2', 'C'), ('ev2', 'D'), ('ev3', 'F')]
  assert rows[0]['strike'] == '254.0' and rows[0]['mfrac'] == '0.09'
  assert rows[3]['strike'] == ''  # NaN is empty
  with_sp = tmp_path / 'with_sp.csv'
  outputs.write_csv(_solutions(sp=True), with_sp)
  with open(with_sp) as f:
    rows = list(csv.DictReader(f))
  assert list(rows[0]) == list(outputs.CSV_COLUMNS + outputs.SP_COLUMNS)
  assert (rows[0]['n_sp'], rows[0]['sp_misfit']) == ('4', '0.3')
  empty = tmp_path / 'empty.csv'
  outputs.write_csv([], empty)
  assert empty.read_text().strip() == ','.join(outputs.CSV_COLUMNS)


def test_quakeml_planes_and_fields(tmp_path):
  path = tmp_path / 'mechanisms.xml'
  outputs.write_quakeml(_solutions(), path, _observations())
  catalog = obspy.read_events(str(path))
  assert len(catalog) == 3
  ev1, ev2, ev3 = catalog
  (fm,) = ev1.focal_mechanisms
  planes = fm.nodal_planes
  assert planes.preferred_plane == 1
  one, two = planes.nodal_plane_1, planes.nodal_plane_2
  assert (one.strike, one.dip, one.rake) == (254.0, 60.0, 46.0)
  np.testing.assert_allclose((two.strike, two.dip, two.rake),
                             aux_plane(254.0, 60.0, 46.0))
  np.testing.assert_allclose(aux_plane(two.strike, two.dip, two.rake),
                             (254.0, 60.0, 46.0), atol=1e-6)
  assert one.strike_errors.uncertainty == 26.0
  assert two.dip_errors.uncertainty == 23.0
  assert fm.station_polarity_count == 30 and fm.misfit == 0.09
  assert fm.azimuthal_gap == 60.0 and fm.station_distribution_ratio == 0.66
  assert str(fm.method_id) == outputs.METHOD_ID
  assert fm.triggering_origin_id == ev1.origins[0].resource_id
  assert fm.extra['quality']['value'] == 'B'
  assert float(fm.extra['prob']['value']) == 0.79
  assert float(fm.extra['takeoff_gap']['value']) == 30.0
  assert ev1.preferred_focal_mechanism_id == fm.resource_id
  assert ev1.origins[0].depth == 18130.0
  assert ev1.origins[0].time == obspy.UTCDateTime('1994-01-21T11:04:15.5')
  assert ev1.magnitudes[0].mag == 2.3
  assert len(ev2.focal_mechanisms) == 2  # the preferred and a multiple
  assert ev2.preferred_focal_mechanism().nodal_planes.nodal_plane_1.strike \
      == 155.0
  assert [m.extra['rank']['value'] for m in ev2.focal_mechanisms] == ['0',
                                                                      '1']
  assert not ev3.focal_mechanisms
  assert 'quality F: 3 polarities < 8' in ev3.comments[0].text


def test_quakeml_attaches_to_given_events():
  origin = qml.Origin(time=obspy.UTCDateTime(2020, 1, 1), latitude=1.0,
                      longitude=2.0, depth=3000.0)
  event = qml.Event(origins=[origin])
  catalog = outputs.to_catalog(_solutions()[:1], events={'ev1': event})
  assert catalog[0] is event
  assert event.focal_mechanisms[0].triggering_origin_id == (
      origin.resource_id)
  with pytest.raises(ValueError, match='ev2: neither'):
    outputs.to_catalog(_solutions()[1:2])


def test_lower_hemisphere_projection():
  """Down-going rays where they leave; up-going ones opposite."""
  x, y = figures.lower_hemisphere([0.0, 60.0, 120.0, 90.0, 180.0],
                                  [0.0, 0.0, 0.0, 90.0, 45.0])
  r60 = np.sqrt(2.0) * np.sin(np.radians(30.0))
  np.testing.assert_allclose(x, [0.0, 0.0, 0.0, 1.0, 0.0], atol=1e-12)
  np.testing.assert_allclose(y, [0.0, r60, -r60, 0.0, 0.0], atol=1e-12)
  # East is +x: a down-going ray to the east plots right of centre.
  assert figures.lower_hemisphere(45.0, 90.0)[0] > 0.3
  t, a = figures.from_lower_hemisphere(*figures.lower_hemisphere(70.0,
                                                                 200.0))
  np.testing.assert_allclose((t, a), (70.0, 200.0))


def test_projected_polarity_lies_in_its_quadrant():
  """The radiation at a projected ray's point is the ray's own (up-going
  rays included): the shading and the symbols agree."""
  rng = np.random.default_rng(1)
  takeoff = rng.uniform(0.0, 180.0, 500)
  azimuth = rng.uniform(0.0, 360.0, 500)
  mechanism = (254.0, 60.0, 46.0)
  ray = source.radiation_p(*mechanism, azimuth, takeoff)
  t, a = figures.from_lower_hemisphere(*figures.lower_hemisphere(takeoff,
                                                                 azimuth))
  plotted = source.radiation_p(*mechanism, a, t)
  clear = np.abs(ray) > 1e-6
  np.testing.assert_array_equal(np.sign(plotted[clear]),
                                np.sign(ray[clear]))


def test_figures_written(tmp_path):
  observations = _observations()
  paths = figures.write_beachballs(_solutions(), tmp_path / 'balls',
                                   observations)
  assert len(paths) == 3
  for path in paths:
    with open(path, 'rb') as f:
      data = f.read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n' and len(data) > 5000
  counts = figures.write_quality_summary(_solutions(), tmp_path / 'q.png')
  assert counts == {'A': 0, 'B': 1, 'C': 1, 'D': 0, 'E': 0, 'F': 1}
  assert (tmp_path / 'q.png').stat().st_size > 5000
