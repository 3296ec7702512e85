"""Materialise a selection of the asset graph once, in-process: what `htic run`, `htic snapshot`
and `htic demo` start (the same graph the UI shows, pipelines/defs). Each run is a run of one of
the named jobs of pipelines/defs/jobs.py (`ingest`, `build`, `funder_snapshot_job`), subset to the
selection, so the UI lists it under that job.

* `ingest(settings)` — the raw tables (every pending delivery); returns the ingestion summary;
* `build(settings, as_of=None)` — ingestion, every dbt model as of A, and the analytics warehouse;
* `snapshot(settings, quarter)` — ingestion, the models as of the quarter's end (only when what
  they depend on changed since the last published build: pipelines.builds), the analytics
  warehouse and the funder snapshot, in one run.

No asset imports this module: the assets depend on each other, and the as-of date reaches the dbt
asset as run config or from the run's quarter partition.

Every run holds the warehouse's run lock from start to end (pipelines.runlock.run_lock):
a second run waits for the first, saying so in one line, and a run after a killed one first stops
the killed run's leftover processes and removes its half-written analytics file. Files are created
owner-only (settings.keep_private). A build needs the pseudonymisation secret: it is checked before
the run starts, so a missing or short one stops the run before anything is written.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import dagster as dg

from pipelines import builds, dates
from pipelines.defs import definitions
from pipelines.defs.dbt import DBT_ASSETS_NAME, PUBLISH_ASSET_KEY
from pipelines.defs.jobs import BUILD_JOB, INGEST_JOB, SNAPSHOT_JOB
from pipelines.ingestion.assets import raw_tables
from pipelines.ingestion.sensors import pending_from_export, record_alert
from pipelines.ingestion.warehouse import exclusive_lock
from pipelines.runlock import run_lock
from pipelines.publish import remove_leftovers
from pipelines.settings import Settings, keep_private, pseudonym_secret, share_with_group
from pipelines.snapshot.assets import SNAPSHOT_KEY

RAW = dg.AssetSelection.assets(raw_tables)
SNAPSHOT = dg.AssetSelection.assets(SNAPSHOT_KEY)
# every dbt model and test (the whole `dbt build`, also models no mart reads) and the publish step
MODELS = dg.AssetSelection.all() - RAW.upstream() - SNAPSHOT


class RunFailed(RuntimeError):
    """A run of the pipeline failed (recorded in alerts.jsonl; details in the Dagster UI or logs)."""


class IngestionFailed(RunFailed):
    """The ingestion step failed, or there is nothing to build."""


def instance_for(settings: Settings) -> dg.DagsterInstance:
    """The warehouse's Dagster instance (dagster_home/, one run at a time)."""
    from dagster._core.instance.ref import InstanceRef

    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(settings.ensure_dagster_home())))


