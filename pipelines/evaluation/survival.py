"""Time to the first rearrest (lifelines): Cox hazard ratios, the proportional-hazards check,
Kaplan-Meier curves and the log-rank test.

`fit_cox` is the one Cox code path: plain partial likelihood (Efron ties) with model-based SEs when
neither weights nor clusters are given (the Rossi check in the tests); with them, the sandwich
variance clustered by person (lifelines `robust=True, cluster_col=`), as evaluation.md asks for
the matched and weighted samples.

lifelines computes the score residuals of the sandwich in a Python loop whose step i sums over
the i rows before it: O(n²), some 20 s on 30,000 cases; and the Schoenfeld residuals of the
proportional-hazards check in a loop that grows its result with np.append once per row: O(n²)
again, which at a statewide scale (700,000 cases) runs for hours. `CoxPHFitter` below is
lifelines' fitter whose model computes the same sums by cumulative sums (O(n)); everything else
is lifelines'. tests/evaluation/test_cox_score.py checks both against lifelines' own loops.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import lifelines
import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter, utils
from lifelines.fitters.coxph_fitter import SemiParametricPHFitter
from lifelines.exceptions import ConvergenceError
from lifelines.statistics import logrank_test, proportional_hazard_test

from pipelines.evaluation.design import NotEstimable

# Days at which a curve is reported: weekly, plus the outcome windows, over three years.
CURVE_DAYS: tuple[int, ...] = tuple(sorted(set(range(0, 1096, 7)) | {182, 365, 730}))
PH_TIME_TRANSFORM = "km"  # as R's cox.zph default


class _SemiParametricPHFitter(SemiParametricPHFitter):
    """The model lifelines' CoxPHFitter fits (Breslow baseline); score and Schoenfeld residuals in O(n)."""

    def _compute_score_within_strata(self, X, _T, E, weights, entries):
        # lifelines' loop, for rows sorted by time: with S0_j = sum_{k>=j} w_k phi_k and
        # S1_j = sum_{k>=j} w_k phi_k x_k (reverse cumulative sums) and a_j = E_j w_j / S0_j,
        #   score_i = -phi_i sum_{j<=i} a_j (x_i - S1_j / S0_j) + E_i (x_i - S1_i / S0_i),
        # i.e. -phi_i (x_i A_i - B_i) + E_i (x_i - S1_i / S0_i), A and B cumulative sums of
        # a_j and a_j S1_j / S0_j; then times w_i, as lifelines returns it.
        x, e, w = X.values, E.values.astype(int), weights.values
        beta = self.params_.values * self._norm_std  # X is normalised here, as in lifelines
        phi = np.exp(x @ beta)
        s1 = (x * (w * phi)[:, None])[::-1].cumsum(0)[::-1]
        s0 = (w * phi)[::-1].cumsum()[::-1][:, None]
        mean_x = s1 / s0
        a = (e * w)[:, None] / s0
        score = -phi[:, None] * (x * np.cumsum(a, axis=0) - np.cumsum(a * mean_x, axis=0)) + e[:, None] * (x - mean_x)
        return score * w[:, None]

    def _compute_schoenfeld_within_strata(self, X, T, E, weights, entries):
        # lifelines' loop (Efron ties), for rows sorted by time, grows its result with np.append
        # once per row: O(n²), hours on a statewide sample. The same sums, per distinct time t:
        # R0, R1 = sum over the risk set (time >= t) of phi, phi x (reverse cumulative sums, in
        # the loop's order); D0, D1 the same over the m events at t; the mean
        #   xbar(t) = sum_{l<m} (R1 - l D1 / m) / ((R0 - l D0 / m) m)
        # and each row's residual E_i (x_i - xbar(t_i)). Times without an event give zeros.
        x, t, e, w = X.values, T.values, E.values, weights.values
        n, d = x.shape
        if not np.any(e):
            return np.zeros((n, d))
        phi = w * np.exp(np.dot(x, self.params_))
        phi_x = phi[:, None] * x
        # reversed order, as the loop walks; a group is one distinct time
        rphi, rphi_x, re, rt = phi[::-1], phi_x[::-1], e[::-1].astype(bool), t[::-1]
        risk0, risk1 = np.cumsum(rphi), np.cumsum(rphi_x, axis=0)
        starts = np.flatnonzero(np.r_[True, rt[1:] != rt[:-1]])
        ends = np.r_[starts[1:], n] - 1  # the group's last row (reversed): the risk set is complete
        tie0 = np.add.reduceat(np.where(re, rphi, 0.0), starts)
        tie1 = np.add.reduceat(np.where(re[:, None], rphi_x, 0.0), starts, axis=0)
        m = np.add.reduceat(re.astype(np.int64), starts)
        mean = np.zeros((len(starts), d))
        has = np.flatnonzero(m > 0)
        if len(has):
            mm = m[has]
            g = np.repeat(np.arange(len(has)), mm)  # one row per (time, l)
            ell = np.arange(len(g)) - np.repeat(np.cumsum(mm) - mm, mm)
            numer = risk1[ends[has]][g] - ell[:, None] * tie1[has][g] / mm[g][:, None]
            denom = risk0[ends[has]][g] - ell * tie0[has][g] / mm[g]
            terms = numer / (denom * mm[g])[:, None]
            mean[has] = np.add.reduceat(terms, np.cumsum(mm) - mm, axis=0)
        group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, n]))
        resid = re[:, None] * (x[::-1] - mean[group])
        return resid[::-1]


