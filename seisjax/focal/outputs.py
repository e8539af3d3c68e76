"""Focal mechanisms out: the run's CSV table and QuakeML.

`write_csv(solutions, path)`: one row per solution, the preferred solution
of each event first (the order `solutions` gives), events in order of first
appearance; columns `CSV_COLUMNS`, plus `SP_COLUMNS` when any solution used
S/P ratios. Written with seisjax/engine/writers.py (NaN is empty).

`write_quakeml(solutions, path, observations=..., events=...)`: every
solution with a mechanism becomes an `obspy.core.event.FocalMechanism` of
its event (the event given in `events`, else one made from the
observations' origin), the preferred one the event's preferred mechanism:
  nodalPlanes            plane 1 = the solution's (strike, dip, rake), the
                         fault plane HASH prefers; plane 2 the auxiliary
                         plane; preferredPlane 1;
  angle uncertainties    HASH's fault (auxiliary) plane uncertainty, the RMS
                         angle of the acceptable planes about the preferred
                         one, as the uncertainty of each angle of plane 1
                         (plane 2): QuakeML has no single plane uncertainty;
  stationPolarityCount   npol;        misfit                   mfrac (0-1);
  azimuthalGap           magap (deg); stationDistributionRatio stdr (0-1);
  methodID               METHOD_ID;   triggeringOriginID       the origin;
  extra (NAMESPACE)      quality, prob, both plane uncertainties, takeoff
                         gap, n_sp, sp_misfit, rank (0 = preferred);
  comment                the same in words.
Events without a mechanism (quality E or F) get a comment with the reason.
"""

from collections.abc import Sequence
import math

import obspy
from obspy.core import event as qml
from obspy.imaging.beachball import aux_plane

from seisjax.engine import writers
from seisjax.focal import types

CSV_COLUMNS = ('event_id', 'strike', 'dip', 'rake', 'fault_plane_uncertainty',
               'aux_plane_uncertainty', 'npol', 'mfrac', 'quality', 'prob',
               'stdr')
SP_COLUMNS = ('n_sp', 'sp_misfit')
METHOD_ID = 'smi:local/seisjax/focal/hash'
NAMESPACE = 'http://seisjax.local/xmlns/focal/1.0'
_PREFIX = 'seisjax'


def ordered(solutions: Sequence[types.Solution]) -> list:
  """Solutions grouped by event (order of first appearance), each event's
  in the given order (its preferred first)."""
  events = {}
  for solution in solutions:
    events.setdefault(solution.event_id, []).append(solution)
  return [s for group in events.values() for s in group]


def csv_rows(solutions, amplitudes: bool | None = None) -> list[dict]:
  """The CSV rows (dicts of `CSV_COLUMNS` [+ `SP_COLUMNS`]).

  Args:
    solutions: types.Solution, the preferred of each event first.
    amplitudes: add the S/P columns; None: when any solution has n_sp > 0.
  """
  solutions = ordered(solutions)
  if amplitudes is None:
    amplitudes = any(s.n_sp > 0 for s in solutions)
  columns = CSV_COLUMNS + (SP_COLUMNS if amplitudes else ())
  return [{c: getattr(s, c) for c in columns} for s in solutions]


def write_csv(solutions, path, amplitudes: bool | None = None) -> None:
  """Writes the run's table (module docstring)."""
  rows = csv_rows(solutions, amplitudes)
  if not rows:
    columns = CSV_COLUMNS + (SP_COLUMNS if amplitudes else ())
    writers.write_text(','.join(columns) + '\n', path)
    return
  writers.write_csv(rows, path)


def _finite(x):
  return x is not None and not (isinstance(x, float) and math.isnan(x))


def _error(value):
  return qml.QuantityError(uncertainty=float(value)) if _finite(
      value) else qml.QuantityError()


def _plane(strike, dip, rake, uncertainty):
  return qml.NodalPlane(strike=float(strike) % 360.0, dip=float(dip),
                        rake=float(rake), strike_errors=_error(uncertainty),
                        dip_errors=_error(uncertainty),
                        rake_errors=_error(uncertainty))


def _words(solution):
  return (f'HASH-style mechanism: quality {solution.quality}, probability '
          f'{solution.prob:.2f}, fault plane uncertainty '
          f'{solution.fault_plane_uncertainty:.1f} deg, auxiliary plane '
          f'uncertainty {solution.aux_plane_uncertainty:.1f} deg, '
          f'{solution.npol} polarities, misfit {solution.mfrac:.3f}, station '
          f'distribution ratio {solution.stdr:.2f}'
          + (f', {solution.n_sp} S/P ratios, S/P misfit '
             f'{solution.sp_misfit:.3f}' if solution.n_sp else ''))


