"""A small generated world (htic_synth) through `htic run`'s ingest: every value loaded equals what
the generator wrote (read here independently of the pipeline's reader), and its quirks are handled."""

import csv
import io
import json
from datetime import date, datetime

import duckdb
import pytest

from pipelines.ingestion.spec import TABLE_SPECS


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    import dagster as dg

    from htic_synth import generate
    from pipelines.runner import ingest
    from pipelines.settings import get_settings

    root = tmp_path_factory.mktemp("gen")
    generate(root / "landing", seed=7, scale=0.03, dsa_start=date(2026, 5, 31))
    settings = get_settings(warehouse=root / "wh", landing=root / "landing")
    summary = ingest(settings, instance=dg.DagsterInstance.ephemeral(), log_level="ERROR")
    quirks = json.loads((root / "truth" / "quirks.json").read_text())
    con = duckdb.connect(str(settings.restricted_db), read_only=True)
    yield settings, summary, quirks, con
    con.close()


def _typed(v, typ):
    if v is None or v == "":
        return None
    if typ == "date":
        if isinstance(v, datetime):
            return v.date()
        if isinstance(v, date):
            return v
        for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%Y%m%d"):
            try:
                return datetime.strptime(v, fmt).date()
            except ValueError:
                pass
        raise AssertionError("unparsed date")
    if typ == "timestamp":
        return v if isinstance(v, datetime) else datetime.fromisoformat(v.replace(" ", "T"))
    if typ == "int":
        return int(float(v)) if isinstance(v, float) else int(v)
    if typ == "number":
        return float(v)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _independent_rows(path, spec):
    """{(file label, line): typed tuple} read with the csv module / calamine, not the pipeline."""
    out = {}
    if path.name == "extract.xlsx":
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(path))
        if spec.name not in wb.sheet_names:
            return out
        rows = wb.get_sheet_by_name(spec.name).to_python(skip_empty_area=False)
        header = [str(h) for h in rows[0]]
        for n, r in enumerate(rows[1:], start=2):
            if all(v in ("", None) for v in r):
                continue
            rec = dict(zip(header, r))
            out[(f"extract.xlsx#{spec.name}", n)] = tuple(_typed(rec[c], t) for c, t in spec.columns)
        return out
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=spec.delimiter)
    header = [h.lower() for h in next(reader)]
    prev = reader.line_num
    for r in reader:
        start, prev = prev + 1, reader.line_num
        if not r:
            continue
        rec = dict(zip(header, r))
        out[(path.name, start)] = tuple(_typed(rec[c], t) for c, t in spec.columns)
    return out


def test_everything_accepted_and_nothing_rejected(world):
    settings, summary, quirks, con = world
    assert summary["counts"]["rejected"] == 0
    assert all(o["rows_rejected"] == 0 for o in summary["deliveries"])
    assert summary["counts"]["accepted"] > 20


def test_loaded_values_equal_the_files(world):
    settings, summary, quirks, con = world
    compared = 0
    for o in summary["deliveries"]:
        if o["status"] != "accepted":
            continue
        folder = settings.landing / o["source_id"] / o["as_of"]
        kind = o["source_id"].split("-")[0]
        for t, spec in TABLE_SPECS.items():
            if spec.source_kind != kind:
                continue
            path = folder / ("extract.xlsx" if (folder / "extract.xlsx").exists() else spec.file_name)
            if not path.exists():
                continue
            want = _independent_rows(path, spec)
            cols = ", ".join(spec.column_names)
            got = {(f, ln): tuple(rest) for f, ln, *rest in con.execute(
                f"SELECT _file, _line, {cols} FROM raw.{t} WHERE _delivery_key = ?", [o["delivery_key"]]).fetchall()}
            assert got == want, (o["delivery_key"], t)
            compared += len(got)
    assert compared > 10_000


def test_quirks_are_handled(world):
    settings, summary, quirks, con = world
    status = {o["delivery_key"].rsplit("/", 1)[0]: o for o in summary["deliveries"]}
    for q in ("bom", "crlf", "xlsx_delivery", "trailing_blank_line"):
        hits = [e for e in quirks.get(q, {}).get("examples", []) if f"{e['source']}/{e['as_of']}" in status]
        assert hits, q
        for e in hits:
            assert status[f"{e['source']}/{e['as_of']}"]["status"] in ("accepted", "duplicate"), q
    for e in quirks.get("byte_identical_resent_delivery", {}).get("examples", []):
        o = status.get(f"{e['source']}/{e['as_of']}")
        if o:
            assert o["status"] == "duplicate" and o["duplicate_of"] == f"{e['source']}/{e['copy_of']}/v1"
    # ids keep their leading zeros
    assert con.execute("SELECT count(*) FROM raw.provider__clients WHERE client_id LIKE '0%'").fetchone()[0] > 0
    # every accepted delivery's rows equal its control counts
    for dk, loaded in con.execute("SELECT delivery_key, rows_loaded FROM raw.deliveries WHERE status='accepted'").fetchall():
        assert loaded == con.execute("SELECT sum(row_count) FROM raw.delivery_files WHERE delivery_key = ?",
                                     [dk]).fetchone()[0]