def materialize(settings: Settings, selection: dg.AssetSelection, *, job: str = BUILD_JOB,
                instance: dg.DagsterInstance | None = None, ops: dict | None = None,
                partition_key: str | None = None, log_level: str = "INFO",
                trigger: str) -> dg.ExecuteInProcessResult:
    """One in-process run of the named `job`, subset to `selection` (with the selected assets'
    checks), holding the run lock; raises RunFailed (IngestionFailed when the ingestion step
    failed) after recording an alert."""
    keep_private()
    with run_lock(settings, say):
        with exclusive_lock(settings.store_lock, say):
            remove_leftovers(settings.analytics_db)
        defs = definitions(settings)
        job_def = defs.resolve_job_def(job)
        keys = selection.resolve(defs.resolve_asset_graph())
        result = job_def.execute_in_process(
            asset_selection=sorted(keys, key=lambda k: k.to_user_string()),
            instance=instance or instance_for(settings), partition_key=partition_key, raise_on_error=False,
            run_config={"ops": {op: {"config": cfg} for op, cfg in (ops or {}).items()},
                        "loggers": {"console": {"config": {"log_level": log_level}}}},
            tags={"htic/trigger": trigger})
    if not result.success:
        failed = {e.step_key for e in result.all_events if e.is_step_failure}
        message = failure_message(result)
        record_alert(settings, {"kind": "run_failure", "run_id": result.run_id, "job": trigger,
                                "at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "message": message})
        error = IngestionFailed if "raw_tables" in failed else RunFailed
        raise error(f"run {result.run_id} ({trigger}) failed: {message}")
    return result


def say(message: str) -> None:
    """A line for the person at the terminal (stderr: stdout may carry --json output)."""
    print(message, file=sys.stderr, flush=True)


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    """The first failed step's error, its last line without the exception's class name."""
    for event in result.all_events:
        info = getattr(event.event_specific_data, "error", None) if event.is_step_failure else None
        if info is not None:
            while info.cause is not None and info.cls_name.startswith("DagsterExecutionStepExecutionError"):
                info = info.cause
            last = info.message.strip().splitlines()[-1] if info.message.strip() else info.cls_name
            return re.sub(r"^[\w.]+(Error|Failure|Published): ", "", last)
    return "the run failed; see the Dagster UI or logs"


def ingest(settings: Settings, instance: dg.DagsterInstance | None = None, *, deliveries: list[str] | None = None,
           force: bool = False, log_level: str = "INFO") -> dict:
    """Run the `raw_tables` asset (every pending delivery); return its summary dict."""
    result = materialize(settings, RAW, job=INGEST_JOB, instance=instance, log_level=log_level, trigger="htic run",
                         ops={"raw_tables": {"deliveries": list(deliveries or []), "force": force}})
    return ingest_summary(settings, result)


def ingest_summary(settings: Settings, result: dg.ExecuteInProcessResult) -> dict:
    """The summary the `raw_tables` asset wrote for this run."""
    return json.loads((settings.warehouse / "runs" / f"ingest-{result.run_id}.json").read_text())


def build(settings: Settings, as_of: date | None = None, *, ingest: bool = True,
          instance: dg.DagsterInstance | None = None, log_level: str = "INFO") -> dg.ExecuteInProcessResult:
    """Ingestion (unless ingest=False), every dbt model as of A and the analytics warehouse, in one
    run. Without A, the dbt asset takes the last quarter end the deliveries cover (pipelines.dates)."""
    pseudonym_secret()  # SecretError now, before ingestion commits anything
    dbt_config = {"progress": log_level != "ERROR"} | ({"as_of": as_of.isoformat()} if as_of else {})
    ops = {DBT_ASSETS_NAME: dbt_config}
    return materialize(settings, (RAW | MODELS) if ingest else MODELS, instance=instance, ops=ops,
                       log_level=log_level, trigger="htic run")


def republish(settings: Settings, *, instance: dg.DagsterInstance | None = None,
              log_level: str = "INFO") -> dg.ExecuteInProcessResult:
    """Only the publish step: analytics.duckdb again from the models already built (and the ledger as it is now)."""
    return materialize(settings, dg.AssetSelection.assets(PUBLISH_ASSET_KEY), instance=instance,
                       log_level=log_level, trigger="htic run")


def built_as_of(result: dg.ExecuteInProcessResult) -> date:
    """A of the build the run published (the analytics_warehouse asset's metadata)."""
    [mat] = [m for m in result.get_asset_materialization_events() if m.asset_key == PUBLISH_ASSET_KEY]
    return date.fromisoformat(mat.materialization.metadata["as_of"].value)


def needs_build(settings: Settings, as_of: date) -> bool:
    """Whether the models must be rebuilt as of A: a complete delivery with as-of <= A + 45 is
    waiting, or analytics.duckdb was not published from exactly the deliveries A depends on."""
    pending, _ = pending_from_export(settings)
    if any(d.as_of <= dates.cutoff(as_of) for d in pending):
        return True
    return not builds.is_published_build(settings, as_of)


def snapshot(settings: Settings, quarter: str, *, build: bool = True, revision_reason: str | None = None,
             instance: dg.DagsterInstance | None = None, log_level: str = "WARNING") -> Path:
    """The quarter's funder snapshot in one run: with build=True, first whatever has arrived is
    ingested and the models are rebuilt as of the quarter's end if their inputs changed (the dbt
    asset takes A from the run's partition). Returns the published folder."""
    from pipelines.snapshot.publish import latest_folder

    selection = SNAPSHOT
    if build:
        selection = selection | RAW
        if needs_build(settings, dates.quarter_end(quarter)):
            pseudonym_secret()  # SecretError now, before ingestion commits anything
            selection = selection | MODELS
    materialize(settings, selection, job=SNAPSHOT_JOB, instance=instance, partition_key=quarter, log_level=log_level,
                ops={"funder_snapshot": {"revision_reason": revision_reason or ""}}, trigger="htic snapshot")
    if settings.snapshots_dir.exists():
        share_with_group(settings.snapshots_dir)  # what funders and evaluators read (README, "Privacy")
    return latest_folder(settings.snapshots_dir, quarter)
