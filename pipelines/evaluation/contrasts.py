"""Risk differences and risk ratios, treated minus control, with person-clustered variances.

Both estimators here are means of estimating equations, so their variance is the clustered
sandwich: the per-case influence values are summed within each person, and
Var = G/(G-1) * sum over persons of (sum of the person's influence values)^2.

* `weighted_contrast` — the treated mean against the weighted control mean (weights: 1 for
  unadjusted, match counts for ps_matched, e/(1-e) for ipw). The weights are taken as given: the
  variance ignores that the propensity model was estimated (for matching with replacement, that
  the matches were chosen), the usual approximation (Austin 2016), said in docs/evaluation.md.
* `aipw_att` — the doubly robust ATT of evaluation.md:
  [sum_T (Y - m0) - sum_C e/(1-e) (Y - m0)] / n_T, with m0 a logistic outcome model fitted on the
  controls. Its influence function is orthogonal to both models (Hahn 1998), so plugging in the
  fitted models leaves the clustered variance valid: no bootstrap needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

Z = stats.norm.ppf(0.975)


@dataclass(frozen=True)
class Contrast:
    risk_treated: float
    risk_control: float
    rd: float
    rd_se: float
    log_rr: float
    log_rr_se: float

    def interval(self, measure: str) -> tuple[float, float, float, float]:
        """(estimate, ci_low, ci_high, p) of `risk_difference` or `risk_ratio`."""
        if measure == "risk_difference":
            return _normal(self.rd, self.rd_se)
        est, lo, hi, p = _normal(self.log_rr, self.log_rr_se)
        return float(np.exp(est)), float(np.exp(lo)), float(np.exp(hi)), p


def _normal(est: float, se: float) -> tuple[float, float, float, float]:
    if not np.isfinite(est) or not np.isfinite(se) or se <= 0:
        return est, float("nan"), float("nan"), float("nan")
    return est, est - Z * se, est + Z * se, float(2 * stats.norm.sf(abs(est / se)))


def clustered_variance(influence: np.ndarray, cluster: np.ndarray) -> float:
    sums = pd.Series(influence).groupby(np.asarray(cluster)).sum().to_numpy()
    g = len(sums)
    return float(g / (g - 1) * np.sum(sums**2)) if g > 1 else float("nan")


def _log_ratio(mu1: float, mu0: float, phi1: np.ndarray, phi0: np.ndarray, cluster) -> tuple[float, float]:
    if mu1 <= 0 or mu0 <= 0:
        return float("nan"), float("nan")
    return float(np.log(mu1 / mu0)), float(np.sqrt(clustered_variance(phi1 / mu1 - phi0 / mu0, cluster)))


def weighted_contrast(y: np.ndarray, treated: np.ndarray, weight: np.ndarray, cluster: np.ndarray) -> Contrast:
    y, w = np.asarray(y, float), np.asarray(weight, float)
    t = np.asarray(treated, bool)
    w1, w0 = np.where(t, w, 0.0), np.where(t, 0.0, w)
    mu1, mu0 = np.sum(w1 * y) / w1.sum(), np.sum(w0 * y) / w0.sum()
    phi1 = w1 * (y - mu1) / w1.sum()
    phi0 = w0 * (y - mu0) / w0.sum()
    log_rr, log_rr_se = _log_ratio(mu1, mu0, phi1, phi0, cluster)
    return Contrast(mu1, mu0, mu1 - mu0, float(np.sqrt(clustered_variance(phi1 - phi0, cluster))), log_rr, log_rr_se)


def aipw_att(y: np.ndarray, treated: np.ndarray, score: np.ndarray, m0: np.ndarray, cluster: np.ndarray) -> Contrast:
    y, e, m0 = np.asarray(y, float), np.asarray(score, float), np.asarray(m0, float)
    t = np.asarray(treated, bool)
    n_t = t.sum()
    odds = np.where(t, 0.0, e / (1.0 - e))
    residual = y - m0
    tau = (np.sum(residual[t]) - np.sum(odds * residual)) / n_t
    mu1 = float(np.mean(y[t]))
    mu0 = mu1 - tau
    phi_tau = (np.where(t, residual - tau, 0.0) - odds * residual) / n_t
    phi1 = np.where(t, y - mu1, 0.0) / n_t
    phi0 = phi1 - phi_tau
    log_rr, log_rr_se = _log_ratio(mu1, mu0, phi1, phi0, cluster)
    return Contrast(mu1, mu0, float(tau), float(np.sqrt(clustered_variance(phi_tau, cluster))), log_rr, log_rr_se)
