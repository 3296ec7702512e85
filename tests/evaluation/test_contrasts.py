"""Risk differences, ratios and AIPW against independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm

from pipelines.evaluation.contrasts import aipw_att, weighted_contrast
from pipelines.evaluation.evalues import e_value_rr, e_values, hr_to_rr


def _data(n=2000, seed=11):
    rng = np.random.default_rng(seed)
    cluster = rng.integers(0, n // 2, size=n)
    x = rng.normal(size=n)
    e = 1 / (1 + np.exp(-(0.3 + 0.8 * x)))
    d = rng.random(n) < e
    y = (rng.random(n) < 1 / (1 + np.exp(-(-1 + 0.7 * x - 0.5 * d)))).astype(float)
    w = np.where(d, 1.0, e / (1 - e))
    return y, d, w, cluster, x, e


def test_weighted_risk_difference_equals_weighted_least_squares_with_clustered_se():
    y, d, w, cluster, *_ = _data()
    got = weighted_contrast(y, d, w, cluster)
    fit = sm.WLS(y, sm.add_constant(d.astype(float)), weights=w).fit(
        cov_type="cluster", cov_kwds={"groups": cluster, "use_correction": False})
    g = len(np.unique(cluster))
    assert got.rd == pytest.approx(fit.params[1], rel=1e-10)
    assert got.rd_se == pytest.approx(math.sqrt(fit.cov_params()[1, 1] * g / (g - 1)), rel=1e-8)
    assert got.risk_treated == pytest.approx(y[d].mean())
    assert got.risk_control == pytest.approx(np.average(y[~d], weights=w[~d]))


def test_log_risk_ratio_se_is_the_delta_method_of_the_two_means():
    y, d, w, cluster, *_ = _data()
    got = weighted_contrast(y, d, np.ones_like(w), cluster + 10**6 * np.arange(len(y)))  # every case alone
    p1, p0 = y[d].mean(), y[~d].mean()
    n1, n0 = d.sum(), (~d).sum()
    n = len(y)
    # textbook variance of log RR for independent binomials, with the n/(n-1) of the sandwich
    expected = math.sqrt(((1 - p1) / (n1 * p1) + (1 - p0) / (n0 * p0)) * n / (n - 1))
    assert got.log_rr == pytest.approx(math.log(p1 / p0))
    assert got.log_rr_se == pytest.approx(expected, rel=1e-6)


def test_aipw_estimate_and_its_variance_against_a_person_bootstrap():
    y, d, w, cluster, x, e = _data(n=1500, seed=2)
    X = sm.add_constant(x)

    def estimate(idx):
        ps = sm.Logit(d[idx].astype(float), X[idx]).fit(disp=0).predict(X[idx])
        m0 = sm.Logit(y[idx][~d[idx]], X[idx][~d[idx]]).fit(disp=0).predict(X[idx])
        return aipw_att(y[idx], d[idx], ps, m0, cluster[idx])

    full = estimate(np.arange(len(y)))
    # the formula of evaluation.md, written out
    ps = sm.Logit(d.astype(float), X).fit(disp=0).predict(X)
    m0 = sm.Logit(y[~d], X[~d]).fit(disp=0).predict(X)
    by_hand = (np.sum((y - m0)[d]) - np.sum((ps / (1 - ps) * (y - m0))[~d])) / d.sum()
    assert full.rd == pytest.approx(by_hand, rel=1e-10)
    # the person-cluster bootstrap (resampling persons, refitting both models) agrees with the
    # influence-function SE within Monte Carlo error
    rng = np.random.default_rng(0)
    persons = np.unique(cluster)
    rows_of = {p: np.flatnonzero(cluster == p) for p in persons}
    reps = [estimate(np.concatenate([rows_of[p] for p in rng.choice(persons, size=len(persons))])).rd for _ in range(200)]
    assert full.rd_se == pytest.approx(np.std(reps, ddof=1), rel=0.2)


def test_e_values():
    assert e_value_rr(0.5) == pytest.approx(2 + math.sqrt(2))
    assert e_value_rr(2.0) == pytest.approx(2 + math.sqrt(2))
    assert e_values(0.5, 0.4, 0.8) == pytest.approx((2 + math.sqrt(2), 1.25 + math.sqrt(1.25 * 0.25)))
    assert e_values(0.9, 0.7, 1.1)[1] == 1.0
    # VanderWeele's conversion of a hazard ratio for a common outcome, and none for a rare one
    assert hr_to_rr(0.8, 0.5) == pytest.approx((1 - 0.5 ** math.sqrt(0.8)) / (1 - 0.5 ** math.sqrt(1.25)))
    assert hr_to_rr(0.8, 0.10) == 0.8
