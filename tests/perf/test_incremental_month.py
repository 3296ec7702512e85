"""A run after one new month of deliveries gives exactly the warehouse of a full rebuild.

One small generated world ending 2026-12-31. The incremental warehouse is first built from the
world without its last month (deliveries dated 2026-12-31); that month is then added and `htic run`
runs again. A delivery dated 2026-12-31 is after A + 45 for the default A (2026-09-30), so the run
must skip dbt and the evaluation and say so. Every relation of its restricted store and analytics
warehouse is then compared (bench/compare_builds.py: multisets, run times excepted) with a fresh
full rebuild of the same landing tree. Finally a corrected delivery dated within A + 45 arrives:
the run must rebuild (its ledger, with the superseded version, is not a fresh build's).
"""

from __future__ import annotations

import importlib.util
import shutil
from datetime import date
from pathlib import Path

import pytest

from pipelines.settings import REPO_ROOT, get_settings
from tests.ingestion.worlds import control_bytes, count_rows

LAST_MONTH = "2026-12-31"
IN_WINDOW = "2026-08-31"  # <= 2026-09-30 + 45 days


def compare_db(base: Path, new: Path) -> list[str]:
    spec = importlib.util.spec_from_file_location("compare_builds", REPO_ROOT / "bench" / "compare_builds.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.compare_db(base, new, set())


def folders(landing: Path, as_of: str) -> list[Path]:
    return sorted(p for p in landing.glob(f"*/{as_of}") if p.is_dir())


def run(landing: Path, warehouse: Path) -> dict:
    from pipelines.run import run_pipeline

    return run_pipeline(get_settings(warehouse=warehouse, landing=landing), quiet=True)


def same_warehouse(a: Path, b: Path) -> list[str]:
    return [f"restricted: {d}" for d in compare_db(a / "restricted" / "restricted.duckdb",
                                                   b / "restricted" / "restricted.duckdb")] + \
           [f"analytics: {d}" for d in compare_db(a / "analytics.duckdb", b / "analytics.duckdb")]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from htic_synth import generate

    root = tmp_path_factory.mktemp("incremental")
    generate(root / "world", truth=root / "truth", seed=11, scale=0.1, end=date(2026, 12, 31),
             dsa_start=date(2025, 10, 31))
    assert folders(root / "world", LAST_MONTH), "the world has deliveries in its last month"
    return root


@pytest.fixture(scope="module")
def incremental(world):
    landing, wh = world / "landing-inc", world / "wh-inc"
    shutil.copytree(world / "world", landing)
    month = world / "last-month"
    for f in folders(landing, LAST_MONTH):
        shutil.move(str(f), str(month / f.parent.name / f.name))
    first = run(landing, wh)
    for f in sorted(month.glob("*/*")):
        shutil.copytree(f, landing / f.parent.name / f.name)
    second = run(landing, wh)
    return {"landing": landing, "warehouse": wh, "first": first, "second": second}


def test_a_month_after_a_plus_45_skips_the_models_and_says_so(incremental, capsys):
    from pipelines.run import print_summary

    first, second = incremental["first"], incremental["second"]
    assert first["as_of"] == second["as_of"] == date(2026, 9, 30)
    assert first["models_skipped_since"] is None
    assert second["models_skipped_since"]
    complete = [f for f in folders(incremental["landing"], LAST_MONTH) if (f / "_control.csv").exists()]
    counts = second["ingest"]["counts"]
    assert counts["accepted"] > 0 and sum(counts.values()) == len(complete)  # the new month was ingested
    print_summary(second)
    assert f"models unchanged since {second['models_skipped_since']}: skipped" in capsys.readouterr().out


def test_the_incremental_warehouse_equals_a_full_rebuild(world, incremental):
    full = world / "wh-full"
    result = run(incremental["landing"], full)
    assert result["models_skipped_since"] is None and result["as_of"] == incremental["second"]["as_of"]
    assert same_warehouse(full, incremental["warehouse"]) == []


def correct(folder: Path) -> None:
    """A corrected delivery: the same folder, one data row fewer in its first data file, a new control file."""
    data = sorted(p for p in folder.iterdir() if p.suffix == ".csv" and not p.name.startswith("_"))[0]
    lines = data.read_bytes().splitlines(keepends=True)
    assert len(lines) > 2
    data.write_bytes(b"".join(lines[:-1]))
    files = {p.name: p.read_bytes() for p in folder.iterdir() if not p.name.startswith("_")}
    (folder / "_control.csv").write_bytes(control_bytes(files, {n: count_rows(n, b) for n, b in files.items()}))


def test_a_corrected_delivery_within_a_plus_45_rebuilds(world, incremental):
    landing, wh = incremental["landing"], incremental["warehouse"]
    court = [f for f in folders(landing, IN_WINDOW) if f.parent.name.startswith("court-")][0]
    correct(court)
    noted = (wh / "dbt" / "last_build.json").read_text()
    result = run(landing, wh)
    assert result["ingest"]["counts"]["accepted"] == 1 and result["ingest"]["superseded"]
    assert result["models_skipped_since"] is None
    assert (wh / "dbt" / "last_build.json").read_text() != noted  # dbt built again, from other inputs
