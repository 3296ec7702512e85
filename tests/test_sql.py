"""pipelines.sql: identifiers and literals quoted one way, safe against hostile names and values."""

from datetime import date, datetime

import duckdb
import pytest

from pipelines.sql import ident, literal, qualified

HOSTILE = ['plain', 'with space', 'dq"inside', 'sq\'inside', '"; DROP TABLE t; --', "'); DROP TABLE t; --",
           'ünïcödé', 'UPPER', 'select', '""', "''"]


@pytest.mark.parametrize("name", HOSTILE)
def test_ident_round_trips_through_duckdb(name):
    con = duckdb.connect()
    con.execute("CREATE TABLE t (x INTEGER)")
    con.execute(f"CREATE TABLE {ident(name)} ({ident(name)} INTEGER)")
    con.execute(f"INSERT INTO {ident(name)} VALUES (7)")
    assert con.execute(f"SELECT {ident(name)} FROM {ident(name)}").fetchall() == [(7,)]
    cols = con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ?", [name]).fetchall()
    assert cols == [(name,)]
    assert con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 't'").fetchone()[0] == 1


def test_ident_quotes_by_doubling():
    assert ident("a") == '"a"'
    assert ident('a"b') == '"a""b"'
    assert qualified("raw", 'x"y') == '"raw"."x""y"'


@pytest.mark.parametrize("bad", ["", None, "a\x00b"])
def test_ident_refuses_what_cannot_be_a_name(bad):
    with pytest.raises(ValueError):
        ident(bad)


@pytest.mark.parametrize("value", HOSTILE + ["", "back\\slash", "new\nline"])
def test_string_literal_round_trips_through_duckdb(value):
    assert duckdb.connect().execute(f"SELECT {literal(value)}").fetchone()[0] == value


def test_literal_text():
    assert literal("it's") == "'it''s'"
    assert literal(None) == "NULL"
    assert literal(True) == "TRUE" and literal(False) == "FALSE"
    assert literal(3) == "3" and literal(-2.5) == "-2.5"
    assert literal(date(2021, 2, 2)) == "DATE '2021-02-02'"
    assert literal(["a", "b'c"]) == "['a', 'b''c']"


@pytest.mark.parametrize("value", [None, 0, 42, -7, 1.25, date(2024, 2, 29), datetime(2024, 2, 29, 13, 5, 9),
                                   ["ACD", "O'BRIEN"], [1, 2]])
def test_literal_values_round_trip_through_duckdb(value):
    got = duckdb.connect().execute(f"SELECT {literal(value)}").fetchone()[0]
    assert got == value


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), object(), "a\x00b"])
def test_literal_refuses_what_it_cannot_write(bad):
    with pytest.raises((ValueError, TypeError)):
        literal(bad)
