"""Tests for seisjax.seismo.source: radiation pattern, rays, source pulse."""

import numpy as np
import pytest

from seisjax.seismo import source

FS = 100.0  # velocity_pulse's default sampling rate, in Hz.


def _radiation_from_tensor(strike, dip, rake, azimuth, takeoff):
  """2 (g.n)(g.d) in north-east-down axes (Aki and Richards 4.83, 4.84)."""
  s, d, r, a, i = np.radians([strike, dip, rake, azimuth, takeoff])
  normal = np.array([-np.sin(d) * np.sin(s), np.sin(d) * np.cos(s),
                     -np.cos(d)])
  slip = np.array([np.cos(r) * np.cos(s) + np.cos(d) * np.sin(r) * np.sin(s),
                   np.cos(r) * np.sin(s) - np.cos(d) * np.sin(r) * np.cos(s),
                   -np.sin(r) * np.sin(d)])
  ray = np.array([np.sin(i) * np.cos(a), np.sin(i) * np.sin(a), np.cos(i)])
  return 2 * (ray @ normal) * (ray @ slip)


def test_radiation_pattern_matches_moment_tensor():
  rng = np.random.default_rng(0)
  for _ in range(50):
    angles = rng.uniform([0, 0, -180, 0, 0], [360, 90, 180, 360, 180])
    np.testing.assert_allclose(source.radiation_p(*angles),
                               _radiation_from_tensor(*angles), atol=1e-12)


@pytest.mark.parametrize('mechanism, azimuth, takeoff, want', [
    ((0, 90, 0), 45, 90, 1.0),     # strike-slip, compressional quadrant
    ((0, 90, 0), 135, 90, -1.0),   # dilatational quadrant
    ((0, 45, 90), 0, 0, 1.0),      # thrust: compression straight down
    ((0, 45, -90), 0, 0, -1.0),    # normal fault: dilatation down
    ((0, 30, 90), 90, 30, np.sqrt(3) / 2),  # takeoff 0 = down, not up:
    ((0, 30, 90), 90, 150, 0.0),            # these two differ.
])
def test_radiation_pattern_signs(mechanism, azimuth, takeoff, want):
  np.testing.assert_allclose(source.radiation_p(*mechanism, azimuth, takeoff),
                             want, atol=1e-12)


def test_first_arrival_pg_then_pn():
  time, takeoff = source.first_arrival(10.0, 10.0)
  np.testing.assert_allclose(time, np.hypot(10, 10) / source.V_CRUST)
  np.testing.assert_allclose(takeoff, 135.0)  # Upgoing.
  time, takeoff = source.first_arrival(150.0, 10.0)
  assert time < np.hypot(150, 10) / source.V_CRUST  # Pn overtakes Pg.
  np.testing.assert_allclose(
      takeoff, np.degrees(np.arcsin(source.V_CRUST / source.V_MANTLE)))


def test_velocity_pulse_spectrum_and_causality():
  corner, t_star = 8.0, 0.02
  pulse = source.velocity_pulse(2048, corner, t_star)
  assert pulse[0] > 0
  f = np.fft.rfftfreq(2048, 1 / FS)
  band = (f > 0.5) & (f < 30)
  got = np.abs(np.fft.rfft(pulse))[band] / FS
  want = (2 * np.pi * f[band] / (1 + (f[band] / corner)**2)
          * np.exp(-np.pi * f[band] * t_star))
  np.testing.assert_allclose(got, want, rtol=0.03)
  # Minimum phase: the energy is at the start, not spread around the FFT.
  energy = np.cumsum(pulse**2) / np.sum(pulse**2)
  assert energy[20] > 0.95


def test_corner_frequency_falls_with_magnitude():
  low, high = (source.corner_frequency(m, 3.0) for m in (2.0, 4.0))
  np.testing.assert_allclose(low / high, 10 ** (3.0 / 3), rtol=1e-9)
  assert 1.0 < high < 5.0  # An M4 P wave has a corner of a few Hz.
