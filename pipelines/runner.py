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
    parser.add_argument("--as-of", dest="as_of",
                        help="build every model as of this date (YYYY-MM-DD); default: the last quarter end "
                             "that the deliveries cover through 45 days later (from the data, never the clock)")
    parser.add_argument("--ingest-only", action="store_true", help="stop after loading the raw tables")
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
    lines.append(f"Deliveries processed by this run: {c.get('accepted', 0)} accepted, {c.get('rejected', 0)} rejected, "
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


from pipelines.snapshot.quarters import GRACE_DAYS  # noqa: E402  (45 days: metrics.md, "As-of date A")


def _ledger(settings, statuses=("accepted", "duplicate")) -> list[tuple[str, object]]:
    """(delivery_key, as_of) of the deliveries received, read-only from the restricted store."""
    import duckdb

    con = duckdb.connect(str(settings.restricted_db), read_only=True)
    try:
        marks = ",".join("?" * len(statuses))
        return con.execute(f"SELECT delivery_key, as_of FROM raw.deliveries WHERE status IN ({marks}) ORDER BY 1",
                           list(statuses)).fetchall()
    finally:
        con.close()


def default_as_of(settings):
    """A, when none is given: the last quarter end A that the deliveries received cover through 45
    days later (the newest accepted or re-sent delivery is dated on or after A + 45). From the data,
    never the wall clock, so the same landing tree gives the same figures on any day."""
    from pipelines.snapshot import quarters as qt

    dates = [as_of for _, as_of in _ledger(settings)]
    if not dates:
        raise IngestionFailed("no delivery has been accepted yet: nothing to build (see htic status)")
    label = qt.quarter_of(max(dates))
    while qt.data_cutoff(label) > max(dates):
        label = qt.previous_quarter(label)
    return qt.quarter_end(label)


def _inputs_fingerprint(settings, as_of) -> str:
    """What a build as of A depends on: the accepted deliveries with as-of <= A + 45 (their keys)."""
    import hashlib
    from datetime import timedelta

    keys = [k for k, d in _ledger(settings, ("accepted",)) if d <= as_of + timedelta(days=GRACE_DAYS)]
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()


def _builds_file(settings):
    return settings.warehouse / "analytics_builds.json"


def _record_build(settings, as_of, fingerprint) -> None:
    import os

    path = _builds_file(settings)
    builds = json.loads(path.read_text()) if path.exists() else {}
    builds[as_of.isoformat()] = fingerprint
    tmp = path.with_suffix(f".tmp-{os.getpid()}")
    tmp.write_text(json.dumps(builds, indent=1, sort_keys=True))
    os.replace(tmp, path)


def build_models_as_of(settings, as_of, instance=None, *, reuse: bool = False, log_level: str = "INFO") -> bool:
    """dbt (staging -> linkage -> case histories -> marts -> metrics) as of A, then publish the
    analytics warehouse. With reuse=True, skip it when analytics.duckdb already holds the metrics
    as of A built from exactly the deliveries that A depends on. Returns True when it built."""
    from pipelines.defs.dbt import build_models

    fingerprint = _inputs_fingerprint(settings, as_of)
    if reuse and settings.analytics_db.exists():
        path = _builds_file(settings)
        if path.exists() and json.loads(path.read_text()).get(as_of.isoformat()) == fingerprint:
            return False
    result = build_models(settings, as_of, instance=instance or _instance(settings), log_level=log_level)
    if not result.success:
        raise IngestionFailed(f"model build as of {as_of} failed (run {result.run_id}); see the Dagster UI or logs")
    _record_build(settings, as_of, fingerprint)
    return True


def _instance(settings):
    import dagster as dg
    from dagster._core.instance.ref import InstanceRef

    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(settings.ensure_dagster_home())))


def build_as_of(settings, as_of) -> None:
    """For the funder snapshot: load whatever complete deliveries have arrived, then make sure the
    analytics warehouse holds the metrics as of A (rebuilt only if its inputs changed)."""
    ingest(settings, log_level="ERROR")
    build_models_as_of(settings, as_of, reuse=True, log_level="ERROR")


def run_pipeline(settings, as_of=None, *, quiet: bool = False) -> dict:
    """The whole pipeline in-process through Dagster: ingest every pending delivery, then build
    every model as of A and publish the analytics warehouse."""
    import time

    instance = _instance(settings)
    t0 = time.perf_counter()
    if not quiet:
        print(f"Ingesting complete deliveries from {settings.landing} ...", flush=True)
    summary = ingest(settings, instance, log_level="ERROR" if quiet else "INFO")
    t_ingest = time.perf_counter() - t0
    a = as_of or default_as_of(settings)
    if not quiet:
        from datetime import timedelta

        print(f"Building every model as of {a} (deliveries with as-of <= {a + timedelta(days=GRACE_DAYS)}) ...",
              flush=True)
    build_models_as_of(settings, a, instance, log_level="ERROR" if quiet else "INFO")
    return {"ingest": summary, "as_of": a, "seconds_ingest": t_ingest,
            "seconds_models": time.perf_counter() - t0 - t_ingest, "analytics": str(settings.analytics_db),
            "headline": headline(settings, a)}


HEADLINE_METRICS = [
    ("g1_noncriminal_disposition", "htic", "non-criminal disposition"),
    ("g2_mandate_completion_180d", "htic", "mandate completed within 180 days"),
    ("g3_need_referred_60d", "htic", "needs (moderate/high) referred within 60 days"),
    ("g4_rearrest_any_12m", "htic", "rearrested within 12 months (HTIC)"),
    ("g4_rearrest_any_12m", "comparison", "rearrested within 12 months (comparison, unadjusted)"),
    ("g9_cases_linked", "htic", "mandated cases linked to a provider"),
]


def headline(settings, as_of) -> list[dict]:
    """A few overall figures as of A, pooled over every reported cohort, read from the analytics warehouse."""
    import duckdb

    con = duckdb.connect(str(settings.analytics_db), read_only=True)
    try:
        out = []
        for metric, population, label in HEADLINE_METRICS:
            num, den = con.execute(
                "SELECT sum(numerator), sum(denominator) FROM metrics WHERE as_of = ? AND metric_id = ? "
                "AND population = ? AND breakdown = 'overall' AND metric_kind = 'rate'",
                [as_of, metric, population]).fetchone()
            if den:
                out.append({"metric_id": metric, "population": population, "label": label,
                            "numerator": num, "denominator": den, "value": num / den})
        return out
    finally:
        con.close()


def print_summary(result: dict) -> None:
    print(format_summary(result["ingest"]))
    print("(the whole ledger: htic status)")
    print(f"As of {result['as_of']}")
    print(f"Models built and analytics warehouse published in {result['seconds_models']:.1f}s: {result['analytics']}")
    if result["headline"]:
        print("Headline figures (all reported cohorts pooled, overall):")
        for h in result["headline"]:
            print(f"  {h['label']:<55} {h['value']:6.1%}  ({h['numerator']:.0f} / {h['denominator']:.0f})")


def run(args) -> int:
    from datetime import date

    from pipelines.settings import get_settings

    settings = get_settings(warehouse=args.warehouse, landing=args.landing)
    try:
        if args.ingest_only:
            summary = ingest(settings, log_level="ERROR" if args.quiet else "INFO")
            print(json.dumps(summary, indent=1, default=str) if args.json else format_summary(summary))
            return 0
        result = run_pipeline(settings, date.fromisoformat(args.as_of) if args.as_of else None, quiet=args.quiet)
    except IngestionFailed as e:
        print(str(e), file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, indent=1, default=str))
    else:
        print_summary(result)
    return 0
