"""Earthquake source and ray physics that synthetic data and mechanisms share.

The P radiation pattern of a double couple, the first-arriving P ray in a
two-layer crust, the Brune corner frequency and the causal velocity pulse of
an omega-squared source with attenuation. The synthetic P arrivals of the
picking study (seisjax/picking/synthetic.py) are built from them; focal
mechanisms invert the same radiation pattern.

Takeoff angles here follow QuakeML and TauP: degrees from the downward
vertical (0 = down, 90 = horizontal, 180 = up).
"""

import numpy as np

# Crust over mantle, P velocities in km/s, a common southern California
# simplification (Hadley and Kanamori, 1977).
CRUST_KM, V_CRUST, V_MANTLE = 30.0, 6.2, 7.9
VP_VS = 1.73
DENSITY, VP = 2700.0, 6200.0  # kg/m^3, m/s at the source.
MEAN_RADIATION = np.sqrt(4.0 / 15.0)  # RMS of the P pattern over the sphere.


def radiation_p(strike, dip, rake, azimuth, takeoff):
  """P radiation pattern of a double couple (Aki and Richards, eq. 4.88).

  Positive values are compressions: first motion up at the surface.

  Args:
    strike, dip, rake: fault plane in degrees (Aki and Richards convention).
    azimuth: station azimuth from the source, degrees clockwise from north.
    takeoff: ray takeoff angle in degrees from the downward vertical
      (0 = down, 90 = horizontal, 180 = up), as in QuakeML and TauP.

  Returns:
    The pattern in [-1, 1], broadcast over the arguments.
  """
  s, d, r, a, i = (np.radians(x) for x in (strike, dip, rake, azimuth,
                                           takeoff))
  phi = a - s
  return (np.cos(r) * np.sin(d) * np.sin(i)**2 * np.sin(2 * phi)
          - np.cos(r) * np.cos(d) * np.sin(2 * i) * np.cos(phi)
          + np.sin(r) * np.sin(2 * d) * (np.cos(i)**2
                                         - np.sin(i)**2 * np.sin(phi)**2)
          + np.sin(r) * np.cos(2 * d) * np.sin(2 * i) * np.sin(phi))


def first_arrival(distance_km: float, depth_km: float) -> tuple[float, float]:
  """Travel time (s) and takeoff angle (degrees, 0 = down) of the first P.

  Direct Pg leaves upwards; beyond the crossover distance the head wave Pn,
  leaving downwards at the critical angle, arrives first.
  """
  critical = np.arcsin(V_CRUST / V_MANTLE)
  direct = np.hypot(distance_km, depth_km) / V_CRUST
  head = (distance_km / V_MANTLE
          + (2 * CRUST_KM - depth_km) * np.cos(critical) / V_CRUST)
  if distance_km > (2 * CRUST_KM - depth_km) * np.tan(critical) and (
      head < direct):
    return float(head), float(np.degrees(critical))
  return float(direct), float(180.0 - np.degrees(
      np.arctan2(distance_km, depth_km)))


def corner_frequency(magnitude: float, stress_drop_mpa: float) -> float:
  """Brune (1970) corner frequency in Hz, times 1.5 for P (Madariaga)."""
  moment = 10.0 ** (1.5 * magnitude + 9.1)  # N m
  return 1.5 * 0.49 * VP / VP_VS * (stress_drop_mpa * 1e6 / moment) ** (1 / 3)


def velocity_pulse(n_samples: int, corner_hz: float, t_star: float,
                   sampling_rate: float = 100.0) -> np.ndarray:
  """Causal velocity pulse of an omega-squared source of unit level.

  The displacement spectrum is 1 / (1 + (f/fc)^2) * exp(-pi f t*), made
  minimum phase (causal, no energy before the onset) with the real
  cepstrum.

  Args:
    n_samples: output length.
    corner_hz: corner frequency.
    t_star: attenuation t* in s.
    sampling_rate: Hz.

  Returns:
    (n_samples,) velocity, spectrum 2 pi f / (1 + (f/fc)^2) exp(-pi f t*)
    up to the Nyquist frequency; the first sample is positive.
  """
  n_fft = 2048  # 20 s at 100 Hz: no wrap-around of the pulse.
  f = np.fft.rfftfreq(n_fft, 1 / sampling_rate)
  # The last factor undoes the sinc response of the first difference below
  # (which keeps the velocity causal), so velocity has the exact spectrum.
  log_amplitude = (-np.log1p((f / corner_hz)**2) - np.pi * f * t_star
                   - np.log(np.sinc(f / sampling_rate)))
  cepstrum = np.fft.irfft(log_amplitude, n_fft)
  cepstrum[1:n_fft // 2] *= 2  # Fold the anticausal part onto the causal.
  cepstrum[n_fft // 2 + 1:] = 0
  displacement = np.fft.irfft(np.exp(np.fft.rfft(cepstrum)),
                              n_fft) * sampling_rate
  return np.diff(displacement[:n_samples], prepend=0.0) * sampling_rate
