"""What a careless supplier or an attacker can put in the landing root (issue 11): half-written and
reverted deliveries, links, unusable folder names, impossible values, control characters, oversized
workbooks and lines, formulas — and messages that never carry a value."""

import io
import json
import zipfile

import duckdb
import pytest

from tests.ingestion import worlds as w

AS_OF = "2021-06-30"
MARKER = "Quillonia"   # a planted name: must appear in no output


def _con(s):
    return duckdb.connect(str(s.restricted_db), read_only=True)


def _outputs(s, summary) -> str:
    """Everything a run lets out of the restricted store: summary, quarantine reports, run summaries,
    the ledger export, the ledger's reasons (they reach analytics.duckdb through dbt)."""
    texts = [json.dumps(summary, default=str)]
    for root in (s.quarantine_dir, s.warehouse / "runs"):
        if root.exists():
            texts += [p.read_text(errors="replace") for p in root.rglob("*") if p.is_file()]
    if s.ledger_export.exists():
        texts.append(s.ledger_export.read_bytes().decode("latin-1"))
    con = _con(s)
    texts += [repr(r) for r in con.execute("SELECT reason, status FROM raw.deliveries").fetchall()]
    texts += [repr(r) for r in con.execute("SELECT file_name, column_name, rule FROM raw.rejected_rows").fetchall()]
    con.close()
    return "\n".join(texts)


def _ledger(s):
    con = _con(s)
    rows = con.execute("SELECT delivery_key, status, reason FROM raw.deliveries ORDER BY as_of, source_id, version"
                       ).fetchall()
    con.close()
    return rows


# ---- item 2: pending until accepted or changed; every version seen, reverts become current -----

