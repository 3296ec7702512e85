"""`htic status` for people: one line per source, newest first, held rows visible, overdue sources,
`--all` / `--source` / `--since` / `--json`, exit status 1 when something needs attention."""

import json
from datetime import date

import dagster as dg
import pytest

from tests.ingestion import worlds as w

TODAY = date(2021, 8, 10)  # court and provider (monthly) are on time; dcjs (quarterly, March) is overdue
ORPHANS = ["99998", "99999"]  # clients never sent: their sessions are held back


def _rows(tables) -> int:
    return sum(len(rows) for _, rows in tables.values())


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from pipelines.runner import ingest
    from pipelines.settings import get_settings

    root = tmp_path_factory.mktemp("status")
    s = get_settings(warehouse=root / "wh", landing=root / "landing")
    land = s.landing
    w.write_delivery(land, "program", "2021-01-01", w.to_files(w.program_rows()))
    w.write_delivery(land, "dcjs", "2021-03-31", w.to_files(w.dcjs_rows()))
    w.write_delivery(land, "court-queens", "2021-06-30", w.to_files(w.court_rows(n=10)))
    july_court = w.court_rows(n=12)  # the court sends its whole caseload again
    w.write_delivery(land, "court-queens", "2021-07-31", w.to_files(july_court))
    w.write_delivery(land, "provider-p01", "2021-06-30", w.to_files(w.provider_rows(n=6)))
    july = w.provider_rows(n=3, start=date(2021, 7, 1), id_offset=0)  # changes to June's clients
    july["clients.csv"] = (july["clients.csv"][0], [])
    for row, client in zip(july["sessions.csv"][1], ORPHANS):
        row[1] = client
    w.write_delivery(land, "provider-p01", "2021-07-31", w.to_files(july))
    ingest(s, instance=dg.DagsterInstance.ephemeral(), log_level="ERROR")
    return {"settings": s, "july_court_rows": _rows(july_court), "july_provider_rows": _rows(july)}


def test_one_line_per_source_newest_first_with_held_rows_and_overdue(world):
    from pipelines.status import status

    st = status(world["settings"], today=TODAY)
    by = {s["source_id"]: s for s in st["sources"]}
    assert [s["source_id"] for s in st["sources"]][-2:] == ["dcjs", "program"]
    assert {s["source_id"] for s in st["sources"][:2]} == {"court-queens", "provider-p01"}
    assert [s["as_of"] for s in st["sources"]] == sorted((s["as_of"] for s in st["sources"]), reverse=True)

    court, provider = by["court-queens"], by["provider-p01"]
    assert court["as_of"] == date(2021, 7, 31) and court["status"] == "accepted"
    assert court["rows_loaded"] == world["july_court_rows"] and court["rows_held"] == 0
    assert provider["as_of"] == date(2021, 7, 31) and provider["status"] == "accepted"
    assert provider["rows_held"] == len(ORPHANS)  # held, and still loaded
    assert provider["rows_loaded"] == world["july_provider_rows"]
    assert [s["source_id"] for s in st["sources"] if s["overdue"]] == ["dcjs"]
    assert sorted(a.split(":")[0] for a in st["attention"]) == ["dcjs", "provider-p01"]


def test_the_text_shows_held_rows_and_overdue_and_what_needs_attention(world):
    from pipelines.status import format_status, status

    lines = format_status(status(world["settings"], today=TODAY), every=False)
    [provider] = [ln for ln in lines if ln.startswith("provider-p01")]
    assert provider.split()[-1] == str(len(ORPHANS))
    [dcjs] = [ln for ln in lines if ln.startswith("dcjs")]
    assert dcjs.endswith("OVERDUE")
    assert len([ln for ln in lines if ln.split()[0] in {"program", "dcjs", "court-queens", "provider-p01"}]) == 4
    assert "Needs attention (2):" in lines


def test_all_source_and_since_narrow_the_view(world):
    from pipelines.status import status

    s = world["settings"]
    every = status(s, today=TODAY)["deliveries"]
    assert len(every) == 6
    assert [d["as_of"] for d in every] == sorted((d["as_of"] for d in every), reverse=True)
    court = status(s, source="court", today=TODAY)
    assert {d["source_id"] for d in court["deliveries"]} == {"court-queens"} and len(court["deliveries"]) == 2
    assert court["attention"] == []  # court is on time, held nothing
    july = status(s, since=date(2021, 7, 1), today=TODAY)
    assert {(d["source_id"], d["as_of"]) for d in july["deliveries"]} == {
        ("court-queens", date(2021, 7, 31)), ("provider-p01", date(2021, 7, 31))}


def test_the_command_exits_1_when_something_needs_attention(world, capsys):
    from pipelines.cli import main

    s = world["settings"]
    rc = main(["status", "--warehouse", str(s.warehouse), "--landing", str(s.landing), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 1 and out["attention"]
    assert {x["source_id"]: x["rows_held"] for x in out["sources"]}["provider-p01"] == len(ORPHANS)
    rc = main(["status", "--warehouse", str(s.warehouse), "--landing", str(s.landing), "--all", "--source", "provider-p01"])
    text = capsys.readouterr().out.splitlines()
    assert rc == 1 and text[0].split()[:2] == ["source", "delivery"]
    assert [ln.split()[1] for ln in text[1:3]] == ["2021-07-31", "2021-06-30"]
