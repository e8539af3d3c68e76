"""A mocked ObsPy FDSN client serving real recordings, for tests and benches.

No machine here reaches FDSN servers: MockClient answers the three calls of
obspy.clients.fdsn.Client that seisjax uses. Waveforms are real TA.O18A
noise from ../shared/data relabelled as IU.MAJO.00.BH{1,2,Z} and
IU.MA2.00.BH{1,2,Z} (the one station of the paper besides MAJO), repeated
without seams and indexed by absolute time, so overlapping requests agree
and records of different times differ; MA2 serves the same noise an hour
later (`SHIFT_S`), so a record shows which station it came from. The
station metadata has both stations at their coordinates. Chosen times can
be served bad recordings instead (`STAND_INS`): IV.BDI (gaps, 20 Hz) or
TA.W54A (teleseismic surface waves; its BHZ copied to all three channels).
"""

import collections
import copy
import fnmatch
import functools

import numpy as np
import obspy
from obspy import UTCDateTime
from obspy.clients.fdsn import header
from obspy.core import event as ev
from obspy.core import inventory as inv
from obspy.geodetics import locations2degrees

from seisjax import seismo
from seisjax.precursor import japan

CONTINUOUS = seismo.SHARED_DATA / 'continuous'

LAT, LON = japan.STATION['latitude'], japan.STATION['longitude']
# The stations served, at their coordinates: {code: (latitude, longitude)}.
STATIONS = {s['station']: (s['latitude'], s['longitude'])
            for s in (japan.STATION, japan.STATION_MA2)}
# Each station's noise is the tiling SHIFT_S later: the same at MAJO as
# before, another stretch at MA2.
SHIFT_S = {'MAJO': 0, 'MA2': 3600}
FS = 40.0
# TA.O18A's N and E stand in for MAJO's BH1 and BH2.
RELABEL = {'BHN': 'BH1', 'BHE': 'BH2', 'BHZ': 'BHZ'}
OVERLAP = int(60 * FS)  # Cross-fade between repeats of the recording.
# Bad recordings: file and the time of it that lands on the stand-in time.
STAND_INS = {
    'BDI': ('IV.BDI.BH_.2014-04-04.example.mseed', '2014-04-04T02:35:00'),
    'W54A': ('TA.W54A..BHZ.M.2014_076_04_11_34.SAC', '2014-03-17T05:36:00'),
}


@functools.lru_cache(maxsize=1)
def o18a():
  """{channel: float64 counts} of the 2 h TA.O18A record, demeaned."""
  st = obspy.read(str(CONTINUOUS / 'TA.O18A..BH?.M.2008.227.120000.SAC'))
  return {RELABEL[tr.stats.channel]: tr.data.astype(np.float64)
          - tr.data.mean() for tr in st}


def tiled(x, npts, overlap=OVERLAP):
  """x repeated to npts samples with equal-power cross-fades between tiles.

  sin/cos fades keep the variance of uncorrelated tiles constant through a
  joint, so no spurious loud or quiet stretch appears at the seams.
  """
  step = x.size - overlap
  ramp = np.sin(np.linspace(0, np.pi / 2, overlap))
  window = np.ones(x.size)
  window[:overlap], window[-overlap:] = ramp, ramp[::-1]
  out = np.zeros(npts + x.size)
  for start in range(0, npts, step):
    out[start:start + x.size] += x * (window if start else
                                      np.r_[np.ones(overlap), window[overlap:]])
  return out[:npts]


@functools.lru_cache(maxsize=None)
def _period(channel):
  """One period of the endless tiling; tiles from the second on repeat."""
  x = o18a()[channel]
  step = x.size - OVERLAP
  return tiled(x, 3 * step)[step:2 * step]


def counts(channel, starttime, npts, station='MAJO'):
  """The int32 samples MockClient serves from starttime (on the 40 Hz grid)."""
  period = _period(channel)
  first = int(round((UTCDateTime(starttime).timestamp + SHIFT_S[station])
                    * FS))
  return np.round(period[(first + np.arange(npts)) % period.size]).astype(
      np.int32)


