"""The adjusted comparison in the snapshot's machine files, and the team's restricted record of it.

Funders get three tables beside metrics.csv, each as CSV and Parquet, holding exactly what the
report and the workbook's "Is the court helping" sheet show (effects.py has applied the disclosure
rule): `effects` (every estimate; a count the rule hides is blank, and a hidden estimate is blank
with `estimate_suppressed = true`), `effect_balance` (per covariate the largest |SMD| over its
levels) and `effect_survival` (the curve points the rule allows). Figures are rounded to 4 decimals;
rows are sorted; the same tables give the same bytes.

The restricted record (`<restricted>/disclosure/<folder>-effects.csv`, never under snapshots/) keeps
each row's true group sizes and the outcome counts its estimates imply, so that the next
publication can tell how much a count changed since this one showed it (metrics.md: the change of
each count since every earlier publication that showed it is protected too).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from pipelines.snapshot.effects import COUNTS, RECORD_COLUMNS, FunderEffects
from pipelines.snapshot.table import csv_bytes, format_count, format_number

PLACES = 4
ESTIMATE_COLUMNS = ["as_of", "time_zero", "outcome", "method", "measure", "estimate", "ci_low", "ci_high", "p_value",
                    "estimate_suppressed", *COUNTS, "balance_ok", "e_value", "e_value_ci", "ph_test_p",
                    "logrank_p", "cohort_first", "cohort_last"]
BALANCE_COLUMNS = ["as_of", "time_zero", "outcome", "method", "covariate", "max_abs_smd_before", "max_abs_smd_after",
                   "ok"]
SURVIVAL_COLUMNS = ["as_of", "time_zero", "group", "day", "survival", "ci_low", "ci_high"]
FIGURES = {"estimate", "ci_low", "ci_high", "p_value", "e_value", "e_value_ci", "ph_test_p", "logrank_p",
           "max_abs_smd_before", "max_abs_smd_after", "survival"}
TABLES = {"effects": ESTIMATE_COLUMNS, "effect_balance": BALANCE_COLUMNS, "effect_survival": SURVIVAL_COLUMNS}
FILES = tuple(f"{name}.{ext}" for name in TABLES for ext in ("csv", "parquet"))


def _number(x) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return float(x)


def _text(col: str, v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if col in COUNTS:
        return format_count(_number(v))
    if col in FIGURES or col == "day":
        x = _number(v)
        if x is not None and math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return format_number(x, 0 if col == "day" else PLACES)
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


def funder_rows(fe: FunderEffects) -> dict[str, list[dict]]:
    """Each table's rows as typed values (None = blank), sorted, from what effects.py lets out."""
    est = []
    for e in fe.estimates.itertuples(index=False):
        hidden = bool(e.estimate_hidden)
        est.append({
            "as_of": fe.as_of, "time_zero": e.time_zero, "outcome": e.outcome, "method": e.method, "measure": e.measure,
            **{c: None if hidden else _number(getattr(e, c)) for c in ("estimate", "ci_low", "ci_high", "p_value")},
            "estimate_suppressed": hidden,
            **{c: _number(getattr(e, c)) for c in COUNTS},
            "balance_ok": bool(e.balance_ok),
            **{c: None if hidden else _number(getattr(e, c)) for c in ("e_value", "e_value_ci")},
            "ph_test_p": _number(e.ph_test_p), "logrank_p": _number(e.logrank_p),
            "cohort_first": e.cohort_first or None, "cohort_last": e.cohort_last or None,
        })
    bal = [{"as_of": fe.as_of, "time_zero": b.time_zero, "outcome": b.outcome, "method": b.method,
            "covariate": b.covariate, "max_abs_smd_before": _number(b.max_abs_smd_before),
            "max_abs_smd_after": _number(b.max_abs_smd_after), "ok": bool(b.ok)}
           for b in fe.balance.itertuples(index=False)]
    surv = [{"as_of": fe.as_of, "time_zero": p.time_zero, "group": p.group, "day": int(p.day),
             "survival": _number(p.survival), "ci_low": _number(p.ci_low), "ci_high": _number(p.ci_high)}
            for p in fe.survival.itertuples(index=False)]
    keys = {"effects": ["time_zero", "outcome", "method", "measure"],
            "effect_balance": ["time_zero", "outcome", "method", "covariate"],
            "effect_survival": ["time_zero", "group", "day"]}
    out = {}
    for name, rows in (("effects", est), ("effect_balance", bal), ("effect_survival", surv)):
        out[name] = sorted(rows, key=lambda r, k=keys[name]: tuple(r[c] for c in k))
    return out


