"""Mechanisms against a reference: Kagan angles and quality letters.

`compare(found, reference)` pairs each reference event's preferred
solution with ours; `summarize` gives the four numbers of issue 17's
criteria for the HASH examples (`CRITERIA`):
  within       share of reference events whose Kagan angle to ours is no
               larger than the reference's larger plane uncertainty;
  median_kagan median Kagan angle, degrees;
  same_quality share with the same letter;
  one_grade    share within one grade (A-B, B-C, ...).
A reference event we give no mechanism (E or F) counts as a miss in each
(its Kagan angle NaN); events we solve that the reference lacks (HASH
writes no line for its E and F events) are counted apart.
"""

import numpy as np

from seisjax.focal import mechanism

# (summary key, comparison, bound) of the criteria, per example.
CRITERIA = (('within', '>=', 0.9), ('median_kagan', '<=', 5.0),
            ('same_quality', '>=', 0.75), ('one_grade', '>=', 1.0))
GRADES = 'ABCDEF'


def _grade_gap(a: str, b: str) -> float:
  if len(a) != 1 or len(b) != 1 or a not in GRADES or b not in GRADES:
    return np.nan  # No mechanism, or a reference without letters.
  return abs(GRADES.index(a) - GRADES.index(b))


def compare(found, reference) -> list[dict]:
  """One row per reference event (in our event order, then the rest).

  Args:
    found: {event id: [types.Solution, ...]} ours, preferred first.
    reference: {event id: types.Solution} the reference's preferred.

  Returns:
    Rows for comparison.csv: event_id, our strike/dip/rake/quality, the
    reference's and its plane uncertainties, kagan (degrees, NaN without a
    mechanism), within (kagan <= the larger reference uncertainty, where
    it has one), same_quality, grade_gap.
  """
  order = [e for e in found if e in reference] + [
      e for e in reference if e not in found]
  rows = []
  for event_id in order:
    ref = reference[event_id]
    ours = found.get(event_id, [None])[0]
    sdr = ((ours.strike, ours.dip, ours.rake) if ours is not None
           else (np.nan,) * 3)
    kagan = float(mechanism.kagan_angle(sdr, (ref.strike, ref.dip,
                                              ref.rake)))
    spread = [u for u in (ref.fault_plane_uncertainty,
                          ref.aux_plane_uncertainty) if np.isfinite(u)]
    bound = max(spread) if spread else np.nan
    quality = ours.quality if ours is not None else ''
    rows.append({
        'event_id': event_id, 'strike': sdr[0], 'dip': sdr[1],
        'rake': sdr[2], 'quality': quality,
        'reference_strike': ref.strike, 'reference_dip': ref.dip,
        'reference_rake': ref.rake, 'reference_quality': ref.quality,
        'reference_fault_plane_uncertainty': ref.fault_plane_uncertainty,
        'reference_aux_plane_uncertainty': ref.aux_plane_uncertainty,
        'kagan': kagan,
        'within': bool(kagan <= bound) if np.isfinite(bound) else None,
        'same_quality': (quality == ref.quality) if ref.quality else None,
        'grade_gap': _grade_gap(quality, ref.quality)})
  return rows


def summarize(rows, found=None, reference=None) -> dict:
  """The criteria's numbers over comparison rows (NaN where undefined).

  A row without our mechanism counts as outside, as a different letter
  and as more than one grade off; the median takes its angle as infinite.
  """
  def share(key):
    values = [r[key] for r in rows if r[key] is not None]
    return float(np.mean(values)) if values else np.nan
  graded = [r['grade_gap'] for r in rows if r['reference_quality']]
  kagan = np.array([r['kagan'] for r in rows], float)
  median = (float(np.median(np.where(np.isfinite(kagan), kagan, np.inf)))
            if len(kagan) else np.nan)
  out = {'n_reference': len(rows),
         'n_compared': int(np.isfinite(kagan).sum()),
         'within': share('within'),
         'median_kagan': median if np.isfinite(median) else np.nan,
         'same_quality': share('same_quality'),
         'one_grade': (float(np.mean([g <= 1 for g in graded]))
                       if graded else np.nan)}
  if found is not None and reference is not None:
    out['n_without_reference'] = sum(
        1 for e, s in found.items() if e not in reference
        and np.isfinite(s[0].strike))
  return out


def passes(summary: dict) -> dict:
  """{criterion: bool} of `CRITERIA` on a summary."""
  out = {}
  for key, op, bound in CRITERIA:
    value = summary.get(key, np.nan)
    out[key] = bool(value >= bound if op == '>=' else value <= bound) if (
        np.isfinite(value)) else False
  return out
