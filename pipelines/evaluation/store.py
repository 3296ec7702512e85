"""Write one as-of date's rows of `effects`, `effect_balance` and `effect_survival`.

The three tables live in one schema (the restricted store's `analytics`, which publish copies to
the analytics warehouse). The rows of that as-of date are replaced, all three tables in one
transaction: a reader sees the old set or the new one, never a mix. Other as-of dates stay.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from pipelines.evaluation.estimate import BALANCE_COLUMNS, EFFECT_COLUMNS, SURVIVAL_COLUMNS

from pipelines.sql import ident, qualified

TABLES: dict[str, str] = {
    "effects": """
        as_of DATE, outcome VARCHAR, time_zero VARCHAR, method VARCHAR, measure VARCHAR,
        estimate DOUBLE, ci_low DOUBLE, ci_high DOUBLE, p_value DOUBLE,
        n_treated INTEGER, n_control INTEGER, n_treated_used INTEGER, n_control_used INTEGER,
        balance_ok BOOLEAN, e_value DOUBLE, e_value_ci DOUBLE, ph_test_p DOUBLE, logrank_p DOUBLE,
        cohort_first VARCHAR, cohort_last VARCHAR, note VARCHAR""",
    "effect_balance": """
        as_of DATE, outcome VARCHAR, time_zero VARCHAR, method VARCHAR, covariate VARCHAR, level VARCHAR,
        smd_before DOUBLE, smd_after DOUBLE, ok BOOLEAN""",
    "effect_survival": """
        as_of DATE, time_zero VARCHAR, "group" VARCHAR, day INTEGER, survival DOUBLE, ci_low DOUBLE,
        ci_high DOUBLE, at_risk DOUBLE, events DOUBLE""",
}
_COLUMNS = {"effects": EFFECT_COLUMNS, "effect_balance": BALANCE_COLUMNS, "effect_survival": SURVIVAL_COLUMNS}


def write_effects(con: duckdb.DuckDBPyConnection, tables: dict[str, pd.DataFrame], as_of: date | str,
                  schema: str = "analytics") -> dict[str, int]:
    """Replace the rows of `as_of` in the three tables of `schema` (created when missing); returns
    the rows written per table."""
    a = date.fromisoformat(str(as_of)) if not isinstance(as_of, date) else as_of
    for name, frame in tables.items():
        if list(frame.columns) != _COLUMNS[name]:
            raise ValueError(f"{name}: columns differ from evaluation.md")
        if len(frame) and set(pd.to_datetime(frame["as_of"]).dt.date) != {a}:
            raise ValueError(f"{name}: rows of another as-of date")
    written = {}
    con.execute("begin transaction")
    try:
        con.execute(f"create schema if not exists {ident(schema)}")
        for name, frame in tables.items():
            table = qualified(schema, name)
            con.execute(f"create table if not exists {table} ({TABLES[name]})")
            con.execute(f"delete from {table} where as_of = ?", [a])
            con.register("_evaluation_rows", frame)
            cols = ", ".join(ident(c) for c in _COLUMNS[name])
            con.execute(f"insert into {table} ({cols}) select {cols} from _evaluation_rows")
            con.unregister("_evaluation_rows")
            written[name] = len(frame)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return written
