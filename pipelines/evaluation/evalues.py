"""E-values (VanderWeele & Ding 2017): how strong an unmeasured confounder would have to be, on
the risk-ratio scale with both treatment and outcome, to explain the estimate away."""

from __future__ import annotations

import math

COMMON_OUTCOME = 0.15


def e_value_rr(rr: float) -> float:
    if not math.isfinite(rr) or rr <= 0:
        return float("nan")
    r = rr if rr >= 1 else 1 / rr
    return r + math.sqrt(r * (r - 1))


def hr_to_rr(hr: float, outcome_share: float) -> float:
    """A hazard ratio as an approximate risk ratio: unchanged for a rare outcome (<= 15%), else
    VanderWeele's (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR))."""
    if outcome_share <= COMMON_OUTCOME:
        return hr
    return (1 - 0.5 ** math.sqrt(hr)) / (1 - 0.5 ** math.sqrt(1 / hr))


def e_values(rr: float, ci_low: float, ci_high: float) -> tuple[float, float]:
    """(e_value, e_value_ci): for the estimate, and for the interval limit nearer 1 (1 when the
    interval contains 1)."""
    if not (math.isfinite(ci_low) and math.isfinite(ci_high)):
        return e_value_rr(rr), float("nan")
    if ci_low <= 1 <= ci_high:
        return e_value_rr(rr), 1.0
    return e_value_rr(rr), e_value_rr(ci_high if rr < 1 else ci_low)
