"""A corpus of broken deliveries beside good ones: each gets its documented outcome, a message that
names source, delivery, file, line and column (never a value), and the good deliveries load."""

import json
from datetime import date

import duckdb
import pytest

from tests.ingestion import worlds as w

AS_OF = "2021-06-30"


def _bad_value_rows(tables, file, row, col, value):
    header, rows = tables[file]
    rows[row][header.index(col)] = value
    return tables


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    import dagster as dg

    from pipelines.runner import ingest
    from pipelines.settings import get_settings

    root = tmp_path_factory.mktemp("corpus")
    land = root / "landing"
    # good deliveries
    w.write_delivery(land, "program", "2021-01-01", w.to_files(w.program_rows()))
    w.write_delivery(land, "court-queens", AS_OF, w.to_files(w.court_rows()))
    w.write_delivery(land, "provider-p01", AS_OF, w.to_files(w.provider_rows()))
    # 1 truncated file: control made for the full file's count, the file lost its last line
    files = w.to_files(w.court_rows(court="bk"))
    full = w.count_rows("cases.csv", files["cases.csv"])
    files["cases.csv"] = b"\n".join(files["cases.csv"].split(b"\n")[:-2]) + b"\n"
    w.write_delivery(land, "court-brooklyn", AS_OF, files, counts={"cases.csv": full})
    # 2 hash mismatch: a byte changes after the control file was written
    d = w.write_delivery(land, "provider-p03", AS_OF, w.to_files(w.provider_rows()))
    (d / "sessions.csv").write_bytes((d / "sessions.csv").read_bytes().replace(b"GROUP", b"GROUQ", 1))
    # 3 missing file: listed in the control file, absent
    d = w.write_delivery(land, "court-manhattan", AS_OF, w.to_files(w.court_rows(court="mn")))
    (d / "events.csv").unlink()
    # 4 missing required column
    t = w.provider_rows()
    h, rows = t["clients.csv"]
    i = h.index("referral_source")
    t["clients.csv"] = ([c for c in h if c != "referral_source"], [r[:i] + r[i + 1:] for r in rows])
    w.write_delivery(land, "provider-p04", AS_OF, w.to_files(t))
    # 5 extra column: loads with a warning
    t = w.provider_rows()
    h, rows = t["sessions.csv"]
    t["sessions.csv"] = (h + ["staff_notes"], [r + ["note"] for r in rows])
    w.write_delivery(land, "provider-p05", AS_OF, w.to_files(t))
    # 6 non-UTF-8 bytes in a name on line 6
    files = w.to_files(w.court_rows(court="si"))
    files["defendants.csv"] = files["defendants.csv"].replace(b"Last4,", b"Last\xff4,")
    w.write_delivery(land, "court-staten", AS_OF, files)
    # 7 unknown code (line 5) + 13 non-numeric integer (line 9), in one provider delivery of 30 rows each
    t = w.provider_rows()
    _bad_value_rows(t, "sessions.csv", 3, "status", "MAYBE")
    _bad_value_rows(t, "sessions.csv", 7, "minutes", "sixty")
    w.write_delivery(land, "provider-p06", AS_OF, w.to_files(t))
    # 8 duplicate key (cases line 12 repeats line 11's docket) + 10 birth after arrest (defendant 20)
    t = w.court_rows(court="bx")
    h, rows = t["cases.csv"]
    rows[10][0] = rows[9][0]
    dh, drows = t["defendants.csv"]
    drows[20][dh.index("dob")] = "2020-09-01"  # arrest 2020-08-08
    w.write_delivery(land, "court-bronx", AS_OF, w.to_files(t))
    # 9 future date in the state's file (line 4), PL 240.37 after its repeal (line 6)
    t = w.dcjs_rows()
    _bad_value_rows(t, "arrests.txt", 2, "ARREST_DATE", "20300101")
    _bad_value_rows(t, "arrests.txt", 4, "TOP_CHARGE", "PL 240.37")
    _bad_value_rows(t, "arrests.txt", 4, "ARREST_DATE", "20210315")
    w.write_delivery(land, "dcjs", AS_OF, w.to_files(t))
    # 11 header-only file: a changes-only table with no changes
    t = w.provider_rows()
    t["exits.csv"] = (t["exits.csv"][0], [])
    w.write_delivery(land, "provider-p07", AS_OF, w.to_files(t))
    # 12 no control file: in transit, and overdue
    w.write_delivery(land, "provider-p08", "2021-01-31", w.to_files(w.provider_rows(start=date(2020, 9, 1))),
                     control=False)
    # too many row faults: rejected whole (threshold)
    t = w.provider_rows()
    for r in range(0, 30, 2):
        _bad_value_rows(t, "assessments.csv", r, "level", "EXTREME")
    w.write_delivery(land, "provider-p09", AS_OF, w.to_files(t))

    # provider changes refer to records sent earlier: p01's July delivery has sessions of June's
    # clients (fine) and one session of a client never sent (held, loaded, reported)
    t = w.provider_rows(n=3, start=date(2021, 7, 1), id_offset=0)
    t["clients.csv"] = (t["clients.csv"][0], [])
    t["sessions.csv"][1][2][1] = "99999"
    w.write_delivery(land, "provider-p01", "2021-07-31", w.to_files(t))

    settings = get_settings(warehouse=root / "wh", landing=land)
    instance = dg.DagsterInstance.ephemeral()
    summary = ingest(settings, instance=instance, log_level="ERROR")
    return {"settings": settings, "summary": summary, "instance": instance, "land": land}


