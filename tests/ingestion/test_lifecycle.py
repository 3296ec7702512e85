"""Re-runs, re-sent and corrected deliveries, and a load killed part-way (real SIGKILL)."""

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import duckdb

from tests.ingestion import worlds as w
from tests.ingestion.conftest import raw_snapshot

AS_OF = "2021-06-30"
REPO = Path(__file__).resolve().parents[2]


def _world(land):
    w.write_delivery(land, "program", "2021-01-01", w.to_files(w.program_rows()))
    w.write_delivery(land, "court-queens", AS_OF, w.to_files(w.court_rows()))
    w.write_delivery(land, "provider-p01", AS_OF, w.to_files(w.provider_rows()))
    w.write_delivery(land, "dcjs", AS_OF, w.to_files(w.dcjs_rows()))


def test_rerun_resend_and_correction(settings_for):
    from pipelines.ingestion.pipeline import run_ingestion

    s = settings_for()
    _world(s.landing)
    first = run_ingestion(s)
    assert first["counts"]["accepted"] == 4
    before = raw_snapshot(s)

    # the same landing tree again: nothing new, identical tables
    again = run_ingestion(s)
    assert again["deliveries"] == [] and raw_snapshot(s) == before

    # re-sent: the same folder rewritten with identical bytes, and a copy under a new as-of date
    src = s.landing / "provider-p01" / AS_OF
    for p in src.iterdir():
        p.write_bytes(p.read_bytes())
    shutil.copytree(src, s.landing / "provider-p01" / "2021-07-31")
    resent = run_ingestion(s)
    assert [(o["delivery_key"], o["status"], o["duplicate_of"]) for o in resent["deliveries"]] == [
        ("provider-p01/2021-07-31/v1", "duplicate", "provider-p01/2021-06-30/v1")]
    after = raw_snapshot(s)
    assert {k: v for k, v in after.items() if k not in ("deliveries", "delivery_files")} == \
           {k: v for k, v in before.items() if k not in ("deliveries", "delivery_files")}

    # a corrected court snapshot: same folder, new bytes and control file -> v2 replaces v1's rows
    t = w.court_rows()
    h, rows = t["cases.csv"]
    rows[0][h.index("disposition")] = "DISMISSED"
    rows[0][h.index("disposition_date")] = "2021-05-01"
    rows.pop()  # and one docket fewer (with its two events)
    del t["events.csv"][1][-2:]
    court = s.landing / "court-queens" / AS_OF
    old_files = {p.name: p.read_bytes() for p in court.iterdir()}
    w.write_delivery(s.landing, "court-queens", AS_OF, w.to_files(t))
    corr = run_ingestion(s)
    [o] = corr["deliveries"]
    assert o["rows_rejected"] == 0
    assert (o["delivery_key"], o["status"], o["superseded"]) == (
        "court-queens/2021-06-30/v2", "accepted", ["court-queens/2021-06-30/v1"])
    con = duckdb.connect(str(s.restricted_db), read_only=True)
    assert con.execute("SELECT DISTINCT _version FROM raw.court__cases").fetchall() == [(2,)]
    assert con.execute("SELECT count(*) FROM raw.court__cases").fetchone()[0] == 39
    assert con.execute("SELECT disposition FROM raw.court__cases WHERE _line = 2").fetchone()[0] == "DISMISSED"
    assert con.execute("SELECT count(*) FROM raw.court__events").fetchone()[0] == 78
    statuses = con.execute("SELECT delivery_key, status FROM raw.deliveries WHERE source_id = 'court-queens' "
                           "ORDER BY version").fetchall()
    assert statuses == [("court-queens/2021-06-30/v1", "superseded"), ("court-queens/2021-06-30/v2", "accepted")]
    # both versions' bytes stay in the archive
    arch = dict(con.execute("SELECT delivery_key || ':' || file_name, archive_path FROM raw.delivery_files").fetchall())
    con.close()
    import hashlib
    for name, data in old_files.items():
        assert (s.archive_dir / arch[f"court-queens/2021-06-30/v1:{name}"]).read_bytes() == data
        assert arch[f"court-queens/2021-06-30/v1:{name}"].endswith(hashlib.sha256(data).hexdigest())
    # the ledger export follows the database
    from pipelines.ingestion.warehouse import read_ledger_export

    led = read_ledger_export(s.ledger_export)
    assert [r["status"] for r in led if r["source_id"] == "court-queens"] == ["superseded", "accepted"]


