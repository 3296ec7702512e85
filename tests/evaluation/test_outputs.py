"""The three tables: the spec's columns, no identifiers, the balance verdict, the curves, and the
writer that replaces one as-of date's rows only."""

from __future__ import annotations

import warnings

import duckdb
import numpy as np
import pandas as pd

from pipelines.evaluation.estimate import evaluate
from pipelines.evaluation.store import write_effects
from pipelines.evaluation.estimate import BALANCE_COLUMNS, EFFECT_COLUMNS, SURVIVAL_COLUMNS
from pipelines.publish import forbidden_columns
from tests.evaluation.simulated import AS_OF, simulate

SPEC_EFFECT_COLUMNS = [
    "as_of", "outcome", "time_zero", "method", "measure", "estimate", "ci_low", "ci_high", "p_value",
    "n_treated", "n_control", "n_treated_used", "n_control_used", "balance_ok", "e_value", "e_value_ci",
    "ph_test_p", "logrank_p", "cohort_first", "cohort_last", "note",
]


def test_columns_are_the_spec_s(evaluated):
    assert list(evaluated["effects"].columns) == SPEC_EFFECT_COLUMNS == EFFECT_COLUMNS
    assert list(evaluated["effect_balance"].columns) == [
        "as_of", "outcome", "time_zero", "method", "covariate", "level", "smd_before", "smd_after", "ok"] == BALANCE_COLUMNS
    assert list(evaluated["effect_survival"].columns) == [
        "as_of", "time_zero", "group", "day", "survival", "ci_low", "ci_high", "at_risk", "events"] == SURVIVAL_COLUMNS


def test_every_method_outcome_and_measure_is_reported(evaluated):
    e = evaluated["effects"]
    for tz in ("disposition", "arraignment"):
        for outcome in ("rearrest_any_6m", "rearrest_any_12m", "rearrest_any_24m", "rearrest_prostitution_12m"):
            got = set(map(tuple, e[(e.time_zero == tz) & (e.outcome == outcome)][["method", "measure"]].to_numpy()))
            assert got == {(m, s) for m in ("unadjusted", "ps_matched", "ipw", "aipw") for s in ("risk_difference", "risk_ratio")}
        hr = e[(e.time_zero == tz) & (e.outcome == "time_to_rearrest_any")]
        assert sorted(hr.method) == ["ipw", "ps_matched", "unadjusted"] and set(hr.measure) == {"hazard_ratio"}
    # E-values only for adjusted ratios; PH and log-rank only on hazard ratios
    assert e.loc[e.e_value.notna(), "method"].ne("unadjusted").all()
    assert e.loc[e.e_value.notna(), "measure"].isin(["risk_ratio", "hazard_ratio"]).all()
    assert e.loc[e.ph_test_p.notna(), "measure"].eq("hazard_ratio").all()
    assert e.loc[e.measure == "hazard_ratio", "logrank_p"].notna().all()


def test_no_identifier_reaches_the_tables(world, evaluated):
    columns = [(name, c, str(t.dtypes[c])) for name, t in evaluated.items() for c in t.columns]
    assert forbidden_columns(columns) == []
    # and no case or person key in any value
    keys = set(world.cases.case_key) | set(world.cases.person_key)
    for t in evaluated.values():
        for c in t.columns:
            if t[c].dtype == object:
                assert not (set(t[c].dropna().astype(str)) & keys), c


def test_balance_ok_is_every_smd_of_the_sample_used(evaluated):
    e, b = evaluated["effects"], evaluated["effect_balance"]
    for (outcome, tz, method), rows in e.groupby(["outcome", "time_zero", "method"]):
        smd = b[(b.outcome == outcome) & (b.time_zero == tz) & (b.method == ("ipw" if method == "unadjusted" else method))]
        column = "smd_before" if method == "unadjusted" else "smd_after"
        expected = bool((smd[column].abs() <= 0.1).all())
        assert set(rows.balance_ok) == {expected}, (outcome, tz, method)
        for note in rows.note:
            assert ("BALANCE FAILS" in note) == (not expected)
    # the simulated referral is confounded: the raw comparison is unbalanced
    assert not e[e.method == "unadjusted"].balance_ok.any()


