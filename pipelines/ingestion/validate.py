"""Validate a staged batch: row rules and Great Expectations, both driven by the suites in
`expectations/` (read, never rewritten), then each delivery's verdict.

* `row_rules`: each expectation of a suite, translated to a DuckDB set operation over the staged
  table of all the batch's new rows, gives the rows that break it (-> raw.rejected_rows, or held).
* `run_gx`: Great Expectations runs each suite once over the same staged table (the batch's new
  deliveries together); its counts must agree with the row rules, else the check fails. A suite
  over zero rows proves nothing: it is reported as not evaluated (`evaluated: False`, `passed:
  None`), never as passed.
* `judge`: a delivery whose rejected rows exceed the reject threshold is rejected whole.

Neither keeps or reports values: only counts, files, lines, columns and rule names.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

from pipelines.ingestion.batch import Item, Run, problem
from pipelines.ingestion.spec import TABLE_SPECS
from pipelines.ingestion.stage import cursor, stage_table
from pipelines.settings import EXPECTATIONS_DIR, quiet_telemetry
from pipelines.sql import ident, literal

STRUCTURAL = "structural"
MAX_LOCATIONS = 20


SUITES_DIR = EXPECTATIONS_DIR / "gx" / "expectations" / "raw"


@dataclass
class Validation:
    checks: dict[str, dict]          # table -> suite result (GX, and its agreement with the row rules)
    per_delivery: dict[int, dict]    # stage index -> rejected / held rows and their first locations


def validate_batch(run: Run) -> Validation:
    """Row rules, then Great Expectations, over the staged batch (attached as `stg` to `run.con`)."""
    scon = cursor(run.con)
    try:
        with run.timed("rules"):
            suites = load_suites()
            counts = row_rules(scon, suites)
            per_delivery = violations_per_delivery(scon)
        with run.timed("gx"):
            checks = run_gx(lambda: cursor(run.con), suites, counts) if run.gx_enabled else gx_disabled(suites)
        for table, res in checks.items():
            for f in res["failing"]:
                if f["action"] != STRUCTURAL:
                    f["rows"] = locations(scon, table, f["expectation_id"])
    finally:
        scon.close()
    return Validation(checks, per_delivery)


def judge(item: Item, validation: Validation, reject_threshold: float) -> None:
    """An intake-accepted item's row faults, counted into its outcome; rejected whole above the
    threshold (its rejected rows are still recorded)."""
    out, chk = item.outcome, item.checked
    v = validation.per_delivery.get(item.stage_index, {"rejected": 0, "held": 0, "problems": []})
    total = sum(fr.row_count for frs in chk.reads.values() for fr in frs)
    malformed = [(fr.label, ln, why) for frs in chk.reads.values() for fr in frs for ln, why in fr.malformed]
    out.rows_rejected, out.rows_held = v["rejected"] + len(malformed), v["held"]
    out.problems.extend(problem(item.delivery, out.delivery_key, f, ln, None, "malformed_row", f"row rejected: {why}")
                        for f, ln, why in malformed[:MAX_LOCATIONS])
    out.problems.extend(dict(p, source=out.source_id, delivery=out.delivery_key) for p in v["problems"])
    if total and out.rows_rejected / total > reject_threshold:
        out.status = "rejected"
        out.reason = (f"rejected_share: {out.rows_rejected} of {total} rows broke row rules "
                      f"(threshold {reject_threshold:.0%})")


def load_suites() -> dict[str, dict]:
    """table -> suite dict, as stored. A missing suite is an error (a check must never pass unrun)."""
    out = {}
    for table in TABLE_SPECS:
        with open(SUITES_DIR / f"{table}.json", encoding="utf-8") as fh:
            out[table] = json.load(fh)
    return out


def expectation_sql(table: str, e: dict) -> str | None:
    """SQL giving the `_row_id`s that break expectation `e` in stage_<table>; None if structural."""
    kw, typ = e["kwargs"], e["type"]
    st = stage_table(table)
    if typ in ("expect_column_to_exist", "expect_column_values_to_be_in_type_list",
               "expect_column_values_to_be_of_type"):
        return None
    if typ == "expect_column_values_to_not_be_null":
        return f"SELECT _row_id FROM {st} WHERE {ident(kw['column'])} IS NULL"
    if typ == "expect_column_values_to_be_in_set":
        c = ident(kw["column"])
        codes = literal([str(v) for v in kw["value_set"]])
        return f"SELECT _row_id FROM {st} WHERE {c} IS NOT NULL AND NOT list_contains({codes}, {c})"
    if typ == "expect_column_values_to_be_between":
        c, conds = ident(kw["column"]), []
        if kw.get("min_value") is not None:
            conds.append(f"{c} < {literal(kw['min_value'])}")
        if kw.get("max_value") is not None:
            conds.append(f"{c} > {literal(kw['max_value'])}")
        return f'SELECT _row_id FROM {st} WHERE {" OR ".join(conds)}'
    if typ == "expect_compound_columns_to_be_unique":
        cols = ", ".join(ident(c) for c in kw["column_list"])
        return (f"SELECT s._row_id FROM {st} s JOIN (SELECT {cols} FROM {st} GROUP BY ALL HAVING count(*) > 1) d "
                f"USING ({cols})")
    if typ == "unexpected_rows_expectation":
        return kw["unexpected_rows_query"].replace("{batch}", st)
    raise ValueError(f"suite raw.{table}: expectation type {typ} has no row rule")


def row_rules(scon, suites: dict[str, dict]) -> dict[str, dict[str, int]]:
    """Create `violations` in the stage DB; return {table: {expectation id: rows}}."""
    scon.execute("CREATE OR REPLACE TABLE violations (_row_id BIGINT, _d INTEGER, table_name VARCHAR, "
                 "column_name VARCHAR, rule VARCHAR, action VARCHAR, expectation_id VARCHAR)")
    counts: dict[str, dict[str, int]] = {}
    for table, suite in suites.items():
        counts[table] = {}
        for e in suite["expectations"]:
            sql = expectation_sql(table, e)
            if sql is None:
                continue
            meta = e.get("meta", {})
            n = scon.execute(f"""
                INSERT INTO violations
                SELECT DISTINCT r._row_id, s._d, ?, ?, ?, ?, ? FROM ({sql}) r JOIN {stage_table(table)} s USING (_row_id)""",
                [table, meta.get("column"), meta.get("rule", e["type"]), meta.get("action", "reject"), e["id"]]
            ).fetchone()[0]
            counts[table][e["id"]] = n
    return counts


def violations_per_delivery(scon) -> dict[int, dict]:
    """_d -> rejected / held row counts and the first locations (file, line, column, rule)."""
    out: dict[int, dict] = {}
    for d, action, n in scon.execute(
            "SELECT _d, action, count(DISTINCT (table_name, _row_id)) FROM violations GROUP BY ALL").fetchall():
        v = out.setdefault(d, {"rejected": 0, "held": 0, "problems": []})
        v["rejected" if action == "reject" else "held"] += n
    union = " UNION ALL ".join(
        f"SELECT v._d, v.table_name, s._file, s._line, v.column_name, v.rule, v.action FROM violations v "
        f"JOIN {stage_table(t)} s USING (_row_id) WHERE v.table_name = {literal(t)}" for t in TABLE_SPECS)
    for d, table, file, line, col, rule, action in scon.execute(f"""
            SELECT * EXCLUDE (rn) FROM (SELECT *, row_number() OVER (PARTITION BY _d ORDER BY _file, _line, column_name, rule) rn
                           FROM ({union})) WHERE rn <= ? ORDER BY _d, rn""", [MAX_LOCATIONS]).fetchall():
        out[d]["problems"].append({"table": table, "file": file, "line": line, "column": col, "rule": rule,
                                   "action": action,
                                   "message": f"{'held' if action == 'hold' else 'row rejected'}: {rule}"})
    return out


def locations(scon, table: str, expectation_id: str) -> list[str]:
    """The first rows breaking an expectation, as `delivery file line N`."""
    return [f"{dk} {f} line {ln}" for dk, f, ln in scon.execute(
        f"SELECT s._delivery_key, s._file, s._line FROM violations v JOIN {stage_table(table)} s USING (_row_id) "
        f"WHERE v.expectation_id = ? ORDER BY 1, 2, 3 LIMIT ?", [expectation_id, MAX_LOCATIONS]).fetchall()]


# ----------------------------------------------------------------------------------------------
# Great Expectations

@lru_cache(maxsize=1)
def _gx():
    """Import GX once, quietly, with DuckDB registered as a persisted-connection dialect (GX 1.24
    closes the connection before fetching otherwise; see shared stack notes)."""
    quiet_telemetry()
    import logging

    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    from great_expectations.execution_engine import sqlalchemy_execution_engine as see

    class _Dialect(str):
        @property
        def value(self) -> str:
            return str(self)

    if not any(str(getattr(d, "value", d)) == "duckdb" for d in see._PERSISTED_CONNECTION_DIALECTS):
        see._PERSISTED_CONNECTION_DIALECTS = tuple(see._PERSISTED_CONNECTION_DIALECTS) + (_Dialect("duckdb"),)
    return gx


@lru_cache(maxsize=1)
def _count_only_rows_expectation(gx) -> type:
    """GX's UnexpectedRowsExpectation, asking only for the count of the rows its query returns
    (defined once: GX registers every expectation class by name).

    The original also fetches up to 200 of those rows (a second query, a DISTINCT over the whole
    stage) even when the result format leaves them out; only the count is ever read here."""
    class CountOnlyUnexpectedRowsExpectation(gx.expectations.UnexpectedRowsExpectation):
        metric_dependencies = ("unexpected_rows_query.row_count",)

        def _validate(self, metrics, runtime_configuration=None, execution_engine=None):
            n = metrics["unexpected_rows_query.row_count"]
            return {"success": n == 0, "result": {"observed_value": n}}

    return CountOnlyUnexpectedRowsExpectation


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def without_values(text: str) -> str:
    """An exception's text for a report: quoted parts (where DuckDB and GX put values) blanked out,
    one line, bounded."""
    return _QUOTED.sub("'…'", str(text).splitlines()[0] if str(text) else "")[:300]


def _failed(message: str) -> dict:
    return {"passed": False, "evaluated": True, "severity": "ERROR", "error": message, "failing": [],
            "rows_validated": None, "expectations": 0}


def not_evaluated(expectations: int, note: str) -> dict:
    """A suite that had no rows to judge: no verdict (`passed` is None), never a pass."""
    return {"passed": None, "evaluated": False, "severity": "WARN", "error": None, "failing": [],
            "rows_validated": 0, "expectations": expectations, "note": note}


def gx_disabled(suites) -> dict:
    return {t: _failed("Great Expectations was not run") for t in suites}


def run_gx(stage_cursor, suites: dict[str, dict], rule_counts: dict[str, dict[str, int]]) -> dict[str, dict]:
    """Each suite once over its staged table. Any failure to run -> a failed check, never a pass.

    `stage_cursor()` returns a DuckDB connection whose default database is the stage; GX reaches
    it through SQLAlchemy (duckdb-engine) with that connection as the engine's `creator`, so the
    staged rows are validated where they are, without a copy."""
    results: dict[str, dict] = {}
    try:
        gx = _gx()
        from great_expectations.data_context.types.base import ProgressBarsConfig

        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        import duckdb_engine

        ds = ctx.data_sources.add_sql(name="stage", connection_string="duckdb:///:memory:",
                                      kwargs={"creator": lambda: duckdb_engine.ConnectionWrapper(stage_cursor())})
    except Exception as e:  # noqa: BLE001 - reported as failed checks
        return {t: _failed(f"Great Expectations could not start: {type(e).__name__}: {without_values(e)}") for t in suites}
    try:
        for table, suite in suites.items():
            try:
                if _staged_rows(stage_cursor, table) == 0:
                    results[table] = not_evaluated(len(suite["expectations"]), "no new rows in this run")
                    continue
                results[table] = _run_one(gx, ctx, ds, table, suite, rule_counts.get(table, {}))
            except Exception as e:  # noqa: BLE001
                results[table] = _failed(f"suite raw.{table} could not run: {type(e).__name__}: {without_values(e)}")
    finally:
        try:
            ds.get_execution_engine().close()
        except Exception:  # noqa: BLE001
            pass
        try:
            ds.get_engine().dispose()
        except Exception:  # noqa: BLE001
            pass
    return results


def _staged_rows(stage_cursor, table: str) -> int:
    con = stage_cursor()
    try:
        return con.execute(f"SELECT count(*) FROM {stage_table(table)}").fetchone()[0]
    finally:
        con.close()


def _exception_message(info) -> str | None:
    """GX puts exceptions either flat or keyed by metric; return the first message, if any."""
    if not info:
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for v in info.values():
        if isinstance(v, dict) and v.get("raised_exception"):
            return str(v.get("exception_message")).splitlines()[0]
    return None


def _run_one(gx, ctx, ds, table: str, suite_dict: dict, rule_counts: dict[str, int]) -> dict:
    from great_expectations.expectations.registry import get_expectation_impl

    asset = ds.add_table_asset(name=table, table_name=f"stage_{table}")
    bd = asset.add_batch_definition_whole_table("all")
    exps = []
    for e in suite_dict["expectations"]:
        cls = (_count_only_rows_expectation(gx) if e["type"] == "unexpected_rows_expectation"
               else get_expectation_impl(e["type"]))
        exps.append(cls(**e["kwargs"], meta={**e.get("meta", {}), "suite_expectation_id": e["id"]}))
    suite = ctx.suites.add(gx.ExpectationSuite(name=suite_dict["name"], expectations=exps))
    vd = ctx.validation_definitions.add(gx.ValidationDefinition(name=f"v_{table}", data=bd, suite=suite))
    # counts only: no unexpected value is fetched (none is ever reported, and GX need not hold one)
    res = vd.run(result_format={"result_format": "BASIC", "partial_unexpected_count": 0})
    failing, errors, disagree = [], [], []
    rows = None
    for r in res.results:
        cfg = r.expectation_config
        meta = cfg.meta or {}
        eid = meta.get("suite_expectation_id")
        exc = _exception_message(r.exception_info)
        if exc:
            errors.append(f"{meta.get('rule', cfg.type)} on {meta.get('column')}: expectation raised {without_values(exc)}")
            continue
        result = r.result or {}
        if cfg.type in ("unexpected_rows_expectation", "count_only_unexpected_rows_expectation"):
            n = int(result.get("observed_value") or 0)
        elif "unexpected_count" in result:
            n = int(result.get("unexpected_count") or 0)
            rows = result.get("element_count", rows)
        else:
            n = 0 if r.success else 1
        if meta.get("action") != STRUCTURAL and eid in rule_counts and rule_counts[eid] != n:
            disagree.append(f"{meta.get('rule')} on {meta.get('column')}: GX {n} rows, row rules "
                            f"{rule_counts[eid]} rows")
        if not r.success:
            failing.append({"rule": meta.get("rule", cfg.type), "column": meta.get("column"),
                            "expectation": cfg.type, "action": meta.get("action", "reject"),
                            "unexpected_rows": n, "expectation_id": eid})
    structural = [f for f in failing if f["action"] == STRUCTURAL]
    severity = "ERROR" if errors or disagree or structural else "WARN"
    return {"passed": not failing and not errors and not disagree, "evaluated": True, "severity": severity,
            "error": "; ".join(errors + disagree) or None, "failing": failing, "rows_validated": rows,
            "expectations": len(res.results)}
