"""The Great Expectations suites agree with the extract schema in `pipelines/ingestion/spec.py`.

The suites are committed JSON, read (never rewritten) at run time; spec.py is the one declaration
of columns, types, code lists and keys. These tests fail when the two drift apart."""

import json
import sys

import pytest

from pipelines.ingestion.spec import DATE, INT, NUM, SOURCE_TABLES, TABLE_SPECS, TEXT, TS
from pipelines.settings import EXPECTATIONS_DIR

SUITES = EXPECTATIONS_DIR / "gx" / "expectations" / "raw"
GX_TYPE_NAME = {TEXT: "String", DATE: "DATE", INT: "Integer", TS: "TIMESTAMP", NUM: "FLOAT"}


def _suite(table):
    return json.loads((SUITES / f"{table}.json").read_text(encoding="utf-8"))


def _of_type(suite, typ):
    return [e for e in suite["expectations"] if e["type"] == typ]


def test_one_suite_per_raw_table():
    assert sorted(p.stem for p in SUITES.glob("*.json")) == sorted(TABLE_SPECS)
    for table in TABLE_SPECS:
        assert _suite(table)["name"] == f"raw.{table}"


@pytest.mark.parametrize("table", list(TABLE_SPECS))
def test_suite_columns_and_types_are_the_spec_columns(table):
    spec, suite = TABLE_SPECS[table], _suite(table)
    assert [e["kwargs"]["column"] for e in _of_type(suite, "expect_column_to_exist")] == spec.column_names
    types = {e["kwargs"]["column"]: e["kwargs"]["type_list"]
             for e in _of_type(suite, "expect_column_values_to_be_in_type_list")}
    assert types == {c: [GX_TYPE_NAME[t]] for c, t in spec.columns}


@pytest.mark.parametrize("table", list(TABLE_SPECS))
def test_suite_value_sets_are_the_spec_code_lists(table):
    spec, suite = TABLE_SPECS[table], _suite(table)
    value_sets = {e["kwargs"]["column"]: e["kwargs"]["value_set"]
                  for e in _of_type(suite, "expect_column_values_to_be_in_set")}
    assert value_sets == {c: list(codes) for c, codes in spec.codes}


@pytest.mark.parametrize("table", list(TABLE_SPECS))
def test_suite_key_is_the_spec_key_within_a_snapshot(table):
    """extracts.md: keys are unique within a snapshot; a provider's changes-only delivery may repeat a
    key (staging picks the winning version), so provider suites have no uniqueness rule."""
    unique = _of_type(_suite(table), "expect_compound_columns_to_be_unique")
    if table in SOURCE_TABLES["provider"]:
        assert unique == []
    else:
        assert [u["kwargs"]["column_list"] for u in unique] == [["_delivery_key", *TABLE_SPECS[table].key]]


@pytest.mark.parametrize("table", list(TABLE_SPECS))
def test_every_typed_column_has_a_parse_rule(table):
    """A typed column whose text does not parse is a row fault: one rule per such column."""
    spec, suite = TABLE_SPECS[table], _suite(table)
    parse_rules = {e["meta"]["column"]: e["meta"]["rule"] for e in _of_type(suite, "unexpected_rows_expectation")
                   if e["meta"]["rule"].startswith("invalid_")}
    assert parse_rules == {c: f"invalid_{t}" for c, t in spec.columns if t != TEXT}


def test_committed_suites_are_what_build_suites_writes():
    """The JSON is the authoring script's output (ids aside): nobody edited a suite by hand, and
    nobody changed spec.py or the rules without re-running `python expectations/build_suites.py`."""
    sys.path.insert(0, str(EXPECTATIONS_DIR))
    try:
        import build_suites
    finally:
        sys.path.remove(str(EXPECTATIONS_DIR))
    for table in TABLE_SPECS:
        committed = [_as_stored(e) for e in _suite(table)["expectations"]]
        assert committed == [_as_stored(e) for e in build_suites.suite_for(table)], table


def _as_stored(e):
    """GX stores kwargs without None values and numbers as floats: compare in that form."""
    kwargs = {k: float(v) if isinstance(v, int) and not isinstance(v, bool) else v
              for k, v in e["kwargs"].items() if v is not None}
    return {"type": e["type"], "kwargs": kwargs, "meta": e["meta"]}
