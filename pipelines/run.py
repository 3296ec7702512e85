"""`htic run`: ingest, validate, model and publish, in-process through Dagster (pipelines.runner),
then print what the run did and a few headline figures."""

from __future__ import annotations

import json
import sys
import time

from pipelines.cliargs import as_of_date


def add_arguments(parser) -> None:
    parser.add_argument("--landing", help="landing root (default: $HTIC_LANDING or <warehouse>/landing)")
    parser.add_argument("--warehouse", help="warehouse folder (default: $HTIC_WAREHOUSE or <repo>/warehouse)")
    parser.add_argument("--as-of", dest="as_of", type=as_of_date,
                        help="build every model as of this date (YYYY-MM-DD); default: the last quarter end "
                             "that the deliveries cover through 45 days later (from the data, never the clock)")
    parser.add_argument("--create", action="store_true",
                        help="create the warehouse folder if it does not exist (else the run refuses to start: htic init)")
    parser.add_argument("--ingest-only", action="store_true", help="stop after loading the raw tables")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress lines, only the summary")
    parser.add_argument("--verbose", action="store_true",
                        help="every Dagster event on the terminal (default: one line per stage, and warnings)")
    parser.add_argument("--create-secret", action="store_true",
                        help="generate the pseudonymisation secret in .secrets/pseudonym.key if no secret is "
                             "configured ($HTIC_PSEUDONYM_SECRET, $HTIC_SECRET_FILE) and the file does not exist")


def log_level(quiet: bool, verbose: bool = False) -> str:
    """What Dagster's console logger shows: errors (--quiet), warnings (default), everything (--verbose)."""
    return "ERROR" if quiet else "INFO" if verbose else "WARNING"


def run_pipeline(settings, as_of=None, *, quiet: bool = False, verbose: bool = False) -> dict:
    """The whole pipeline: ingest every pending delivery, then build every model as of A (default:
    from the deliveries) and publish the analytics warehouse — or, when nothing a build as of A
    depends on changed since the last one (pipelines.fingerprint), only republish it (the ledger copy
    lists the new deliveries); what the summary prints."""
    from pipelines import builds, dates, fingerprint, runner

    if not quiet:
        target = f"as of {as_of} (deliveries with as-of <= {dates.cutoff(as_of)})" if as_of else \
            "as of the last quarter end the deliveries cover"
        print(f"Ingesting complete deliveries from {settings.landing}, then building every model {target} ...",
              flush=True)
    instance = runner.instance_for(settings)
    level = log_level(quiet, verbose)
    t0 = time.perf_counter()
    ingested = runner.ingest(settings, instance, log_level=level)
    seconds_ingest = time.perf_counter() - t0
    try:
        a = as_of or builds.default_as_of(settings)
    except builds.NoDeliveries:
        a = None  # the build below fails with that message (and records the alert)
    skipped = fingerprint.unchanged_since(settings, instance, a) if a else None
    if skipped:
        runner.republish(settings, instance=instance, log_level=level)
    else:
        result = runner.build(settings, a, ingest=False, instance=instance, log_level=level)
        a = runner.built_as_of(result)
        fingerprint.record(settings, a, result.run_id)
    return {"ingest": ingested, "as_of": a, "models_skipped_since": skipped, "seconds_ingest": seconds_ingest,
            "seconds_models": time.perf_counter() - t0 - seconds_ingest, "analytics": str(settings.analytics_db),
            "headline": headline(settings, a)}


