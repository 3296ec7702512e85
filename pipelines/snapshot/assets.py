"""Dagster side of the funder snapshot: the `funder_snapshot` asset (one partition per quarter) and
the daily schedule that requests the last quarter once its 45-day grace has passed.

The CLI (`htic snapshot`) materializes the same asset, so both paths run the same code: build the
warehouse as of A (pipelines.runner.build_as_of, provided by the integration area), then publish.
"""

# no `from __future__ import annotations`: Dagster reads the asset's annotations at definition time

from datetime import date

import dagster as dg

from pipelines.snapshot import quarters as qt

FIRST_QUARTER, LAST_QUARTER = "2015Q1", "2040Q4"
quarter_partitions = dg.StaticPartitionsDefinition(qt.all_quarters_between(FIRST_QUARTER, LAST_QUARTER))


class SnapshotPaths(dg.ConfigurableResource):
    """Where the warehouse is; empty means pipelines.settings' default ($HTIC_WAREHOUSE or <repo>/warehouse)."""

    warehouse: str = ""

    def settings(self):
        from pipelines.settings import get_settings

        return get_settings(self.warehouse or None)


class SnapshotConfig(dg.Config):
    build: bool = True  # build the warehouse as of the quarter's end first (False: it is built already)
    revision_reason: str = ""  # non-empty: publish a correction beside a published quarter


def build_warehouse_as_of(settings, as_of: date) -> None:
    try:
        from pipelines.runner import build_as_of
    except ImportError as exc:  # the integration area provides it
        raise dg.Failure(f"pipelines.runner.build_as_of is not available ({exc}); publish from a built warehouse "
                         "with build=False (htic snapshot --no-build)") from exc
    build_as_of(settings, as_of)


@dg.asset(
    partitions_def=quarter_partitions,
    group_name="snapshot",
    # lineage: the snapshot reads analytics.duckdb, which the dbt area's publish step writes
    deps=[dg.AssetKey("analytics_warehouse")],
    kinds={"python", "csv", "parquet", "xlsx", "pdf", "html"},
    description="The quarterly funder snapshot snapshots/<YYYYQn>/ (metrics.md, 'What funders receive'): built as "
                "of the quarter's last day from the deliveries with as-of <= A + 45; never overwritten.",
)
def funder_snapshot(context: dg.AssetExecutionContext, config: SnapshotConfig,
                    snapshot_paths: SnapshotPaths) -> dg.MaterializeResult:
    from pipelines.snapshot.manifest import sha256_file
    from pipelines.snapshot.publish import AlreadyPublished, is_published, publish_snapshot

    quarter = context.partition_key
    settings = snapshot_paths.settings()
    reason = config.revision_reason.strip() or None
    # refuse before building: building rewrites analytics.duckdb for nothing if we would refuse anyway
    if reason is None and is_published(settings.snapshots_dir, quarter):
        raise AlreadyPublished(f"{quarter} is already published under {settings.snapshots_dir}; "
                               "a published snapshot is never overwritten (a correction needs a revision reason)")
    as_of = qt.quarter_end(quarter)
    if config.build:
        context.log.info(f"building the warehouse as of {as_of} (deliveries with as-of <= {qt.data_cutoff(quarter)})")
        build_warehouse_as_of(settings, as_of)
    folder = publish_snapshot(settings, quarter, revision_reason=reason)
    import json

    manifest = json.loads((folder / "manifest.json").read_text())
    return dg.MaterializeResult(metadata={
        "folder": dg.MetadataValue.path(str(folder)),
        "as_of": as_of.isoformat(),
        "revision": manifest["revision"],
        "rows": manifest["disclosure"]["rows"],
        "suppressed": manifest["disclosure"]["suppressed"],
        "restatements": manifest["restatements"],
        "inputs": len(manifest["inputs"]),
        "metrics_csv_sha256": sha256_file(folder / "metrics.csv"),
    })


snapshot_job = dg.define_asset_job("funder_snapshot_job", selection=[funder_snapshot], partitions_def=quarter_partitions)


def snapshot_request_for(day: date, snapshots_dir) -> "dg.RunRequest | dg.SkipReason":
    """What the schedule asks for on `day`: the last quarter, once its grace has passed and while it
    is not published. Pure apart from looking at the snapshots folder."""
    from pipelines.snapshot.publish import is_published

    quarter = qt.previous_quarter(qt.quarter_of(day))
    if day < qt.publishable_on(quarter):
        return dg.SkipReason(f"{quarter}: grace period runs to {qt.data_cutoff(quarter)}; "
                             f"snapshot due on {qt.publishable_on(quarter)}")
    if is_published(snapshots_dir, quarter):
        return dg.SkipReason(f"{quarter} is already published")
    return dg.RunRequest(run_key=f"funder_snapshot-{quarter}", partition_key=quarter)


@dg.schedule(job=snapshot_job, cron_schedule="0 6 * * *", execution_timezone="UTC",
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="Daily: make the last quarter's funder snapshot once its 45-day grace has passed.")
def quarterly_snapshot_schedule(context: dg.ScheduleEvaluationContext):
    # the date comes from the tick being evaluated, not from the wall clock
    day = context.scheduled_execution_time.date()
    settings = SnapshotPaths().settings()
    return snapshot_request_for(day, settings.snapshots_dir)