class CoxPHFitter(lifelines.CoxPHFitter):
    """lifelines' Cox fitter, fitting the model above (lifelines' `_fit_model_breslow`, with it)."""

    def _fit_model_breslow(self, *args, **kwargs):
        if not utils.CensoringType.is_right_censoring(self):
            raise ValueError("the semi-parametric Cox model needs right-censored data")
        model = _SemiParametricPHFitter(penalizer=self.penalizer, l1_ratio=self.l1_ratio, strata=self.strata,
                                        alpha=self.alpha, label=self._label)
        model.fit(*args, **kwargs)
        return model


@dataclass(frozen=True)
class CoxResult:
    params: pd.Series  # log hazard ratios
    se: pd.Series
    ci_low: pd.Series  # of the hazard ratio
    ci_high: pd.Series
    p: pd.Series
    ph_test_p: pd.Series

    def hazard_ratio(self, name: str) -> tuple[float, float, float, float]:
        return (float(np.exp(self.params[name])), float(self.ci_low[name]), float(self.ci_high[name]),
                float(self.p[name]))


def fit_cox(df: pd.DataFrame, duration: str, event: str, covariates: list[str],
            weight: str | None = None, cluster: str | None = None) -> CoxResult:
    columns = [duration, event, *covariates] + [c for c in (weight, cluster) if c]
    data = df[columns].copy()
    data[event] = data[event].astype(bool)
    for c in covariates:
        data[c] = data[c].astype(float)
    robust = weight is not None or cluster is not None
    cph = CoxPHFitter()
    with warnings.catch_warnings():
        # lifelines warns that weights which are not integers need robust=True: they always get it here
        warnings.filterwarnings("ignore", message=".*weights are not integers.*")
        try:
            # batch_mode: lifelines' Efron sums per distinct time, vectorised, instead of its loop
            # over rows; durations are whole days (at most a few thousand distinct), and on
            # 240,000 cases this fit takes 1.6 s instead of 6.5 (the same estimates to 1e-11)
            cph.fit(data, duration_col=duration, event_col=event, weights_col=weight, cluster_col=cluster, robust=robust,
                    batch_mode=True)
        except ConvergenceError as exc:
            raise NotEstimable("Cox model did not converge (too few rearrests, or none in one group)") from exc
    with warnings.catch_warnings():
        # the "km" time transform fits a Kaplan-Meier curve with the model's weights only to
        # rescale time; lifelines' warning about variances of non-integer weights does not apply
        warnings.filterwarnings("ignore", message=".*weights are not integers.*")
        ph = proportional_hazard_test(cph, data, time_transform=PH_TIME_TRANSFORM)
    summary = cph.summary
    return CoxResult(
        params=cph.params_,
        se=cph.standard_errors_,
        ci_low=summary["exp(coef) lower 95%"],
        ci_high=summary["exp(coef) upper 95%"],
        p=summary["p"],
        ph_test_p=pd.Series(np.atleast_1d(ph.p_value), index=cph.params_.index),
    )


def logrank_p(durations: np.ndarray, events: np.ndarray, treated: np.ndarray, weight: np.ndarray) -> float:
    t = np.asarray(treated, bool)
    w = np.asarray(weight, float)
    keep = w > 0
    a, b = keep & t, keep & ~t
    result = logrank_test(durations[a], durations[b], event_observed_A=events[a], event_observed_B=events[b],
                          weights_A=w[a], weights_B=w[b])
    return float(result.p_value)


def km_curve(durations: np.ndarray, events: np.ndarray, weight: np.ndarray,
             days: tuple[int, ...] = CURVE_DAYS) -> pd.DataFrame:
    """day, survival, ci_low, ci_high (lifelines' exponential Greenwood), at_risk (weighted cases
    still followed and not rearrested after `day`: follow-up > day), events (weighted rearrests in
    (previous day shown, day]); so the censorings in (previous day, day] are
    at_risk(previous) - at_risk(day) - events(day). The days run to the longest follow-up."""
    d = np.asarray(durations, float)
    e = np.asarray(events, bool)
    w = np.asarray(weight, float)
    keep = w > 0
    d, e, w = d[keep], e[keep], w[keep]
    kmf = KaplanMeierFitter().fit(d, event_observed=e, weights=w)
    grid = [day for day in days if day <= d.max()]
    survival = kmf.survival_function_at_times(grid).to_numpy()
    ci = kmf.confidence_interval_survival_function_.reindex(
        kmf.confidence_interval_survival_function_.index.union(grid)).ffill().loc[grid]
    at_risk = [float(w[d > day].sum()) for day in grid]
    previous = [-1] + grid[:-1]
    events_between = [float(w[e & (d > lo) & (d <= hi)].sum()) for lo, hi in zip(previous, grid)]
    return pd.DataFrame({
        "day": grid,
        "survival": survival,
        "ci_low": ci.iloc[:, 0].to_numpy(),
        "ci_high": ci.iloc[:, 1].to_numpy(),
        "at_risk": at_risk,
        "events": events_between,
    })
