"""The Dagster asset of the adjusted comparison (evaluation.md), downstream of the dbt mart
`fct_eval_cases` and upstream of the publish step.

It reads the mart from the restricted store's schema `analytics` (the mart carries the as-of date
it was built for), runs `evaluate`, and replaces that as-of date's rows of `analytics.effects`,
`analytics.effect_balance` and `analytics.effect_survival`, which the publish step then copies to
the analytics warehouse with the marts. DuckDB has one writer per file: the mart is read through a
read-only connection that is closed before the estimation, and the write connection is held only
for the one transaction that replaces the rows. Metadata: counts, estimates and flags only.

In the graph (pipelines/defs): after the dbt models (its dep is the mart's asset key) and before
`analytics_warehouse`, whose deps include EFFECTS_ASSET_KEY.
"""

# no `from __future__ import annotations`: Dagster reads the asset's annotations at definition time

import time
from datetime import date

import dagster as dg

from pipelines.defs.resources import HticSettings

MART_ASSET_KEY = dg.AssetKey(["fct_eval_cases"])  # HticDbtTranslator: a model's key is its name
EFFECTS_ASSET_KEY = dg.AssetKey(["evaluation", "effects"])
MART_TABLE = "analytics.fct_eval_cases"


class EvaluationConfig(dg.Config):
    """Run configuration (optional)."""

    as_of: str | None = None  # when given, must be the as-of date the mart was built for


def mart_as_of(cases) -> date:
    values = cases["as_of"].dropna().unique()
    if len(values) != 1:
        raise dg.Failure(f"{MART_TABLE} must hold one as-of date, found {len(values)}")
    return date.fromisoformat(str(values[0])[:10])


def read_cases(con):
    """`analytics.fct_eval_cases` as the estimation reads it, without a Python string per cell: the
    rows come as Arrow; the columns that are not text are converted by DuckDB (its pandas dtypes:
    nullable booleans and integers as `boolean` and `Int64`); each text column is dictionary-encoded,
    so its values are one Python string per distinct value (missing: NaN); the case and person keys
    then become their codes (estimate.coded_keys). DuckDB's `.df()` made a string per cell (some 60
    bytes where a reference is 8) and Python's allocator kept much of that memory once freed: at
    scale 10 the asset's peak drops from 1.28 to 1.15 GB, with the same tables to the bit."""
    import pyarrow as pa

    from pipelines.evaluation.estimate import coded_keys

    table = con.sql(f"select * from {MART_TABLE}").to_arrow_table()
    text = [f.name for f in table.schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    frame = con.from_arrow(table.select([c for c in table.column_names if c not in text])).df()
    for name in text:
        frame[name] = table.column(name).dictionary_encode().to_pandas().astype(object)
    columns = table.column_names
    del table
    pa.default_memory_pool().release_unused()
    return coded_keys(frame[columns])


def headline(effects) -> dict:
    """The headline adjusted estimate (evaluation.md: aipw, risk difference, 12-month rearrest,
    first disposition) beside the unadjusted one, for the asset's metadata."""
    rows = effects[(effects.outcome == "rearrest_any_12m") & (effects.time_zero == "disposition")
                   & (effects.measure == "risk_difference")].set_index("method")
    out = {}
    for method in ("unadjusted", "aipw"):
        if method in rows.index:
            r = rows.loc[method]
            out[method] = {"estimate": _num(r.estimate), "ci_low": _num(r.ci_low), "ci_high": _num(r.ci_high),
                           "balance_ok": bool(r.balance_ok)}
    return out


def _num(x):
    return None if x is None or x != x else round(float(x), 4)


@dg.asset(
    key=EFFECTS_ASSET_KEY,
    deps=[MART_ASSET_KEY],
    group_name="evaluation",
    kinds={"python", "duckdb"},
    description="Is the court helping? The adjusted comparison of evaluation.md: analytics.effects, "
                "effect_balance and effect_survival, one set of rows per as-of date (pseudonymous: no keys in them).",
)
def evaluation_effects(context: dg.AssetExecutionContext, config: EvaluationConfig,
                       htic: HticSettings) -> dg.MaterializeResult:
    from pipelines.duck import connect
    from pipelines.evaluation.estimate import evaluate
    from pipelines.evaluation.store import write_effects

    settings = htic.get()
    with connect(settings.restricted_db, settings, read_only=True) as con:
        cases = read_cases(con)
    as_of = mart_as_of(cases)
    if config.as_of and date.fromisoformat(config.as_of) != as_of:
        raise dg.Failure(f"{MART_TABLE} was built as of {as_of}, not {config.as_of}: build the models first")
    started = time.monotonic()
    tables = evaluate(cases, as_of)
    seconds = time.monotonic() - started
    with connect(settings.restricted_db, settings) as con:
        written = write_effects(con, tables, as_of)
    effects = tables["effects"]
    context.log.info(f"evaluation as of {as_of}: {len(effects)} estimates in {seconds:.1f} s")
    return dg.MaterializeResult(metadata={
        "as_of": as_of.isoformat(),
        "rows_by_table": dg.MetadataValue.json(written),
        "headline_12m_risk_difference": dg.MetadataValue.json(headline(effects)),
        "estimates_failing_balance": int((~effects.balance_ok.astype(bool)).sum()),
        "estimates_not_estimable": int(effects.estimate.isna().sum()),
        "seconds": round(seconds, 1),
    })


defs = dg.Definitions(assets=[evaluation_effects])