def test_half_copied_delivery_is_retried_when_its_bytes_change(settings_for):
    from pipelines.ingestion.pipeline import run_ingestion
    from pipelines.status import status

    s = settings_for()
    files = w.to_files(w.court_rows())
    d = w.write_delivery(s.landing, "court-queens", AS_OF, files)
    (d / "cases.csv").write_bytes(files["cases.csv"][: len(files["cases.csv"]) // 2])  # still copying
    first = run_ingestion(s, gx_enabled=False)
    assert [(o["status"], o["reason"].split(":")[0]) for o in first["deliveries"]] == [("rejected", "hash_mismatch")]
    assert first["waiting"] == ["court-queens/2021-06-30"]
    assert [x["delivery"] for x in status(s)["waiting"]] == ["court-queens/2021-06-30"]
    # nothing changed: not retried
    assert run_ingestion(s, gx_enabled=False)["deliveries"] == []
    (d / "cases.csv").write_bytes(files["cases.csv"])  # the copy finishes; the control file is unchanged
    second = run_ingestion(s, gx_enabled=False)
    assert [(o["delivery_key"], o["status"]) for o in second["deliveries"]] == [
        ("court-queens/2021-06-30/v2", "accepted")]
    assert second["waiting"] == [] and status(s)["waiting"] == []
    assert [(k, st) for k, st, _ in _ledger(s)] == [("court-queens/2021-06-30/v1", "rejected"),
                                                   ("court-queens/2021-06-30/v2", "accepted")]
    con = _con(s)
    assert con.execute("SELECT count(*) FROM raw.court__cases").fetchone()[0] == 40
    con.close()
    assert run_ingestion(s, gx_enabled=False)["deliveries"] == []


def test_revert_to_earlier_bytes_becomes_the_current_version(settings_for):
    from pipelines.ingestion.pipeline import run_ingestion

    s = settings_for()
    a = w.to_files(w.court_rows(40))
    b = w.to_files(w.court_rows(35))
    w.write_delivery(s.landing, "court-queens", AS_OF, a)
    run_ingestion(s, gx_enabled=False)
    d = s.landing / "court-queens" / AS_OF
    for p in d.iterdir():
        p.unlink()
    w.write_delivery(s.landing, "court-queens", AS_OF, b)
    run_ingestion(s, gx_enabled=False)
    for p in d.iterdir():
        p.unlink()
    w.write_delivery(s.landing, "court-queens", AS_OF, a)   # the supplier goes back to the first bytes
    third = run_ingestion(s, gx_enabled=False)
    assert [(o["delivery_key"], o["status"], o["superseded"]) for o in third["deliveries"]] == [
        ("court-queens/2021-06-30/v3", "accepted", ["court-queens/2021-06-30/v2"])]
    assert [(k, st) for k, st, _ in _ledger(s)] == [("court-queens/2021-06-30/v1", "superseded"),
                                                   ("court-queens/2021-06-30/v2", "superseded"),
                                                   ("court-queens/2021-06-30/v3", "accepted")]
    con = _con(s)
    assert con.execute("SELECT count(*), min(_version), max(_version) FROM raw.court__cases").fetchone() == (40, 3, 3)
    con.close()
    # the same bytes again, and a copy under a new date: never counted twice
    assert run_ingestion(s, gx_enabled=False)["deliveries"] == []
    import shutil
    shutil.copytree(d, s.landing / "court-queens" / "2021-07-31")
    resent = run_ingestion(s, gx_enabled=False)
    assert [(o["status"], o["duplicate_of"]) for o in resent["deliveries"]] == [
        ("duplicate", "court-queens/2021-06-30/v3")]
    con = _con(s)
    assert con.execute("SELECT count(*) FROM raw.court__cases").fetchone()[0] == 40
    con.close()


# ---- item 3: links are not followed; unusable folder names are skipped -------------------------

def test_links_are_not_followed_nor_archived(settings_for, tmp_path):
    from pipelines.ingestion.pipeline import run_ingestion

    s = settings_for()
    w.write_delivery(s.landing, "court-bronx", AS_OF, w.to_files(w.court_rows(20)))
    # a delivery folder that is a link to another court's delivery
    (s.landing / "court-queens").mkdir()
    (s.landing / "court-queens" / "2021-12-31").symlink_to(s.landing / "court-bronx" / AS_OF)
    # a source folder that is a link to a folder outside the landing root
    outside = tmp_path / "outside"
    w.write_delivery(outside, "court-kings", AS_OF, w.to_files(w.court_rows(5)))
    (s.landing / "court-kings").symlink_to(outside / "court-kings")
    # a data file that is a link to a file outside the landing root (its control row matches it)
    secret = tmp_path / "secret.txt"
    secret.write_bytes(f"{MARKER}\n".encode())
    files = w.to_files(w.court_rows(10))
    d = w.write_delivery(s.landing, "court-manhattan", AS_OF, files)
    (d / "events.csv").unlink()
    (d / "events.csv").symlink_to(secret)
    summary = run_ingestion(s, gx_enabled=False)

    outcomes = {o["delivery_key"]: o for o in summary["deliveries"]}
    assert set(outcomes) == {"court-bronx/2021-06-30/v1", "court-manhattan/2021-06-30/v1"}
    assert outcomes["court-bronx/2021-06-30/v1"]["status"] == "accepted"
    bad = outcomes["court-manhattan/2021-06-30/v1"]
    assert bad["status"] == "rejected" and bad["reason"].startswith("link:")
    assert [(p["file"], p["rule"]) for p in bad["problems"]] == [("events.csv", "link")]
    warn = "\n".join(summary["warnings"])
    assert "court-queens/2021-12-31: delivery folder is a symbolic link" in warn
    assert "court-kings: source folder is a symbolic link" in warn
    # nothing outside the landing root was read or archived
    archived = [p.read_bytes() for p in s.archive_dir.rglob("*") if p.is_file()]
    assert secret.read_bytes() not in archived
    assert MARKER not in _outputs(s, summary)
    con = _con(s)
    assert con.execute("SELECT DISTINCT court_id FROM raw.court__cases").fetchall() == [("bronx",)]
    assert con.execute("SELECT count(*) FROM raw.delivery_files WHERE file_name = 'events.csv' "
                       "AND delivery_key LIKE 'court-manhattan%'").fetchone()[0] == 0
    con.close()


@pytest.mark.parametrize("name", ["9999-12-31", "0000-00-00", "foo", "1899-12-31", "2021-02-30"])
def test_unusable_delivery_folder_is_reported_and_skipped(settings_for, name):
    from pipelines.ingestion.pipeline import run_ingestion
    from pipelines.status import status

    s = settings_for()
    w.write_delivery(s.landing, "court-queens", AS_OF, w.to_files(w.court_rows(10)))
    (s.landing / "court-bronx" / name).mkdir(parents=True)
    (s.landing / "not a source").mkdir()
    summary = run_ingestion(s, gx_enabled=False)
    assert summary["counts"]["accepted"] == 1
    assert any(x.startswith(f"court-bronx/{name}: folder name is not an as-of date") for x in summary["warnings"])
    assert any("not a known source" in x for x in summary["warnings"])
    st = status(s)   # neither status nor the sensor's view of the landing root crashes
    assert st["waiting"] == []
    from pipelines.ingestion.deliveries import discover, pending_folders
    from pipelines.ingestion.sensors import pending_from_export
    found, _ = discover(s.landing)
    assert [d.key for d in found] == ["court-queens/2021-06-30"]
    assert pending_folders(found, {}) == found
    assert pending_from_export(s) == ([], [])


# ---- item 4: impossible values, control characters, limits, formulas ---------------------------

def _rejected(s):
    con = _con(s)
    rows = con.execute("SELECT table_name, file_name, line_number, column_name, rule FROM raw.rejected_rows "
                       "ORDER BY ALL").fetchall()
    con.close()
    return rows


def test_impossible_dates_and_numbers_are_rejected_rows(settings_for):
    from pipelines.ingestion.pipeline import run_ingestion

    s = settings_for()
    prog = w.program_rows()
    prog["providers.csv"][1][0][5] = 100000                      # capacity, line 2
    w.write_delivery(s.landing, "program", "2021-01-01", w.to_files(prog))
    court = w.court_rows(40)
    h = w.SPEC_COLUMNS["defendants"]
    court["defendants.csv"][1][0][h.index("dob")] = "0001-01-01"              # line 2
    court["defendants.csv"][1][1][h.index("dob")] = "2015-01-01"              # line 3: aged 5 at arrest
    hc = w.SPEC_COLUMNS["cases"]
    court["cases.csv"][1][2][hc.index("mandate_sessions")] = 5000             # line 4
    court["events.csv"][1][0][1] = 0                                         # event_seq, line 2
    court["events.csv"][1][3][2] = "1900-01-01"                              # event_date, line 5
    w.write_delivery(s.landing, "court-queens", AS_OF, w.to_files(court))
    prov = w.provider_rows(30, mixed_dates=False)
    hp = w.SPEC_COLUMNS["clients"]
    prov["clients.csv"][1][0][hp.index("intake_date")] = "0001-01-02"         # line 2
    prov["sessions.csv"][1][1][6] = 99999                                   # minutes, line 3
    prov["exits.csv"][1][0][3] = 9                                          # helpfulness, line 2
    w.write_delivery(s.landing, "provider-p01", AS_OF, w.to_files(prov))
    summary = run_ingestion(s)   # with Great Expectations: the suites and the row rules must agree
    # 1 of the programme's 5 rows is over the 10 % threshold: rejected whole, its row still listed
    assert {o["source_id"]: o["status"] for o in summary["deliveries"]} == {
        "program": "rejected", "court-queens": "accepted", "provider-p01": "accepted"}
    assert all(c["error"] is None for c in summary["checks"].values()), summary["checks"]
    got = _rejected(s)
    assert ("program__providers", "providers.csv", 2, "capacity", "out_of_range") in got
    assert ("court__defendants", "defendants.csv", 2, "dob", "implausible_date") in got
    assert ("court__cases", "cases.csv", 3, "arrest_date", "implausible_age") in got
    assert ("court__cases", "cases.csv", 4, "mandate_sessions", "out_of_range") in got
    assert ("court__events", "events.csv", 2, "event_seq", "out_of_range") in got
    assert ("court__events", "events.csv", 5, "event_date", "implausible_date") in got
    assert ("provider__clients", "clients.csv", 2, "intake_date", "implausible_date") in got
    assert ("provider__sessions", "sessions.csv", 3, "minutes", "out_of_range") in got
    assert ("provider__exits", "exits.csv", 2, "survey_helpfulness", "out_of_range") in got
    out = _outputs(s, summary)
    for value in ("0001-01-01", "0001-01-02", "100000", "99999", "1900-01-01"):
        assert value not in out


def test_date_beyond_as_of_grace_for_programme_terms(settings_for):
    from pipelines.ingestion.pipeline import run_ingestion

    s = settings_for()
    prog = w.program_rows()
    prog["providers.csv"][1][1][4] = "2099-12-31"     # contract_end decades ahead: line 3
    prog["courts.csv"][1][0][3] = "1985-01-01"        # htic_start_date before the programme's scope: line 2
    w.write_delivery(s.landing, "program", "2021-01-01", w.to_files(prog))
    run_ingestion(s, gx_enabled=False)
    got = _rejected(s)
    assert ("program__providers", "providers.csv", 3, "contract_end", "implausible_date") in got
    assert ("program__courts", "courts.csv", 2, "htic_start_date", "implausible_date") in got


@pytest.mark.parametrize("bad, line", [("A\x00B", 3), ("\ufeffF3", 4), ("F\x07x", 5), ("x\x1by", 6)])
def test_control_characters_are_row_errors(settings_for, bad, line):
    from pipelines.ingestion.pipeline import run_ingestion

    s = settings_for()
    prov = w.provider_rows(30)
    hp = w.SPEC_COLUMNS["clients"]
    prov["clients.csv"][1][line - 2][hp.index("first_name")] = bad
    w.write_delivery(s.landing, "provider-p01", AS_OF, w.to_files(prov))
    summary = run_ingestion(s, gx_enabled=False)
    assert summary["counts"]["accepted"] == 1
    assert ("provider__clients", "clients.csv", line, "first_name", "control_character") in _rejected(s)
    con = _con(s)
    assert con.execute("SELECT count(*) FROM raw.provider__clients").fetchone()[0] == 29
    con.close()


def test_bom_in_the_middle_of_a_file_is_a_row_error(settings_for):
    from pipelines.ingestion.pipeline import run_ingestion

    s = settings_for()
    files = w.to_files(w.court_rows(10))
    lines = files["defendants.csv"].split(b"\n")
    lines[4] = b"\xef\xbb\xbf" + lines[4]     # a second file pasted in, BOM and all: line 5
    files["defendants.csv"] = b"\n".join(lines)
    w.write_delivery(s.landing, "court-queens", AS_OF, files)
    run_ingestion(s, gx_enabled=False)
    assert ("court__defendants", "defendants.csv", 5, "defendant_id", "control_character") in _rejected(s)


def _zip_bomb(pad: int) -> bytes:
    """A real provider workbook whose `clients` sheet XML carries `pad` bytes of whitespace: a few
    hundred KB on disk, `pad` bytes once decompressed."""
    valid = zipfile.ZipFile(io.BytesIO(w.to_workbook(w.provider_rows(5))))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info in valid.infolist():
            data = valid.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                with z.open(info.filename, "w", force_zip64=True) as fh:
                    head, _, tail = data.partition(b"<sheetData>")
                    fh.write(head + b"<sheetData>")
                    chunk = b" " * (1 << 20)
                    for _ in range(pad >> 20):
                        fh.write(chunk)
                    fh.write(tail)
            else:
                z.writestr(info.filename, data)
    return buf.getvalue()


@pytest.mark.parametrize("pad, limit", [(300 << 20, "over the limit of 256 MB"), (40 << 20, "over the limit of 100")])
def test_workbook_expanding_beyond_the_limits_is_structural(settings_for, pad, limit):
    import time

    from pipelines.ingestion.pipeline import run_ingestion

    s = settings_for()
    bomb = _zip_bomb(pad)
    assert len(bomb) < pad / 500
    d = w.write_delivery(s.landing, "provider-p01", AS_OF, {"extract.xlsx": bomb}, control=False)
    (d / "_control.csv").write_bytes(w.control_bytes({"extract.xlsx": bomb}, {"extract.xlsx": 5 * 4 + 2}))
    t = time.perf_counter()
    summary = run_ingestion(s, gx_enabled=False)
    assert time.perf_counter() - t < 20
    [o] = summary["deliveries"]
    assert o["status"] == "rejected" and o["reason"].startswith("too_large:")
    assert "extract.xlsx" in o["reason"] and limit in o["reason"]


def test_overlong_line_is_structural(settings_for):
    from pipelines.ingestion.pipeline import run_ingestion
    from pipelines.ingestion.spec import MAX_LINE_BYTES

    s = settings_for()
    prov = w.provider_rows(5)
    prov["referrals.csv"][1][2][4] = "x" * (MAX_LINE_BYTES + 10)   # line 4
    w.write_delivery(s.landing, "provider-p01", AS_OF, w.to_files(prov))
    [o] = run_ingestion(s, gx_enabled=False)["deliveries"]
    assert o["status"] == "rejected" and o["reason"].startswith("too_large:")
    assert [(p["file"], p["line"], p["rule"]) for p in o["problems"]] == [("referrals.csv", 4, "too_large")]


def test_field_over_the_csv_modules_limit_is_structural_not_a_crash(settings_for):
    from pipelines.ingestion.pipeline import run_ingestion

    s = settings_for()
    prov = w.provider_rows(5)
    prov["referrals.csv"][1][1][4] = MARKER * 20000          # 180 KB in one field, line 3
    files = w.to_files(prov)
    files["referrals.csv"] = files["referrals.csv"].replace(b"\n", b"\n\n", 1)   # a blank line: the slow path
    w.write_delivery(s.landing, "provider-p01", AS_OF, files)
    summary = run_ingestion(s, gx_enabled=False)
    [o] = summary["deliveries"]
    assert o["status"] == "rejected" and o["reason"].startswith("unparseable:")
    assert [(p["file"], p["rule"]) for p in o["problems"]] == [("referrals.csv", "unparseable")]
    assert MARKER not in _outputs(s, summary)


def test_workbook_with_formula_cells_is_rejected(settings_for):
    import xlsxwriter

    from pipelines.ingestion.pipeline import run_ingestion

    s = settings_for()
    prov = w.provider_rows(5)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    for name, (header, rows) in prov.items():
        ws = wb.add_worksheet(name.removesuffix(".csv"))
        ws.write_row(0, 0, header)
        for r, row in enumerate(rows, start=1):
            ws.write_row(r, 0, [("" if v is None else v) for v in row])
    wb.get_worksheet_by_name("sessions").write_formula(3, 6, "=30+30", None, 60)   # minutes of row 4
    wb.close()
    w.write_delivery(s.landing, "provider-p01", AS_OF, {"extract.xlsx": buf.getvalue()})
    [o] = run_ingestion(s, gx_enabled=False)["deliveries"]
    assert o["status"] == "rejected" and o["reason"].startswith("formula_cell:")
    assert [(p["file"], p["line"], p["column"], p["rule"]) for p in o["problems"]] == [
        ("extract.xlsx#sessions", 4, "minutes", "formula_cell")]


# ---- item 5: no value in any message ------------------------------------------------------------

def test_headerless_file_does_not_leak_its_first_row(settings_for, capsys):
    from pipelines.ingestion.pipeline import run_ingestion

    s = settings_for()
    prov = w.provider_rows(6)
    header, rows = prov["clients.csv"]
    rows[0][1:5] = ["cr-000001-20qn", "queens", MARKER, MARKER]   # first and last name alike
    files = w.to_files(prov)
    files["clients.csv"] = files["clients.csv"].split(b"\n", 1)[1]   # the header is missing
    w.write_delivery(s.landing, "provider-p01", AS_OF, files)
    summary = run_ingestion(s, gx_enabled=False, progress=print)
    [o] = summary["deliveries"]
    assert o["status"] == "rejected"
    assert [(p["file"], p["line"], p["rule"]) for p in o["problems"]] == [("clients.csv", 1, "duplicate_column")]
    assert MARKER not in _outputs(s, summary)
    assert MARKER not in capsys.readouterr().out


def test_extra_columns_of_a_headerless_file_are_not_echoed(settings_for):
    from pipelines.ingestion.pipeline import run_ingestion

    s = settings_for()
    header = w.SPEC_COLUMNS["courts"] + ["note"]
    rows = [["queens", "Queens HTIC", "Queens", "2019-01-01", None, MARKER]]
    files = w.to_files({"courts.csv": (header, rows), "providers.csv": w.program_rows()["providers.csv"]})
    files["courts.csv"] = files["courts.csv"].replace(b"note", MARKER.encode() + b"x")
    w.write_delivery(s.landing, "program", "2021-01-01", files)
    summary = run_ingestion(s, gx_enabled=False)
    assert summary["counts"]["accepted"] == 1
    assert any("courts.csv: 1 unknown column ignored (column 6)" in x for x in summary["warnings"])
    assert MARKER not in _outputs(s, summary)


def test_headerless_file_leaks_nothing_into_dagsters_event_log(settings_for):
    import dagster as dg

    from pipelines.runner import ingest

    s = settings_for()
    prov = w.provider_rows(6)
    header, rows = prov["clients.csv"]
    rows[0][1:5] = ["cr-000001-20qn", "queens", MARKER, MARKER]
    files = w.to_files(prov)
    files["clients.csv"] = files["clients.csv"].split(b"\n", 1)[1]
    w.write_delivery(s.landing, "provider-p01", AS_OF, files)
    instance = dg.DagsterInstance.ephemeral()
    summary = ingest(s, instance=instance, log_level="DEBUG")
    assert summary["counts"]["rejected"] == 1
    [run] = instance.get_runs()
    events = "\n".join(repr(e) for e in instance.all_logs(run.run_id))
    assert "duplicate_column" in events          # the rejection is in the event log ...
    assert MARKER not in events                  # ... without the value
    assert MARKER not in _outputs(s, summary)
