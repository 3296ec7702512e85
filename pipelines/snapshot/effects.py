"""The adjusted comparison as funders may see it: the evaluation tables of analytics.duckdb
(`effects`, `effect_balance`, `effect_survival`; evaluation.md "Output tables"), read for one
as-of date and put through the disclosure rule of evaluation.md before any writer gets them.

- **Group sizes** (n_treated, n_control, the used counts and the treated cases left out): a count
  is shown only when it is 0 or at least 11 and its difference with every other count shown of the
  same side (treated or comparison) and time zero is 0 or at least 11; otherwise "suppressed".
  Counts are taken in a fixed order (per time zero: n_treated / n_control of each outcome, then the
  used counts of each row), so the same tables give the same choice. The treated cases left out
  are the difference of two counts shown, so they are shown exactly when both are.
- **Implied outcome counts**: a binary outcome's risk difference and risk ratio together give the
  treated risk p_T = RD * RR / (RR - 1); with the treated cases used, the number rearrested and not
  rearrested follow (and, unadjusted, the comparison's). When any of these is between 1 and 10, the
  estimates of that outcome and method are not shown.
- **Survival curves**: a point is shown only when, since the previous point shown of that group,
  the group's events and its censorings are each 0 or at least 11 (censorings between two days =
  at_risk(previous) - at_risk(day) - events; docs/evaluation.md). The first point counts from the
  group's start, at_risk(day) + events(day) of its first day. Each group's curve is thinned on its
  own counts: the curves are separate figures of separate groups.
- **Changes since earlier publications**: a count is also hidden when it differs by 1-10 from the
  same count (same time zero, outcome, method, measure) shown by an earlier publication's
  `effects.csv` (metrics.md: the change of each count since every publication that showed it).
- **Balance**: per covariate the largest |SMD| over its levels, before and after; never per level.
- The `note` column is never read: it carries counts (cases left out) in words.

Nothing here reads the clock; the same tables give the same result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.sql import ident

SMALL_MAX = 10
HEADLINE = {"outcome": "rearrest_any_12m", "time_zero": "disposition", "method": "aipw", "measure": "risk_difference"}
CURVE_GROUPS = ("htic", "comparison_matched")
EFFECT_COLUMNS = ["outcome", "time_zero", "method", "measure", "estimate", "ci_low", "ci_high", "p_value",
                  "n_treated", "n_control", "n_treated_used", "n_control_used", "balance_ok", "e_value",
                  "e_value_ci", "ph_test_p", "logrank_p", "cohort_first", "cohort_last"]
BALANCE_COLUMNS = ["outcome", "time_zero", "method", "covariate", "level", "smd_before", "smd_after", "ok"]
SURVIVAL_COLUMNS = ["time_zero", "group", "day", "survival", "ci_low", "ci_high", "at_risk", "events"]
TABLES = {"effects": EFFECT_COLUMNS, "effect_balance": BALANCE_COLUMNS, "effect_survival": SURVIVAL_COLUMNS}
COUNTS = ("n_treated", "n_control", "n_treated_used", "n_control_used", "n_treated_unused")
ESTIMATE_FIGURES = ("estimate", "ci_low", "ci_high", "p_value", "e_value", "e_value_ci", "ph_test_p", "logrank_p")


@dataclass(frozen=True)
class FunderEffects:
    """What the report and workbook may show. Counts hidden by the rule are None (shown as
    'suppressed'); estimates hidden are None with `estimate_hidden` true."""
    as_of: date
    estimates: pd.DataFrame  # EFFECT_COLUMNS + n_treated_unused, estimate_hidden; counts as float or None
    balance: pd.DataFrame  # outcome, time_zero, method, covariate, max_abs_smd_before, max_abs_smd_after, ok
    survival: pd.DataFrame  # SURVIVAL_COLUMNS less at_risk and events: only the points shown
    # the true group sizes and implied outcome counts of every row (RECORD_COLUMNS): for the team's
    # restricted record and the audit, never for a writer of what funders see
    restricted_counts: pd.DataFrame | None = None

    def row(self, outcome: str, time_zero: str, method: str, measure: str) -> pd.Series | None:
        e = self.estimates
        hit = e[(e.outcome == outcome) & (e.time_zero == time_zero) & (e.method == method) & (e.measure == measure)]
        return None if hit.empty else hit.iloc[0]

    @property
    def headline(self) -> pd.Series | None:
        return self.row(**HEADLINE)


def _present(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def is_small(x) -> bool:
    """A count between 1 and 10; weighted counts conservatively: any 0 < x < 11 (rounding noise
    below 1e-6 ignored)."""
    return _present(x) and 1e-6 < float(x) < SMALL_MAX + 1 - 1e-6


# --- reading ----------------------------------------------------------------------------------

def read_tables(analytics_db: Path, as_of: date) -> dict[str, pd.DataFrame] | None:
    """The three tables' rows of `as_of` (only the columns funders may see, never `note`); None when
    the warehouse has not got them (an older warehouse) or no effects for that date."""
    from pipelines.duck import connect

    path = Path(analytics_db)
    if not path.exists():
        return None
    con = connect(path, read_only=True)
    try:
        present = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main'").fetchall()}
        if not set(TABLES) <= present:
            return None
        out = {}
        for name, cols in TABLES.items():
            sel = ", ".join(ident(c) for c in cols)
            out[name] = con.execute(f"select {sel} from {ident(name)} where as_of = ?", [as_of]).df()
    finally:
        con.close()
    return out if len(out["effects"]) else None


def read_funder_effects(analytics_db: Path, as_of: date, earlier: list[tuple] = ()) -> FunderEffects | None:
    """The tables of `as_of` with the disclosure rule applied, given the earlier publications'
    effects.csv [(folder, rows as text, their true counts from the restricted record or None)]."""
    tables = read_tables(analytics_db, as_of)
    return None if tables is None else disclose(tables, as_of, earlier)


# --- the disclosure rule ----------------------------------------------------------------------

def earlier_shown(earlier: list[tuple]) -> dict[tuple, list[float]]:
    """(time_zero, outcome, method, measure, count) -> the values earlier publications showed, from
    their effects.csv [(folder, rows as text, true counts or None)]; blank cells are not values."""
    out: dict[tuple, list[float]] = {}
    for _, rows, _truth in earlier:
        for r in rows.to_dict("records"):
            for c in COUNTS:
                v = r.get(c, "")
                if v not in ("", None) and not (isinstance(v, float) and math.isnan(v)):
                    out.setdefault((r["time_zero"], r["outcome"], r["method"], r["measure"], c), []).append(float(v))
    return out


def _shown_counts(effects: pd.DataFrame, before: dict[tuple, list[float]] | None = None) -> pd.DataFrame:
    """The group-size columns with the counts that may not be shown set to None (module docstring)."""
    before = before or {}
    df = effects.copy()
    for c in ("n_treated", "n_control", "n_treated_used", "n_control_used"):
        df[c] = df[c].astype(float)
    df["n_treated_unused"] = df["n_treated"] - df["n_treated_used"]
    shown = {c: [None] * len(df) for c in COUNTS}
    for tz in sorted(df["time_zero"].unique()):
        idx = [i for i in range(len(df)) if df["time_zero"].iat[i] == tz]
        for side, cols in (("treated", ("n_treated", "n_treated_used")), ("control", ("n_control", "n_control_used"))):
            kept: list[float] = []
            for col in cols:  # all group sizes first, then all used counts
                for i in idx:
                    x = df[col].iat[i]
                    if not _present(x) or is_small(x) or any(is_small(abs(x - k)) for k in kept):
                        continue
                    key = (tz, df["outcome"].iat[i], df["method"].iat[i], df["measure"].iat[i], col)
                    if any(is_small(abs(x - k)) for k in before.get(key, ())):
                        continue
                    shown[col][i] = float(x)
                    kept.append(float(x))
    for i in range(len(df)):
        n, used = shown["n_treated"][i], shown["n_treated_used"][i]
        shown["n_treated_unused"][i] = None if n is None or used is None else n - used
    for c in COUNTS:
        df[c] = pd.Series(shown[c], index=df.index, dtype=object)
    return df


def implied_counts(effects: pd.DataFrame) -> dict[tuple, list[float]]:
    """(outcome, time_zero, method) -> the counts of rearrested and not rearrested cases that the
    risk difference and risk ratio of a binary outcome imply (treated used; and for `unadjusted`
    the comparison cases)."""
    out: dict[tuple, list[float]] = {}
    binary = effects[effects["measure"].isin(["risk_difference", "risk_ratio"])]
    for key, g in binary.groupby(["outcome", "time_zero", "method"], sort=True):
        m = g.set_index("measure")
        if not {"risk_difference", "risk_ratio"} <= set(m.index):
            continue
        rd, rr = m.at["risk_difference", "estimate"], m.at["risk_ratio", "estimate"]
        if not (_present(rd) and _present(rr)) or abs(rr - 1) < 1e-12:
            continue
        p_t = rd * rr / (rr - 1)
        n_t = float(m.at["risk_difference", "n_treated_used"])
        counts = [p_t * n_t, (1 - p_t) * n_t]
        if key[2] == "unadjusted":
            n_c = float(m.at["risk_difference", "n_control_used"])
            counts += [(p_t - rd) * n_c, (1 - p_t + rd) * n_c]
        out[key] = counts
    return out


IMPLIED = ("events_treated", "nonevents_treated", "events_control", "nonevents_control")
ROUNDING_SLACK = 2.0  # implied counts recomputed from 4-decimal figures are off by about this much


def _padded(counts: list[float]) -> list[float]:
    return [float(c) for c in counts] + [math.nan] * (len(IMPLIED) - len(counts))


def _earlier_implied(earlier: list[tuple]) -> dict[tuple, list[tuple[list[float], bool]]]:
    """(outcome, time_zero, method) -> [(the outcome counts an earlier publication's shown estimates
    implied, exact?)]: the true counts from its restricted record where it has one (exact), else
    recomputed from its rounded figures (approximate)."""
    out: dict[tuple, list[tuple[list[float], bool]]] = {}
    for _, rows, truth in earlier:
        df = rows.copy()
        for c in ("estimate", "n_treated_used", "n_control_used"):
            df[c] = pd.to_numeric(df[c], errors="coerce")
        shown = df[df["estimate"].notna() & df["measure"].isin(["risk_difference", "risk_ratio"])]
        shown_keys = {k for k, g in shown.groupby(["outcome", "time_zero", "method"]) if len(g) == 2}
        if truth is not None:
            for r in truth.to_dict("records"):
                k = (r["outcome"], r["time_zero"], r["method"])
                if k in shown_keys and r["measure"] == "risk_difference":
                    out.setdefault(k, []).append(
                        ([float(r[c]) if str(r[c]) not in ("", "nan") else math.nan for c in IMPLIED], True))
        else:
            usable = shown[shown["n_treated_used"].notna()]
            usable = usable[(usable["method"] != "unadjusted") | usable["n_control_used"].notna()]
            for k, counts in implied_counts(usable).items():
                out.setdefault(k, []).append((_padded(counts), False))
    return out


def _changed_a_little(now: list[float], before: list[float], exact: bool) -> bool:
    for c, o in zip(now, before):
        if math.isnan(c) or math.isnan(o):
            continue
        d = abs(c - o)
        if (is_small(round(d, 6)) if exact else d <= SMALL_MAX + ROUNDING_SLACK):
            return True
    return False


def _hide_small_estimates(df: pd.DataFrame, raw: pd.DataFrame, earlier: list[tuple] = ()) -> pd.DataFrame:
    """Hide a binary outcome's estimates when a count they imply is 1-10, or differs by 1-10 from
    the same count an earlier publication's shown estimates implied (without that publication's
    exact record, any difference up to 10 plus the rounding slack: the safe side)."""
    before = _earlier_implied(list(earlier))
    hidden_keys = set()
    for k, counts in implied_counts(raw).items():
        if any(is_small(round(c, 6)) for c in counts) or any(
                _changed_a_little(_padded(counts), old, exact) for old, exact in before.get(k, ())):
            hidden_keys.add(k)
    keys = list(zip(df["outcome"], df["time_zero"], df["method"]))
    df["estimate_hidden"] = [k in hidden_keys and m in ("risk_difference", "risk_ratio")
                             for k, m in zip(keys, df["measure"])]
    for c in ESTIMATE_FIGURES:
        df[c] = df[c].astype(float).where(~df["estimate_hidden"], np.nan)
    return df


def thin_curve(points: pd.DataFrame) -> pd.DataFrame:
    """One group's curve (sorted by day) reduced to the points the rule allows."""
    pts = points.sort_values("day").reset_index(drop=True)
    if pts.empty:
        return pts
    keep = []
    ref_at_risk = float(pts["at_risk"].iat[0] + pts["events"].iat[0])  # the group at its start
    events = 0.0
    for i in range(len(pts)):
        events += float(pts["events"].iat[i])
        censored = ref_at_risk - float(pts["at_risk"].iat[i]) - events
        if not is_small(events) and not is_small(censored):
            keep.append(i)
            ref_at_risk, events = float(pts["at_risk"].iat[i]), 0.0
    return pts.iloc[keep]


