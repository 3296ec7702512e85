"""Dagster side of the funder snapshot: the `funder_snapshot` asset (one partition per quarter), the
job that builds it with everything upstream, and the daily schedule that requests the last quarter
once its 45-day grace has passed.

`funder_snapshot` depends on `analytics_warehouse` and only publishes: it reads analytics.duckdb
(metrics as of A = the partition's quarter end, pipelines/snapshot/publish.py). Building the
warehouse as of A is the upstream assets' work in the same run: the dbt asset takes A from the
run's quarter partition. `htic snapshot` (pipelines.runner.snapshot) materialises the same graph.
"""

# no `from __future__ import annotations`: Dagster reads the asset's annotations at definition time

import json
from datetime import date

import dagster as dg

from pipelines import dates
from pipelines.defs.resources import HticSettings

FIRST_QUARTER, LAST_QUARTER = "2015Q1", "2040Q4"
quarter_partitions = dg.StaticPartitionsDefinition(dates.all_quarters_between(FIRST_QUARTER, LAST_QUARTER))
SNAPSHOT_KEY = dg.AssetKey("funder_snapshot")


class SnapshotConfig(dg.Config):
    revision_reason: str = ""  # non-empty: publish a correction beside a published quarter


@dg.asset(
    key=SNAPSHOT_KEY,
    partitions_def=quarter_partitions,
    group_name="snapshot",
    deps=[dg.AssetKey("analytics_warehouse")],
    kinds={"python", "csv", "parquet", "xlsx", "pdf", "html"},
    description="The quarterly funder snapshot snapshots/<YYYYQn>/ (metrics.md, 'What funders receive'): the "
                "metrics as of the quarter's last day A from the deliveries with as-of <= A + 45; never overwritten.",
)
def funder_snapshot(context: dg.AssetExecutionContext, config: SnapshotConfig,
                    htic: HticSettings) -> dg.MaterializeResult:
    from pipelines.snapshot.manifest import sha256_file
    from pipelines.snapshot.publish import publish_snapshot

    quarter = context.partition_key
    settings = htic.get()
    folder = publish_snapshot(settings, quarter, revision_reason=config.revision_reason.strip() or None)
    manifest = json.loads((folder / "manifest.json").read_text())
    return dg.MaterializeResult(metadata={
        "folder": dg.MetadataValue.path(str(folder)),
        "as_of": dates.quarter_end(quarter).isoformat(),
        "revision": manifest["revision"],
        "rows": manifest["disclosure"]["rows"],
        "suppressed": manifest["disclosure"]["suppressed"],
        "restatements": manifest["restatements"],
        "inputs": len(manifest["inputs"]),
        "metrics_csv_sha256": sha256_file(folder / "metrics.csv"),
    })


# The quarter's snapshot with everything it is built from: ingestion -> the whole dbt build (as of
# the quarter's end, from the run's partition) -> publish -> snapshot. Reprocessing one delivery is
# a job of its own.
SNAPSHOT_SELECTION = dg.AssetSelection.all() - dg.AssetSelection.assets(dg.AssetKey(["ingestion", "delivery"]))

snapshot_job = dg.define_asset_job(
    "funder_snapshot_job", selection=SNAPSHOT_SELECTION, partitions_def=quarter_partitions,
    description="Ingest what has arrived, build every model as of the quarter's end, publish, make the snapshot.")


def snapshot_request_for(day: date, snapshots_dir) -> "dg.RunRequest | dg.SkipReason":
    """What the schedule asks for on `day`: the last quarter, once its grace has passed and while it
    is not published. Pure apart from looking at the snapshots folder."""
    from pipelines.snapshot.publish import is_published

    quarter = dates.previous_quarter(dates.quarter_of(day))
    if day < dates.publishable_on(quarter):
        return dg.SkipReason(f"{quarter}: grace period runs to {dates.data_cutoff(quarter)}; "
                             f"snapshot due on {dates.publishable_on(quarter)}")
    if is_published(snapshots_dir, quarter):
        return dg.SkipReason(f"{quarter} is already published")
    return dg.RunRequest(run_key=f"funder_snapshot-{quarter}", partition_key=quarter)


@dg.schedule(job=snapshot_job, cron_schedule="0 6 * * *", execution_timezone="UTC",
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="Daily: make the last quarter's funder snapshot once its 45-day grace has passed.")
def quarterly_snapshot_schedule(context: dg.ScheduleEvaluationContext, htic: HticSettings):
    # the date comes from the tick being evaluated, not from the wall clock
    day = context.scheduled_execution_time.date()
    return snapshot_request_for(day, htic.get().snapshots_dir)