def stand_in(name, time, station='MAJO'):
  """A bad recording as IU.<station>.00.BH{1,2,Z}, its anchor at `time`.

  A single-channel recording is copied to all three channels.
  """
  path, anchor = STAND_INS[name]
  st = obspy.read(str(CONTINUOUS / path))
  if len(st) == 1:
    st = obspy.Stream([st[0].copy() for _ in range(3)])
    for tr, cha in zip(st, ('BHN', 'BHE', 'BHZ')):
      tr.stats.channel = cha
  for tr in st:
    tr.stats.network, tr.stats.station, tr.stats.location = 'IU', station, '00'
    tr.stats.channel = RELABEL[tr.stats.channel]
    tr.stats.starttime += UTCDateTime(time) - UTCDateTime(anchor)
  return st


def channel(loc, code, rate, start='2000-01-01', end=None):
  return inv.Channel(
      code=code, location_code=loc, latitude=LAT, longitude=LON,
      elevation=420.0, depth=0.0, sample_rate=rate,
      start_date=UTCDateTime(start), end_date=end and UTCDateTime(end))


def inventory(channels):
  """Network IU with every station of STATIONS holding these channels.

  Each station gets copies of the channels at its own coordinates.
  """
  stations = []
  for code, (lat, lon) in STATIONS.items():
    copies = [copy.deepcopy(c) for c in channels]
    for c in copies:
      c.latitude, c.longitude = lat, lon
    stations.append(inv.Station(code, lat, lon, 420.0, channels=copies,
                                creation_date=UTCDateTime('2000-01-01')))
  return inv.Inventory([inv.Network('IU', stations=stations)], source='mock')


def default_inventory():
  """'' at 20 Hz (sorts first), '00' at 40 Hz, '10' at 40 Hz without BH2."""
  return inventory(
      [channel('', c, 20.0) for c in ('BH1', 'BH2', 'BHZ')]
      + [channel('00', c, 40.0) for c in ('BH1', 'BH2', 'BHZ')]
      + [channel('10', c, 40.0) for c in ('BH1', 'BHZ')])


def event(eid, time, lat, lon, mags, depth_m=10e3, preferred=0):
  origin = ev.Origin(time=UTCDateTime(time), latitude=lat, longitude=lon,
                     depth=depth_m)
  magnitudes = [ev.Magnitude(mag=m, magnitude_type=t) for m, t in mags]
  return ev.Event(
      resource_id=ev.ResourceIdentifier(eid), origins=[origin],
      magnitudes=magnitudes, preferred_origin_id=origin.resource_id,
      preferred_magnitude_id=magnitudes[preferred].resource_id)


def catalog_of(rows):
  """Catalogue rows as the events a service would serve (Mw as Mww).

  The event service's side of a catalogue: rebuilding from it applies the
  FDSN rule to the rows' own origins and magnitudes.
  """
  return ev.Catalog([
      event(r['event_id'], r['time'], r['latitude'], r['longitude'],
            [(r['magnitude'], 'Mww')],
            depth_m=None if r['depth_km'] is None else r['depth_km'] * 1e3)
      for r in rows])


def default_catalog():
  """Hand-made events; the comment says what the catalogue should do."""
  return ev.Catalog([
      event('f', '2016-06-01', LAT + 19.9, LON, [(6.0, 'Mw')]),  # keep, edge
      event('a', '2012-03-14T09:08:35', 40.9, 144.9,
            [(6.9, 'Mww')]),  # keep
      event('b', '2013-01-01', 10.0, 120.0, [(7.0, 'Mww')]),  # too far
      event('c', '2013-02-01', 37.0, 141.0, [(6.3, 'mb')]),  # no Mw
      event('d', '2013-03-01', 37.0, 141.0, [(5.8, 'Mww')]),  # too small
      # Preferred mb below 6, but an Mwc of 6.1 and no depth: keep.
      event('e', '2014-01-01', 35.0, 140.0, [(5.9, 'mb'), (6.1, 'Mwc')],
            depth_m=None),
      event('g', '2015-01-01', 37.0, 141.0, [(6.5, 'Mwp')]),  # rapid only
      event('h', '2011-03-11', 38.3, 142.4, [(9.1, 'Mww')]),  # before start
  ])


