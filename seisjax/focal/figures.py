"""Figures of focal mechanisms: beach balls with polarities, and qualities.

A beach ball is the lower focal hemisphere in an equal-area (Schmidt)
projection, north up and east right: compressional quadrants (P radiation
of seisjax/seismo/source.py positive) filled, nodal planes drawn where the
radiation changes sign, compressions as filled circles and dilatations as
open ones. An up-going ray (takeoff above 90 degrees from the downward
vertical) is drawn at the point of the lower hemisphere opposite to it
(takeoff 180 - t, azimuth + 180): a double couple radiates the same P
polarity both ways along a line through the source.

Matplotlib `Figure` objects only, no pyplot state (as
seisjax/precursor/report.py); files are written whole or not at all
(seisjax/engine/writers.py).
"""

import os

from matplotlib.figure import Figure
import numpy as np

from seisjax.engine import writers
from seisjax.focal import types
from seisjax.seismo import source

QUALITIES = ('A', 'B', 'C', 'D', 'E', 'F')


def lower_hemisphere(takeoff, azimuth):
  """Equal-area coordinates of rays on the lower hemisphere.

  Args:
    takeoff: degrees from the DOWNWARD vertical (0 = down, 180 = up).
    azimuth: degrees clockwise from north.

  Returns:
    (x east, y north), radius 1 for horizontal rays, 0 straight down;
    up-going rays at their antipodes.
  """
  takeoff = np.asarray(takeoff, np.float64)
  azimuth = np.asarray(azimuth, np.float64)
  up = takeoff > 90.0
  takeoff = np.where(up, 180.0 - takeoff, takeoff)
  azimuth = np.radians(np.where(up, azimuth + 180.0, azimuth))
  r = np.sqrt(2.0) * np.sin(np.radians(takeoff) / 2.0)
  return r * np.sin(azimuth), r * np.cos(azimuth)


def from_lower_hemisphere(x, y):
  """Inverse of `lower_hemisphere`: (takeoff from the DOWNWARD vertical,
  azimuth) of points inside the unit circle."""
  r = np.clip(np.hypot(x, y), 0.0, 1.0)
  takeoff = np.degrees(2.0 * np.arcsin(r / np.sqrt(2.0)))
  return takeoff, np.mod(np.degrees(np.arctan2(x, y)), 360.0)


def draw_beachball(ax, strike, dip, rake, takeoff=None, azimuth=None,
                   polarity=None, resolution: int = 301) -> None:
  """Draws a beach ball (and polarities) on a matplotlib Axes.

  Args:
    ax: the Axes (unit circle; its limits and aspect are set).
    strike, dip, rake: the mechanism in degrees; NaN draws no quadrants.
    takeoff, azimuth, polarity: (n,) rays (takeoffs from the DOWNWARD
      vertical) and their polarities (+1 compression, -1 dilatation), or
      None.
    resolution: grid points across the ball.
  """
  grid = np.linspace(-1.0, 1.0, resolution)
  x, y = np.meshgrid(grid, grid)
  outside = np.hypot(x, y) > 1.0
  if np.isfinite([strike, dip, rake]).all():
    t, a = from_lower_hemisphere(x, y)
    radiation = np.ma.masked_where(
        outside, source.radiation_p(strike, dip, rake, a, t))
    ax.contourf(x, y, radiation, levels=[0.0, 2.0], colors=['0.55'])
    ax.contour(x, y, radiation, levels=[0.0], colors='k', linewidths=0.8)
  circle = np.linspace(0.0, 2.0 * np.pi, 361)
  ax.plot(np.cos(circle), np.sin(circle), 'k-', lw=1.0)
  if takeoff is not None and len(takeoff):
    px, py = lower_hemisphere(takeoff, azimuth)
    polarity = np.asarray(polarity)
    up = polarity == types.UP
    ax.scatter(px[up], py[up], s=18, marker='o', facecolors='k',
               edgecolors='k', linewidths=0.6, label='compression', zorder=3)
    ax.scatter(px[~up], py[~up], s=18, marker='o', facecolors='w',
               edgecolors='k', linewidths=0.6, label='dilatation', zorder=3)
  ax.text(0.0, 1.04, 'N', ha='center', va='bottom', fontsize=8)
  ax.set_xlim(-1.1, 1.1)
  ax.set_ylim(-1.1, 1.15)
  ax.set_aspect('equal')
  ax.set_axis_off()


def write_beachball(solution: types.Solution, path,
                    observations: types.Observations | None = None) -> None:
  """Writes one event's beach ball with its polarities (row 0 angles).

  Polarity rows of weight 0 (S/P ratios without polarity) are not drawn.
  """
  fig = Figure(figsize=(3.6, 3.9))
  ax = fig.add_subplot()
  takeoff = azimuth = polarity = None
  if observations is not None:
    keep = observations.weight > 0
    takeoff = observations.takeoff[0][keep]
    azimuth = observations.azimuth[0][keep]
    polarity = observations.polarity[keep]
  draw_beachball(ax, solution.strike, solution.dip, solution.rake, takeoff,
                 azimuth, polarity)
  title = f'{solution.event_id}  quality {solution.quality}'
  if np.isfinite(solution.strike):
    title += (f'\n{solution.strike:.0f}/{solution.dip:.0f}/'
              f'{solution.rake:.0f}, {solution.npol} polarities')
  ax.set_title(title, fontsize=9)
  writers.save_figure(fig, path, dpi=120)


def write_beachballs(solutions, folder, observations=()) -> list[str]:
  """One PNG per event (its first, preferred solution): the paths."""
  os.makedirs(folder, exist_ok=True)
  by_id = {o.event_id: o for o in observations}
  paths, done = [], set()
  for solution in solutions:
    if solution.event_id in done:
      continue
    done.add(solution.event_id)
    safe = ''.join(c if c.isalnum() or c in '-_.' else '_'
                   for c in solution.event_id)
    path = os.path.join(folder, f'beachball_{safe}.png')
    write_beachball(solution, path, by_id.get(solution.event_id))
    paths.append(path)
  return paths


def quality_counts(solutions) -> dict[str, int]:
  """{letter: events} of the events' preferred solutions, A-F."""
  counts = dict.fromkeys(QUALITIES, 0)
  seen = set()
  for solution in solutions:
    if solution.event_id not in seen:
      seen.add(solution.event_id)
      counts[solution.quality] = counts.get(solution.quality, 0) + 1
  return counts


def write_quality_summary(solutions, path, title: str = '') -> dict:
  """Bar chart of the events per quality letter; returns the counts."""
  counts = quality_counts(solutions)
  fig = Figure(figsize=(4.2, 3.0))
  ax = fig.add_subplot()
  letters = list(counts)
  bars = ax.bar(letters, [counts[q] for q in letters], color='0.45')
  ax.bar_label(bars, fontsize=8)
  ax.set_xlabel('Quality')
  ax.set_ylabel('Events')
  ax.set_title(title or f'{sum(counts.values())} events', fontsize=9)
  fig.tight_layout()
  writers.save_figure(fig, path, dpi=120)
  return counts
