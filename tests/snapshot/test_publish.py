"""Publishing a quarter: files, rounding and order, disclosure in what is published, manifest,
workbook, restatements, reproducibility and immutability."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipelines.snapshot.publish import AlreadyPublished, publish_snapshot
from pipelines.snapshot.table import SnapshotError
from tests.snapshot.conftest import PREVIOUS, QUARTER, make_warehouse
from tests.snapshot.test_disclosure import _small

EXPECTED_FILES = {"metrics.csv", "metrics.parquet", "workbook.xlsx", "report.html", "report.pdf", "restatements.csv",
                  "manifest.json",
                  # the adjusted comparison (the published warehouse has the evaluation tables)
                  "effects.csv", "effects.parquet", "effect_balance.csv", "effect_balance.parquet",
                  "effect_survival.csv", "effect_survival.parquet"}
KEY = ["metric_id", "population", "cohort", "breakdown", "breakdown_value"]


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def tree_digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_folder_holds_the_funder_files_and_nothing_else(published):
    cur = published["current"]
    assert cur.name == QUARTER and cur.parent == published["settings"].snapshots_dir
    assert {p.name for p in cur.iterdir()} == EXPECTED_FILES
    leftovers = [p.name for p in cur.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []  # the temp folder was renamed, not copied


SETTLED_ONLY = {"g1_noncriminal_disposition", "g1_days_to_disposition", "g1_days_to_disposition_p75",
                "g2_days_to_completion", "g2_days_to_completion_p75"}


def funder_rows(src: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """What funders receive, computed here from metrics.md v2: quarters overall only (files and rows
    rejected stay per source: not people), -R4 overall, years overall and by breakdown, rows about no
    cohort as they are; the pending-event metrics only for cohorts whose last day <= A - 365."""
    def last_day(c: str) -> date | None:
        if len(c) == 6 and c[4] == "Q":
            q = int(c[5])
            return date(int(c[:4]) + (q == 4), (q * 3) % 12 + 1, 1) - timedelta(days=1)
        if c.endswith("-R4"):
            return last_day(c[:6])
        return date(int(c), 12, 31) if c.isdigit() else None

    quarter = src["cohort"].str.fullmatch(r"\d{4}Q[1-4]")
    keep = ~quarter | src["breakdown"].isin(["overall", "source"])
    settled = src["cohort"].map(lambda c: (d := last_day(c)) is not None and d <= as_of - timedelta(days=365))
    keep &= ~src["metric_id"].isin(SETTLED_ONLY) | settled
    return src[keep]


def test_metrics_csv_rows_rounding_and_order(published, fabricated):
    rows = read_csv(published["current"] / "metrics.csv")
    src = funder_rows(fabricated["current"], date(2026, 9, 30))
    assert list(rows[0].keys()) == ["metric_id", "goal", "population", "cohort", "breakdown", "breakdown_value",
                                    "metric_kind", "numerator", "denominator", "value", "ci_low", "ci_high", "target",
                                    "direction", "verdict", "suppressed", "as_of"]  # never why a row is suppressed
    assert len(rows) == len(src)  # every row funders receive as of A, none of the other as-of date
    assert {tuple(r[k] for k in KEY) for r in rows} == set(src.set_index(KEY).index)
    # no quarterly breakdowns of people; every breakdown of people is a calendar year
    assert not [r for r in rows if r["breakdown"] not in ("overall", "source") and r["cohort"][4:5] == "Q"]
    assert any(r["cohort"].endswith("-R4") for r in rows) and any(len(r["cohort"]) == 4 and r["breakdown"] == "court"
                                                                  for r in rows)
    assert not [r for r in rows if r["cohort"].endswith("-R4") and r["breakdown"] != "overall"]
    # settled cohorts only for the pending-event metrics; the others keep their recent cohorts
    pending = [r for r in rows if r["metric_id"] in SETTLED_ONLY]
    assert pending and max(r["cohort"][:6] for r in pending if r["cohort"][4:5] == "Q") <= "2025Q3"
    assert any(r["cohort"] == "2026Q1" for r in rows if r["metric_id"] == "g2_service_start_30d")
    assert {r["as_of"] for r in rows} == {"2026-09-30"}
    keys = [tuple(r[k] for k in KEY) for r in rows]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert set(r["metric_id"] for r in rows) == set(src["metric_id"])
    decimals = {"rate": 4, "survival": 4, "ratio": 4, "duration": 1, "mean": 2}
    by_key = src.set_index(KEY)
    for r in rows:
        for c in ("value", "ci_low", "ci_high"):
            if r[c] and r["metric_kind"] in decimals:
                assert len(r[c].split(".")[1]) == decimals[r["metric_kind"]], (c, r)
        if r["suppressed"] == "false" and r["value"]:
            raw = by_key.loc[tuple(r[k] for k in KEY), "value"]
            places = decimals.get(r["metric_kind"], 0)
            assert abs(float(r["value"]) - float(raw)) <= 10 ** -places / 2 + 1e-12, (r, raw)
        if r["suppressed"] == "true":
            assert r["numerator"] == r["denominator"] == r["value"] == r["ci_low"] == r["ci_high"] == r["verdict"] == ""
        else:
            raw = by_key.loc[tuple(r[k] for k in KEY)]
            assert r["verdict"] == (raw["verdict"] or ""), r
            assert r["direction"] == (raw["direction"] or "")
    assert {"met", "not_met", "uncertain"} >= {r["verdict"] for r in rows} - {""}
    assert any(r["verdict"] for r in rows) and any(r["target"] for r in rows)


def test_published_csv_reveals_nothing_small_and_nothing_recoverable(published, fabricated):
    from pipelines.catalogue import metrics_by_id

    rows = read_csv(published["current"] / "metrics.csv")
    for r in rows:  # v2 publishes no counts_people column: what a metric counts is in the catalogue
        r["counts_people"] = "true" if metrics_by_id()[r["metric_id"]].counts_people else "false"
    src = fabricated["current"].set_index(KEY)
    shown_people = 0
    for r in rows:
        if r["counts_people"] != "true" or r["suppressed"] == "true":
            continue
        shown_people += 1
        n = float(r["numerator"]) if r["numerator"] else None
        d = float(r["denominator"]) if r["denominator"] else None
        kind = r["metric_kind"]
        counts = {"rate": [n, d, (d - n) if n is not None and d is not None else None], "survival": [n, d, (d - n) if n is not None and d is not None else None],
                  "duration": [d], "mean": [d], "ratio": [n]}.get(kind, [n, d])
        assert not [c for c in counts if c is not None and _small(c)], r
    assert shown_people > 100
    # subtraction within each breakdown: a hidden count of 1..10 is never the only hidden member of
    # {overall} + cells (v2: a large cover worked out by subtraction reveals nobody)
    df = pd.DataFrame(rows)
    df = df[df["counts_people"] == "true"]
    for _, fam in df.groupby(["metric_id", "population", "cohort"]):
        o = fam[fam["breakdown"] == "overall"]
        if o.empty:
            continue
        for _, cells in fam[fam["breakdown"] != "overall"].groupby("breakdown"):
            members = pd.concat([o, cells])
            hidden = members[members["suppressed"] == "true"]
            if len(hidden) == 1 and not _absent(src, o, cells):
                true = src.loc[tuple(hidden.iloc[0][k] for k in KEY)]
                n, d = true["numerator"], true["denominator"]
                assert not [c for c in (n, d, d - n) if not pd.isna(c) and _small(c)], hidden.iloc[0].to_dict()
    # provider counts are never suppressed
    assert not [r for r in rows if r["counts_people"] == "false" and r["suppressed"] == "true"]
    assert any(r["suppressed"] == "true" for r in rows) and all("suppression_reason" not in r for r in rows)
    # why each row was suppressed stays with the team, in the restricted store, never under snapshots/
    restricted = read_csv(published["settings"].restricted_dir / "disclosure" / f"{QUARTER}.csv")
    assert {r["suppression_reason"] for r in restricted} >= {"primary", "complementary"}
    assert len(restricted) == sum(r["suppressed"] == "true" for r in rows)
    # nothing person-level: every published row is one of the aggregates that were read
    assert all(tuple(r[k] for k in KEY) in src.index for r in rows)


def test_parquet_holds_the_csv_figures(published):
    rows = read_csv(published["current"] / "metrics.csv")
    t = pq.read_table(published["current"] / "metrics.parquet").to_pylist()
    assert len(t) == len(rows)
    for a, b in zip(rows, t):
        assert [a[k] for k in KEY] == [b[k] for k in KEY]
        assert a["suppressed"] == ("true" if b["suppressed"] else "false")
        for c in ("numerator", "denominator", "value", "ci_low", "ci_high"):
            if a[c] == "":
                assert b[c] is None
            else:
                assert float(a[c]) == b[c]
        assert str(b["as_of"]) == a["as_of"]


def _absent(src, o, cells) -> bool:
    """A group absent from the breakdown (the true cells do not add up to the overall)."""
    total = src.loc[tuple(o.iloc[0][k] for k in KEY)]
    parts = src.loc[[tuple(r[k] for k in KEY) for _, r in cells.iterrows()]]
    return any(abs(total[c] - parts[c].sum()) > 1e-9 for c in ("numerator", "denominator") if not pd.isna(total[c]))


def test_manifest_lists_inputs_outputs_and_versions(published, fabricated):
    folder = published["current"]
    m = json.loads((folder / "manifest.json").read_text())
    assert m["quarter"] == QUARTER and m["as_of"] == "2026-09-30" and m["data_cutoff"] == "2026-11-14"
    assert m["metric_definitions_version"] == "metrics-spec v2"
    assert m["revision"] == 1 and m["revises"] is None
    assert m["code_version"].get("git_commit") or m["code_version"].get("package_version")
    for lib in ("duckdb", "pyarrow", "reportlab", "xlsxwriter", "vl-convert-python", "python"):
        assert m["stack"].get(lib), lib
    assert m["generated_at"].endswith("Z")
    # inputs: every accepted delivery with as-of <= A + 45, with its files (independent filter of the ledger)
    d = fabricated["deliveries"]
    cutoff = date(2026, 9, 30) + timedelta(days=45)
    want = set(d[(d["status"] == "accepted") & (pd.to_datetime(d["as_of"]).dt.date <= cutoff)]["delivery_key"])
    assert {x["delivery_key"] for x in m["deliveries"]} == want
    f = fabricated["files"]
    f = f[f["delivery_key"].isin(want)]
    assert {(x["delivery"], x["file"], x["sha256"]) for x in m["inputs"]} == set(
        zip(f["delivery_key"], f["file_name"], f["sha256"]))
    assert not any("rejected" in x["delivery_key"] for x in m["deliveries"])
    # every output's checksum
    assert set(m["outputs"]) == EXPECTED_FILES - {"manifest.json"}
    for name, o in m["outputs"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == o["sha256"]
    assert m["previous_snapshot"]["folder"] == PREVIOUS
    audit = m["disclosure"]["audit"]
    assert audit["failures"] == 0 and audit["protected_counts_checked"] > 100 and audit["narrowest_range"] >= 10
    assert [e["folder"] for e in m["disclosure"]["earlier_publications"]] == [PREVIOUS]
    assert m["disclosure"]["earlier_publications"][0]["restricted_truth_sha256"]
    assert set(m["build_seconds"]) >= {"disclosure_total", "disclosure_audit_final", "report", "workbook"}


def test_workbook_has_the_sheets_and_the_figures_of_metrics_csv(published):
    import openpyxl

    from pipelines.snapshot.workbook import GOAL_COLUMNS

    path = published["current"] / "workbook.xlsx"
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    assert wb.sheetnames == ["Dashboard", "Notes", "Is the court helping", "G1", "G2", "G3", "G4", "G5", "G6", "G7",
                             "G8", "G9", "All figures", "Definitions"]
    rows = read_csv(published["current"] / "metrics.csv")
    from pipelines.snapshot.definitions_text import breakdown_label

    want = {(r["goal"].upper(), r["metric_id"], r["population"], r["cohort"], breakdown_label(r["breakdown"]),
             r["breakdown_value"]): r for r in rows}
    seen = 0
    for g in ["G1", "G2", "G3", "G4", "G5", "G6", "G7", "G8", "G9"]:
        data = list(wb[g].iter_rows(min_row=4, values_only=True))
        assert list(data[0]) == GOAL_COLUMNS
        for cells in data[1:]:
            rec = dict(zip(GOAL_COLUMNS, cells))
            r = want[(g, rec["Metric id"], rec["Population"], rec["Cohort"], rec["Breakdown"], rec["Breakdown value"])]
            seen += 1
            if r["suppressed"] == "true":
                assert rec["Value"] == "suppressed" and rec["Numerator"] is None and rec["95% CI low"] is None
            else:
                for col, key in (("Value", "value"), ("95% CI low", "ci_low"), ("95% CI high", "ci_high"),
                                 ("Numerator", "numerator"), ("Denominator", "denominator")):
                    if r[key] == "":
                        assert rec[col] is None, (col, r)
                    else:
                        assert rec[col] == pytest.approx(float(r[key]), abs=0), (col, r)
    assert seen == len(rows)
    # goal sheets: newest period first within each measure and population (a quarter's -R4 beside it)
    def period(c: str) -> tuple:
        return (int(c[:4]), int(c[5]), c.endswith("-R4")) if c[4:5] == "Q" else ((int(c), 4, False) if c.isdigit()
                                                                             else (0, 0, False))
    g2 = [dict(zip(GOAL_COLUMNS, c)) for c in list(wb["G2"].iter_rows(min_row=5, values_only=True))]
    first = [period(r["Cohort"]) for r in g2 if r["Metric id"] == "g2_service_start_30d"
             and r["Population"] == "htic" and r["Breakdown"] == "Overall"]
    assert first == sorted(first, reverse=True) and len(first) > 4
    # the long table for loading: metrics.csv's columns and rows, in its order
    long = list(wb["All figures"].iter_rows(values_only=True))
    assert list(long[0]) == list(rows[0].keys())
    assert [tuple(str(v) for v in r[:6]) for r in long[1:]] == [tuple(r[k] for k in list(rows[0])[:6]) for r in rows]
    defs = [r[0] for r in wb["Definitions"].iter_rows(min_row=2, values_only=True)]
    assert set(r["metric_id"] for r in rows) <= set(defs)
    notes = " ".join(str(c) for row in wb["Notes"].iter_rows(values_only=True) for c in row if c)
    assert "2026-09-30" in notes and "suppressed" in notes.lower()
    wb.close()


def test_restatements_list_every_changed_figure_of_the_previous_snapshot(published):
    old = {tuple(r[k] for k in KEY): r for r in read_csv(published["previous"] / "metrics.csv")}
    new = {tuple(r[k] for k in KEY): r for r in read_csv(published["current"] / "metrics.csv")}
    figures = ["value", "ci_low", "ci_high", "numerator", "denominator", "suppressed"]
    expected = {k for k, r in old.items() if k not in new or any(r[c] != new[k][c] for c in figures)}
    got = read_csv(published["current"] / "restatements.csv")
    assert {tuple(r[k] for k in KEY) for r in got} == expected
    assert expected  # the fabricated quarters differ
    for r in got:
        k = tuple(r[c] for c in KEY)
        assert r["old_value"] == old[k]["value"]
        assert r["new_value"] == (new[k]["value"] if k in new else "")
        assert r["change"] == ("changed" if k in new else "removed")
    first = read_csv(published["previous"] / "restatements.csv")
    assert first == []  # nothing published before the first quarter


def test_rerun_from_the_same_inputs_is_byte_identical(published, tmp_path):
    """Another warehouse holding the same analytics.duckdb (the manifest's inputs) publishes the same
    metric files, workbook and report, byte for byte; only manifest.json's time differs."""
    from pipelines.settings import get_settings

    settings = get_settings(tmp_path / "whB")
    settings.warehouse.mkdir(parents=True)
    shutil.copy(published["analytics"], settings.analytics_db)
    # same previous snapshot too (and the team's restricted record of its hidden counts, an input of
    # the disclosure audit), so restatements.csv can be compared as well
    settings.snapshots_dir.mkdir()
    shutil.copytree(published["previous"], settings.snapshots_dir / PREVIOUS)
    truth = published["settings"].restricted_dir / "disclosure" / f"{PREVIOUS}.csv"
    (settings.restricted_dir / "disclosure").mkdir(parents=True)
    shutil.copy(truth, settings.restricted_dir / "disclosure" / truth.name)
    again = publish_snapshot(settings, QUARTER)
    a, b = tree_digest(published["current"]), tree_digest(again)
    for name in ("metrics.csv", "metrics.parquet", "workbook.xlsx", "report.html", "report.pdf", "restatements.csv"):
        assert a[name] == b[name], f"{name} differs between two runs from the same inputs"
    ma = json.loads((published["current"] / "manifest.json").read_text())
    mb = json.loads((again / "manifest.json").read_text())
    assert ma["outputs"] == mb["outputs"] and ma["inputs"] == mb["inputs"]


def test_a_published_quarter_is_never_written_again(published):
    settings, folder = published["settings"], published["current"]
    before = tree_digest(folder)
    mtimes = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    with pytest.raises(AlreadyPublished):
        publish_snapshot(settings, QUARTER)
    assert tree_digest(folder) == before
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == mtimes
    assert all(not (p.stat().st_mode & 0o222) for p in folder.iterdir())  # files are read-only
    assert not [p for p in settings.snapshots_dir.iterdir() if p.name.startswith(".")]


def test_cli_refuses_a_published_quarter(published, capsys):
    from pipelines.cli import main

    before = tree_digest(published["current"])
    rc = main(["snapshot", "--quarter", QUARTER, "--warehouse", str(published["settings"].warehouse)])
    assert rc == 3
    assert "never overwritten" in capsys.readouterr().err
    assert tree_digest(published["current"]) == before


def test_a_failure_while_publishing_leaves_nothing(tmp_path, fabricated, monkeypatch):
    import pipelines.snapshot.report as report

    small = fabricated["current"][fabricated["current"]["goal"] == "g8"]
    settings = make_warehouse(tmp_path / "wh", fabricated, metrics=small)

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report.Reports, "write", boom)  # after the workbook, while the charts render
    with pytest.raises(RuntimeError):
        publish_snapshot(settings, QUARTER)
    assert list(settings.snapshots_dir.iterdir()) == []


