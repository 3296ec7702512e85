"""A realistic fabricated `analytics.duckdb` for the snapshot's tests and bench.

It follows the contract of docs/architecture.md (table `metrics`, ledger tables `deliveries` and
`delivery_files`) with every G1-G9 metric id of metrics.md, quarterly cohorts (maturity respected),
survival by year, the G1-G6 breakdowns partitioning each overall figure (every breakdown has an
unknown/other value), small and large counts, and metrics that are not about people. The real
metrics mart is built by the metrics area; nothing here is used by the pipeline.
"""

from __future__ import annotations

import hashlib
import math
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.dates import all_quarters_between, data_cutoff, quarter_end

Z = 1.959963984540054
COURTS = ["bronx", "brooklyn", "manhattan", "queens", "richmond"]
BREAKDOWNS: dict[str, list[str]] = {
    "court": COURTS,
    "age_band": ["16-17", "18-24", "25-34", "35-44", "45+", "unknown"],
    "gender_identity": ["MAN", "NONBINARY", "TRANS_MAN", "TRANS_WOMAN", "UNKNOWN", "WOMAN"],
    "race": ["AMERICAN_INDIAN", "ASIAN", "BLACK", "OTHER", "PACIFIC_ISLANDER", "UNKNOWN", "WHITE"],
    "ethnicity": ["HISPANIC", "NOT_HISPANIC", "UNKNOWN"],
    "primary_language": ["en", "es", "ko", "other", "unknown", "zh"],
    "prior_arrests": ["0", "1-2", "3+", "unknown"],
}
# share of people in each breakdown value (same order as above)
WEIGHTS: dict[str, list[float]] = {
    "court": [0.2, 0.3, 0.25, 0.2, 0.05],
    "age_band": [0.02, 0.3, 0.35, 0.2, 0.1, 0.03],
    "gender_identity": [0.03, 0.02, 0.01, 0.06, 0.03, 0.85],
    "race": [0.01, 0.25, 0.35, 0.1, 0.01, 0.08, 0.2],
    "ethnicity": [0.35, 0.6, 0.05],
    "primary_language": [0.6, 0.2, 0.05, 0.03, 0.02, 0.1],
    "prior_arrests": [0.4, 0.3, 0.2, 0.1],
}