def outcome(corpus, source, as_of=AS_OF):
    [o] = [o for o in corpus["summary"]["deliveries"] if o["source_id"] == source and o["as_of"] == as_of]
    return o


@pytest.mark.parametrize("source,rule,file,line,column", [
    ("court-brooklyn", "count_mismatch", "cases.csv", None, None),
    ("provider-p03", "hash_mismatch", "sessions.csv", None, None),
    ("court-manhattan", "missing_file", "events.csv", None, None),
    ("provider-p04", "missing_column", "clients.csv", 1, "referral_source"),
    ("court-staten", "undecodable", "defendants.csv", 6, "last_name"),
])
def test_structural_faults_reject_the_delivery(corpus, source, rule, file, line, column):
    o = outcome(corpus, source)
    assert o["status"] == "rejected" and o["rows_loaded"] == 0
    [p] = o["problems"]
    assert (p["rule"], p["file"], p["line"], p["column"]) == (rule, file, line, column)
    assert p["source"] == source and p["delivery"] == f"{source}/{AS_OF}/v1"
    report = corpus["settings"].quarantine_dir / source / AS_OF / "v1" / "report.json"
    assert json.loads(report.read_text())["status"] == "rejected"
    con = duckdb.connect(str(corpus["settings"].restricted_db), read_only=True)
    kind = source.split("-")[0]
    tables = [t for t in ("court__cases", "court__defendants", "court__events", "provider__clients",
                          "provider__sessions") if t.startswith(kind)]
    for t in tables:
        assert con.execute(f"SELECT count(*) FROM raw.{t} WHERE _source_id = ?", [source]).fetchone()[0] == 0
    # nothing lost: the bytes are archived all the same
    files = con.execute("SELECT file_name, archive_path FROM raw.delivery_files WHERE delivery_key = ?",
                        [o["delivery_key"]]).fetchall()
    con.close()
    assert files and all((corpus["settings"].archive_dir / a).exists() for _, a in files)


@pytest.mark.parametrize("source,table,file,line,column,rule", [
    ("provider-p06", "provider__sessions", "sessions.csv", 5, "status", "unknown_code"),
    ("provider-p06", "provider__sessions", "sessions.csv", 9, "minutes", "invalid_int"),
    ("court-bronx", "court__cases", "cases.csv", 11, "docket_id", "duplicate_key"),
    ("court-bronx", "court__cases", "cases.csv", 12, "docket_id", "duplicate_key"),
    ("court-bronx", "court__cases", "cases.csv", 22, "arrest_date", "birth_not_before_arrest"),
    ("court-bronx", "court__events", "events.csv", 22, "docket_id", "unknown_reference"),
    ("dcjs", "dcjs__arrests", "arrests.txt", 4, "arrest_date", "date_after_as_of"),
    ("dcjs", "dcjs__arrests", "arrests.txt", 6, "top_charge", "charge_after_repeal"),
])
def test_row_faults_reject_rows_and_the_rest_loads(corpus, source, table, file, line, column, rule):
    o = outcome(corpus, source)
    assert o["status"] == "accepted"
    assert any((p["file"], p["line"], p["column"], p["rule"]) == (file, line, column, rule) for p in o["problems"])
    con = duckdb.connect(str(corpus["settings"].restricted_db), read_only=True)
    rej = con.execute("SELECT delivery_key, source_id, as_of, file_name, column_name, record_key FROM raw.rejected_rows "
                      "WHERE table_name = ? AND source_id = ? AND line_number = ? AND rule = ?",
                      [table, source, line, rule]).fetchall()
    assert len(rej) == 1 and rej[0][3] == file and rej[0][4] == column and rej[0][2] == date(2021, 6, 30)
    assert rej[0][5]  # record_key kept in the restricted store, for "keeps its last accepted state"
    assert con.execute(f"SELECT count(*) FROM raw.{table} WHERE _source_id = ? AND _line = ?",
                       [source, line]).fetchone()[0] == 0
    n = con.execute(f"SELECT count(*) FROM raw.{table} WHERE _source_id = ?", [source]).fetchone()[0]
    con.close()
    assert n > 0


def test_row_counts_and_threshold(corpus):
    assert outcome(corpus, "provider-p06")["rows_rejected"] == 2
    # 2 rows of the duplicated docket, 1 case whose defendant was born after the arrest, and the
    # 2 events of the docket the duplicate overwrote (they now refer to no case of the snapshot)
    assert outcome(corpus, "court-bronx")["rows_rejected"] == 5
    o = outcome(corpus, "provider-p09")
    assert o["status"] == "rejected" and o["reason"].startswith("rejected_share: 15 of 130")


