"""`htic snapshot --quarter 2026Q3 [--warehouse DIR]`: publish the quarterly funder snapshot.

A thin face over the Dagster asset `funder_snapshot` (pipelines/snapshot/assets.py): it
materializes the quarter's partition in-process, exactly as the daily schedule's run would.
"""

from __future__ import annotations


def add_arguments(parser) -> None:
    parser.add_argument("--quarter", default="latest",
                        help="the quarter, e.g. 2026Q3 (as of its last day); default 'latest': the last quarter "
                             "whose 45-day grace has passed, judged from the deliveries received")
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

    from pipelines.settings import get_settings
    from pipelines.snapshot import quarters as qt
    from pipelines.snapshot.publish import is_published

    settings = get_settings(args.warehouse)
    quarter = args.quarter
    if quarter == "latest":
        quarter = latest_due_quarter(settings, date.today())
        if quarter is None:
            print("htic snapshot: no delivery ledger in analytics.duckdb: build the warehouse first (htic run)",
                  file=sys.stderr)
            return 2
        print(f"htic snapshot: latest quarter due: {quarter}")
    try:
        qt.parse_quarter(quarter)
    except ValueError as exc:
        print(f"htic snapshot: {exc}", file=sys.stderr)
        return 2
    if not args.revise and is_published(settings.snapshots_dir, quarter):
        print(f"htic snapshot: {quarter} is already published in {settings.snapshots_dir / quarter}; a published "
              "snapshot is never overwritten. To publish a correction beside it: --revise 'REASON'.", file=sys.stderr)
        return 3
    if not grace_passed(settings, quarter, date.today()) and not args.early:
        print(f"htic snapshot: {quarter}'s grace period runs to {qt.data_cutoff(quarter)}; its snapshot is due on "
              f"{qt.publishable_on(quarter)} (use --early to make it anyway)", file=sys.stderr)
        return 2
    folder = materialize_snapshot(settings, quarter, build=not args.no_build, revision_reason=args.revise)
    if folder is None:
        return 1
    print(f"Published {folder}")
    for name in sorted(p.name for p in folder.iterdir()):
        print(f"  {name}")
    return 0


def latest_delivery_as_of(settings):
    """The latest as-of date among accepted deliveries in analytics.duckdb's ledger copy, or None."""
    import duckdb

    if not settings.analytics_db.exists():
        return None
    con = duckdb.connect(str(settings.analytics_db), read_only=True)
    try:
        return con.execute("select max(as_of) from deliveries where status = 'accepted'").fetchone()[0]
    except duckdb.Error:
        return None
    finally:
        con.close()


def grace_passed(settings, quarter: str, today) -> bool:
    """A quarter is due once its grace (A + 45) has passed: by the calendar, or by the data (a
    delivery dated after A + 45 has been received, e.g. a synthetic world set in the future)."""
    from pipelines.snapshot import quarters as qt

    if today >= qt.publishable_on(quarter):
        return True
    latest = latest_delivery_as_of(settings)
    return latest is not None and latest > qt.data_cutoff(quarter)


def latest_due_quarter(settings, today=None) -> str | None:
    """The last quarter whose grace has passed, judged from the deliveries received (the data, not
    the clock): the latest Q with A + 45 < the newest accepted delivery's as-of date."""
    from pipelines.snapshot import quarters as qt

    latest = latest_delivery_as_of(settings)
    if latest is None:
        return None
    return qt.last_publishable_quarter(latest)


def publish_latest(settings):
    """For `htic demo`: publish the latest due quarter (built as of its end) unless it is published
    already; return its folder (the latest revision)."""
    from pipelines.snapshot.publish import latest_folder

    quarter = latest_due_quarter(settings)
    if quarter is None:
        raise RuntimeError("no delivery ledger in analytics.duckdb: run the pipeline first")
    existing = latest_folder(settings.snapshots_dir, quarter)
    if existing is not None:
        return existing
    try:
        from pipelines.runner import build_as_of  # noqa: F401  (the integration area provides it)
        build = True
    except ImportError:
        build = False  # publish from the warehouse as built; refused if it has no metrics as of A
    folder = materialize_snapshot(settings, quarter, build=build)
    if folder is None:
        raise RuntimeError(f"the snapshot of {quarter} could not be published (see above)")
    return folder


def materialize_snapshot(settings, quarter: str, *, build: bool = True, revision_reason: str | None = None,
                         instance=None):
    """Materialize `funder_snapshot` for the quarter in-process; return the folder, or None (errors printed)."""
    import sys

    import dagster as dg

    from pipelines.snapshot import quarters as qt
    from pipelines.snapshot.assets import SnapshotPaths, funder_snapshot

    if instance is None:
        from dagster._core.instance.ref import InstanceRef

        home = settings.ensure_dagster_home()
        instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
    result = dg.materialize(
        [funder_snapshot], partition_key=quarter, instance=instance, raise_on_error=False,
        resources={"snapshot_paths": SnapshotPaths(warehouse=str(settings.warehouse))},
        run_config={"ops": {"funder_snapshot": {"config": {"build": build,
                                                           "revision_reason": revision_reason or ""}}},
                    "loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        tags={"htic/trigger": "htic snapshot"})
    if not result.success:
        errs = [e for e in result.all_events if e.is_failure]
        msg = "snapshot run failed"
        for e in errs:
            info = getattr(e.event_specific_data, "error", None)
            if info is not None:
                msg = info.message.strip().splitlines()[-1]
                msg = msg.split("Failure: ", 1)[-1].split("AlreadyPublished: ", 1)[-1]
                break
        print(f"htic snapshot: {msg}", file=sys.stderr)
        return None
    revs = __import__("pipelines.snapshot.publish", fromlist=["published"]).published(settings.snapshots_dir)
    return settings.snapshots_dir / qt.folder_name(quarter, revs[quarter][-1])