# metric_id, goal, kind, window days (maturity), base cases per cohort, typical rate / value,
# populations, breakdowns?, counts_people, cohort style ('q'|'year'|'all')
SPEC = [
    ("g1_noncriminal_disposition", "G1", "rate", 0, 60, 0.8, ("htic",), True, True, "q"),
    ("g1_sealed_within_1y", "G1", "rate", 365, 35, 0.55, ("htic",), True, True, "q"),
    ("g1_days_to_disposition", "G1", "duration", 0, 60, 120.0, ("htic",), True, True, "q"),
    ("g1_days_to_disposition_p75", "G1", "duration", 0, 60, 210.0, ("htic",), True, True, "q"),
    ("g1_warrant_180d", "G1", "rate", 180, 60, 0.15, ("htic",), True, True, "q"),
    ("g2_service_start_30d", "G2", "rate", 30, 50, 0.7, ("htic",), True, True, "q"),
    ("g2_mandate_completion_180d", "G2", "rate", 180, 50, 0.6, ("htic",), True, True, "q"),
    ("g2_days_to_completion", "G2", "duration", 0, 30, 75.0, ("htic",), True, True, "q"),
    ("g2_days_to_completion_p75", "G2", "duration", 0, 30, 110.0, ("htic",), True, True, "q"),
    ("g2_attendance_rate", "G2", "rate", 180, 400, 0.78, ("htic",), True, True, "q"),
    ("g3_needs_screened_30d", "G3", "rate", 30, 45, 0.85, ("htic",), True, True, "q"),
    ("g3_need_referred_60d", "G3", "rate", 60, 40, 0.65, ("htic",), True, True, "q"),
    ("g3_referral_connected_90d", "G3", "rate", 90, 50, 0.5, ("htic",), True, True, "q"),
    *[(f"g4_rearrest_any_{w}m", "G4", "rate", d, 50, r, ("htic", "comparison"), True, True, "q")
      for w, d, r in ((6, 182, 0.12), (12, 365, 0.2), (24, 730, 0.3))],
    *[(f"g4_rearrest_prostitution_{w}m", "G4", "rate", d, 50, r, ("htic", "comparison"), True, True, "q")
      for w, d, r in ((6, 182, 0.06), (12, 365, 0.1), (24, 730, 0.15))],
    ("g4_htic_return_12m", "G4", "rate", 365, 55, 0.08, ("htic",), True, True, "q"),
    *[(f"g4_rearrest_free_survival_{w}m", "G4", "survival", d, 200, s, ("htic", "comparison"), True, True, "year")
      for w, d, s in ((6, 182, 0.88), (12, 365, 0.8), (24, 730, 0.7))],
    ("g5_voluntary_continuation", "G5", "rate", 180, 25, 0.35, ("htic",), True, True, "q"),
    ("g5_self_referred_share", "G5", "rate", 0, 70, 0.25, ("htic",), True, True, "q"),
    ("g6_trafficking_screened_30d", "G6", "rate", 30, 45, 0.75, ("htic",), True, True, "q"),
    ("g6_legal_referral_60d", "G6", "rate", 60, 12, 0.6, ("htic",), True, True, "q"),
    ("g7_active_providers", "G7", "count", 0, 0, 4.0, ("htic",), False, False, "all"),
    ("g7_caseload_per_capacity", "G7", "ratio", 0, 0, 0.8, ("htic",), False, True, "all"),
    ("g7_continuity_after_exit", "G7", "rate", 60, 14, 0.5, ("htic",), False, True, "all"),
    ("g8_helpfulness_mean", "G8", "mean", 0, 40, 4.1, ("htic",), False, True, "q"),
    ("g8_would_recommend", "G8", "rate", 0, 38, 0.85, ("htic",), False, True, "q"),
    ("g8_survey_response_rate", "G8", "rate", 0, 60, 0.6, ("htic",), False, True, "q"),
    ("g9_cases_linked", "G9", "rate", 30, 50, 0.9, ("htic",), False, True, "q"),
    ("g9_nysid_coverage", "G9", "rate", 0, 60, 0.85, ("htic",), False, True, "q"),
    ("g9_delivery_timeliness", "G9", "duration", 0, 0, 20.0, ("htic",), False, False, "all"),
    ("g9_rows_rejected", "G9", "count", 0, 0, 30.0, ("htic",), False, False, "q"),
]
# the provider breakdown (metrics.md v2) is for G2, G3, G5 and G6 only
PROVIDER_GOALS = {"G2", "G3", "G5", "G6"}
PROVIDER_VALUES = ["none", "p01", "p02", "p03"]
PROVIDER_WEIGHTS = [0.15, 0.4, 0.3, 0.15]
# programme targets (metrics.md v2): metric -> (target in the metric's own unit, direction)
TARGETS = {"g1_noncriminal_disposition": (0.75, "HIGHER"), "g1_days_to_disposition": (150.0, "LOWER"),
           "g2_service_start_30d": (0.7, "HIGHER"), "g3_need_referred_60d": (0.6, "HIGHER"),
           "g4_rearrest_any_12m": (0.2, "LOWER"), "g5_voluntary_continuation": (0.3, "HIGHER"),
           "g6_trafficking_screened_30d": (0.8, "HIGHER"), "g8_would_recommend": (0.8, "HIGHER"),
           "g9_cases_linked": (0.9, "HIGHER")}
SOURCES = ["program", "dcjs", *[f"court-{c}" for c in COURTS], "provider-p01", "provider-p02", "provider-p03"]
PROVIDERS = ["p01", "p02", "p03", "p04"]


