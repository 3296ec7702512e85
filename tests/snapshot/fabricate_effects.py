"""Fabricated evaluation tables (`effects`, `effect_balance`, `effect_survival`, columns of
evaluation.md) for the snapshot's tests: plausible estimates, balance per covariate level, and
Kaplan-Meier curves counted from simulated follow-up exactly as pipelines/evaluation/survival.py
reports them (at_risk: follow-up > day; events: rearrests in (previous day, day]). Nothing here is
used by the pipeline."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

OUTCOMES = ("rearrest_any_6m", "rearrest_any_12m", "rearrest_any_24m", "rearrest_prostitution_12m")
METHODS = ("unadjusted", "ps_matched", "ipw", "aipw")
COVARIATE_LEVELS = {
    "age_band": ["16-17", "18-24", "25-34", "35-44", "45+", "unknown"],
    "prior_arrests": ["0", "1-2", "3+", "unknown"],
    "court": ["bronx", "brooklyn", "manhattan", "queens", "richmond"],
    "arraignment_year": ["2019", "2020", "2021", "2022", "2023", "2024", "2025"],
}
CURVE_DAYS = tuple(sorted(set(range(0, 1096, 7)) | {182, 365, 730}))
Z = 1.959963984540054
# true risks of the treated with and without referral (12 months); other windows scale them
RISK_T, RISK_C = 0.18, 0.27


def km_points(durations: np.ndarray, events: np.ndarray, days=CURVE_DAYS) -> pd.DataFrame:
    d, e = np.asarray(durations, float), np.asarray(events, bool)
    grid = [x for x in days if x <= d.max()]
    surv, s, prev = [], 1.0, -1
    for day in grid:
        for t in sorted(set(d[e & (d > prev) & (d <= day)])):
            s *= 1 - (e & (d == t)).sum() / (d >= t).sum()
        surv.append(s)
        prev = day
    previous = [-1] + grid[:-1]
    return pd.DataFrame({
        "day": grid, "survival": surv,
        "ci_low": [max(0.0, v - 0.03) for v in surv], "ci_high": [min(1.0, v + 0.03) for v in surv],
        "at_risk": [float((d > day).sum()) for day in grid],
        "events": [float((e & (d > lo) & (d <= hi)).sum()) for lo, hi in zip(previous, grid)],
    })


def _group(rng, n: int, risk12: float) -> tuple[np.ndarray, np.ndarray]:
    rate = -math.log(1 - risk12) / 365
    t = rng.exponential(1 / rate, n)
    c = rng.uniform(30, 1500, n)
    return np.ceil(np.minimum(t, c)), t <= c


def fabricate_effects(as_of: date, n_treated: int = 900, n_control: int = 2400, seed: int = 5,
                      unbalanced: bool = False, n_treated_used: int | None = None) -> dict[str, pd.DataFrame]:
    """The three tables for one as-of date. `unbalanced`: the adjusted samples keep SMDs above 0.1
    (balance_ok false everywhere). `n_treated_used`: the treated cases the adjusted estimates use
    (default: all but 3% of them)."""
    rng = np.random.default_rng(seed)
    used_t = n_treated_used if n_treated_used is not None else n_treated - round(0.03 * n_treated)
    effects, balance, survival = [], [], []
    for tz in ("disposition", "arraignment"):
        for outcome in OUTCOMES:
            scale = {"rearrest_any_6m": 0.6, "rearrest_any_12m": 1.0, "rearrest_any_24m": 1.5,
                     "rearrest_prostitution_12m": 0.5}[outcome]
            longer = outcome == "rearrest_any_24m"  # fewer cases followed long enough
            nt, nc = (n_treated * 2 // 3, n_control * 2 // 3) if longer else (n_treated, n_control)
            for method in METHODS:
                p_t = RISK_T * scale
                p_c = (RISK_C + (0.08 if method == "unadjusted" else 0.0)) * scale
                t_used = nt if method == "unadjusted" else min(nt, used_t)
                c_used = nc if method == "unadjusted" else (t_used * 4 // 5 if method == "ps_matched" else nc)
                ok = method != "unadjusted" and not unbalanced
                se = math.sqrt(p_t * (1 - p_t) / t_used + p_c * (1 - p_c) / c_used)
                rd = p_t - p_c
                rr = p_t / p_c
                se_log = math.sqrt((1 - p_t) / (p_t * t_used) + (1 - p_c) / (p_c * c_used))
                base = dict(as_of=as_of, outcome=outcome, time_zero=tz, method=method, n_treated=nt, n_control=nc,
                            n_treated_used=t_used, n_control_used=c_used, balance_ok=ok, ph_test_p=None,
                            logrank_p=None, cohort_first="2019Q1", cohort_last="2025Q3",
                            note=f"{nt - t_used} referred cases left out.")
                adjusted = method != "unadjusted"
                e_rr = 1 / rr + math.sqrt((1 / rr) * (1 / rr - 1))
                effects.append(dict(base, measure="risk_difference", estimate=rd, ci_low=rd - Z * se,
                                    ci_high=rd + Z * se, p_value=2 * (1 - _phi(abs(rd) / se)), e_value=None,
                                    e_value_ci=None))
                effects.append(dict(base, measure="risk_ratio", estimate=rr, ci_low=rr * math.exp(-Z * se_log),
                                    ci_high=rr * math.exp(Z * se_log),
                                    p_value=2 * (1 - _phi(abs(math.log(rr)) / se_log)),
                                    e_value=e_rr if adjusted else None, e_value_ci=1.2 if adjusted else None))
                if method != "unadjusted":
                    for cov, levels in COVARIATE_LEVELS.items():
                        for lv in levels:
                            before = float(rng.normal(0, 0.25))
                            after = (float(rng.choice([-1, 1]) * rng.uniform(0.12, 0.3)) if unbalanced
                                     else float(rng.normal(0, 0.03)))
                            balance.append(dict(as_of=as_of, outcome=outcome, time_zero=tz, method=method,
                                                covariate=cov, level=lv, smd_before=before, smd_after=after,
                                                ok=abs(after) <= 0.1))
        for method, hr in (("unadjusted", 0.47), ("ps_matched", 0.63), ("ipw", 0.63)):
            t_used = n_treated if method == "unadjusted" else used_t
            c_used = n_control if method != "ps_matched" else t_used * 4 // 5
            effects.append(dict(as_of=as_of, outcome="time_to_rearrest_any", time_zero=tz, method=method,
                                measure="hazard_ratio", estimate=hr, ci_low=hr * 0.92, ci_high=hr * 1.08,
                                p_value=1e-6, n_treated=n_treated, n_control=n_control, n_treated_used=t_used,
                                n_control_used=c_used, balance_ok=method != "unadjusted" and not unbalanced,
                                e_value=None if method == "unadjusted" else 2.5,
                                e_value_ci=None if method == "unadjusted" else 2.2, ph_test_p=0.3, logrank_p=1e-5,
                                cohort_first="2019Q1", cohort_last="2026Q3", note="a note"))
        matched = max(used_t * 4 // 5, 1)
        for group, n, risk in (("htic", n_treated, RISK_T), ("comparison_matched", matched, RISK_C),
                               ("comparison_all", n_control, RISK_C + 0.08)):
            d, e = _group(rng, n, risk)
            pts = km_points(d, e)
            pts.insert(0, "group", group)
            pts.insert(0, "time_zero", tz)
            pts.insert(0, "as_of", as_of)
            survival.append(pts)
    eff = pd.DataFrame(effects)[["as_of", "outcome", "time_zero", "method", "measure", "estimate", "ci_low", "ci_high",
                                 "p_value", "n_treated", "n_control", "n_treated_used", "n_control_used", "balance_ok",
                                 "e_value", "e_value_ci", "ph_test_p", "logrank_p", "cohort_first", "cohort_last",
                                 "note"]]
    return {"effects": eff, "effect_balance": pd.DataFrame(balance),
            "effect_survival": pd.concat(survival, ignore_index=True)}


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def add_effects(analytics_db: Path, tables: dict[str, pd.DataFrame]) -> Path:
    """Append the tables to an analytics.duckdb (created by tests/snapshot/fabricate.py), in the
    column types of pipelines/evaluation/store.py."""
    import duckdb

    from pipelines.evaluation.store import TABLES

    con = duckdb.connect(str(analytics_db))
    try:
        for name, frame in tables.items():
            con.execute(f"create table if not exists {name} ({TABLES[name]})")
            con.register("_rows", frame)
            cols = ", ".join(f'"{c}"' for c in frame.columns)
            con.execute(f"insert into {name} ({cols}) select {cols} from _rows")
            con.unregister("_rows")
    finally:
        con.close()
    return Path(analytics_db)
