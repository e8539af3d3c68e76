"""How well a solution fits and what letter it earns (HASH's rating).

HASH rates each average mechanism by the weighted share of polarities it
misfits and the station distribution ratio (GET_MISF in pol_subs.f,
GET_MISF_AMP in fmamp_subs.f), measures how well the rays cover the focal
sphere (GET_GAP), and grades A-D (its drivers). `solutions.py` finds the
averages; this module rates them.
"""

import numpy as np

from seisjax.focal import mechanism

# (letter, prob >, mean plane uncertainty <=, mfrac <=, stdr >=): HASH's
# drivers 1, 2, 4 and 5; driver 3 grades by the first two alone.
QUALITY = (('A', 0.8, 25.0, 0.15, 0.5), ('B', 0.6, 35.0, 0.20, 0.4),
           ('C', 0.5, 45.0, 0.30, 0.3))


def misfit(sdr, takeoff, azimuth, polarity, weight, impulsive,
           sp_ratio=None, hash_compat: bool = False
           ) -> tuple[float, float, float]:
  """Misfit fraction, station distribution ratio and S/P misfit of a solution.

  HASH's GET_MISF and GET_MISF_AMP, together and with weights: each
  polarity weighs wt * wo, wt = sqrt(|P radiation|) of its ray (FPFIT's
  weight: polarities near a nodal plane count less) and wo its pick weight,
  halved for an emergent onset (HASH: 1 impulsive, 0.5 emergent). An S/P
  ratio adds wt to the distribution ratio, as in GET_MISF_AMP.

    mfrac = sum(wt wo, misfit polarities) / sum(wt wo)
    stdr = (sum(wt wo) + sum(wt, S/P)) / (sum(wo) + number of S/P)

  A polarity misfits where x.M.x < 0 disagrees with it (x.M.x = 0 counts
  as up, as in GET_MISF).

  Args:
    sdr: (strike, dip, rake) of the solution, degrees.
    takeoff: (n,) degrees from the DOWNWARD vertical (0 = down).
    azimuth: (n,) degrees from north.
    polarity: (n,) +1 / -1.
    weight: (n,) pick weights; 0 marks a row without a polarity.
    impulsive: (n,) bool.
    sp_ratio: (n,) log10 S/P ratios, NaN where none.
    hash_compat: take the weights wt (and the predicted S/P ratios) from
      the mechanism HASH v1.2 actually uses there: it passes strike, dip
      and rake in radians to FPCOOR, which reads degrees, so its weights
      belong to a nearly horizontal fault, whatever the solution. Needed
      to reproduce HASH's mfrac, stdr and so its letters.

  Returns:
    (mfrac, stdr, sp_misfit): sp_misfit is the mean |log10 observed -
    log10 predicted| (HASH's mavg), NaN without S/P ratios.
  """
  ray = mechanism.ray_vectors(takeoff, azimuth)  # (n, 3)
  normal, slip = mechanism.sdr_to_vectors(*sdr)
  if hash_compat:
    weight_normal, weight_slip = mechanism.sdr_to_vectors(*np.radians(sdr))
  else:
    weight_normal, weight_slip = normal, slip
  wt = np.sqrt(mechanism.p_amplitude(weight_normal, weight_slip, ray))
  radiated = (ray @ normal) * (ray @ slip)
  predicted = np.where(radiated < 0, -1, 1)
  is_pol = np.asarray(weight) > 0
  wo = np.where(is_pol, weight * np.where(impulsive, 1.0, 0.5), 0.0)
  missed = is_pol & (predicted != polarity)
  qcount = np.sum(wt * wo)
  mfrac = float(np.sum((wt * wo)[missed]) / qcount) if qcount > 0 else 0.0
  has_sp = (np.zeros(len(wt), bool) if sp_ratio is None
            else np.isfinite(sp_ratio))
  counts = np.sum(wo) + np.sum(has_sp)
  stdr = (float((qcount + np.sum(wt[has_sp])) / counts) if counts > 0
          else 0.0)
  sp_misfit = np.nan
  if has_sp.any():
    predicted_sp = mechanism.sp_log_ratio(weight_normal, weight_slip,
                                          ray[has_sp], clip=False)
    sp_misfit = float(np.mean(np.abs(sp_ratio[has_sp] - predicted_sp)))
  return mfrac, stdr, sp_misfit


def gaps(takeoff, azimuth) -> tuple[float, float]:
  """Largest azimuthal and takeoff-angle gaps (HASH's GET_GAP), degrees.

  Rays are first folded onto the upper focal hemisphere (a down-going ray
  becomes the up-going one opposite: its azimuth turns by 180 degrees),
  as lower-hemisphere plots would fold them onto the lower one.

  Args:
    takeoff: (n,) degrees from the DOWNWARD vertical (0 = down), n >= 1.
    azimuth: (n,) degrees from north.

  Returns:
    (magap, mpgap): the largest gap between neighbouring azimuths (around
    the circle), and between neighbouring angles from the vertical,
    counting the gaps to the vertical (0) and to the horizontal (90).
  """
  takeoff = np.asarray(takeoff, np.float64)
  azimuth = np.asarray(azimuth, np.float64) % 360.0
  down = takeoff < 90.0  # HASH's takeoff > 90.
  from_vertical = np.sort(np.where(down, takeoff, 180.0 - takeoff))
  folded = np.sort(np.where(down, (azimuth - 180.0) % 360.0, azimuth))
  magap = max(np.max(np.diff(folded), initial=0.0),
              folded[0] - folded[-1] + 360.0)
  mpgap = max(np.max(np.diff(from_vertical), initial=0.0),
              90.0 - from_vertical[-1], from_vertical[0])
  return float(magap), float(mpgap)


def quality(prob: float, plane_uncertainty: float, mfrac: float,
            stdr: float, rate_misfit: bool = True) -> str:
  """HASH's letter: 'A'-'C' by the thresholds of QUALITY, else 'D'.

  Args:
    prob: the solution's probability.
    plane_uncertainty: mean of the fault and auxiliary plane uncertainties.
    mfrac, stdr: misfit fraction and station distribution ratio.
    rate_misfit: grade by mfrac and stdr too (HASH's drivers 1, 2, 4, 5);
      False grades by prob and uncertainty alone (driver 3, amplitudes).
  """
  for letter, min_prob, max_unc, max_mfrac, min_stdr in QUALITY:
    if (prob > min_prob and plane_uncertainty <= max_unc
        and (not rate_misfit or (mfrac <= max_mfrac and stdr >= min_stdr))):
      return letter
  return 'D'