def _schema(name: str):
    import pyarrow as pa

    types = {"as_of": pa.date32(), "day": pa.int32(), "estimate_suppressed": pa.bool_(), "balance_ok": pa.bool_(),
             "ok": pa.bool_()}
    return pa.schema([(c, types.get(c, pa.float64() if c in FIGURES or c in COUNTS else pa.string()))
                      for c in TABLES[name]])


def write_effects_files(fe: FunderEffects, folder: Path) -> list[str]:
    """Write the three tables as CSV and Parquet into the snapshot folder; → the file names."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    written = []
    for name, rows in funder_rows(fe).items():
        cols = TABLES[name]
        texts = [{c: (r[c].isoformat() if c == "as_of" else _text(c, r[c])) for c in cols} for r in rows]
        (folder / f"{name}.csv").write_bytes(csv_bytes(texts, cols))
        data = {c: [r[c] for r in rows] for c in cols}
        for c in cols:
            if c in FIGURES:  # the Parquet file carries the rounded figures of the CSV
                data[c] = [None if v is None else (v if math.isinf(v) else round(v, PLACES)) for v in data[c]]
        pq.write_table(pa.Table.from_pydict(data, schema=_schema(name)), str(folder / f"{name}.parquet"),
                       compression="zstd", compression_level=3, use_dictionary=True, write_statistics=True)
        written += [f"{name}.csv", f"{name}.parquet"]
    return written


# --- the restricted record and what earlier publications showed -------------------------------

def record_file(restricted_dir: Path, folder: str) -> Path:
    return Path(restricted_dir) / "disclosure" / f"{folder}-effects.csv"


def write_record(restricted_dir: Path, folder: str, fe: FunderEffects) -> Path:
    path = record_file(restricted_dir, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    df = fe.restricted_counts.sort_values(RECORD_COLUMNS[:4], kind="mergesort")
    rows = [{c: (str(v) if c in RECORD_COLUMNS[:4] else format_count(_number(v))) for c, v in r.items()}
            for r in df.to_dict("records")]
    path.write_bytes(csv_bytes(rows, RECORD_COLUMNS))
    return path


def earlier_effects(snapshots_dir: Path, restricted_dir: Path, folders: list[str]) -> list[tuple]:
    """[(folder, its effects.csv as text, its restricted record or None)] for the earlier published
    folders that carry an effects.csv."""
    out = []
    for folder in folders:
        path = Path(snapshots_dir) / folder / "effects.csv"
        if not path.exists():
            continue
        rows = pd.read_csv(path, dtype=str, keep_default_na=False)
        rec = record_file(restricted_dir, folder)
        truth = pd.read_csv(rec, dtype=str, keep_default_na=False) if rec.exists() else None
        out.append((folder, rows, truth))
    return out


def for_publication(analytics_db: Path, as_of, snapshots_dir: Path, restricted_dir: Path,
                    earlier_folders: list[str]):
    """The adjusted comparison as this publication may show it and its audit: (FunderEffects or
    None when the warehouse has no effects for `as_of`, the audit result or None)."""
    from pipelines.snapshot.effects import disclose, read_tables
    from pipelines.snapshot.effects_audit import audit_effects

    tables = read_tables(analytics_db, as_of)
    if tables is None:
        return None, None
    earlier = earlier_effects(snapshots_dir, restricted_dir, earlier_folders)
    fe = disclose(tables, as_of, earlier)
    return fe, audit_effects(tables["effects"], fe.estimates, earlier)