def _curves(survival: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for (tz, group), pts in survival[survival["group"].isin(CURVE_GROUPS)].groupby(["time_zero", "group"], sort=True):
        parts.append(thin_curve(pts))
    cols = ["time_zero", "group", "day", "survival", "ci_low", "ci_high"]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True)[cols]


def _balance(balance: pd.DataFrame) -> pd.DataFrame:
    b = balance.copy()
    b["abs_before"] = b["smd_before"].astype(float).abs()
    b["abs_after"] = b["smd_after"].astype(float).abs()
    g = b.groupby(["outcome", "time_zero", "method", "covariate"], sort=True)
    out = g.agg(max_abs_smd_before=("abs_before", "max"), max_abs_smd_after=("abs_after", "max"),
                ok=("ok", "all")).reset_index()
    return out


def disclose(tables: dict[str, pd.DataFrame], as_of: date, earlier: list[tuple] = ()) -> FunderEffects:
    raw = tables["effects"][EFFECT_COLUMNS].sort_values(["time_zero", "outcome", "method", "measure"],
                                                        kind="mergesort").reset_index(drop=True)
    est = _hide_small_estimates(_shown_counts(raw, earlier_shown(list(earlier))), raw, earlier)
    est["balance_ok"] = est["balance_ok"].fillna(False).astype(bool)
    return FunderEffects(as_of=as_of, estimates=est, balance=_balance(tables["effect_balance"]),
                         survival=_curves(tables["effect_survival"]), restricted_counts=true_counts(raw))


