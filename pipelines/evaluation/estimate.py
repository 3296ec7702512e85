"""evaluate(cases, as_of): every estimate of evaluation.md, as the rows of its three tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from pipelines.evaluation import balance, notes
from pipelines.evaluation.contrasts import aipw_att, weighted_contrast
from pipelines.evaluation.design import (
    CASE_KEY,
    CLUSTER,
    OUTCOMES,
    TIME_ZEROS,
    TREATED,
    NotEstimable,
    Sample,
    build_sample,
    cohort_range,
    event_column,
)
from pipelines.evaluation.evalues import e_values, hr_to_rr
from pipelines.evaluation.matching import match
from pipelines.evaluation.propensity import (NotEstimable, design_matrix, fit_logistic, full_rank_columns,
                                             inside_control_range, propensity_scores, ridge_logistic_predict)
from pipelines.evaluation.survival import fit_cox, km_curve, logrank_p

EFFECT_COLUMNS = [
    "as_of", "outcome", "time_zero", "method", "measure", "estimate", "ci_low", "ci_high", "p_value",
    "n_treated", "n_control", "n_treated_used", "n_control_used", "balance_ok", "e_value", "e_value_ci",
    "ph_test_p", "logrank_p", "cohort_first", "cohort_last", "note",
]
BALANCE_COLUMNS = ["as_of", "outcome", "time_zero", "method", "covariate", "level", "smd_before", "smd_after", "ok"]
SURVIVAL_COLUMNS = ["as_of", "time_zero", "group", "day", "survival", "ci_low", "ci_high", "at_risk", "events"]
ADJUSTED = ("ps_matched", "ipw", "aipw")


@dataclass(frozen=True)
class Adjustment:
    """The sample the adjusted methods use, its propensity scores and weights."""

    rows: pd.DataFrame  # inside common support (exact, then propensity range)
    score: np.ndarray
    match_weight: np.ndarray  # treated 1 if matched else 0; control: times matched
    ipw_weight: np.ndarray  # treated 1; control e/(1-e), scaled to sum to the treated count
    excluded_ps_range: int

    @property
    def treated(self) -> np.ndarray:
        return self.rows[TREATED].to_numpy(bool)

    @property
    def design(self) -> pd.DataFrame:
        """The indicators of `rows` (the outcome models' design), built when asked for: a design
        is cases x levels floats, the largest thing an estimate holds."""
        return design_matrix(self.rows)

    @property
    def unmatched(self) -> int:
        return int((self.treated & (self.match_weight == 0)).sum())


@dataclass(frozen=True)
class _Fit:
    """What the propensity model decides about a supported sample, without the sample's rows: which
    cases stay inside the score range (`keep`, over the supported rows), their scores and weights."""

    keep: np.ndarray
    score: np.ndarray
    match_weight: np.ndarray
    ipw_weight: np.ndarray
    excluded_ps_range: int


def _fit(sample: Sample) -> _Fit:
    rows = sample.supported
    if not rows[TREATED].any() or rows[TREATED].all():
        raise NotEstimable("no referred case shares every trait level with some comparison case")
    ps = propensity_scores(rows)
    keep = inside_control_range(rows[TREATED].to_numpy(bool), ps.score)
    excluded = int((~keep).sum())
    rows = rows[keep].reset_index(drop=True)
    score, logit = ps.score[keep], ps.logit[keep]
    treated = rows[TREATED].to_numpy(bool)
    odds = score / (1.0 - score)
    ipw = np.where(treated, 1.0, odds * treated.sum() / odds[~treated].sum())
    return _Fit(keep, score, match(rows, logit).to_numpy(), ipw, excluded)


def _adjustment(sample: Sample, fit: _Fit) -> Adjustment:
    return Adjustment(sample.supported[fit.keep].reset_index(drop=True), fit.score, fit.match_weight,
                      fit.ipw_weight, fit.excluded_ps_range)


def adjust(sample: Sample) -> Adjustment:
    return _adjustment(sample, _fit(sample))


def adjust_once(sample: Sample, done: dict) -> tuple[Adjustment | None, str | None]:
    """adjust(sample), or its failure, reusing the propensity model of every outcome whose supported
    sample is the same cases (rearrest_any_12m and rearrest_prostitution_12m always are): one
    propensity model each. `done` keeps the fits only (scores, weights, a mask): the rows are this
    sample's own, so memory does not grow with the outcomes."""
    key = (sample.time_zero, tuple(sample.supported[CASE_KEY]))
    if key not in done:
        try:
            done[key] = (_fit(sample), None)
        except NotEstimable as exc:
            done[key] = (None, f"propensity model: {exc}")
    fit, failure = done[key]
    return (None if fit is None else _adjustment(sample, fit)), failure


def _used_counts(treated: np.ndarray, weight: np.ndarray) -> tuple[int, int]:
    used = weight > 0
    return int((used & treated).sum()), int((used & ~treated).sum())


def evaluate(cases: pd.DataFrame, as_of: date | str) -> dict[str, pd.DataFrame]:
    """The rows of `effects`, `effect_balance` and `effect_survival` for one as-of date, from the
    case table fct_eval_cases (one row per case; columns as in its dbt yml)."""
    a = date.fromisoformat(str(as_of)) if not isinstance(as_of, date) else as_of
    # one BLAS thread: the models' matrix products are small, and on a busy machine (dbt, other
    # assets) several BLAS threads per product wait on each other more than they compute
    with threadpool_limits(limits=1, user_api="blas"):
        return _evaluate(cases, a)


def coded_keys(cases: pd.DataFrame) -> pd.DataFrame:
    """`cases` with case_key and person_key as integer codes in the keys' own sort order: the keys
    only order the cases (CASE_KEY) and group them into clusters (CLUSTER), which the codes do
    alike, in the same order (so every sum runs as before), and grouping by an integer is many
    times faster than by a key string. A key column with a missing value is left as it is
    (a missing cluster is no cluster, not one of its own)."""
    coded = {k: pd.factorize(cases[k], sort=True)[0] for k in (CASE_KEY, CLUSTER)
             if cases[k].dtype == object and cases[k].notna().all()}
    return cases.assign(**coded) if coded else cases


def _evaluate(cases: pd.DataFrame, a: date) -> dict[str, pd.DataFrame]:
    cases = coded_keys(cases)
    effects, balances, curves = [], [], []
    adjustments: dict = {}
    for time_zero in TIME_ZEROS:
        for outcome in OUTCOMES:
            sample = build_sample(cases, outcome, time_zero)
            if sample.n_treated == 0 or sample.n_control == 0:
                continue
            adj, failure = adjust_once(sample, adjustments)
            smd = _balance_tables(sample, adj)
            balance_ok = {m: bool(t["ok"].all()) for m, t in smd.items()}
            balance_ok["unadjusted"] = bool((_smd_before(sample)["smd_before"].abs() <= balance.THRESHOLD).all())
            methods = ADJUSTED if outcome.kind == "binary" else ("ps_matched", "ipw")
            for method in methods:
                if method in smd:
                    balances.append(smd[method].assign(outcome=outcome.name, time_zero=time_zero, method=method))
            if outcome.kind == "binary":
                effects += _binary_rows(sample, adj, balance_ok, failure)
            else:
                effects += _hazard_rows(sample, adj, balance_ok, failure)
                curves.append(_curves(sample, adj).assign(time_zero=time_zero))
    return {
        "effects": _frame(effects, EFFECT_COLUMNS, a),
        "effect_balance": _frame(balances, BALANCE_COLUMNS, a, concat=True),
        "effect_survival": _frame(curves, SURVIVAL_COLUMNS, a, concat=True),
    }


def _smd_before(sample: Sample) -> pd.DataFrame:
    return balance.smd_table(sample.eligible, sample.eligible, np.ones(len(sample.eligible)))


def _balance_tables(sample: Sample, adj: Adjustment | None) -> dict[str, pd.DataFrame]:
    if adj is None:
        return {}
    weighted = balance.smd_table(sample.eligible, adj.rows, adj.ipw_weight)
    return {
        "ps_matched": balance.smd_table(sample.eligible, adj.rows, adj.match_weight),
        "ipw": weighted,
        "aipw": weighted,  # AIPW rests on the same weighted sample
    }


def _frame(parts: list, columns: list[str], as_of: date, concat: bool = False) -> pd.DataFrame:
    if concat:
        df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[c for c in columns if c != "as_of"])
    else:
        df = pd.DataFrame(parts, columns=[c for c in columns if c != "as_of"])
    df.insert(0, "as_of", pd.Timestamp(as_of).date())
    return df[columns]


