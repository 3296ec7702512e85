"""The Dagster side: the `funder_snapshot` asset (what `htic snapshot` materializes) builds the
warehouse as of the quarter's end, then publishes; the daily schedule asks for the last quarter once
its 45-day grace has passed, from the tick's date, and only while it is unpublished."""

from __future__ import annotations

from datetime import date, datetime, timezone

import dagster as dg
import pytest

from pipelines.snapshot import quarters as qt
from tests.snapshot.conftest import QUARTER, make_warehouse


def test_quarter_arithmetic():
    assert qt.quarter_end("2026Q3") == date(2026, 9, 30)
    assert qt.quarter_end("2026Q4") == date(2026, 12, 31)
    assert qt.quarter_end("2024Q1") == date(2024, 3, 31)
    assert qt.data_cutoff("2026Q3") == date(2026, 11, 14)  # A + 45
    assert qt.publishable_on("2026Q3") == date(2026, 11, 15)
    assert qt.previous_quarter("2026Q1") == "2025Q4"
    assert qt.split_revision("2026Q3-r2") == ("2026Q3", 2) and qt.split_revision(".2026Q3.tmp-x") is None
    with pytest.raises(ValueError):
        qt.parse_quarter("2026Q5")


def test_asset_builds_as_of_the_quarter_end_then_publishes(tmp_path, fabricated, monkeypatch):
    import pipelines.runner as runner
    from pipelines.snapshot.assets import SnapshotPaths, funder_snapshot

    small = fabricated["current"][fabricated["current"]["goal"].isin({"g5", "g6"})]
    settings = make_warehouse(tmp_path / "wh", fabricated, metrics=small)
    calls = []
    monkeypatch.setattr(runner, "build_as_of", lambda s, as_of: calls.append((s.warehouse, as_of)), raising=False)
    result = dg.materialize([funder_snapshot], partition_key=QUARTER, instance=dg.DagsterInstance.ephemeral(),
                            resources={"snapshot_paths": SnapshotPaths(warehouse=str(settings.warehouse))})
    assert result.success
    assert calls == [(settings.warehouse, date(2026, 9, 30))]
    assert (settings.snapshots_dir / QUARTER / "manifest.json").exists()
    mat = result.asset_materializations_for_node("funder_snapshot")[0]
    assert mat.metadata["revision"].value == 1
    # a second run of the partition is refused before anything is built again
    again = dg.materialize([funder_snapshot], partition_key=QUARTER, instance=dg.DagsterInstance.ephemeral(),
                           resources={"snapshot_paths": SnapshotPaths(warehouse=str(settings.warehouse))},
                           raise_on_error=False)
    assert not again.success and len(calls) == 1


def _tick(day: date) -> dg.ScheduleEvaluationContext:
    return dg.build_schedule_context(scheduled_execution_time=datetime(day.year, day.month, day.day, 6,
                                                                       tzinfo=timezone.utc))


def test_schedule_requests_the_last_quarter_after_its_grace(tmp_path, monkeypatch):
    from pipelines.snapshot.assets import quarterly_snapshot_schedule

    monkeypatch.setenv("HTIC_WAREHOUSE", str(tmp_path / "wh"))
    # 2026-11-14 is A + 45 for 2026Q3: deliveries dated that day may still arrive -> skip
    out = quarterly_snapshot_schedule(_tick(date(2026, 11, 14)))
    assert isinstance(out, dg.SkipReason)
    out = quarterly_snapshot_schedule(_tick(date(2026, 11, 15)))
    assert isinstance(out, dg.RunRequest) and out.partition_key == "2026Q3"
    out = quarterly_snapshot_schedule(_tick(date(2027, 1, 2)))  # 2026Q4's grace runs to 2027-02-14
    assert isinstance(out, dg.SkipReason)
    # once published, no more requests for it
    pub = tmp_path / "wh" / "snapshots" / "2026Q3"
    pub.mkdir(parents=True)
    (pub / "manifest.json").write_text("{}")
    assert isinstance(quarterly_snapshot_schedule(_tick(date(2026, 11, 20))), dg.SkipReason)


def test_definitions_load_with_the_snapshot_asset_and_schedule():
    from pipelines.defs.snapshot import defs

    assert defs.resolve_assets_def("funder_snapshot") is not None
    assert defs.resolve_schedule_def("quarterly_snapshot_schedule").cron_schedule == "0 6 * * *"


def test_latest_due_quarter_comes_from_the_deliveries_received(tmp_path, fabricated):
    from pipelines.snapshot.cli import grace_passed, latest_due_quarter

    small = fabricated["current"][fabricated["current"]["goal"] == "g8"]
    settings = make_warehouse(tmp_path / "wh", fabricated, metrics=small)
    newest = max(d for d, s in zip(fabricated["deliveries"]["as_of"], fabricated["deliveries"]["status"])
                 if s == "accepted")
    want = "2026Q3" if newest > qt.data_cutoff("2026Q3") else "2026Q2"
    assert latest_due_quarter(settings) == want
    # a calendar day before the grace has passed, but the data show it has
    assert grace_passed(settings, want, date(2026, 10, 1))
    assert not grace_passed(settings, "2026Q4", date(2026, 10, 1))
