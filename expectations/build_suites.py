"""Author the Great Expectations suites (one per raw table) into the file context in this folder.

Run by a person when the rules change (`python expectations/build_suites.py`), then review and
commit the JSON under `expectations/gx/expectations/`. The pipeline only ever *reads* these files.
Columns, types, code lists and keys come from `pipelines/ingestion/spec.py`; the rules below
(required values, ranges, formats, dates, references) are the suites' own, and
`tests/ingestion/test_suites.py` checks the committed suites against both. A key is unique within
a program, court or dcjs snapshot; a provider's changes-only delivery may carry a key more than
once (extracts.md), so provider suites have no uniqueness rule: raw keeps every row and staging
picks the winning version (dbt macro provider_latest_versions).

Each expectation carries `meta.rule` (the rule's name in rejected-row reports), `meta.column`, and
`meta.action`: `reject` (row-level fault: the row goes to raw.rejected_rows) or `hold` (the row is
loaded and reported, e.g. a provider record whose client has not arrived yet). Expectations on a
table's shape (`expect_column_to_exist`, types) are structural. Batches are staged tables holding
every new delivery of the run (lineage columns `_delivery_key`, `_as_of`, ...); SQL names other
staged tables `stage_<table>` and earlier accepted provider clients `known_provider_clients`.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from pipelines.ingestion.spec import (AGE_MAX, AGE_MIN, AS_OF_GRACE_DAYS, BIRTH_FLOOR, DATE, INT, NUM,  # noqa: E402
                                      SCOPE_START, SOURCE_TABLES, TABLE_SPECS, TERM_HORIZON_YEARS, TEXT, TS)
from pipelines.sql import ident, literal  # noqa: E402

GX_TYPE = {TEXT: "String", DATE: "DATE", INT: "Integer", TS: "TIMESTAMP", NUM: "FLOAT"}

NOT_NULL = {
    "program__courts": ["court_id"],
    "program__providers": ["provider_id", "court_id"],
    "program__targets": ["metric_id", "population", "target", "direction", "effective_from"],
    "court__defendants": ["defendant_id"],
    "court__cases": ["docket_id", "defendant_id"],
    "court__events": ["docket_id", "event_seq", "event_type"],
    "provider__clients": ["client_id", "updated_at", "record_status"],
    "provider__assessments": ["assessment_id", "client_id", "updated_at", "record_status"],
    "provider__sessions": ["session_id", "client_id", "updated_at", "record_status"],
    "provider__referrals": ["referral_id", "client_id", "updated_at", "record_status"],
    "provider__exits": ["client_id", "updated_at", "record_status"],
    "dcjs__arrests": ["nysid", "arrest_id"],
}
# Plausible ranges of every number (docs/ingestion.md, "Plausible values").
BETWEEN = {
    ("program__providers", "capacity"): (0, 10000),
    ("program__targets", "target"): (0, 10000),  # a share 0-1, days or points of a scale
    ("court__cases", "mandate_sessions"): (0, 200),
    ("court__events", "event_seq"): (1, 10000),
    ("provider__sessions", "minutes"): (0, 1440),
    ("provider__exits", "survey_helpfulness"): (1, 5),
}
REGEX = {
    ("court__defendants", "nysid"): ("^" + "[0-9]" * 8 + "[A-Z]$", "nysid_format"),
    ("dcjs__arrests", "nysid"): ("^" + "[0-9]" * 8 + "[A-Z]$", "nysid_format"),
    ("court__defendants", "primary_language"): ("^[a-z][a-z]$", "language_code"),
}
# (Regexes avoid `{n}`: GX formats the query text, braces other than {batch} break it.)
# Dates that are plans or terms, not facts, may lie after the as-of date.
# Starts may lie up to AS_OF_GRACE_DAYS ahead, ends up to TERM_HORIZON_YEARS.
PLANNED_STARTS = {("program__courts", "htic_start_date"), ("program__providers", "contract_start")}
# A target may be set ahead for a later year: its effective_from is bounded like a term's end.
PLANNED_ENDS = {("program__courts", "htic_end_date"), ("program__providers", "contract_end"),
                ("program__targets", "effective_from")}
NOT_FACTS = PLANNED_STARTS | PLANNED_ENDS
BIRTH_DATES = {("court__defendants", "dob"), ("provider__clients", "dob")}
# C0 control characters other than tab, CR and LF; DEL; a byte-order mark (U+FEFF) anywhere but at
# the start of a file (the reader drops that one): pasted files, NUL bytes, phantom ids.
CONTROL_CHARACTERS = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f\ufeff]"


def rows_sql(where: str, alias: str = "b") -> str:
    return f"SELECT DISTINCT {alias}._row_id FROM (SELECT * FROM {{batch}}) {alias} WHERE {where}"


def suite_for(table: str) -> list[dict]:
    spec = TABLE_SPECS[table]
    ex: list[dict] = []

    def add(type_, kwargs, rule, column, action="reject", notes=None):
        ex.append({"type": type_, "kwargs": kwargs,
                   "meta": {"rule": rule, "column": column, "action": action, **({"notes": notes} if notes else {})}})

    for col, typ in spec.columns:
        add("expect_column_to_exist", {"column": col}, "missing_column", col, "structural")
        add("expect_column_values_to_be_in_type_list", {"column": col, "type_list": [GX_TYPE[typ]]},
            "column_type", col, "structural")
        if typ != TEXT:
            add("unexpected_rows_expectation",
                {"unexpected_rows_query": rows_sql(f"list_contains(b._parse_errors, {literal(col)})")},
                f"invalid_{typ}", col, notes=f"text in `{col}` that does not parse as {typ}")
    for col in NOT_NULL[table]:
        add("expect_column_values_to_not_be_null", {"column": col}, "required_value", col)
    for col, codes in spec.codes:
        add("expect_column_values_to_be_in_set", {"column": col, "value_set": list(codes)}, "unknown_code", col)
    for (t, col), (lo, hi) in BETWEEN.items():
        if t == table:
            add("expect_column_values_to_be_between", {"column": col, "min_value": lo, "max_value": hi},
                "out_of_range", col)
    for (t, col), (rx, rule) in REGEX.items():
        if t == table:
            add("unexpected_rows_expectation",
                {"unexpected_rows_query": rows_sql(f"b.{ident(col)} IS NOT NULL AND NOT regexp_full_match(b.{ident(col)}, {literal(rx)})")},
                rule, col)
    if table not in SOURCE_TABLES["provider"]:  # provider changes: a repeated key is normal (extracts.md)
        add("expect_compound_columns_to_be_unique", {"column_list": ["_delivery_key", *spec.key]},
            "duplicate_key", spec.key[-1], notes="a key appears more than once in one delivery: all its rows are rejected")
    for col, typ in spec.columns:
        if typ == TEXT:
            add("unexpected_rows_expectation",
                {"unexpected_rows_query": rows_sql(f"regexp_matches(b.{ident(col)}, {literal(CONTROL_CHARACTERS)})")},
                "control_character", col, notes="NUL, other control characters or a byte-order mark in a value")
    for col, typ in spec.columns:
        if typ not in (DATE, TS):
            continue
        expr = f"CAST(b.{ident(col)} AS DATE)" if typ == TS else f"b.{ident(col)}"
        if (table, col) not in NOT_FACTS:
            add("unexpected_rows_expectation",
                {"unexpected_rows_query": rows_sql(f"{expr} > b._as_of")}, "date_after_as_of", col)
        floor = BIRTH_FLOOR if (table, col) in BIRTH_DATES else SCOPE_START
        implausible = [f"{expr} < DATE {literal(floor.isoformat())}"]
        if (table, col) in PLANNED_STARTS:
            implausible.append(f"{expr} > b._as_of + INTERVAL {AS_OF_GRACE_DAYS} DAY")
        if (table, col) in PLANNED_ENDS:
            implausible.append(f"{expr} > b._as_of + INTERVAL {TERM_HORIZON_YEARS} YEAR")
        add("unexpected_rows_expectation", {"unexpected_rows_query": rows_sql(" OR ".join(implausible))},
            "implausible_date", col, notes=f"before {floor}" + (" or too far after the as-of date"
                                                                if (table, col) in NOT_FACTS else ""))
    if table in ("court__cases", "dcjs__arrests"):
        add("unexpected_rows_expectation",
            {"unexpected_rows_query": rows_sql("b.top_charge = 'PL 240.37' AND b.arrest_date >= DATE '2021-02-02'")},
            "charge_after_repeal", "top_charge", notes="PL 240.37 was repealed on 2021-02-02")
    if table == "court__cases":
        add("unexpected_rows_expectation",
            {"unexpected_rows_query": "SELECT DISTINCT b._row_id FROM (SELECT * FROM {batch}) b JOIN stage_court__defendants d "
                                      "ON d._delivery_key = b._delivery_key AND d.defendant_id = b.defendant_id "
                                      "WHERE d.dob >= b.arrest_date"},
            "birth_not_before_arrest", "arrest_date")
        add("unexpected_rows_expectation",
            {"unexpected_rows_query": "SELECT DISTINCT b._row_id FROM (SELECT * FROM {batch}) b JOIN stage_court__defendants d "
                                      "ON d._delivery_key = b._delivery_key AND d.defendant_id = b.defendant_id "
                                      f"WHERE d.dob < b.arrest_date AND (b.arrest_date < d.dob + INTERVAL {AGE_MIN} YEAR "
                                      f"OR b.arrest_date > d.dob + INTERVAL {AGE_MAX} YEAR)"},
            "implausible_age", "arrest_date", notes=f"age at arrest outside {AGE_MIN}-{AGE_MAX} years")
        add("unexpected_rows_expectation",
            {"unexpected_rows_query": rows_sql("b.defendant_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
                                               "stage_court__defendants d WHERE d._delivery_key = b._delivery_key "
                                               "AND d.defendant_id = b.defendant_id)")},
            "unknown_reference", "defendant_id", notes="case refers to a defendant not in the same snapshot")
    if table == "court__events":
        add("unexpected_rows_expectation",
            {"unexpected_rows_query": rows_sql("b.docket_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
                                               "stage_court__cases c WHERE c._delivery_key = b._delivery_key "
                                               "AND c.docket_id = b.docket_id)")},
            "unknown_reference", "docket_id", notes="event refers to a docket not in the same snapshot")
    if table.startswith("provider__") and table != "provider__clients":
        add("unexpected_rows_expectation",
            {"unexpected_rows_query": rows_sql(
                "b.client_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM known_provider_clients k WHERE "
                "k.provider_id = b.provider_id AND k.client_id = b.client_id) AND NOT EXISTS (SELECT 1 FROM "
                "stage_provider__clients c WHERE c.provider_id = b.provider_id AND c.client_id = b.client_id "
                "AND c._as_of <= b._as_of)")},
            "orphan_client", "client_id", action="hold",
            notes="refers to a client not received so far from this provider: loaded, held and reported")
    return ex


def main() -> None:
    import great_expectations as gx

    gx_dir = HERE / "gx"
    shutil.rmtree(gx_dir / "expectations", ignore_errors=True)
    ctx = gx.get_context(mode="file", project_root_dir=str(HERE))
    for table in TABLE_SPECS:
        suite = gx.ExpectationSuite(name=f"raw.{table}", meta={"asset_key": f"raw/{table}"})
        for e in suite_for(table):
            cls = gx.expectations.registry.get_expectation_impl(e["type"])
            suite.add_expectation(cls(**e["kwargs"], meta=e["meta"]))
        ctx.suites.add(suite)
    print(f"wrote {len(TABLE_SPECS)} suites to {gx_dir / 'expectations'}")


if __name__ == "__main__":
    main()