def _covers(starttime, endtime, times):
  return any(starttime <= UTCDateTime(t) <= endtime for t in times)


class MockClient:
  """Answers get_events, get_stations and get_waveforms from local data.

  Attributes:
    calls: get_waveforms calls per (location, channel, start, end).
    stations: get_waveforms calls per station code.
    kwargs: the keyword arguments of the last get_events/get_stations call.
  """

  def __init__(self, *, failures=(), no_data=(), interrupt_after=None,
               interrupt_exc=KeyboardInterrupt, inventory=None, catalog=None,
               stand_ins=None):
    """See the class docstring; besides:

    Args:
      failures: exceptions raised, in order, by the next get_waveforms calls.
      no_data: times; a request spanning one is answered with 204.
      interrupt_after: raise interrupt_exc on every call after this many.
      inventory, catalog: station metadata and events served.
      stand_ins: {time: STAND_INS name}; a request spanning the time gets
        that recording.
    """
    self.failures = list(failures)
    self.no_data = list(no_data)
    self.interrupt_after, self.interrupt_exc = interrupt_after, interrupt_exc
    self.inventory = inventory or default_inventory()
    self.catalog = catalog or default_catalog()
    self.stand_ins = dict(stand_ins or {})
    self.calls = collections.Counter()
    self.stations = collections.Counter()
    self.kwargs = {}

  def get_events(self, *, starttime, endtime, latitude, longitude, maxradius,
                 minmagnitude, **kwargs):
    self.kwargs['events'] = dict(kwargs, minmagnitude=minmagnitude)
    # Like a real server: distance and the preferred magnitude, any type.
    return ev.Catalog([
        e for e in self.catalog
        if starttime <= e.origins[0].time <= endtime
        and e.preferred_magnitude().mag >= minmagnitude
        and locations2degrees(latitude, longitude, e.origins[0].latitude,
                              e.origins[0].longitude) <= maxradius])

  def get_stations(self, **kwargs):
    self.kwargs['stations'] = kwargs
    return self.inventory.select(
        network=kwargs['network'], station=kwargs['station'],
        channel=kwargs['channel'], starttime=kwargs['starttime'],
        endtime=kwargs['endtime'])

  def get_waveforms(self, network, station, location, channel, starttime,
                    endtime, **unused_kwargs):
    self.calls[(location, channel, str(starttime), str(endtime))] += 1
    self.stations[station] += 1
    if (self.interrupt_after is not None
        and sum(self.calls.values()) > self.interrupt_after):
      raise self.interrupt_exc
    if self.failures:
      raise self.failures.pop(0)
    wanted = lambda c: any(fnmatch.fnmatchcase(c, p)
                           for p in channel.split(','))
    if (_covers(starttime, endtime, self.no_data)
        or network != 'IU' or station not in STATIONS or location != '00'
        or not any(wanted(c) for c in o18a())):
      raise header.FDSNNoDataException('No data available for request.',
                                       'Error 204: no matching data')
    for time, name in self.stand_ins.items():
      if _covers(starttime, endtime, [time]):
        st = stand_in(name, time, station).trim(starttime, endtime)
        return obspy.Stream([tr for tr in st if wanted(tr.stats.channel)])
    npts = int(round((endtime - starttime) * FS)) + 1
    return obspy.Stream([obspy.Trace(
        counts(c, starttime, npts, station),
        {'network': 'IU', 'station': station, 'location': '00', 'channel': c,
         'sampling_rate': FS, 'starttime': starttime})
                         for c in o18a() if wanted(c)])