MAX_SOURCE_LINES = 8  # more sources than this: one line of totals (the run's output fits on a screen)


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
    if len(s["per_source"]) > MAX_SOURCE_LINES:  # a first load: the totals here, each source in `htic status`
        totals = {k: sum(ps[k] for ps in s["per_source"].values()) for k in ("rows_loaded", "rows_rejected", "rows_held")}
        lines.append(f"Rows from {len(s['per_source'])} sources: {totals['rows_loaded']} loaded, "
                     f"{totals['rows_rejected']} rejected, {totals['rows_held']} held")
    elif s["per_source"]:
        lines.append("Rows per source (loaded / rejected / held):")
        for src, ps in sorted(s["per_source"].items()):
            lines.append(f"  {src:<28} {ps['rows_loaded']:>10} {ps['rows_rejected']:>8} {ps['rows_held']:>6}")
    unjudged = sorted(t for t, r in s["checks"].items() if not r.get("evaluated", True))
    if unjudged:
        lines.append(f"Checks not evaluated (no new rows): {len(unjudged)} of {len(s['checks'])} suites")
    bad = {t: r for t, r in s["checks"].items() if r.get("evaluated", True) and not r["passed"]}
    if bad:
        lines.append("Checks not passed:")
        for t, r in bad.items():
            fails = ", ".join(f"{f['rule']}({f['column']}): {f['unexpected_rows']}" for f in r["failing"][:6])
            lines.append(f"  raw/{t} [{r['severity']}] {fails}" + (f" {r['error']}" if r.get("error") else ""))
    for w in s["warnings"][:20]:
        lines.append(f"warning: {w}")
    lines.append(f"Time: {s['timings'].get('total', 0):.1f}s ({s['rows_staged']} new rows)")
    return "\n".join(lines)


def headline(settings, as_of) -> list[dict]:
    """A few overall figures as of A, pooled over every reported cohort quarter (not the pooled
    -R4 and calendar-year rows, which count the same units again), read from the analytics warehouse."""
    from pipelines.catalogue import run_summary
    from pipelines.duck import connect

    con = connect(settings.analytics_db, settings, read_only=True)
    try:
        out = []
        for line in run_summary():  # the metric catalogue says which figures, in which order
            metric, population, label = line.metric_id, line.population, line.label
            num, den = con.execute(
                "SELECT sum(numerator), sum(denominator) FROM metrics WHERE as_of = ? AND metric_id = ? "
                "AND population = ? AND breakdown = 'overall' AND metric_kind = 'rate' "
                "AND regexp_full_match(cohort, '[0-9]{4}Q[1-4]')",
                [as_of, metric, population]).fetchone()
            if den:
                out.append({"metric_id": metric, "population": population, "label": label,
                            "numerator": num, "denominator": den, "value": num / den})
        return out
    finally:
        con.close()


def print_summary(result: dict) -> None:
    print(format_summary(result["ingest"]))
    print("(each source, held rows, what is overdue: htic status)")
    print(f"As of {result['as_of']}")
    if result.get("models_skipped_since"):
        print(f"models unchanged since {result['models_skipped_since']}: skipped (dbt and the evaluation); "
              f"analytics warehouse republished with the ledger in {result['seconds_models']:.1f}s: {result['analytics']}")
    else:
        print(f"Models built and analytics warehouse published in {result['seconds_models']:.1f}s: {result['analytics']}")
    if result["headline"]:
        print("Headline figures (all reported cohorts pooled, overall):")
        for h in result["headline"]:
            print(f"  {h['label']:<55} {h['value']:6.1%}  ({h['numerator']:.0f} / {h['denominator']:.0f})")
    from pipelines.evaluation.summary import effect_lines  # the adjusted estimate beside the unadjusted one
    print("\n".join(effect_lines(result["analytics"], result["as_of"])))


def run(args) -> int:
    from pipelines import runner
    from pipelines.settings import get_settings, pseudonym_secret

    if not args.ingest_only or args.create_secret:
        pseudonym_secret(create=args.create_secret)  # SecretError before anything is written
    settings = get_settings(warehouse=args.warehouse, landing=args.landing)
    try:
        if args.ingest_only:
            summary = runner.ingest(settings, log_level=log_level(args.quiet, args.verbose))
            print(json.dumps(summary, indent=1, default=str) if args.json else format_summary(summary))
            return 0
        result = run_pipeline(settings, args.as_of, quiet=args.quiet, verbose=args.verbose)
    except runner.RunFailed as e:
        print(str(e), file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, indent=1, default=str))
    else:
        print_summary(result)
    return 0
