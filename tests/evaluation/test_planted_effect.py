"""A world simulated here with confounded referral and a planted effect: the adjusted estimates
recover the true ATT (from each treated case's two potential risks); the raw comparison does not."""

from __future__ import annotations

import numpy as np
import pytest

from tests.evaluation.simulated import HR_REFERRAL


def _estimate(effects, outcome, method, measure="risk_difference", time_zero="disposition"):
    row = effects[(effects.outcome == outcome) & (effects.method == method) & (effects.measure == measure)
                  & (effects.time_zero == time_zero)]
    assert len(row) == 1
    return row.iloc[0]


@pytest.mark.parametrize("outcome", ["rearrest_any_6m", "rearrest_any_12m", "rearrest_any_24m"])
def test_adjusted_estimates_recover_the_planted_att(world, evaluated, outcome):
    effects = evaluated["effects"]
    truth = world.true_att[outcome]
    raw = _estimate(effects, outcome, "unadjusted").estimate
    for method in ("ps_matched", "ipw", "aipw"):
        est = _estimate(effects, outcome, method).estimate
        assert abs(est - truth) <= 0.04, (method, est, truth)
        assert abs(est - truth) < abs(raw - truth), (method, est, raw, truth)


def test_headline_interval_covers_the_truth(world, evaluated):
    row = _estimate(evaluated["effects"], "rearrest_any_12m", "aipw")
    assert row.ci_low <= world.true_att["rearrest_any_12m"] <= row.ci_high
    assert row.ci_low < row.estimate < row.ci_high


def test_hazard_ratios_recover_the_planted_hazard_ratio(evaluated):
    effects = evaluated["effects"]
    raw = _estimate(effects, "time_to_rearrest_any", "unadjusted", "hazard_ratio")
    for method in ("ps_matched", "ipw"):
        row = _estimate(effects, "time_to_rearrest_any", method, "hazard_ratio")
        assert row.ci_low <= HR_REFERRAL <= row.ci_high, method
        assert abs(np.log(row.estimate / HR_REFERRAL)) < abs(np.log(raw.estimate / HR_REFERRAL))
        assert 0 <= row.ph_test_p <= 1 and 0 <= row.logrank_p <= 1
        assert row.e_value > 1 and row.e_value_ci >= 1


def test_counts_and_support(world, evaluated):
    effects = evaluated["effects"]
    eligible = world.cases[world.cases["rearrest_any_12m_disposition"].notna()]
    for method in ("unadjusted", "ps_matched", "ipw", "aipw"):
        row = _estimate(effects, "rearrest_any_12m", method)
        assert row.n_treated == int(eligible.referred.sum())
        assert row.n_control == int((~eligible.referred).sum())
        assert row.n_treated_used <= row.n_treated and row.n_control_used <= row.n_control
    matched = _estimate(effects, "rearrest_any_12m", "ps_matched")
    assert matched.n_control_used < matched.n_treated_used  # with replacement, controls reused
    assert _estimate(effects, "rearrest_any_12m", "unadjusted").n_treated_used == matched.n_treated
