"""Property test: whatever a delivery's bytes become — random bytes, a truncation, a permuted or
missing header — a run never crashes, never loads part of a delivery, and never prints a value.

Bounded: small provider deliveries, 50 examples, one fresh warehouse per example (Great Expectations
off: the row rules decide what is rejected; GX agreement is tested elsewhere)."""

import json
import tempfile
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ingestion import worlds as w

AS_OF = "2021-06-30"
MARKER = "Quillonia"


def _valid_tables():
    t = w.provider_rows(6, mixed_dates=True)
    h, rows = t["clients.csv"]
    for r in rows:
        r[h.index("first_name")] = MARKER
    h, rows = t["referrals.csv"]
    for r in rows:
        r[h.index("partner")] = f"{MARKER} Legal"
    return t


@st.composite
def deliveries(draw):
    """(files of a provider delivery after one mutation, control file written for the mutated bytes?)"""
    tables = _valid_tables()
    if draw(st.booleans()):
        files = w.to_files(tables, bom=draw(st.booleans()), crlf=draw(st.booleans()))
    else:
        files = {"extract.xlsx": w.to_workbook(tables)}
    name = draw(st.sampled_from(sorted(files)))
    data = files[name]
    how = draw(st.sampled_from(["random", "truncate", "permute", "headerless", "flip"]))
    if how == "random":
        data = draw(st.binary(max_size=400))
    elif how == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    elif how == "flip":
        i = draw(st.integers(0, len(data) - 1))
        data = data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1:]
    elif name.endswith(".csv"):
        head, _, body = data.partition(b"\n")
        if how == "headerless":
            data = body
        else:
            cols = head.decode("utf-8-sig").rstrip("\r").split(",")
            data = ",".join(draw(st.permutations(cols))).encode() + b"\n" + body
    files[name] = data
    return files, draw(st.booleans())


def _row_count(name, data):
    try:
        return w.count_rows(name, data)
    except Exception:  # noqa: BLE001 - unreadable: the control file claims nothing
        return 0


@settings(max_examples=50, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(deliveries())
def test_mangled_delivery_never_crashes_loads_part_or_prints_a_value(case):
    from pipelines.ingestion.pipeline import run_ingestion
    from pipelines.settings import get_settings

    files, honest_control = case
    with tempfile.TemporaryDirectory(prefix="htic-fuzz-") as tmp:
        s = get_settings(warehouse=Path(tmp) / "wh", landing=Path(tmp) / "landing")
        d = w.write_delivery(s.landing, "provider-p01", AS_OF, files, control=False)
        if honest_control:   # the control file agrees with the bytes: the reader is what is tested
            counts = {n: _row_count(n, b) for n, b in files.items()}
            (d / "_control.csv").write_bytes(w.control_bytes(files, counts))
        else:                # the control file describes the valid delivery
            valid = w.to_files(_valid_tables())
            valid = {n: valid.get(n, b) for n, b in files.items()}
            (d / "_control.csv").write_bytes(w.control_bytes(valid, {n: _row_count(n, b) for n, b in valid.items()}))
        said: list[str] = []
        summary = run_ingestion(s, gx_enabled=False, progress=said.append)

        [o] = summary["deliveries"]
        assert o["status"] in ("accepted", "rejected")
        con = duckdb.connect(str(s.restricted_db), read_only=True)
        try:
            loaded = sum(con.execute(f"SELECT count(*) FROM raw.{t} WHERE _delivery_key = ?",
                                     [o["delivery_key"]]).fetchone()[0]
                         for t in ("provider__clients", "provider__assessments", "provider__sessions",
                                   "provider__referrals", "provider__exits"))
            rejected_lines = con.execute("SELECT count(DISTINCT (file_name, line_number)) FROM raw.rejected_rows "
                                         "WHERE delivery_key = ?", [o["delivery_key"]]).fetchone()[0]
            declared = con.execute("SELECT coalesce(sum(row_count), 0) FROM raw.delivery_files "
                                   "WHERE delivery_key = ? AND file_name <> '_control.csv'",
                                   [o["delivery_key"]]).fetchone()[0]
            reasons = con.execute("SELECT reason FROM raw.deliveries").fetchall()
        finally:
            con.close()
        if o["status"] == "rejected":
            assert loaded == 0          # nothing of a rejected delivery
        else:                           # all of it: every data row is loaded or a rejected row
            assert loaded == o["rows_loaded"]
            assert loaded + rejected_lines == declared

        texts = [json.dumps(summary, default=str), repr(reasons), "\n".join(said),
                 s.ledger_export.read_bytes().decode("latin-1")]
        texts += [p.read_text(errors="replace") for p in s.quarantine_dir.rglob("*") if p.is_file()]
        assert MARKER not in "\n".join(texts)