def _base_row(sample: Sample, method: str, used_rows: pd.DataFrame, n_used: tuple[int, int], ok: bool) -> dict:
    first, last = cohort_range(used_rows, sample.time_zero)
    return {
        "outcome": sample.outcome.name, "time_zero": sample.time_zero, "method": method,
        "n_treated": sample.n_treated, "n_control": sample.n_control,
        "n_treated_used": n_used[0], "n_control_used": n_used[1], "balance_ok": ok,
        "e_value": None, "e_value_ci": None, "ph_test_p": None, "logrank_p": None,
        "cohort_first": first, "cohort_last": last,
    }


def _binary_rows(sample: Sample, adj: Adjustment | None, balance_ok: dict[str, bool], failure: str | None) -> list[dict]:
    y, el = sample.y, sample.eligible
    penalised = None
    contrasts = {"unadjusted": (weighted_contrast(el[y], el[TREATED], np.ones(len(el)), el[CLUSTER]), el,
                                (sample.n_treated, sample.n_control))}
    failures = {m: failure for m in ADJUSTED} if adj is None else {}
    if adj is not None:
        rows, treated = adj.rows, adj.treated
        contrasts["ps_matched"] = (weighted_contrast(rows[y], treated, adj.match_weight, rows[CLUSTER]),
                                   rows[adj.match_weight > 0], _used_counts(treated, adj.match_weight))
        contrasts["ipw"] = (weighted_contrast(rows[y], treated, adj.ipw_weight, rows[CLUSTER]), rows,
                            _used_counts(treated, adj.ipw_weight))
        try:
            m0, penalised = _control_risk(adj, y)
        except NotEstimable as exc:
            failures["aipw"] = f"outcome model: {exc}"
        else:
            contrasts["aipw"] = (aipw_att(rows[y], treated, adj.score, m0, rows[CLUSTER]), rows,
                                 _used_counts(treated, adj.ipw_weight))
    out = []
    for method, (contrast, used_rows, n_used) in contrasts.items():
        for measure in ("risk_difference", "risk_ratio"):
            est, lo, hi, p = contrast.interval(measure)
            row = _base_row(sample, method, used_rows, n_used, balance_ok[method])
            row.update(measure=measure, estimate=est, ci_low=lo, ci_high=hi, p_value=p)
            if method != "unadjusted" and measure == "risk_ratio":
                row["e_value"], row["e_value_ci"] = e_values(est, lo, hi)
            row["note"] = notes.binary_note(sample, adj, method, measure, row)
            if method == "aipw" and penalised:
                row["note"] += f" {notes.penalised_outcome_model(penalised)}"
            out.append(row)
    for method, reason in failures.items():
        out += _not_estimable(sample, method, ("risk_difference", "risk_ratio"), reason)
    return out


