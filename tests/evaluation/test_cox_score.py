"""The O(n) score and Schoenfeld residuals of survival.CoxPHFitter against lifelines' own O(n²) loops: the same
residuals, robust standard errors and hazard ratios, on data with tied times, weights and
clusters."""

from __future__ import annotations

import lifelines
import numpy as np
import pandas as pd

from pipelines.evaluation.survival import CoxPHFitter, _SemiParametricPHFitter


def _data(n=600, seed=3):
    rng = np.random.default_rng(seed)
    referred = rng.random(n) < 0.4
    age = rng.normal(size=n)
    time = np.ceil(rng.exponential(300 / np.exp(-0.3 * referred + 0.2 * age))).clip(max=700)
    return pd.DataFrame({
        "duration": np.minimum(time, rng.integers(100, 800, size=n)),  # ties: whole days
        "event": time <= 700,
        "referred": referred.astype(float),
        "age": age,
        "weight": np.where(referred, 1.0, rng.gamma(2.0, 0.5, size=n)),
        "cluster": rng.integers(0, n // 2, size=n),
    })


def test_score_residuals_and_robust_errors_equal_lifelines():
    df = _data()
    kwargs = dict(duration_col="duration", event_col="event", weights_col="weight", cluster_col="cluster", robust=True)
    ours = CoxPHFitter().fit(df, **kwargs)
    theirs = lifelines.CoxPHFitter().fit(df, **kwargs)
    assert type(ours._model) is _SemiParametricPHFitter and type(theirs._model) is not _SemiParametricPHFitter
    np.testing.assert_allclose(ours.params_, theirs.params_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.standard_errors_, theirs.standard_errors_, rtol=1e-10)
    r_ours = ours.compute_residuals(df, "score")
    r_theirs = theirs.compute_residuals(df, "score")
    np.testing.assert_allclose(r_ours.to_numpy(), r_theirs.to_numpy(), rtol=1e-9, atol=1e-12)


def test_schoenfeld_residuals_and_ph_test_equal_lifelines():
    """The proportional-hazards check rests on the scaled Schoenfeld residuals: ours (per distinct
    time) and lifelines' (row by row) agree to rounding, residual by residual, and so do the tests'
    p-values, weighted and clustered as the evaluation fits them, and unweighted."""
    import warnings

    from lifelines.statistics import proportional_hazard_test

    df = _data(n=2000, seed=11)
    for kwargs in (dict(weights_col="weight", cluster_col="cluster", robust=True), {}):
        data = df if kwargs else df.drop(columns=["weight", "cluster"])
        kwargs = dict(duration_col="duration", event_col="event", **kwargs)
        ours = CoxPHFitter().fit(data, **kwargs)
        theirs = lifelines.CoxPHFitter().fit(data, **kwargs)
        for kind in ("schoenfeld", "scaled_schoenfeld"):
            r_ours, r_theirs = ours.compute_residuals(data, kind), theirs.compute_residuals(data, kind)
            assert list(r_ours.index) == list(r_theirs.index) and len(r_ours) == int(data["event"].sum())
            np.testing.assert_allclose(r_ours.to_numpy(), r_theirs.to_numpy(), rtol=1e-9, atol=1e-12)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p_ours = proportional_hazard_test(ours, data, time_transform="km").p_value
            p_theirs = proportional_hazard_test(theirs, data, time_transform="km").p_value
        np.testing.assert_allclose(p_ours, p_theirs, rtol=1e-9)
