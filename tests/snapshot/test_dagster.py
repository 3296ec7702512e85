"""The Dagster side: the `funder_snapshot` asset publishes from the analytics warehouse its upstream
assets built as of the quarter's end (the dbt asset takes A from the run's quarter partition); the
daily schedule asks for the last quarter once its 45-day grace has passed, from the tick's date, and
only while it is unpublished."""

from __future__ import annotations

from datetime import date, datetime, timezone

import dagster as dg
import pytest

from pipelines import dates
from pipelines.defs.resources import HticSettings
from pipelines.snapshot.publish import split_revision
from tests.snapshot.conftest import QUARTER, make_warehouse


def test_quarter_arithmetic():
    assert dates.quarter_end("2026Q3") == date(2026, 9, 30)
    assert dates.quarter_end("2026Q4") == date(2026, 12, 31)
    assert dates.quarter_end("2024Q1") == date(2024, 3, 31)
    assert dates.data_cutoff("2026Q3") == date(2026, 11, 14)  # A + 45
    assert dates.publishable_on("2026Q3") == date(2026, 11, 15)
    assert dates.previous_quarter("2026Q1") == "2025Q4"
    assert split_revision("2026Q3-r2") == ("2026Q3", 2) and split_revision(".2026Q3.tmp-x") is None
    with pytest.raises(ValueError):
        dates.parse_quarter("2026Q5")


def test_asset_publishes_the_quarter_once(tmp_path, fabricated):
    from pipelines.snapshot.assets import funder_snapshot

    small = fabricated["current"][fabricated["current"]["goal"].isin({"g5", "g6"})]
    settings = make_warehouse(tmp_path / "wh", fabricated, metrics=small)
    htic = HticSettings.from_settings(settings)
    result = dg.materialize([funder_snapshot], partition_key=QUARTER, instance=dg.DagsterInstance.ephemeral(),
                            resources={"htic": htic})
    assert result.success
    assert (settings.snapshots_dir / QUARTER / "manifest.json").exists()
    mat = result.asset_materializations_for_node("funder_snapshot")[0]
    assert mat.metadata["revision"].value == 1 and mat.metadata["as_of"].value == "2026-09-30"
    # a second run of the partition is refused: a published snapshot is never overwritten
    again = dg.materialize([funder_snapshot], partition_key=QUARTER, instance=dg.DagsterInstance.ephemeral(),
                           resources={"htic": htic}, raise_on_error=False)
    assert not again.success
    assert sorted(p.name for p in settings.snapshots_dir.iterdir() if p.is_dir()) == [QUARTER]


def test_snapshot_job_builds_the_quarter_from_everything_upstream(tmp_path):
    """The scheduled run ingests, builds every dbt model as of the partition's quarter end and
    publishes, then makes the snapshot: one run over the asset graph, no nested runs."""
    from pipelines.defs.dbt import DBT_ASSETS_NAME, PUBLISH_ASSET_KEY, resolve_as_of
    from pipelines.definitions import defs
    from pipelines.settings import get_settings

    job = defs.resolve_job_def("funder_snapshot_job")
    steps = {n.name for n in job.graph.node_defs}
    assert {"raw_tables", DBT_ASSETS_NAME, PUBLISH_ASSET_KEY.path[-1], "funder_snapshot"} <= steps
    assert "ingestion__delivery" not in steps  # reprocessing one delivery is a job of its own
    # A of the dbt build in a quarter-partitioned run: the partition's quarter end; run config wins
    settings = get_settings(tmp_path / "wh")
    assert resolve_as_of(None, "2026Q3", settings) == date(2026, 9, 30)
    assert resolve_as_of(None, "2024Q1", settings) == date(2024, 3, 31)
    assert resolve_as_of("2026-06-30", "2026Q3", settings) == date(2026, 6, 30)


def _tick(day: date, htic: HticSettings) -> dg.ScheduleEvaluationContext:
    return dg.build_schedule_context(scheduled_execution_time=datetime(day.year, day.month, day.day, 6,
                                                                       tzinfo=timezone.utc),
                                     resources={"htic": htic})


def test_schedule_requests_the_last_quarter_after_its_grace(tmp_path):
    from pipelines.settings import get_settings
    from pipelines.snapshot.assets import quarterly_snapshot_schedule

    htic = HticSettings.from_settings(get_settings(tmp_path / "wh"))
    # 2026-11-14 is A + 45 for 2026Q3: deliveries dated that day may still arrive -> skip
    out = quarterly_snapshot_schedule(_tick(date(2026, 11, 14), htic))
    assert isinstance(out, dg.SkipReason)
    out = quarterly_snapshot_schedule(_tick(date(2026, 11, 15), htic))
    assert isinstance(out, dg.RunRequest) and out.partition_key == "2026Q3"
    out = quarterly_snapshot_schedule(_tick(date(2027, 1, 2), htic))  # 2026Q4's grace runs to 2027-02-14
    assert isinstance(out, dg.SkipReason)
    # once published, no more requests for it
    pub = tmp_path / "wh" / "snapshots" / "2026Q3"
    pub.mkdir(parents=True)
    (pub / "manifest.json").write_text("{}")
    assert isinstance(quarterly_snapshot_schedule(_tick(date(2026, 11, 20), htic)), dg.SkipReason)


def test_definitions_load_with_the_snapshot_asset_and_schedule():
    from pipelines.definitions import defs

    assert defs.resolve_assets_def("funder_snapshot") is not None
    assert defs.resolve_schedule_def("quarterly_snapshot_schedule").cron_schedule == "0 6 * * *"


def test_latest_due_quarter_comes_from_the_deliveries_received(tmp_path, fabricated):
    from pipelines.snapshot.cli import grace_passed, latest_due_quarter

    small = fabricated["current"][fabricated["current"]["goal"] == "g8"]
    settings = make_warehouse(tmp_path / "wh", fabricated, metrics=small)
    newest = max(d for d, s in zip(fabricated["deliveries"]["as_of"], fabricated["deliveries"]["status"])
                 if s == "accepted")
    # covered: the newest delivery is dated on or after A + 45 (pipelines.dates.latest_complete_quarter)
    want = "2026Q3" if newest >= dates.data_cutoff("2026Q3") else "2026Q2"
    assert latest_due_quarter(settings) == want
    # a calendar day before the grace has passed, but the data show it has
    assert grace_passed(settings, want, date(2026, 10, 1))
    assert not grace_passed(settings, "2026Q4", date(2026, 10, 1))
