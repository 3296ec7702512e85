"""Plausibility checks on `metrics`: Dagster asset checks with WARN severity, run after every dbt
build as of A (they read the restricted store's `analytics.metrics`, under the store lock).

A warning asks a person to look before the figures go out; it does not stop the publish. Each
check reads the rows as of A only (the table keeps earlier as-of dates too), and reports metric
ids, populations, cohorts, values and denominators — aggregates, never a value about a person.

* `quarter_jump` — a rate moving by more than JUMP_BOUND (0.30) between consecutive quarterly
  cohorts ('YYYYQn') of the overall breakdown, both denominators >= MIN_DENOMINATOR (30);
* `denominator_drop` — a quarterly cohort's denominator below DROP_RATIO (half) of the previous
  cohort's, the earlier one >= MIN_DENOMINATOR (the overall breakdown of rates: the units counted);
* `share_in_unit_interval` — a rate or survival value outside [0, 1], in any breakdown;
* `cohorts_kept` — a (metric, population, cohort) reported overall as of the previous as-of date
  in the table (the latest one before A) and missing as of A. Cohorts only grow as A moves on:
  a vanished one means data or a definition was lost. Not evaluated (no result) when the table
  holds no earlier as-of date.
"""

from datetime import date

import dagster as dg

from pipelines import builds
from pipelines.defs.resources import HticSettings
from pipelines.ingestion.warehouse import exclusive_lock

METRICS_KEY = dg.AssetKey(["metrics"])
JUMP_BOUND = 0.30
MIN_DENOMINATOR = 30
DROP_RATIO = 0.5
MAX_LISTED = 25  # findings listed in a check's metadata (the count is always complete)

_QUARTERLY_RATES = """
    SELECT metric_id, population, cohort, value, denominator,
           CAST(substr(cohort, 1, 4) AS INTEGER) * 4 + CAST(substr(cohort, 6, 1) AS INTEGER) AS idx
    FROM analytics.metrics
    WHERE as_of = $as_of AND breakdown = 'overall' AND metric_kind = 'rate'
      AND regexp_full_match(cohort, '[0-9]{4}Q[1-4]')
"""
_PAIRS = f"""
    WITH q AS ({_QUARTERLY_RATES})
    SELECT cur.metric_id, cur.population, prev.cohort AS previous_cohort, cur.cohort,
           prev.value AS previous_value, cur.value, prev.denominator AS previous_denominator, cur.denominator
    FROM q AS cur JOIN q AS prev
      ON prev.metric_id = cur.metric_id AND prev.population = cur.population AND prev.idx = cur.idx - 1
"""
JUMP_SQL = f"""SELECT * FROM ({_PAIRS}) WHERE abs(value - previous_value) > {JUMP_BOUND}
    AND denominator >= {MIN_DENOMINATOR} AND previous_denominator >= {MIN_DENOMINATOR} ORDER BY ALL"""
DROP_SQL = f"""SELECT * FROM ({_PAIRS}) WHERE previous_denominator >= {MIN_DENOMINATOR}
    AND denominator < {DROP_RATIO} * previous_denominator ORDER BY ALL"""
SHARE_SQL = """
    SELECT metric_id, population, cohort, breakdown, breakdown_value, value FROM analytics.metrics
    WHERE as_of = $as_of AND metric_kind IN ('rate', 'survival') AND (value < 0 OR value > 1) ORDER BY ALL"""
PREVIOUS_AS_OF_SQL = "SELECT max(as_of) FROM analytics.metrics WHERE as_of < $as_of"
VANISHED_SQL = """
    SELECT metric_id, population, cohort FROM analytics.metrics
    WHERE as_of = $previous AND breakdown = 'overall'
    EXCEPT
    SELECT metric_id, population, cohort FROM analytics.metrics WHERE as_of = $as_of AND breakdown = 'overall'
    ORDER BY ALL"""

CHECKS = {
    "quarter_jump": f"A rate moves by more than {JUMP_BOUND:.2f} between consecutive quarterly cohorts "
                    f"(overall, both denominators >= {MIN_DENOMINATOR}).",
    "denominator_drop": f"A quarterly cohort's denominator is below {DROP_RATIO:.0%} of the previous cohort's "
                        f"(overall rates, the earlier denominator >= {MIN_DENOMINATOR}).",
    "share_in_unit_interval": "Every rate and survival value lies in [0, 1] (all breakdowns).",
    "cohorts_kept": "Every cohort reported overall as of the previous as-of date in the table is still "
                    "reported as of A (not evaluated without an earlier as-of date).",
}


def _rows(con, sql: str, params: dict) -> list[dict]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, (v.isoformat() if isinstance(v, date) else v for v in row))) for row in cur.fetchall()]


def findings(con, as_of: date) -> dict[str, list[dict] | None]:
    """Check name -> the rows that break it as of A (None: not evaluated). `con` has the metrics
    table as `analytics.metrics`."""
    at = {"as_of": as_of}
    out: dict[str, list[dict] | None] = {
        "quarter_jump": _rows(con, JUMP_SQL, at),
        "denominator_drop": _rows(con, DROP_SQL, at),
        "share_in_unit_interval": _rows(con, SHARE_SQL, at),
    }
    [(previous,)] = con.execute(PREVIOUS_AS_OF_SQL, at).fetchall()
    out["cohorts_kept"] = None if previous is None else [
        r | {"previous_as_of": previous.isoformat()} for r in _rows(con, VANISHED_SQL, at | {"previous": previous})]
    return out


def check_results(found: dict[str, list[dict] | None], as_of: date):
    for name, rows in found.items():
        if rows is None:
            continue  # nothing to compare with: no verdict
        yield dg.AssetCheckResult(
            asset_key=METRICS_KEY, check_name=name, passed=not rows, severity=dg.AssetCheckSeverity.WARN,
            description=CHECKS[name],
            metadata={"as_of": as_of.isoformat(), "findings": len(rows),
                      "listed": dg.MetadataValue.json(rows[:MAX_LISTED])})


@dg.multi_asset_check(
    specs=[dg.AssetCheckSpec(name, asset=METRICS_KEY, description=text) for name, text in CHECKS.items()],
    description="Plausibility of the metrics as of A (warnings for a person to look at; docs: pipelines/defs/plausibility.py).",
    can_subset=True,  # `cohorts_kept` yields no result without an earlier as-of date (its output is optional)
)
def metrics_plausibility(context: dg.AssetCheckExecutionContext, htic: HticSettings):
    from pipelines.duck import connect

    settings = htic.get()
    as_of = builds.built_as_of(settings)
    if as_of is None:
        raise dg.Failure("no dbt build is noted for schema `analytics`: build the models first")
    with exclusive_lock(settings.store_lock, context.log.info):
        con = connect(settings.restricted_db, settings, read_only=True)
        try:
            found = findings(con, as_of)
        finally:
            con.close()
    for name, rows in found.items():
        if rows:
            context.log.warning(f"metrics: {name}: {len(rows)} finding(s) as of {as_of}")
    selected = {key.name for key in context.selected_asset_check_keys}
    yield from (r for r in check_results(found, as_of) if r.check_name in selected)