def test_extra_column_loads_with_warning(corpus):
    o = outcome(corpus, "provider-p05")
    assert o["status"] == "accepted" and o["rows_rejected"] == 0
    # named by position (10th of the header), never by its text: a header-less file's "header" is data
    assert any("sessions.csv: 1 unknown column ignored (column 10)" in m for m in o["warnings"])
    assert not any("staff_notes" in m for m in o["warnings"])


def test_header_only_file_is_an_empty_table(corpus):
    o = outcome(corpus, "provider-p07")
    assert o["status"] == "accepted" and o["rows_loaded"] == 30 * 4


def test_in_transit_is_waited_for_then_loaded(corpus):
    from pipelines.runner import ingest

    s = corpus["summary"]
    assert {"delivery": "provider-p08/2021-01-31", "overdue": True} in s["in_transit"]
    assert any("provider-p08/2021-01-31" in x and "overdue" in x for x in s["warnings"])
    assert not [o for o in s["deliveries"] if o["source_id"] == "provider-p08"]
    # it completes: the next run loads it (and nothing else again)
    d = corpus["land"] / "provider-p08" / "2021-01-31"
    files = {p.name: p.read_bytes() for p in d.iterdir()}
    w.write_delivery(corpus["land"], "provider-p08", "2021-01-31", files)
    s2 = ingest(corpus["settings"], instance=corpus["instance"], log_level="ERROR")
    assert [(o["delivery_key"], o["status"]) for o in s2["deliveries"]] == [("provider-p08/2021-01-31/v1", "accepted")]


def test_good_deliveries_load(corpus):
    for src, as_of in (("program", "2021-01-01"), ("court-queens", AS_OF), ("provider-p01", AS_OF)):
        o = outcome(corpus, src, as_of)
        assert o["status"] == "accepted" and o["rows_rejected"] == 0 and o["rows_loaded"] > 0


def test_no_identifier_values_anywhere_dagster_or_reports_can_see(corpus):
    """Names, dobs, nysids, dockets of the corpus never appear in summaries, reports or Dagster's store."""
    secrets = set()
    for court in ("qn", "bk", "mn", "si", "bx"):
        t = w.court_rows(court=court)
        for r in t["defendants.csv"][1]:
            secrets |= {r[1], r[2], r[3], r[4]} - {None}
        secrets |= {r[0] for r in t["cases.csv"][1]}
    secrets |= {r[0] for r in w.dcjs_rows()["arrests.txt"][1]}
    texts = [json.dumps(corpus["summary"], default=str), corpus["settings"].ledger_export.read_bytes().decode("latin-1")]
    for p in corpus["settings"].quarantine_dir.rglob("*.json"):
        texts.append(p.read_text())
    inst = corpus["instance"]
    for rec in inst.get_event_records(__import__("dagster").EventRecordsFilter(
            event_type=__import__("dagster").DagsterEventType.ASSET_MATERIALIZATION), limit=1000):
        texts.append(repr(rec.event_log_entry))
    for rec in inst.get_event_records(__import__("dagster").EventRecordsFilter(
            event_type=__import__("dagster").DagsterEventType.ASSET_CHECK_EVALUATION), limit=1000):
        texts.append(repr(rec.event_log_entry))
    blob = "\n".join(texts)
    leaked = sorted(s for s in secrets if s and s in blob)
    assert not leaked, f"{len(leaked)} identifier values leaked"


def test_asset_checks_report_failures_with_rows(corpus):
    import dagster as dg

    inst = corpus["instance"]
    evals = {}
    for rec in inst.get_event_records(dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION),
                                      limit=1000):
        ev = rec.event_log_entry.dagster_event.event_specific_data
        evals[(ev.asset_key.path[-1], ev.check_name)] = ev
    sessions = evals[("provider__sessions", "suite")]
    assert not sessions.passed
    failing = sessions.metadata["failing_expectations"].value
    by_rule = {f["rule"]: f for f in failing}
    assert by_rule["unknown_code"]["unexpected_rows"] == 1
    assert any("provider-p06/2021-06-30/v1 sessions.csv line 5" == r for r in by_rule["unknown_code"]["rows"])
    # a structural rejection makes the check an ERROR
    assert evals[("court__cases", "suite")].severity == dg.AssetCheckSeverity.ERROR
    assert evals[("program__courts", "suite")].passed
    assert not evals[("deliveries", "deliveries_on_time")].passed


def test_orphan_changes_are_held_not_dropped(corpus):
    o = outcome(corpus, "provider-p01", "2021-07-31")
    assert o["status"] == "accepted" and o["rows_rejected"] == 0 and o["rows_held"] == 1
    [p] = [p for p in o["problems"] if p["rule"] == "orphan_client"]
    assert (p["file"], p["line"], p["column"], p["action"]) == ("sessions.csv", 4, "client_id", "hold")
    con = duckdb.connect(str(corpus["settings"].restricted_db), read_only=True)
    n = con.execute("SELECT count(*) FROM raw.provider__sessions WHERE _delivery_key = ?", [o["delivery_key"]]).fetchone()[0]
    con.close()
    assert n == 3  # all loaded, the orphan included
