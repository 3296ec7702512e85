"""Sensors: new complete deliveries start the ingest job; failed runs raise an alert.

Neither opens the DuckDB warehouse: the delivery sensor compares the landing root with the exported
ledger (ledger.parquet), so the UI never holds a lock on the restricted store.
"""


import hashlib
import json
import os
import sys
import urllib.error
import urllib.request
from datetime import date, datetime, timezone

import dagster as dg

from pipelines.defs.resources import HticSettings
from pipelines.ingestion.assets import DELIVERIES, ingest_job


def pending_from_export(settings):
    """(pending complete deliveries, overdue in-transit deliveries) — from files only."""
    from pipelines.ingestion.deliveries import discover, pending_folders, versions_from_export
    from pipelines.ingestion.warehouse import read_ledger_export

    found, _ = discover(settings.landing)
    versions = versions_from_export(read_ledger_export(settings.ledger_export))
    overdue = [d for d in found if not d.complete and d.overdue(date.today())]
    return pending_folders(found, versions), overdue


@dg.sensor(job=ingest_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Starts `ingest` when a complete delivery (control file present) is new or corrected.")
def new_deliveries_sensor(context: dg.SensorEvaluationContext, htic: HticSettings):
    settings = htic.get()
    pending, overdue = pending_from_export(settings)
    for d in overdue:
        context.log.warning(f"{d.key}: in transit (no control file) and overdue")
    if not pending:
        return dg.SkipReason(f"no new complete deliveries ({len(overdue)} overdue in transit)")
    keys = sorted({f"{d.source_id}|{d.as_of.isoformat()}" for d in pending})
    # the versions already seen keep a retried folder (same control file, new data bytes) a new run key
    from pipelines.ingestion.deliveries import versions_from_export
    from pipelines.ingestion.warehouse import read_ledger_export

    seen = versions_from_export(read_ledger_export(settings.ledger_export))
    run_key = hashlib.sha256("\n".join(sorted(f"{d.key}:{d.control_sha256}:{len(seen.get(d.key, []))}"
                                               for d in pending)).encode()).hexdigest()
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=run_key, tags={"htic/deliveries": str(len(pending))})],
        dynamic_partitions_requests=[DELIVERIES.build_add_request(keys)],
    )


def record_alert(settings, payload: dict) -> None:
    """Append the alert to <warehouse>/alerts.jsonl (0600) and POST it to settings.alert_webhook, if
    one is set; a webhook that cannot be reached is reported in one line on stderr (the alert is
    in alerts.jsonl either way)."""
    webhook = settings.alert_webhook
    settings.warehouse.mkdir(parents=True, exist_ok=True)
    fd = os.open(settings.alerts_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(payload, default=str) + "\n")
    if webhook:
        req = urllib.request.Request(webhook, data=json.dumps(payload, default=str).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        try:
            urllib.request.urlopen(req, timeout=10).close()
        except (urllib.error.URLError, OSError) as exc:
            print(f"alert webhook not reached ({type(exc).__name__}); the alert is in {settings.alerts_log}",
                  file=sys.stderr, flush=True)


@dg.run_failure_sensor(name="run_failure_alert", default_status=dg.DefaultSensorStatus.RUNNING,
                       description="Records every failed run in alerts.jsonl and calls $HTIC_ALERT_WEBHOOK.")
def run_failure_alert(context: dg.RunFailureSensorContext, htic: HticSettings):
    run = context.dagster_run
    msg = context.failure_event.message or ""
    payload = {"kind": "run_failure", "run_id": run.run_id, "job": run.job_name,
               "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "message": msg.splitlines()[0][:500] if msg else ""}
    record_alert(htic.get(), payload)
