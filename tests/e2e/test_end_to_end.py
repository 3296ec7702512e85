"""The user's path, through the real `htic` command: synth -> run -> status -> snapshot -> rerun.

One small world (scale 0.1, a short data-sharing window) so the whole path stays around two minutes.
Expectations are computed here from the landing tree itself (folder names, control files), not from
the pipeline's own output.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
HTIC = [sys.executable, "-m", "pipelines.cli"]


def htic(*args: str, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([*HTIC, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=2400)  # a timeout, not a timing: the snapshot of a small world takes minutes on 2 cores
    if check and proc.returncode != 0:
        raise AssertionError(f"htic {' '.join(args)} exited {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def quarter_end_on_or_before(d: date) -> date:
    q_end_month = ((d.month - 1) // 3) * 3 + 3
    candidate = date(d.year, q_end_month, 1) + timedelta(days=32)
    candidate = candidate.replace(day=1) - timedelta(days=1)
    if candidate > d:
        first = date(d.year, q_end_month - 2, 1)
        candidate = first - timedelta(days=1)
    return candidate


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    env = dict(os.environ)
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        HTIC_PSEUDONYM_SECRET="e2e-test-secret-3c9d1f",
        DAGSTER_DISABLE_TELEMETRY="1",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
        GX_ANALYTICS_ENABLED="false",
    )
    landing, warehouse = root / "landing", root / "warehouse"
    htic("synth", "--out", str(landing), "--seed", "7", "--scale", "0.1", "--dsa-start", "2025-10-31", env=env)
    return {"root": root, "landing": landing, "warehouse": warehouse, "env": env}


@pytest.fixture(scope="module")
def first_run(world):
    return htic("run", "--landing", str(world["landing"]), "--warehouse", str(world["warehouse"]), "--create",
                env=world["env"])


def landing_deliveries(landing: Path) -> list[tuple[str, date]]:
    return sorted(
        (src.name, date.fromisoformat(d.name))
        for src in landing.iterdir() if src.is_dir()
        for d in src.iterdir() if (d / "_control.csv").exists()
    )


def test_run_builds_the_analytics_warehouse_as_of_the_last_covered_quarter(world, first_run):
    deliveries = landing_deliveries(world["landing"])
    latest = max(d for _, d in deliveries)
    # the default as-of: the last quarter end A whose A + 45 days the deliveries cover
    expected = quarter_end_on_or_before(latest - timedelta(days=45))
    analytics = world["warehouse"] / "analytics.duckdb"
    assert analytics.exists()
    con = duckdb.connect(str(analytics), read_only=True)
    try:
        as_ofs = [r[0] for r in con.execute("select distinct as_of from metrics").fetchall()]
        assert as_ofs == [expected]
        goals = {r[0] for r in con.execute("select distinct goal from metrics").fetchall()}
        assert {f"G{i}" for i in range(1, 10)} <= {g.upper() for g in goals}
        # the ledger copy accounts for every complete delivery folder of the landing tree
        ledger = {(r[0], r[1]) for r in con.execute("select source_id, as_of from deliveries").fetchall()}
        assert ledger == set(deliveries)
    finally:
        con.close()
    assert expected.isoformat() in first_run.stdout


def test_status_lists_the_ledger_without_locking(world, first_run):
    # hold the restricted store's write lock meanwhile (as a running pipeline does): status must not care
    writer = duckdb.connect(str(world["warehouse"] / "restricted" / "restricted.duckdb"))
    try:
        done = htic("status", "--all", "--warehouse", str(world["warehouse"]), "--landing", str(world["landing"]),
                    env=world["env"], check=False)
    finally:
        writer.close()
    out = done.stdout
    assert done.returncode == (1 if "Needs attention" in out else 0), done.stderr  # 1: for cron and monitors
    for source, as_of in landing_deliveries(world["landing"])[:5]:
        assert any(ln.startswith(source) and as_of.isoformat() in ln for ln in out.splitlines())


def test_rerun_loads_nothing_twice(world, first_run):
    def raw_counts():
        con = duckdb.connect(str(world["warehouse"] / "restricted" / "restricted.duckdb"), read_only=True)
        try:
            tables = [r[0] for r in con.execute(
                "select table_name from information_schema.tables where table_schema='raw' order by 1").fetchall()]
            return {t: con.execute(f'select count(*) from raw."{t}"').fetchone()[0] for t in tables
                    if t not in ("deliveries",)}
        finally:
            con.close()

    before = raw_counts()
    htic("run", "--landing", str(world["landing"]), "--warehouse", str(world["warehouse"]), env=world["env"])
    assert raw_counts() == before


def test_snapshot_publishes_once_and_refuses_to_overwrite(world, first_run):
    proc = htic("snapshot", "--warehouse", str(world["warehouse"]), env=world["env"])
    snaps = [p for p in (world["warehouse"] / "snapshots").iterdir() if p.is_dir()]
    assert len(snaps) == 1
    folder = snaps[0]
    names = {p.name for p in folder.iterdir()}
    assert {"metrics.csv", "metrics.parquet", "workbook.xlsx", "report.html", "report.pdf",
            "manifest.json", "restatements.csv"} <= names
    digest = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    again = htic("snapshot", "--quarter", folder.name, "--warehouse", str(world["warehouse"]), env=world["env"], check=False)
    assert again.returncode != 0 and "never overwritten" in (again.stdout + again.stderr)
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()} == digest
    assert folder.name in proc.stdout


def test_definitions_load_as_one_code_location():
    from pipelines.definitions import defs

    repo = defs.get_repository_def()
    keys = {k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()}
    assert "raw/court__cases" in keys and "analytics_warehouse" in keys
    assert any(s.name for s in repo.sensor_defs) and any(s.name for s in repo.schedule_defs)
