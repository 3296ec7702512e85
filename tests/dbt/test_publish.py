"""pipelines/publish.py: atomic replacement with a reader holding the old file open, the
identifier-column guard, and what is copied. Pure DuckDB: no dbt run needed."""

from __future__ import annotations

import os

import duckdb
import pytest

from pipelines.publish import IdentifierLeakError, forbidden_columns, publish_analytics
from pipelines.settings import get_settings
from tests.dbt import raw_fixture as rf


def _restricted(settings, metric_value: float, extra_sql: str = "") -> None:
    settings.restricted_dir.mkdir(parents=True, exist_ok=True)
    if not settings.restricted_db.exists():
        rf.create_raw(settings.restricted_db)
    con = duckdb.connect(str(settings.restricted_db))
    con.execute("create schema if not exists analytics")
    con.execute("create or replace table analytics.metrics as select 'g1_x' as metric_id, ?::double as value", [metric_value])
    con.execute("create or replace table analytics.fct_cases as select 'abcd0123abcd0123' as case_key, true as has_nysid")
    con.execute("create or replace view analytics.v_counts as select count(*) as n from analytics.fct_cases")
    if not con.execute("select count(*) from raw.deliveries").fetchone()[0]:
        rf.add_delivery(con, "program", "2026-01-01", {"program__courts": []})
    if extra_sql:
        con.execute(extra_sql)
    con.close()


def test_publish_copies_analytics_and_ledger(tmp_path):
    s = get_settings(tmp_path / "wh")
    _restricted(s, 1.0)
    path = publish_analytics(s)
    assert path == s.analytics_db
    con = duckdb.connect(str(path), read_only=True)
    tables = dict(con.execute("select table_name, table_type from information_schema.tables where table_schema='main'").fetchall())
    assert tables == {"metrics": "BASE TABLE", "fct_cases": "BASE TABLE", "v_counts": "BASE TABLE",
                      "deliveries": "BASE TABLE", "delivery_files": "BASE TABLE"}
    assert con.execute("select value from metrics").fetchall() == [(1.0,)]
    assert con.execute("select n from v_counts").fetchall() == [(1,)]
    assert con.execute("select delivery_key from deliveries").fetchall() == [("program/2026-01-01/v1",)]
    con.close()
    assert not [p for p in os.listdir(s.warehouse) if ".tmp-" in p]


def test_publish_is_atomic_for_an_open_reader(tmp_path):
    s = get_settings(tmp_path / "wh")
    _restricted(s, 1.0)
    publish_analytics(s)
    reader = duckdb.connect(str(s.analytics_db), read_only=True)  # an evaluator's session
    assert reader.execute("select value from metrics").fetchall() == [(1.0,)]

    _restricted(s, 2.0)
    publish_analytics(s)  # must not fail although the old file is open

    # the open session keeps reading the old file, consistently ...
    assert reader.execute("select value from metrics").fetchall() == [(1.0,)]
    assert reader.execute("select count(*) from deliveries").fetchall() == [(1,)]
    reader.close()
    # ... and a new session sees the new one
    fresh = duckdb.connect(str(s.analytics_db), read_only=True)
    assert fresh.execute("select value from metrics").fetchall() == [(2.0,)]
    fresh.close()


def test_publish_refuses_identifier_columns_and_keeps_old_file(tmp_path):
    s = get_settings(tmp_path / "wh")
    _restricted(s, 1.0)
    publish_analytics(s)
    before = s.analytics_db.read_bytes()
    _restricted(s, 3.0, "create table analytics.fct_leaky as select 'Doe' as last_name, 1 as n")
    with pytest.raises(IdentifierLeakError, match="fct_leaky.last_name"):
        publish_analytics(s)
    assert s.analytics_db.read_bytes() == before  # untouched
    assert not [p for p in os.listdir(s.warehouse) if ".tmp-" in p]  # temp file cleaned up


@pytest.mark.parametrize("col", ["last_name", "First_Name", "dob", "client_nysid", "docket_id", "docket_ref_normalized",
                                 "partner", "defendant_id", "client_id"])
def test_forbidden_column_names(col):
    assert forbidden_columns([("t", col, "VARCHAR")]) == [f"t.{col}"]


def test_allowed_column_names():
    ok = [("t", c, ty) for c, ty in [("person_key", "VARCHAR"), ("case_key", "VARCHAR"), ("client_key", "VARCHAR"),
                                     ("age_at_arraignment", "INTEGER"), ("has_nysid", "BOOLEAN"), ("value", "DOUBLE")]]
    assert forbidden_columns(ok) == []
