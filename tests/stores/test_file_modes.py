"""Files private by default, whatever the umask: what holds identifiers or records runs is
owner-only (folders 0700, files 0600); the warehouse folder 0750 and analytics.duckdb 0640 (the
owner's group: evaluators). README, "Privacy"."""

from __future__ import annotations

import os
import stat
from pathlib import Path

SHARED = {"analytics.duckdb": 0o640,  # the evaluators' warehouse and its docs site (htic docs): group-readable
          "docs": 0o750, "docs/index.html": 0o640}


def modes(warehouse: Path) -> dict[str, int]:
    out = {".": stat.S_IMODE(os.lstat(warehouse).st_mode)}
    for p in warehouse.rglob("*"):
        out[str(p.relative_to(warehouse))] = stat.S_IMODE(os.lstat(p).st_mode)
    return out


def assert_private_by_default(warehouse: Path) -> None:
    found = modes(warehouse)
    # everything the issue names is there to be checked
    for expected in ("restricted/restricted.duckdb", "restricted/archive", "quarantine", "ledger.parquet", "runs",
                     "dbt/target", "dagster_home/dagster.yaml", "analytics.duckdb"):
        assert expected in found, expected
    assert any(k.startswith("restricted/archive/") for k in found)
    assert any(k.startswith("runs/ingest-") for k in found)
    assert any(k.endswith("dbt.log") for k in found if k.startswith("dbt/target/"))
    wrong = {}
    for rel, mode in found.items():
        if rel == ".":
            want = 0o750
        elif rel in SHARED:
            want = SHARED[rel]
        else:
            want = 0o700 if (warehouse / rel).is_dir() else 0o600
        if mode != want:
            wrong[rel] = (oct(mode), oct(want))
    assert not wrong, wrong


def test_umask_000_runs_leave_nothing_open(concurrent_runs):
    assert concurrent_runs["first"][0] == 0
    assert_private_by_default(concurrent_runs["warehouse"])


def test_umask_022_runs_leave_nothing_open(killed_then_rerun):
    assert killed_then_rerun["rerun"].returncode == 0
    assert_private_by_default(killed_then_rerun["warehouse"])


def test_an_existing_loose_warehouse_is_tightened(tmp_path):
    from pipelines.settings import get_settings

    os.umask(0o022)
    settings = get_settings(tmp_path / "wh")
    for d in settings.private_dirs:
        d.mkdir(parents=True, exist_ok=True)
        os.chmod(d, 0o755)
    settings.restricted_db.write_bytes(b"")
    os.chmod(settings.restricted_db, 0o644)
    settings.ensure_dirs()
    found = modes(settings.warehouse)
    assert {k: oct(v) for k, v in found.items() if k != "."} == {
        **{str(d.relative_to(settings.warehouse)): oct(0o700) for d in settings.private_dirs},
        "restricted/restricted.duckdb": oct(0o600)}


def test_published_snapshots_are_opened_to_the_group_only(tmp_path):
    from pipelines.settings import keep_private, share_with_group

    keep_private()
    quarter = tmp_path / "snapshots" / "2026Q3"
    (quarter / "charts").mkdir(parents=True)
    (quarter / "metrics.csv").write_text("x\n")
    (quarter / "charts" / "g1.png").write_bytes(b"png")
    assert stat.S_IMODE(os.stat(quarter / "metrics.csv").st_mode) == 0o600  # private until shared
    share_with_group(tmp_path / "snapshots")
    assert {k: oct(v) for k, v in modes(tmp_path / "snapshots").items()} == {
        ".": oct(0o750), "2026Q3": oct(0o750), "2026Q3/charts": oct(0o750),
        "2026Q3/metrics.csv": oct(0o640), "2026Q3/charts/g1.png": oct(0o640)}