def test_a_deliberately_unbalanced_world_is_flagged():
    """Few cases and strong confounding: matching cannot balance the covariates."""
    world = simulate(n=300, seed=1, referral_intercept=0.8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = evaluate(world.cases, AS_OF)["effects"]
    flagged = e[(e.method == "ps_matched") & ~e.balance_ok]
    assert len(flagged) > 0
    assert flagged.note.str.contains("do not rely on this estimate").all()


def test_survival_curves(world, evaluated):
    s = evaluated["effect_survival"]
    assert set(s.group) == {"htic", "comparison_matched", "comparison_all"}
    for (tz, group), curve in s.groupby(["time_zero", "group"]):
        assert curve.day.is_monotonic_increasing and curve.day.iloc[0] == 0
        assert (np.diff(curve.survival) <= 1e-12).all()
        assert ((curve.ci_low <= curve.survival + 1e-12) & (curve.survival <= curve.ci_high + 1e-12)).all()
    # at day 0 everyone of the group is at risk; the events add up to the rearrests seen
    cases = world.cases[world.cases.followup_days_disposition > 0]
    htic = s[(s.time_zero == "disposition") & (s.group == "htic")]
    assert htic.at_risk.iloc[0] == cases.referred.sum()
    last = htic.day.iloc[-1]
    seen = cases[cases.referred & cases.rearrest_event_disposition & (cases.time_to_rearrest_any_disposition <= last)]
    assert htic.events.sum() == len(seen)
    # and the censorings between two points follow from at_risk and events, never negative
    censored = -np.diff(htic.at_risk.to_numpy()) - htic.events.to_numpy()[1:]
    assert (censored >= 0).all()
    followed = cases[cases.referred]
    lo, hi = htic.day.iloc[1], htic.day.iloc[2]
    assert censored[1] == ((~followed.rearrest_event_disposition) & (followed.time_to_rearrest_any_disposition > lo)
                           & (followed.time_to_rearrest_any_disposition <= hi)).sum()


def test_writer_replaces_one_as_of_only(evaluated, tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    other = {k: v.assign(as_of=pd.Timestamp("2026-06-30").date()) for k, v in evaluated.items()}
    write_effects(con, other, "2026-06-30")
    written = write_effects(con, evaluated, AS_OF)
    assert written == {k: len(v) for k, v in evaluated.items()}
    smaller = {k: v.head(3) for k, v in evaluated.items()}
    write_effects(con, smaller, AS_OF)  # a rebuild of the same as-of replaces its rows
    for name, frame in evaluated.items():
        counts = dict(con.execute(f"select cast(as_of as varchar), count(*) from analytics.{name} group by 1").fetchall())
        assert counts == {"2026-06-30": len(frame), AS_OF: 3}
    # the rows round-trip
    back = con.execute("select * from analytics.effects where as_of = '2026-06-30' order by outcome, time_zero, method, measure").df()
    assert list(back.columns) == EFFECT_COLUMNS
    assert np.allclose(back.estimate.to_numpy(), evaluated["effects"].sort_values(
        ["outcome", "time_zero", "method", "measure"]).estimate.to_numpy(), equal_nan=True)


def test_writer_is_one_transaction(evaluated, tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    write_effects(con, evaluated, AS_OF)
    broken = dict(evaluated)
    broken["effect_survival"] = evaluated["effect_survival"].assign(day="not a day")
    try:
        write_effects(con, broken, AS_OF)
    except duckdb.Error:
        pass
    else:
        raise AssertionError("a bad table must fail the write")
    for name, frame in evaluated.items():
        assert con.execute(f"select count(*) from analytics.{name}").fetchone()[0] == len(frame)


def test_a_tiny_world_reports_what_cannot_be_estimated():
    """Too few cases for the models: every row is still written; those resting on a model that
    cannot be fitted have no estimate and a note that says so, and never pass the balance check."""
    world = simulate(n=60, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = evaluate(world.cases, AS_OF)["effects"]
    assert len(e) == 70
    missing = e[e.note.str.startswith("Not estimable")]
    assert len(missing) > 0
    assert missing.estimate.isna().all() and missing.ci_low.isna().all()
    assert not missing.balance_ok.any()
    assert e[e.method == "unadjusted"].note.str.startswith("Not estimable").sum() == 0


def test_a_propensity_fit_reused_across_outcomes_is_the_outcome_s_own(world):
    """rearrest_any_12m and rearrest_prostitution_12m share their supported cases, so the second
    reuses the first's propensity fit (estimate.adjust_once). What it gets must be what a fit of
    its own sample gives: the same rows (its own, outcome column included), scores, weights and
    design; and the cache keeps no rows or designs (memory flat across the outcomes)."""
    from pipelines.evaluation.design import OUTCOMES, build_sample
    from pipelines.evaluation.estimate import adjust, adjust_once

    by_name = {o.name: o for o in OUTCOMES}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = build_sample(world.cases, by_name["rearrest_any_12m"], "disposition")
        second = build_sample(world.cases, by_name["rearrest_prostitution_12m"], "disposition")
        assert list(first.supported["case_key"]) == list(second.supported["case_key"])
        done: dict = {}
        adjust_once(first, done)
        reused, failure = adjust_once(second, done)
        fresh = adjust(second)
    assert failure is None and len(done) == 1
    pd.testing.assert_frame_equal(reused.rows, fresh.rows)
    pd.testing.assert_frame_equal(reused.design, fresh.design)
    for name in ("score", "match_weight", "ipw_weight"):
        np.testing.assert_array_equal(getattr(reused, name), getattr(fresh, name))
    assert reused.excluded_ps_range == fresh.excluded_ps_range
    cached = [v for fit, _ in done.values() for v in vars(fit).values()]
    assert not any(isinstance(v, pd.DataFrame) for v in cached)