def test_a_correction_is_published_beside_as_a_revision(tmp_path, fabricated):
    import duckdb

    small = fabricated["current"][fabricated["current"]["goal"].isin({"g2", "g7"})].copy()
    settings = make_warehouse(tmp_path / "wh", fabricated, metrics=small)
    first = publish_snapshot(settings, QUARTER)
    before = tree_digest(first)
    with pytest.raises(SnapshotError):  # nothing changed: no revision
        publish_snapshot(settings, QUARTER, revision_reason="late provider delivery")
    # a corrected delivery changes one overall figure
    con = duckdb.connect(str(settings.analytics_db))
    target = con.execute("""select metric_id, cohort from metrics where metric_id = 'g2_service_start_30d'
                            and breakdown = 'overall' and denominator > 40 order by cohort limit 1""").fetchone()
    con.execute("""update metrics set numerator = numerator - 1, value = (numerator - 1) / denominator
                   where metric_id = ? and cohort = ? and breakdown = 'overall'""", list(target))
    con.close()
    second = publish_snapshot(settings, QUARTER, revision_reason="provider p02 re-sent its March sessions")
    assert second.name == f"{QUARTER}-r2"
    assert tree_digest(first) == before  # the published quarter is untouched
    m = json.loads((second / "manifest.json").read_text())
    assert m["revision"] == 2 and m["revises"] == QUARTER
    assert m["revision_reason"] == "provider p02 re-sent its March sessions"
    rest = read_csv(second / "restatements.csv")
    assert [(r["metric_id"], r["cohort"], r["breakdown"]) for r in rest] == [(target[0], target[1], "overall")]
    log = [json.loads(x) for x in (settings.snapshots_dir / "publications.jsonl").read_text().splitlines()]
    assert [x["snapshot"] for x in log] == [QUARTER, f"{QUARTER}-r2"]
    with pytest.raises(AlreadyPublished):
        publish_snapshot(settings, QUARTER)


def test_refuses_without_metrics_for_the_quarter(tmp_path, fabricated):
    settings = make_warehouse(tmp_path / "wh", fabricated, metrics=fabricated["previous"])
    with pytest.raises(SnapshotError, match="no metrics"):
        publish_snapshot(settings, QUARTER)
    assert not (settings.snapshots_dir / QUARTER).exists()


def test_refuses_identifier_like_breakdowns(tmp_path, fabricated):
    bad = fabricated["current"][fabricated["current"]["goal"] == "g8"].copy()
    bad.loc[bad.index[:3], "breakdown"] = "person_key"
    settings = make_warehouse(tmp_path / "wh", fabricated, metrics=bad)
    with pytest.raises(SnapshotError, match="identifiers"):
        publish_snapshot(settings, QUARTER)
