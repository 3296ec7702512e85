"""1:1 nearest-neighbour matching with replacement on the logit of the propensity score.

Each treated case gets the control of the same court whose logit is nearest; a control may serve
several treated cases. A match farther than the caliper (0.2 x the SD of the logit in the sample,
treated and controls pooled) is no match, and the treated case is dropped (and counted). Ties —
controls at the same distance, which are common when every covariate is categorical — go to the
smallest case key. Logits are rounded to 1e-9 first so that cases with the same covariates tie
exactly whatever the floating-point order of the model's sums.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CALIPER_SD = 0.2
_ROUND = 9


def caliper(logit: np.ndarray) -> float:
    return CALIPER_SD * float(np.std(logit, ddof=1))


def match_within(treated_logit: np.ndarray, control_logit: np.ndarray, control_keys: np.ndarray,
                 width: float) -> np.ndarray:
    """Index into the controls of each treated case's match, or -1 (none within `width`)."""
    t = np.round(treated_logit, _ROUND)
    c = np.round(control_logit, _ROUND)
    order = np.lexsort((control_keys, c))  # by logit, then case key
    c_sorted, keys_sorted = c[order], control_keys[order]
    n = len(c_sorted)
    if n == 0:
        return np.full(len(t), -1, dtype=int)
    # nearest value at or below each treated logit, and at or above it; among controls with equal
    # logits the first in (logit, key) order has the smallest key
    upper = np.searchsorted(c_sorted, t, side="left")  # first control with logit >= t
    below_end = np.searchsorted(c_sorted, t, side="right")  # one past the last control <= t
    has_below, has_upper = below_end > 0, upper < n
    lower = np.searchsorted(c_sorted, c_sorted[np.maximum(below_end - 1, 0)], side="left")
    upper_c = np.minimum(upper, n - 1)
    d_lower = np.where(has_below, t - c_sorted[lower], np.inf)
    d_upper = np.where(has_upper, c_sorted[upper_c] - t, np.inf)
    take_upper = (d_upper < d_lower) | ((d_upper == d_lower) & (keys_sorted[upper_c] < keys_sorted[lower]))
    best = np.where(take_upper, upper_c, lower)
    distance = np.minimum(d_lower, d_upper)
    return np.where(distance <= width, order[best], -1)


def match(rows: pd.DataFrame, logit: np.ndarray, treated_col: str = "referred", court_col: str = "court",
          key_col: str = "case_key") -> pd.Series:
    """The matched sample as weights over `rows`: a treated case 1 if matched (else 0), a control
    the number of treated cases it was matched to."""
    width = caliper(logit)
    weights = np.zeros(len(rows))
    treated = rows[treated_col].to_numpy(dtype=bool)
    keys = rows[key_col].to_numpy()
    courts = rows[court_col].to_numpy()
    positions = np.arange(len(rows))
    for court in np.unique(courts):
        here = courts == court
        t_pos, c_pos = positions[here & treated], positions[here & ~treated]
        matched = match_within(logit[t_pos], logit[c_pos], keys[c_pos], width)
        ok = matched >= 0
        weights[t_pos[ok]] = 1.0
        np.add.at(weights, c_pos[matched[ok]], 1.0)
    return pd.Series(weights, index=rows.index, name="match_weight")
