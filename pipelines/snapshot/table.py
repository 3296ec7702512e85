"""The funder table: read `metrics` as of A, apply disclosure control, round, sort, format.

Everything here is a pure function of the rows read (and of the earlier publications' metrics.csv),
so the same rows give the same bytes. Why a row is suppressed never reaches funders: not in
metrics.csv/.parquet (COLUMNS), and the in-memory `suppression_reason` column is left empty.
"""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import date
from pathlib import Path

import pandas as pd

from pipelines.snapshot import disclosure, funders

KEY = ["metric_id", "population", "cohort", "breakdown", "breakdown_value"]
# metrics.csv / .parquet, in the spec's order (metrics.md v2, "What funders receive")
COLUMNS = ["metric_id", "goal", "population", "cohort", "breakdown", "breakdown_value", "metric_kind", "numerator",
           "denominator", "value", "ci_low", "ci_high", "target", "direction", "verdict", "suppressed", "as_of"]
# what is read from the warehouse's `metrics` (counts_people decides what disclosure control covers)
CONTRACT = KEY + ["goal", "metric_kind", "numerator", "denominator", "value", "ci_low", "ci_high", "target",
                  "direction", "verdict", "as_of", "counts_people"]
# in memory the table also keeps `counts_people` (the report says which figures are not about people)
# and a `suppression_reason` column that is always empty: the reasons go to the team's restricted
# file (build_table's third result) only
TABLE_COLUMNS = COLUMNS + ["counts_people", "suppression_reason"]
FIGURES = ["numerator", "denominator", "value", "ci_low", "ci_high"]

# decimals of value and interval, by metric kind (metrics.md: rates 4 decimals, days 1)
DECIMALS = {"rate": 4, "survival": 4, "ratio": 4, "duration": 1, "mean": 2, "count": 0}
COUNT_DECIMALS = 4  # numerators/denominators are whole counts; a non-integer (a sum of scores) keeps 4

# Breakdown names a funder row may carry: categories of people, or organisations (never people).
ALLOWED_BREAKDOWNS = {"overall", "court", "age_band", "gender_identity", "race", "ethnicity", "primary_language",
                      "prior_arrests", "domain", "provider", "source"}
_IDENTIFYING = re.compile(r"(nysid|docket|defendant|client|person|name|dob|birth|_key$|arrest_id|case_id)", re.I)


class SnapshotError(RuntimeError):
    """A snapshot cannot be published as asked (the message says why)."""


class DisclosureRefused(SnapshotError):
    """The disclosure audit found protected counts a reader could narrow too far (cells named, no counts)."""

    def __init__(self, findings: list):
        self.findings = findings
        shown = "\n  ".join(f.describe() for f in findings[:50])
        more = f"\n  ... and {len(findings) - 50} more" if len(findings) > 50 else ""
        super().__init__(f"disclosure audit failed: {len(findings)} protected counts of 1-10 could be narrowed below "
                         f"the rule (maximum >= 11, range >= 10); nothing was published. Cells:\n  {shown}{more}")


def read_metrics(analytics_db: Path, as_of: date) -> pd.DataFrame:
    from pipelines.duck import connect

    if not Path(analytics_db).exists():
        raise SnapshotError(f"no analytics warehouse at {analytics_db}: build it first (htic run)")
    con = connect(analytics_db, read_only=True)
    try:
        con.execute("set threads = 1")  # one thread: identical float results on every run
        cols = {r[0] for r in con.execute("select column_name from information_schema.columns "
                                          "where table_name = 'metrics'").fetchall()}
        missing = set(CONTRACT) - cols
        if missing:
            raise SnapshotError(f"analytics.duckdb table `metrics` lacks columns {sorted(missing)}")
        # only the contract's columns are read: nothing else can leave in a snapshot
        df = con.execute(f"select {', '.join(CONTRACT)} from metrics where as_of = ?", [as_of]).df()
    finally:
        con.close()
    return df


def check_no_identifiers(df: pd.DataFrame) -> None:
    bad = sorted({b for b in df["breakdown"].astype(str).unique() if _IDENTIFYING.search(b)})
    if bad:
        raise SnapshotError(f"breakdowns {bad} look like identifiers of people; refusing to publish them")
    unknown = sorted(set(df["breakdown"].astype(str).unique()) - ALLOWED_BREAKDOWNS)
    if unknown:
        raise SnapshotError(f"unknown breakdowns {unknown}: add them to ALLOWED_BREAKDOWNS once checked "
                            "to be categories, not identifiers")
    dup = df.duplicated(KEY)
    if dup.any():
        raise SnapshotError(f"{int(dup.sum())} duplicate rows in metrics for key {KEY}")


def _round(x, places: int):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    r = round(float(x), places)
    return r + 0.0  # no negative zero


