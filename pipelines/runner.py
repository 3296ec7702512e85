"""`htic run`: the pipeline, in-process through Dagster (the same assets the UI shows).

`ingest(settings, instance=None)` materializes the ingestion assets and returns the run's summary;
the integrator chains the dbt stage and publish after it. `run(args)` prints the summary.
"""

from __future__ import annotations

import json
import sys


def add_arguments(parser) -> None:
    parser.add_argument("--landing", help="landing root (default: $HTIC_LANDING or <warehouse>/landing)")
    parser.add_argument("--warehouse", help="warehouse folder (default: $HTIC_WAREHOUSE or <repo>/warehouse)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress lines, only the summary")


class IngestionFailed(RuntimeError):
    pass


def ingest(settings, instance=None, *, deliveries: list[str] | None = None, force: bool = False,
           log_level: str = "INFO") -> dict:
    """Run the `raw_tables` asset (every pending delivery) in-process; return its summary dict."""
    import dagster as dg

    from pipelines.ingestion.assets import HticPaths, raw_tables
    from pipelines.ingestion.sensors import record_alert

    if instance is None:
        from dagster._core.instance.ref import InstanceRef

        home = settings.ensure_dagster_home()
        instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
    run_config = {"ops": {"raw_tables": {"config": {"deliveries": list(deliveries or []), "force": force}}},
                  "loggers": {"console": {"config": {"log_level": log_level}}}}
    result = dg.materialize(
        [raw_tables], instance=instance, run_config=run_config, raise_on_error=False,
        resources={"htic": HticPaths(warehouse=str(settings.warehouse), landing=str(settings.landing))},
        tags={"htic/trigger": "htic run"})
    if not result.success:
        errs = [e.message for e in result.all_events if e.is_failure]
        msg = errs[-1].splitlines()[0] if errs else "ingestion run failed"
        import os
        from datetime import datetime, timezone

        record_alert(settings, {"kind": "run_failure", "run_id": result.run_id, "job": "htic run",
                                "at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "message": msg},
                     os.environ.get("HTIC_ALERT_WEBHOOK"))
        raise IngestionFailed(f"ingestion run {result.run_id} failed: {msg}")
    path = settings.warehouse / "runs" / f"ingest-{result.run_id}.json"
    return json.loads(path.read_text())


def format_summary(s: dict) -> str:
    lines = []
    c = s["counts"]
    lines.append(f"Deliveries: {c.get('accepted', 0)} accepted, {c.get('rejected', 0)} rejected, "
                 f"{c.get('duplicate', 0)} duplicate, {len(s['superseded'])} superseded, "
                 f"{len(s['in_transit'])} in transit")
    for o in s["deliveries"]:
        if o["status"] == "rejected":
            lines.append(f"  REJECTED {o['delivery_key']}: {o['reason']}")
        elif o["status"] == "duplicate":
            lines.append(f"  duplicate {o['delivery_key']} (same bytes as {o['duplicate_of']})")
    for it in s["in_transit"]:
        lines.append(f"  in transit {it['delivery']}" + ("  ** OVERDUE **" if it["overdue"] else ""))
    if s["per_source"]:
        lines.append("Rows per source (loaded / rejected / held):")
        for src, ps in sorted(s["per_source"].items()):
            lines.append(f"  {src:<28} {ps['rows_loaded']:>10} {ps['rows_rejected']:>8} {ps['rows_held']:>6}")
    bad = {t: r for t, r in s["checks"].items() if not r["passed"]}
    if bad:
        lines.append("Checks not passed:")
        for t, r in bad.items():
            fails = ", ".join(f"{f['rule']}({f['column']}): {f['unexpected_rows']}" for f in r["failing"][:6])
            lines.append(f"  raw/{t} [{r['severity']}] {fails}" + (f" {r['error']}" if r.get("error") else ""))
    for w in s["warnings"][:20]:
        lines.append(f"warning: {w}")
    lines.append(f"Time: {s['timings'].get('total', 0):.1f}s ({s['rows_staged']} new rows)")
    return "\n".join(lines)


def run(args) -> int:
    from pipelines.settings import get_settings

    settings = get_settings(warehouse=args.warehouse, landing=args.landing)
    try:
        summary = ingest(settings, log_level="ERROR" if args.quiet else "INFO")
    except IngestionFailed as e:
        print(str(e), file=sys.stderr)
        return 1
    print(json.dumps(summary, indent=1, default=str) if args.json else format_summary(summary))
    return 0
