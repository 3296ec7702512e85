"""`htic snapshot --quarter 2026Q3 [--warehouse DIR]`: publish the quarterly funder snapshot.

A thin face over the Dagster asset `funder_snapshot` (pipelines/snapshot/assets.py): the runner
materialises the quarter's partition with what it is built from, in-process, as the daily
schedule's run would (pipelines.runner.snapshot).
"""

from __future__ import annotations


def add_arguments(parser) -> None:
    parser.add_argument("--quarter", default="latest",
                        help="the quarter, e.g. 2026Q3 (as of its last day); default 'latest': the last quarter "
                             "whose 45-day grace the deliveries received cover")
    parser.add_argument("--warehouse", help="warehouse folder (default: $HTIC_WAREHOUSE or <repo>/warehouse)")
    parser.add_argument("--revise", metavar="REASON",
                        help="publish a correction of a published quarter beside it (<quarter>-r<k>), for this reason")
    parser.add_argument("--no-build", action="store_true",
                        help="publish from analytics.duckdb as it is (already built as of the quarter's end)")
    parser.add_argument("--early", action="store_true",
                        help="allow a quarter whose 45-day grace has not passed yet (a snapshot is final: avoid)")


def run(args) -> int:
    import sys
    from datetime import date

    from pipelines import dates, runner
    from pipelines.settings import get_settings
    from pipelines.snapshot.publish import is_published

    settings = get_settings(args.warehouse)
    quarter = args.quarter
    if quarter == "latest":
        quarter = latest_due_quarter(settings)
        if quarter is None:
            print("htic snapshot: no delivery ledger in analytics.duckdb: build the warehouse first (htic run)",
                  file=sys.stderr)
            return 2
        print(f"htic snapshot: latest quarter due: {quarter}")
    try:
        dates.parse_quarter(quarter)
    except ValueError as exc:
        print(f"htic snapshot: {exc}", file=sys.stderr)
        return 2
    if not args.revise and is_published(settings.snapshots_dir, quarter):
        print(f"htic snapshot: {quarter} is already published in {settings.snapshots_dir / quarter}; a published "
              "snapshot is never overwritten. To publish a correction beside it: --revise 'REASON'.", file=sys.stderr)
        return 3
    if not grace_passed(settings, quarter, date.today()) and not args.early:
        print(f"htic snapshot: {quarter}'s grace period runs to {dates.data_cutoff(quarter)}; its snapshot is due on "
              f"{dates.publishable_on(quarter)} (use --early to make it anyway)", file=sys.stderr)
        return 2
    try:
        folder = runner.snapshot(settings, quarter, build=not args.no_build, revision_reason=args.revise)
    except runner.RunFailed as exc:
        print(f"htic snapshot: {exc}", file=sys.stderr)
        return 1
    print(f"Published {folder}")
    for name in sorted(p.name for p in folder.iterdir()):
        print(f"  {name}")
    return 0


def latest_due_quarter(settings) -> str | None:
    """The last quarter whose A + 45 the deliveries received cover (pipelines.dates, the rule `htic
    run` uses for its default as-of), judged from analytics.duckdb's ledger copy; None without one."""
    from pipelines import builds, dates

    return dates.latest_complete_quarter(builds.received_dates(settings, published=True))


def grace_passed(settings, quarter: str, today) -> bool:
    """A quarter is due once its grace (A + 45) has passed: by the calendar, or by the data (the
    deliveries received cover A + 45, e.g. a synthetic world set in the future)."""
    from pipelines import dates

    if today >= dates.publishable_on(quarter):
        return True
    latest = latest_due_quarter(settings)
    return latest is not None and dates.parse_quarter(quarter) <= dates.parse_quarter(latest)


def publish_latest(settings):
    """For `htic demo`: publish the latest due quarter (built as of its end) unless it is published
    already; return its folder (the latest revision)."""
    from pipelines import runner
    from pipelines.snapshot.publish import latest_folder

    quarter = latest_due_quarter(settings)
    if quarter is None:
        raise RuntimeError("no delivery ledger in analytics.duckdb: run the pipeline first")
    existing = latest_folder(settings.snapshots_dir, quarter)
    if existing is not None:
        return existing
    return runner.snapshot(settings, quarter)