def build_table(metrics: pd.DataFrame, earlier: list[tuple] = (), as_of: date | None = None):
    """What funders receive (funders.publish_mask) under disclosure control on the unrounded counts
    (given the earlier publications [(folder, rows of its metrics.csv, true counts of its hidden rows
    or None)]), then rounding, then the spec's row order. The rows funders do not receive take part
    in disclosure control as never printed (a reader can imply them), then are dropped. Returns
    (table, audit result); raises DisclosureRefused, before anything is written, when the audit does
    not pass. Also returns the true counts of the suppressed published rows, for the team's
    restricted file (never for funders). `as_of` defaults to the rows' own as_of."""
    if metrics.empty:
        raise SnapshotError("no metric rows for this as-of date")
    check_no_identifiers(metrics)
    df = metrics[CONTRACT].copy()
    for col in FIGURES + ["target"]:
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    df["counts_people"] = df["counts_people"].astype(object).where(df["counts_people"].notna(), True).astype(bool)
    as_of = as_of or pd.to_datetime(df["as_of"]).dt.date.max()
    df["published"] = funders.publish_mask(df, as_of)
    df["headline"] = funders.headline_mask(df, df["published"].to_numpy(dtype=bool))
    # a fixed row order before the choice: the pattern must not depend on how the rows were read
    df = df.sort_values(KEY, kind="mergesort").reset_index(drop=True)
    df, result = disclosure.protect(df, earlier)
    if not result.passed:
        raise DisclosureRefused(result.failures)
    df = df[df["published"]].drop(columns=["published", "headline"]).reset_index(drop=True)
    truth = disclosure.hidden_truth(df)  # the reasons leave here, for the team's restricted file only
    df = disclosure.blank_suppressed(df)
    df["suppression_reason"] = None  # funders see that a cell is suppressed, never why (workbook included)
    kinds = df["metric_kind"].astype(str).tolist()
    for col in ("value", "ci_low", "ci_high"):
        df[col] = [_round(x, DECIMALS.get(k, 4)) for x, k in zip(df[col].tolist(), kinds)]
    for col in ("numerator", "denominator"):
        df[col] = [_round(x, COUNT_DECIMALS) for x in df[col].tolist()]
    df["as_of"] = pd.to_datetime(df["as_of"]).dt.date
    df["counts_people"] = df["counts_people"].fillna(True).astype(bool)
    df["goal"] = df["goal"].astype(str).str.upper()  # the mart says 'g1'; funders read 'G1'
    df["target"] = [_round(x, DECIMALS.get(k, 4)) for x, k in zip(df["target"].tolist(), kinds)]
    for col in ("direction", "verdict"):
        df[col] = [None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in df[col].tolist()]
    for col in KEY + ["goal", "metric_kind"]:
        df[col] = df[col].astype(str)
    # rows sorted by metric, population, cohort, breakdown, value (code-point order of each text)
    df = df.sort_values(KEY, kind="mergesort").reset_index(drop=True)
    return df[TABLE_COLUMNS], result, truth


def format_number(x, places: int) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if places == 0:
        return str(int(round(x)))
    return f"{x:.{places}f}"


def format_count(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if float(x).is_integer():
        return str(int(x))
    return f"{x:.{COUNT_DECIMALS}f}"


def formatted_rows(table: pd.DataFrame) -> list[dict[str, str]]:
    """Every row as the texts written to metrics.csv (also used to compare snapshots)."""
    out = []
    for r in table.itertuples(index=False):
        places = DECIMALS.get(r.metric_kind, 4)
        out.append({
            "metric_id": r.metric_id, "goal": r.goal, "population": r.population, "cohort": r.cohort,
            "breakdown": r.breakdown, "breakdown_value": r.breakdown_value, "metric_kind": r.metric_kind,
            "numerator": format_count(r.numerator), "denominator": format_count(r.denominator),
            "value": format_number(r.value, places), "ci_low": format_number(r.ci_low, places),
            "ci_high": format_number(r.ci_high, places), "target": format_number(r.target, places),
            "direction": r.direction or "", "verdict": r.verdict or "",
            "suppressed": "true" if r.suppressed else "false", "as_of": r.as_of.isoformat(),
        })
    return out


def csv_bytes(rows: list[dict[str, str]], columns: list[str]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def write_csv(table: pd.DataFrame, path: Path) -> None:
    Path(path).write_bytes(csv_bytes(formatted_rows(table), COLUMNS))


def write_parquet(table: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([
        ("metric_id", pa.string()), ("goal", pa.string()), ("population", pa.string()), ("cohort", pa.string()),
        ("breakdown", pa.string()), ("breakdown_value", pa.string()), ("metric_kind", pa.string()),
        ("numerator", pa.float64()), ("denominator", pa.float64()), ("value", pa.float64()), ("ci_low", pa.float64()),
        ("ci_high", pa.float64()), ("target", pa.float64()), ("direction", pa.string()), ("verdict", pa.string()),
        ("suppressed", pa.bool_()), ("as_of", pa.date32()),
    ])
    data = {c: table[c].tolist() for c in COLUMNS}
    for c in FIGURES + ["target"]:
        data[c] = [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in data[c]]
    pq.write_table(pa.Table.from_pydict(data, schema=schema), str(path), compression="zstd",
                   compression_level=3, use_dictionary=True, write_statistics=True)
