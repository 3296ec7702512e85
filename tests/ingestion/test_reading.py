"""Each quirk of extracts.md is read correctly: values in raw equal what the test wrote."""

from datetime import date, datetime

import duckdb
import pytest

from tests.ingestion import worlds as w

AS_OF = "2021-06-30"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    from pipelines.ingestion.pipeline import run_ingestion
    from pipelines.settings import get_settings

    root = tmp_path_factory.mktemp("quirks")
    land = root / "landing"
    w.write_delivery(land, "program", "2021-01-01", w.to_files(w.program_rows()))
    w.write_delivery(land, "court-queens", AS_OF, w.to_files(w.court_rows(), bom=True, crlf=True))
    w.write_delivery(land, "court-bronx", AS_OF, w.to_files(w.court_rows(court="bx")))
    w.write_delivery(land, "provider-p01", AS_OF, w.to_files(w.provider_rows(), crlf=True, bom=True))
    w.write_delivery(land, "provider-p02", AS_OF, {"extract.xlsx": w.to_workbook(w.provider_rows())})
    w.write_delivery(land, "dcjs", AS_OF, w.to_files(w.dcjs_rows(), crlf=True))
    settings = get_settings(warehouse=root / "wh", landing=land)
    summary = run_ingestion(settings)
    con = duckdb.connect(str(settings.restricted_db), read_only=True)
    yield summary, con
    con.close()


def _expect(value, typ):
    if value is None or value == "":
        return None
    if typ == "date":
        s = str(value)
        for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%Y%m%d"):
            try:
                return datetime.strptime(s, fmt).date()
            except ValueError:
                pass
        raise AssertionError(s)
    if typ == "ts":
        return datetime.fromisoformat(str(value).replace("T", " "))
    if typ == "int":
        return int(value)
    return str(value)


def _types(table):
    from pipelines.ingestion.spec import TABLE_SPECS

    return {c: {"text": "text", "date": "date", "int": "int", "timestamp": "ts"}[t]
            for c, t in TABLE_SPECS[table].columns}


@pytest.mark.parametrize("source,table,builder,file", [
    ("program", "program__courts", w.program_rows, "courts.csv"),
    ("program", "program__providers", w.program_rows, "providers.csv"),
    ("court-queens", "court__defendants", w.court_rows, "defendants.csv"),
    ("court-queens", "court__cases", w.court_rows, "cases.csv"),
    ("court-queens", "court__events", w.court_rows, "events.csv"),
    ("provider-p01", "provider__clients", w.provider_rows, "clients.csv"),
    ("provider-p01", "provider__referrals", w.provider_rows, "referrals.csv"),
    ("provider-p02", "provider__clients", w.provider_rows, "clients.csv"),
    ("provider-p02", "provider__sessions", w.provider_rows, "sessions.csv"),
    ("provider-p02", "provider__exits", w.provider_rows, "exits.csv"),
    ("dcjs", "dcjs__arrests", w.dcjs_rows, "arrests.txt"),
])
def test_values_equal_what_was_written(loaded, source, table, builder, file):
    summary, con = loaded
    header, rows = builder()[file]
    header = [h.lower() for h in header]
    types = _types(table)
    got = con.execute(f"SELECT {', '.join(header)}, _line, _file FROM raw.{table} WHERE _source_id = ? ORDER BY _line",
                      [source]).fetchall()
    assert len(got) == len(rows)
    for i, (r, g) in enumerate(zip(rows, got)):
        assert tuple(_expect(v, types[c]) for c, v in zip(header, r)) == g[:len(header)], (file, i)
        assert g[len(header)] == i + 2  # physical line, header = 1 (also for sheets)
    assert got[0][-1] == (f"extract.xlsx#{file.removesuffix('.csv')}" if source == "provider-p02" else file)


def test_quirks_spot_checks(loaded):
    summary, con = loaded
    assert all(o["status"] == "accepted" and o["rows_rejected"] == 0 for o in summary["deliveries"])
    # leading zeros stay: ids are text
    assert con.execute("SELECT count(*) FROM raw.program__providers WHERE provider_id = '00739'").fetchone()[0] == 1
    # MM/DD/YYYY text and Excel date cells in one column, both typed
    assert con.execute("SELECT dob FROM raw.provider__clients WHERE provider_id='p02' AND client_id='00001'"
                       ).fetchone()[0] == date(1990, 1, 14)
    # quoted field with a comma (free text)
    assert con.execute("SELECT DISTINCT partner FROM raw.provider__referrals").fetchall() == [("Legal Aid, Inc.",)]
    # entity columns from the folder name; lineage columns set
    assert con.execute("SELECT DISTINCT court_id, _delivery_key, _version, _as_of FROM raw.court__cases "
                       "WHERE _source_id='court-bronx'").fetchall() == [("bronx", "court-bronx/2021-06-30/v1", 1,
                                                                         date(2021, 6, 30))]
    # the state's YYYYMMDD dates and upper-case headers
    assert con.execute("SELECT min(arrest_date) FROM raw.dcjs__arrests").fetchone()[0] == date(2019, 1, 1)
    # empty field = null
    assert con.execute("SELECT count(*) FROM raw.court__cases WHERE disposition IS NULL").fetchone()[0] == 80


def test_blank_lines_and_quoted_newlines_keep_physical_lines(tmp_path):
    from pipelines.ingestion.read import read_text_file
    from pipelines.ingestion.spec import TABLE_SPECS

    spec = TABLE_SPECS["provider__referrals"]
    header = w.SPEC_COLUMNS["referrals"]
    rows = [["R1", "C1", "2021-01-01", "LEGAL", "two\nlines", "MADE", None, "2021-01-01T00:00:00", "ACTIVE"],
            ["R2", "C1", "2021-01-02", "LEGAL", "x", "MADE", None, "2021-01-01T00:00:00", "ACTIVE"]]
    data = w.csv_bytes(header, rows).replace(b"\nR2", b"\n\nR2")
    fr = read_text_file(data, spec, "referrals.csv")
    assert fr.row_count == 2
    assert fr.table.column("_line").to_pylist() == [2, 5]
    assert fr.table.column("partner").to_pylist() == ["two\nlines", "x"]