RECORD_KEY = ["time_zero", "outcome", "method", "measure"]
RECORD_COLUMNS = RECORD_KEY + list(COUNTS) + list(IMPLIED)


def true_counts(raw: pd.DataFrame) -> pd.DataFrame:
    """Every row's true group sizes (and the treated left out) and the outcome counts its estimates
    imply (risk-difference rows of binary outcomes): the restricted record of a publication."""
    df = raw[RECORD_KEY].copy()
    for c in ("n_treated", "n_control", "n_treated_used", "n_control_used"):
        df[c] = raw[c].astype(float)
    df["n_treated_unused"] = df["n_treated"] - df["n_treated_used"]
    implied = implied_counts(raw)
    for j, c in enumerate(IMPLIED):
        df[c] = [(_padded(implied[(o, tz, m)])[j] if (o, tz, m) in implied and ms == "risk_difference" else math.nan)
                 for o, tz, m, ms in zip(df["outcome"], df["time_zero"], df["method"], df["measure"])]
    return df[RECORD_COLUMNS].reset_index(drop=True)


def published_counts(fe: FunderEffects) -> pd.DataFrame:
    """Every group size the report and workbook show (for the disclosure audit): one row per
    (time_zero, outcome, method, measure, count) with its value; suppressed counts are left out."""
    rows = []
    for r in fe.estimates.itertuples(index=False):
        for c in COUNTS:
            v = getattr(r, c)
            if v is not None:
                rows.append({"time_zero": r.time_zero, "outcome": r.outcome, "method": r.method,
                             "measure": r.measure, "count": c, "value": float(v)})
    return pd.DataFrame(rows, columns=["time_zero", "outcome", "method", "measure", "count", "value"])