def _control_risk(adj: Adjustment, y: str) -> tuple[np.ndarray, str | None]:
    """m0(x): the outcome model fitted on the controls, predicted for every case; and, when the
    maximum-likelihood fit separates (a level whose controls have no rearrest at all), why the
    penalised fit (propensity.ridge_logistic_predict) was used instead."""
    x, treated = adj.design, adj.treated
    outcome = adj.rows[y].to_numpy()[~treated]
    try:
        model = fit_logistic(outcome, x[~treated])
    except NotEstimable as exc:
        cols = full_rank_columns(x[~treated])
        return ridge_logistic_predict(outcome, x[~treated][cols], x[cols]), str(exc)
    return np.asarray(model.predict(x[model.params.index])), None


def _not_estimable(sample: Sample, method: str, measures: tuple[str, ...], reason: str) -> list[dict]:
    out = []
    for measure in measures:
        row = _base_row(sample, method, sample.eligible.iloc[0:0], (0, 0), False)
        row.update(measure=measure, estimate=None, ci_low=None, ci_high=None, p_value=None,
                   note=notes.not_estimable_note(sample, method, reason))
        out.append(row)
    return out


def _survival_frame(rows: pd.DataFrame, time_zero: str, weight: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({
        "duration": rows[f"time_to_rearrest_any_{time_zero}"].to_numpy(float),
        "event": rows[event_column(time_zero)].to_numpy(bool),
        "referred": rows[TREATED].to_numpy(float),
        "weight": np.asarray(weight, float),
        "cluster": rows[CLUSTER].to_numpy(),
    })


def _hazard_rows(sample: Sample, adj: Adjustment | None, balance_ok: dict[str, bool], failure: str | None) -> list[dict]:
    el = sample.eligible
    frames = {"unadjusted": (_survival_frame(el, sample.time_zero, np.ones(len(el))), el,
                             (sample.n_treated, sample.n_control))}
    if adj is not None:
        frames["ps_matched"] = (_survival_frame(adj.rows, sample.time_zero, adj.match_weight),
                                adj.rows[adj.match_weight > 0], _used_counts(adj.treated, adj.match_weight))
        frames["ipw"] = (_survival_frame(adj.rows, sample.time_zero, adj.ipw_weight), adj.rows,
                         _used_counts(adj.treated, adj.ipw_weight))
    failures = {m: failure for m in ("ps_matched", "ipw")} if adj is None else {}
    out = []
    for method, (frame, used_rows, n_used) in frames.items():
        frame = frame[frame["weight"] > 0]
        weighted = method != "unadjusted"
        try:
            cox = fit_cox(frame, "duration", "event", ["referred"], weight="weight" if weighted else None,
                          cluster="cluster")
        except NotEstimable as exc:
            failures[method] = str(exc)
            continue
        est, lo, hi, p = cox.hazard_ratio("referred")
        row = _base_row(sample, method, used_rows, n_used, balance_ok[method])
        row.update(measure="hazard_ratio", estimate=est, ci_low=lo, ci_high=hi, p_value=p,
                   ph_test_p=float(cox.ph_test_p["referred"]),
                   logrank_p=logrank_p(frame["duration"].to_numpy(), frame["event"].to_numpy(),
                                       frame["referred"].to_numpy(bool), frame["weight"].to_numpy()))
        if weighted:
            share = float(frame["event"].mean())
            row["e_value"], row["e_value_ci"] = e_values(hr_to_rr(est, share), hr_to_rr(lo, share), hr_to_rr(hi, share))
        row["note"] = notes.hazard_note(sample, adj, method, row)
        out.append(row)
    for method, reason in failures.items():
        out += _not_estimable(sample, method, ("hazard_ratio",), reason)
    return out


def _curves(sample: Sample, adj: Adjustment | None) -> pd.DataFrame:
    el = sample.eligible
    el_treated = el[TREATED].to_numpy(bool)
    duration, event = f"time_to_rearrest_any_{sample.time_zero}", event_column(sample.time_zero)
    groups = {"htic": (el, el_treated.astype(float))}
    if adj is not None:
        groups["comparison_matched"] = (adj.rows, np.where(adj.treated, 0.0, adj.match_weight))
    groups["comparison_all"] = (el, (~el_treated).astype(float))
    parts = []
    for group, (rows, weight) in groups.items():
        if (weight > 0).any():
            curve = km_curve(rows[duration].to_numpy(float), rows[event].to_numpy(bool), weight)
            parts.append(curve.assign(group=group))
    return pd.concat(parts, ignore_index=True)


__all__ = ["evaluate", "EFFECT_COLUMNS", "BALANCE_COLUMNS", "SURVIVAL_COLUMNS"]
