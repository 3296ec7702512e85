"""Matching, weights and balance against computations by hand and by brute force."""

from __future__ import annotations

import statistics

import numpy as np
import pandas as pd
import pytest

from pipelines.evaluation.balance import smd_table
from pipelines.evaluation.matching import caliper, match


def _table(rows):
    return pd.DataFrame(rows, columns=["case_key", "court", "referred", "logit"])


def test_matches_by_hand():
    t = _table([
        ("t1", "A", True, 0.0),   # equidistant from c1 (-0.1) and c2 (0.1): the smaller key, c1
        ("t2", "A", True, 1.0),   # c3 and c0 both at 0.9: same logit, the smaller key, c0
        ("t3", "A", True, 1.0),   # again c0 (with replacement)
        ("t4", "A", True, 3.0),   # nearest is c3/c0 at 0.9, farther than the caliper: unmatched
        ("t5", "B", True, 0.1),   # only B's controls count: c5 at 0.25, not A's c2 at 0.1
        ("c0", "A", False, 0.9),
        ("c1", "A", False, -0.1),
        ("c2", "A", False, 0.1),
        ("c3", "A", False, 0.9),
        ("c5", "B", False, 0.25),
    ])
    logit = t["logit"].to_numpy()
    width = 0.2 * statistics.stdev(logit)
    assert caliper(logit) == pytest.approx(width)
    assert 0.15 < width < 2.1  # the hand-made distances above straddle it as described
    w = dict(zip(t["case_key"], match(t, logit)))
    assert w == {"t1": 1, "t2": 1, "t3": 1, "t4": 0, "t5": 1, "c0": 2, "c1": 1, "c2": 0, "c3": 0, "c5": 1}


def _brute_force(t: pd.DataFrame, logit: np.ndarray, width: float) -> dict[str, float]:
    weights = {k: 0.0 for k in t["case_key"]}
    rows = list(zip(t["case_key"], t["court"], t["referred"], np.round(logit, 9)))
    for key, court, treated, x in rows:
        if not treated:
            continue
        candidates = [(abs(x - y), k) for k, c, tr, y in rows if not tr and c == court]
        if candidates:
            d, best = min(candidates)
            if d <= width:
                weights[key] += 1
                weights[best] += 1
    return weights


def test_matches_equal_brute_force_with_many_ties():
    rng = np.random.default_rng(3)
    n = 400
    t = pd.DataFrame({
        "case_key": [f"k{i:04d}" for i in rng.permutation(n)],
        "court": rng.choice(["A", "B", "C"], size=n),
        "referred": rng.random(n) < 0.4,
    })
    logit = np.round(rng.normal(size=n), 1)  # coarse: many exact ties
    got = dict(zip(t["case_key"], match(t, logit)))
    assert got == _brute_force(t, logit, caliper(logit))


def test_smd_by_hand():
    # treated: 2 of 4 in level x; controls: 1 of 4 -> SMD = 0.25 / sqrt((0.25 + 0.1875) / 2)
    before = pd.DataFrame({"referred": [True] * 4 + [False] * 4, "v": ["x", "x", "y", "y", "x", "y", "y", "y"]})
    weights = np.array([1, 1, 1, 1, 2, 1, 0, 1], float)  # controls: x 2 of 4 -> 0.5, balanced
    smd = smd_table(before, before, weights, covariates=("v",)).set_index("level")
    expected = 0.25 / np.sqrt((0.25 + 0.1875) / 2)
    assert smd.loc["x", "smd_before"] == pytest.approx(expected)
    assert smd.loc["y", "smd_before"] == pytest.approx(-expected)
    assert smd.loc["x", "smd_after"] == pytest.approx(0.0)
    assert bool(smd["ok"].all())
    # weights that make it worse: controls all in y
    worse = smd_table(before, before, np.array([1, 1, 1, 1, 0, 1, 1, 1], float), covariates=("v",)).set_index("level")
    assert worse.loc["x", "smd_after"] == pytest.approx(0.5 / np.sqrt((0.25 + 0.1875) / 2))
    assert not bool(worse["ok"].any())


def test_ipw_weights_balance_a_single_confounder_exactly():
    """With one categorical covariate the logistic model is saturated, so the ATT weights
    e/(1-e) make every level's weighted control share equal the treated share (SMD 0)."""
    from pipelines.evaluation.design import Sample, Outcome, exact_support
    from pipelines.evaluation.estimate import adjust
    from pipelines.evaluation import design

    rng = np.random.default_rng(5)
    n = 3000
    df = pd.DataFrame({"case_key": [f"k{i}" for i in range(n)], "person_key": [f"p{i}" for i in range(n)]})
    for c in design.COVARIATES:
        df[c] = "same"
    df["age_band"] = rng.choice(["a", "b", "c"], size=n)
    df["referred"] = rng.random(n) < np.select([df.age_band == "a", df.age_band == "b"], [0.7, 0.4], 0.2)
    df["disposition_quarter"] = "2022Q1"
    sample = Sample(Outcome("x", "binary"), "disposition", df, exact_support(df), 0)
    adj = adjust(sample)
    smd = smd_table(df, adj.rows, adj.ipw_weight).query("covariate == 'age_band'")
    assert smd["smd_after"].abs().max() < 1e-9
    # by hand: the model is saturated, e = the treated share of the level, so a control's weight
    # e/(1-e), scaled to sum to the treated count, is n_treated(level) / n_control(level)
    rows = adj.rows.assign(w=adj.ipw_weight)
    for level, g in rows.groupby("age_band"):
        expected = g["referred"].sum() / (~g["referred"]).sum()
        assert np.allclose(g.loc[~g["referred"], "w"], expected)
        assert np.allclose(g.loc[g["referred"], "w"], 1.0)
