"""Fixtures for the snapshot tests: fabricated analytics warehouses (tests/snapshot/fabricate.py)
and snapshots published from them once per session (publishing renders ~60 charts)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipelines.settings import get_settings
from tests.snapshot import fabricate as fab
from tests.snapshot import fabricate_effects as fab_effects

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "snapshot"
QUARTER, PREVIOUS = "2026Q3", "2026Q2"
SMALL_GOALS = {"g1", "g4", "g7"}  # a previous snapshot with fewer measures renders fewer charts


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def fabricated(tmp_path_factory):
    """Frames of a fabricated warehouse: metrics as of the ends of 2026Q2 (fewer measures) and 2026Q3
    (every measure), the delivery ledger, and the evaluation tables as of the end of 2026Q3 only (so
    2026Q2's report has no adjusted comparison: "not available")."""
    prev = fab.fabricate_metrics(fab.quarter_end(PREVIOUS), scale=3, first_cohort="2024Q1", seed=11)
    prev = prev[prev["goal"].isin(SMALL_GOALS)]
    cur = fab.fabricate_metrics(fab.quarter_end(QUARTER), scale=3, first_cohort="2024Q1", seed=12)
    deliveries, files = fab.fabricate_ledger(fab.quarter_end(QUARTER))
    return {"metrics": pd.concat([prev, cur], ignore_index=True), "deliveries": deliveries, "files": files,
            "previous": prev, "current": cur, "effects": fab_effects.fabricate_effects(fab.quarter_end(QUARTER))}


def make_warehouse(root: Path, frames: dict, metrics: pd.DataFrame | None = None, with_effects: bool = False):
    settings = get_settings(root)
    fab.write_analytics(settings.analytics_db, frames["metrics"] if metrics is None else metrics,
                        frames["deliveries"], frames["files"])
    if with_effects:
        fab_effects.add_effects(settings.analytics_db, frames["effects"])
    return settings


@pytest.fixture(scope="session")
def published(tmp_path_factory, fabricated):
    """Warehouse A: 2026Q2 then 2026Q3 published; the analytics file kept aside for re-runs."""
    from pipelines.snapshot.publish import publish_snapshot

    settings = make_warehouse(tmp_path_factory.mktemp("whA"), fabricated, with_effects=True)
    prev = publish_snapshot(settings, PREVIOUS)
    cur = publish_snapshot(settings, QUARTER)
    keep = tmp_path_factory.mktemp("analytics") / "analytics.duckdb"
    shutil.copy(settings.analytics_db, keep)
    return {"settings": settings, "previous": prev, "current": cur, "analytics": keep}