def wilson(x: float, n: float) -> tuple[float, float]:
    if n <= 0:
        return (math.nan, math.nan)
    p = x / n
    centre = p + Z * Z / (2 * n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    den = 1 + Z * Z / n
    return ((centre - half) / den, (centre + half) / den)


def _split(rng: np.random.Generator, total: int, weights: list[float]) -> np.ndarray:
    return rng.multinomial(total, np.asarray(weights) / sum(weights)) if total > 0 else np.zeros(len(weights), int)


def _breakdowns(goal: str) -> dict[str, tuple[list[str], list[float]]]:
    out = {bd: (values, WEIGHTS[bd]) for bd, values in BREAKDOWNS.items()}
    if goal in PROVIDER_GOALS:
        out["provider"] = (PROVIDER_VALUES, PROVIDER_WEIGHTS)
    return out


def _rows_for_family(rng, metric_id, goal, kind, population, cohort, n_total, level, with_breakdowns,
                     counts_people, as_of) -> list[dict]:
    """An overall row and, when asked, the cells of every breakdown partitioning it."""
    base = dict(metric_id=metric_id, goal=goal, population=population, cohort=cohort, as_of=as_of,
                metric_kind=kind, counts_people=counts_people)
    rows = []
    if kind in ("rate", "survival"):
        # every breakdown partitions the same people: split the overall's successes and failures
        succ = int(rng.binomial(n_total, min(max(level + rng.normal(0, 0.03), 0.0), 1.0)))
        fail = n_total - succ

        def rate_row(bd, bv, x, n):
            v = x / n if n else math.nan
            lo, hi = wilson(x, n)
            if kind == "survival":  # value S(t); numerator at risk, denominator cohort cases
                return dict(base, breakdown=bd, breakdown_value=bv, numerator=float(x), denominator=float(n),
                            value=v, ci_low=lo, ci_high=hi)
            return dict(base, breakdown=bd, breakdown_value=bv, numerator=float(x), denominator=float(n),
                        value=v, ci_low=lo, ci_high=hi)

        rows.append(rate_row("overall", "all", succ, n_total))
        if with_breakdowns:
            for bd, (values, weights) in _breakdowns(goal).items():
                s = _split(rng, succ, weights)
                f = _split(rng, fail, weights)
                for bv, x, y in zip(values, s, f):
                    if x + y > 0 or rng.random() < 0.5:  # empty cells sometimes absent, sometimes zero rows
                        rows.append(rate_row(bd, bv, int(x), int(x + y)))
    elif kind in ("duration", "mean"):
        def dur_row(bd, bv, n):
            if n == 0:
                return dict(base, breakdown=bd, breakdown_value=bv, numerator=math.nan, denominator=0.0,
                            value=math.nan, ci_low=math.nan, ci_high=math.nan)
            v = level * float(rng.lognormal(0, 0.15)) if kind == "duration" else min(5.0, max(1.0, level + rng.normal(0, 0.3)))
            if kind == "mean":
                sd = 0.9
                half = 2.0 * sd / math.sqrt(n) if n > 1 else math.nan
                return dict(base, breakdown=bd, breakdown_value=bv, numerator=v * n, denominator=float(n),
                            value=v, ci_low=v - half, ci_high=v + half)
            return dict(base, breakdown=bd, breakdown_value=bv, numerator=math.nan, denominator=float(n),
                        value=v, ci_low=math.nan, ci_high=math.nan)

        rows.append(dur_row("overall", "all", n_total))
        if with_breakdowns:
            for bd, (values, weights) in _breakdowns(goal).items():
                for bv, n in zip(values, _split(rng, n_total, weights)):
                    rows.append(dur_row(bd, bv, int(n)))
    return rows


def fabricate_metrics(as_of: date, scale: float = 1.0, first_cohort: str = "2022Q1", seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows: list[dict] = []
    last_q = f"{as_of.year}Q{(as_of.month - 1) // 3 + 1}"
    cohorts = all_quarters_between(first_cohort, last_q)
    years = sorted({c[:4] for c in cohorts})
    for (metric_id, goal, kind, window, base_n, level, pops, bdowns, people, style) in SPEC:
        if metric_id == "g7_active_providers":
            per_court = [4, 3, 5, 2, 1]
            for bd, bv, v in [("overall", "all", sum(per_court))] + [("court", c, p) for c, p in zip(COURTS, per_court)]:
                rows.append(dict(metric_id=metric_id, goal=goal, population="htic", cohort="all", breakdown=bd,
                                 breakdown_value=bv, numerator=float(v), denominator=math.nan, value=float(v),
                                 ci_low=math.nan, ci_high=math.nan, as_of=as_of, metric_kind=kind,
                                 counts_people=False))
            continue
        if metric_id == "g7_caseload_per_capacity":
            caps = [float(rng.integers(20, 60) * scale) for _ in PROVIDERS]
            acts = [float(rng.integers(0, int(c * 1.2) + 1)) if i else 7.0 for i, c in enumerate(caps)]
            rows.append(dict(metric_id=metric_id, goal=goal, population="htic", cohort="all", breakdown="overall",
                             breakdown_value="all", numerator=sum(acts), denominator=sum(caps),
                             value=sum(acts) / sum(caps), ci_low=math.nan, ci_high=math.nan, as_of=as_of,
                             metric_kind=kind, counts_people=True))
            for p, cap, active in zip(PROVIDERS, caps, acts):
                rows.append(dict(metric_id=metric_id, goal=goal, population="htic", cohort="all", breakdown="provider",
                                 breakdown_value=p, numerator=active, denominator=cap, value=active / cap,
                                 ci_low=math.nan, ci_high=math.nan, as_of=as_of, metric_kind=kind, counts_people=True))
            continue
        if metric_id == "g9_delivery_timeliness":
            for s in SOURCES:
                v = float(rng.integers(3, 45))
                rows.append(dict(metric_id=metric_id, goal=goal, population="htic", cohort="all", breakdown="source",
                                 breakdown_value=s, numerator=math.nan, denominator=math.nan, value=v,
                                 ci_low=math.nan, ci_high=math.nan, as_of=as_of, metric_kind=kind, counts_people=False))
            continue
        if metric_id == "g9_rows_rejected":
            for mid in ("g9_rows_rejected", "g9_files_rejected"):
                for c in cohorts[-6:]:
                    for s in SOURCES:
                        v = float(rng.integers(0, 8))
                        rows.append(dict(metric_id=mid, goal=goal, population="htic", cohort=c, breakdown="source",
                                         breakdown_value=s, numerator=v, denominator=float(rng.integers(100, 900)),
                                         value=v, ci_low=math.nan, ci_high=math.nan, as_of=as_of, metric_kind=kind,
                                         counts_people=False))
            continue
        if style == "all":
            n = int(rng.poisson(base_n * scale))
            rows += _rows_for_family(rng, metric_id, goal, kind, "htic", "all", n, level, False, people, as_of)
            continue
        for pop in pops:
            labels = years if style == "year" else cohorts
            for c in labels:
                end = date(int(c), 12, 31) if style == "year" else quarter_end(c)
                if end + timedelta(days=window) > as_of:
                    continue  # not mature (survival: reported while cases remain at risk; kept simple)
                mult = 1.6 if pop == "comparison" else 1.0
                n = int(rng.poisson(base_n * scale * mult))
                rows += _rows_for_family(rng, metric_id, goal, kind, pop, c, n, level + (0.05 if pop == "comparison" else 0.0),
                                         bdowns, people, as_of)
    df = pd.DataFrame(rows)
    df = pd.concat([df, pooled_periods(df)], ignore_index=True)
    df = add_targets(df)
    df["goal"] = df["goal"].str.lower()  # the mart's spelling: g1 .. g9
    return df[["metric_id", "goal", "population", "cohort", "breakdown", "breakdown_value", "numerator",
               "denominator", "value", "ci_low", "ci_high", "as_of", "metric_kind", "counts_people", "target",
               "direction", "verdict"]]


def _pooled_row(group: pd.DataFrame, cohort: str) -> dict:
    """One pooled row from its quarters' rows: counts add; rates get Wilson intervals; a median is
    approximated by the n-weighted mean of the quarters' medians (fabricated data: good enough)."""
    first = group.iloc[0]
    kind = first["metric_kind"]
    num, den = group["numerator"].sum(min_count=1), group["denominator"].sum()
    row = dict(first, cohort=cohort, numerator=num, denominator=den, ci_low=math.nan, ci_high=math.nan)
    if kind == "rate":
        row["value"] = num / den if den else math.nan
        row["ci_low"], row["ci_high"] = wilson(num, den)
    elif kind == "mean":
        row["value"] = num / den if den else math.nan
        half = 2.0 * 0.9 / math.sqrt(den) if den > 1 else math.nan
        row["ci_low"], row["ci_high"] = row["value"] - half, row["value"] + half
    else:  # duration
        w = group["denominator"].where(group["value"].notna(), 0.0)
        row["value"] = float((group["value"].fillna(0) * w).sum() / w.sum()) if w.sum() else math.nan
        row["numerator"] = math.nan
    return row


def pooled_periods(df: pd.DataFrame) -> pd.DataFrame:
    """`<Q>-R4` rows (overall) and calendar years (overall and every breakdown) of every metric with
    quarterly cohorts about people, each only when all its quarters are there (metrics.md v2)."""
    q = df[df["cohort"].str.match(r"^\d{4}Q[1-4]$") & df["counts_people"].astype(bool)
           & df["metric_kind"].isin(["rate", "duration", "mean"])]
    out = []
    for (metric, pop), fam in q.groupby(["metric_id", "population"], sort=True):
        quarters = sorted(set(fam["cohort"]))
        overall = fam[fam["breakdown"] == "overall"].set_index("cohort")
        for last in quarters:
            y, n = int(last[:4]), int(last[5])
            four = [f"{y - (n - k <= 0)}Q{(n - k - 1) % 4 + 1}" for k in range(3, -1, -1)]
            if all(c in overall.index for c in four):
                out.append(_pooled_row(overall.loc[four].reset_index(), f"{last}-R4"))
        for year in sorted({c[:4] for c in quarters}):
            four = [f"{year}Q{k}" for k in range(1, 5)]
            if not all(c in overall.index for c in four):
                continue
            cells = fam[fam["cohort"].isin(four)]
            for (bd, bv), g in cells.groupby(["breakdown", "breakdown_value"], sort=True):
                out.append(_pooled_row(g, year))
    return pd.DataFrame(out, columns=df.columns)


def verdict(lo: float, hi: float, target: float, direction: str) -> str | None:
    """metrics.md v2: met when the whole interval is on the good side (the target counts as good),
    not_met when wholly on the other side, uncertain otherwise; None without an interval."""
    if any(x is None or (isinstance(x, float) and math.isnan(x)) for x in (lo, hi, target)):
        return None
    good_lo, good_hi = (lo >= target, hi >= target) if direction == "HIGHER" else (hi <= target, lo <= target)
    if good_lo and good_hi:
        return "met"
    if not good_lo and not good_hi:
        return "not_met"
    return "uncertain"


def add_targets(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    t = [TARGETS.get(m, (math.nan, None)) for m in df["metric_id"]]
    df["target"] = [x for x, _ in t]
    df["direction"] = [d for _, d in t]
    df["verdict"] = [verdict(lo, hi, x, d) if p == "htic" and d else None
                     for lo, hi, x, d, p in zip(df["ci_low"], df["ci_high"], df["target"], df["direction"],
                                                df["population"])]
    return df


def fabricate_ledger(as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monthly deliveries per source up to a month past A + 45; one rejected, one superseded."""
    cutoff = as_of + timedelta(days=45)
    deliveries, files = [], []
    months = pd.date_range(date(as_of.year - 1, 1, 28), cutoff + timedelta(days=40), freq="MS")
    for s in SOURCES:
        kind = s.split("-")[0]
        entity = s.split("-", 1)[1] if "-" in s else None
        for i, m in enumerate(months):
            d = (m + pd.Timedelta(days=14)).date()
            key = f"{s}/{d.isoformat()}/v1"
            status = "accepted"
            reason = None
            if s == "court-queens" and i == 3:
                status, reason = "rejected", "row count does not match control file"
            deliveries.append(dict(delivery_key=key, source_id=s, source_kind=kind, entity_id=entity, as_of=d,
                                   version=1, control_sha256=hashlib.sha256(key.encode()).hexdigest(), status=status,
                                   reason=reason, duplicate_of=None, rows_loaded=100 + i, rows_rejected=0,
                                   received_at=datetime.combine(d + timedelta(days=3), datetime.min.time()),
                                   loaded_at=datetime.combine(d + timedelta(days=3), datetime.min.time())))
            names = ["cases.csv", "defendants.csv", "events.csv"] if kind == "court" else (
                ["courts.csv", "providers.csv"] if kind == "program" else (["arrests.csv"] if kind == "dcjs" else ["extract.xlsx"]))
            for f in names:
                sha = hashlib.sha256(f"{key}/{f}".encode()).hexdigest()
                files.append(dict(delivery_key=key, file_name=f, sha256=sha, row_count=100 + i,
                                  archive_path=f"restricted/archive/{sha[:2]}/{sha}"))
    return pd.DataFrame(deliveries), pd.DataFrame(files)


def write_analytics(path: Path, metrics: pd.DataFrame, deliveries: pd.DataFrame, files: pd.DataFrame) -> Path:
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.duckdb")
    if tmp.exists():
        tmp.unlink()
    con = duckdb.connect(str(tmp))
    try:
        con.register("m", metrics)
        con.execute("""create table metrics as select metric_id, goal, population, cohort, breakdown, breakdown_value,
            cast(numerator as double) numerator, cast(denominator as double) denominator, cast(value as double) value,
            cast(ci_low as double) ci_low, cast(ci_high as double) ci_high, cast(as_of as date) as_of,
            metric_kind, cast(counts_people as boolean) counts_people, cast(target as double) target,
            cast(direction as varchar) direction, cast(verdict as varchar) verdict from m""")
        con.register("d", deliveries)
        con.execute("create table deliveries as select * replace (cast(as_of as date) as as_of) from d")
        con.register("f", files)
        con.execute("create table delivery_files as select * from f")
    finally:
        con.close()
    tmp.replace(path)
    return path


def build_warehouse(warehouse: Path, quarters: list[str], scale: float = 1.0, first_cohort: str = "2022Q1",
                    seed: int = 7) -> Path:
    """analytics.duckdb with metrics as of the end of each quarter given (one set per as_of)."""
    frames = [fabricate_metrics(quarter_end(q), scale=scale, first_cohort=first_cohort, seed=seed + i)
              for i, q in enumerate(quarters)]
    deliveries, files = fabricate_ledger(quarter_end(quarters[-1]))
    return write_analytics(Path(warehouse) / "analytics.duckdb", pd.concat(frames, ignore_index=True), deliveries, files)


__all__ = ["build_warehouse", "fabricate_metrics", "fabricate_ledger", "write_analytics", "data_cutoff", "wilson"]