KILL_SCRIPT = """
import sys
sys.path.insert(0, {repo!r})
from pipelines.settings import get_settings
import time
from pathlib import Path
from pipelines.ingestion import load
from pipelines.ingestion.pipeline import run_ingestion

def stop_here(delivery_key):  # inside the first loading transaction, its rows inserted
    Path({marker!r}).write_text("in-transaction")
    time.sleep(60)

load.before_commit = stop_here
run_ingestion(get_settings(warehouse={wh!r}, landing={land!r}), gx_enabled=False)
"""


def test_sigkill_mid_load_leaves_warehouse_as_before(settings_for, tmp_path):
    from pipelines.ingestion.pipeline import run_ingestion

    s = settings_for()
    w.write_delivery(s.landing, "program", "2021-01-01", w.to_files(w.program_rows()))
    run_ingestion(s)
    before = raw_snapshot(s)
    ledger_before = s.ledger_export.read_bytes()
    w.write_delivery(s.landing, "court-queens", AS_OF, w.to_files(w.court_rows()))
    w.write_delivery(s.landing, "dcjs", AS_OF, w.to_files(w.dcjs_rows()))

    marker = tmp_path / "in-transaction"
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT.format(repo=str(REPO), wh=str(s.warehouse),
                                                                      land=str(s.landing), marker=str(marker))])
    try:
        deadline = time.time() + 60
        while not marker.exists():
            assert proc.poll() is None, "ingestion ended before reaching the load"
            assert time.time() < deadline
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)  # inside the first delivery's transaction, rows inserted
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert raw_snapshot(s) == before
    assert s.ledger_export.read_bytes() == ledger_before

    # the next run completes it
    summary = run_ingestion(s)
    assert sorted((o["delivery_key"], o["status"]) for o in summary["deliveries"]) == [
        ("court-queens/2021-06-30/v1", "accepted"), ("dcjs/2021-06-30/v1", "accepted")]
    con = duckdb.connect(str(s.restricted_db), read_only=True)
    assert con.execute("SELECT count(*) FROM raw.court__cases").fetchone()[0] == 40
    con.close()


def test_batches_load_the_same_as_one_run(tmp_path):
    """A first load split into memory-bounded batches gives the same tables as one batch."""
    from pipelines.ingestion.pipeline import run_ingestion
    from pipelines.settings import get_settings

    land = tmp_path / "landing"
    _world(land)
    w.write_delivery(land, "provider-p01", "2021-07-31", w.to_files(w.provider_rows(n=5, id_offset=100,
                                                                                    start=__import__("datetime").date(2021, 7, 1))))
    one = get_settings(warehouse=tmp_path / "one", landing=land)
    many = get_settings(warehouse=tmp_path / "many", landing=land)
    run_ingestion(one, gx_enabled=False)
    said = []
    s = run_ingestion(replace(many, batch_mb=0), gx_enabled=False, progress=said.append)  # a delivery per batch
    assert s["counts"]["accepted"] == 5
    assert [m for m in said if m.startswith("batch ")] == [f"batch {n}/5: 1 deliveries" for n in range(1, 6)]
    assert raw_snapshot(one) == {k: [tuple(str(many.archive_dir) if x == str(many.archive_dir) else x for x in r)
                                     for r in v] for k, v in raw_snapshot(many).items()}