def focal_mechanism(solution: types.Solution, rank: int = 0,
                    origin_id=None) -> qml.FocalMechanism:
  """The QuakeML focal mechanism of a solution (module docstring).

  Args:
    solution: a solution with a mechanism (finite strike).
    rank: 0 for the event's preferred solution, 1.. for the others.
    origin_id: the resource id of the origin it was computed for.
  """
  s = solution
  if not _finite(s.strike):
    raise ValueError(f'{s.event_id}: quality {s.quality} has no mechanism.')
  strike2, dip2, rake2 = aux_plane(s.strike, s.dip, s.rake)
  extra = {'quality': s.quality, 'prob': s.prob,
           'fault_plane_uncertainty': s.fault_plane_uncertainty,
           'aux_plane_uncertainty': s.aux_plane_uncertainty,
           'takeoff_gap': s.mpgap, 'n_sp': s.n_sp, 'sp_misfit': s.sp_misfit,
           'rank': rank}
  mechanism = qml.FocalMechanism(
      resource_id=qml.ResourceIdentifier(
          f'smi:local/seisjax/focal/{s.event_id}/{rank}'),
      triggering_origin_id=origin_id,
      nodal_planes=qml.NodalPlanes(
          nodal_plane_1=_plane(s.strike, s.dip, s.rake,
                               s.fault_plane_uncertainty),
          nodal_plane_2=_plane(strike2, dip2, rake2, s.aux_plane_uncertainty),
          preferred_plane=1),
      azimuthal_gap=float(s.magap) if _finite(s.magap) else None,
      station_polarity_count=int(s.npol),
      misfit=float(s.mfrac) if _finite(s.mfrac) else None,
      station_distribution_ratio=(float(s.stdr) if _finite(s.stdr)
                                  else None),
      method_id=qml.ResourceIdentifier(METHOD_ID),
      evaluation_mode='automatic',
      creation_info=qml.CreationInfo(author='seisjax',
                                     creation_time=obspy.UTCDateTime()),
      comments=[qml.Comment(text=_words(s))])
  # Set after construction: the constructor drops an `extra` argument.
  mechanism.extra = {k: {'value': v, 'namespace': NAMESPACE}
                     for k, v in extra.items() if _finite(v)}
  return mechanism


def event_from_origin(event_id: str, origin: dict) -> qml.Event:
  """An Event with the origin of an Observations' origin dict."""
  depth = origin.get('depth_km')
  found = qml.Origin(
      resource_id=qml.ResourceIdentifier(
          f'smi:local/seisjax/origin/{event_id}'),
      time=obspy.UTCDateTime(origin['time']) if origin.get('time') else None,
      latitude=origin.get('latitude'), longitude=origin.get('longitude'),
      depth=None if depth is None else depth * 1000.0)
  event = qml.Event(
      resource_id=qml.ResourceIdentifier(
          f'smi:local/seisjax/event/{event_id}'),
      origins=[found],
      event_descriptions=[qml.EventDescription(text=event_id,
                                               type='earthquake name')])
  event.preferred_origin_id = found.resource_id
  if _finite(origin.get('magnitude')):
    event.magnitudes = [qml.Magnitude(mag=float(origin['magnitude']),
                                      origin_id=found.resource_id)]
  return event


def to_catalog(solutions, observations=(), events=None) -> qml.Catalog:
  """A Catalog of the events of `solutions` with their mechanisms.

  Args:
    solutions: types.Solution, the preferred of each event first.
    observations: types.Observations whose origins make the events not in
      `events`.
    events: {event id: obspy Event} to attach the mechanisms to (they are
      changed in place); others are made from the observations.

  Raises:
    ValueError: for an event in neither.
  """
  origins = {o.event_id: o.origin for o in observations}
  events = dict(events or {})
  by_event = {}
  for solution in ordered(solutions):
    by_event.setdefault(solution.event_id, []).append(solution)
  catalog = qml.Catalog()
  for event_id, group in by_event.items():
    if event_id not in events:
      if event_id not in origins:
        raise ValueError(f'Event {event_id}: neither an obspy Event nor '
                         'observations with its origin were given.')
      events[event_id] = event_from_origin(event_id, origins[event_id])
    event = events[event_id]
    origin = event.preferred_origin() or (event.origins[0] if event.origins
                                          else None)
    origin_id = origin.resource_id if origin is not None else None
    mechanisms = [focal_mechanism(s, rank, origin_id)
                  for rank, s in enumerate(group) if _finite(s.strike)]
    for s in group:
      if not _finite(s.strike):
        event.comments.append(qml.Comment(
            text=f'seisjax: no focal mechanism, quality {s.quality}'
            + (f': {s.reason}' if s.reason else '')))
    event.focal_mechanisms.extend(mechanisms)
    if mechanisms:
      event.preferred_focal_mechanism_id = mechanisms[0].resource_id
    catalog.append(event)
  return catalog


def write_quakeml(solutions, path, observations=(), events=None) -> None:
  """Writes `to_catalog(...)` as QuakeML with obspy, whole or not at all."""
  catalog = to_catalog(solutions, observations, events)
  with writers.atomic_path(path) as tmp:
    catalog.write(tmp, format='QUAKEML', nsmap={_PREFIX: NAMESPACE})
