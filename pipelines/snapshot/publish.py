"""Publish the quarterly funder snapshot: `snapshots/<YYYYQn>/` in the warehouse folder.

`publish_snapshot(settings, quarter)` reads `metrics` (as_of = A, the quarter's last day) and the
ledger copy from analytics.duckdb, builds every file in a temporary folder beside the target, then
renames it into place in one step. A published folder is never written again: publishing a quarter
that exists is refused; a correction is published beside it as a revision `snapshots/<YYYYQn>-r<k>/`
(k = 2, 3, ...), which names the revision it corrects and why, and whose restatements.csv lists the
figures that changed. Revisions are also recorded, one JSON line each, in `snapshots/publications.jsonl`.

Building the warehouse as of A happens before, in the assets upstream of `funder_snapshot`; this
module only reads it, so tests can call it on a fabricated warehouse.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path

from pipelines import dates
from pipelines.snapshot.context import SnapshotContext
from pipelines.snapshot.table import (KEY, DisclosureRefused, SnapshotError, build_table, formatted_rows, read_metrics,
                                      write_csv, write_parquet)

FILES = ["metrics.csv", "metrics.parquet", "workbook.xlsx", "report.html", "report.pdf", "restatements.csv",
         "manifest.json"]  # and, when the warehouse has the adjusted comparison, effects_files.FILES
LOG = "publications.jsonl"


_FOLDER = re.compile(r"^(\d{4}Q[1-4])(?:-r(\d+))?$")


class AlreadyPublished(SnapshotError):
    """The quarter (or that revision) is published; its folder is never written again."""


def split_revision(folder_name: str) -> tuple[str, int] | None:
    """'2026Q3' -> ('2026Q3', 1); '2026Q3-r2' -> ('2026Q3', 2); anything else -> None."""
    m = _FOLDER.match(folder_name)
    if not m:
        return None
    return m.group(1), int(m.group(2) or 1)


def folder_name(quarter: str, revision: int) -> str:
    return quarter if revision == 1 else f"{quarter}-r{revision}"


def published(snapshots_dir: Path) -> dict[str, list[int]]:
    """Quarter -> revisions published (complete folders only: they hold a manifest)."""
    out: dict[str, list[int]] = {}
    if not Path(snapshots_dir).is_dir():
        return out
    for p in Path(snapshots_dir).iterdir():
        parsed = split_revision(p.name)
        if parsed and p.is_dir() and (p / "manifest.json").exists():
            out.setdefault(parsed[0], []).append(parsed[1])
    return {q: sorted(r) for q, r in out.items()}


def latest_folder(snapshots_dir: Path, quarter: str) -> Path | None:
    revs = published(snapshots_dir).get(quarter)
    return Path(snapshots_dir) / folder_name(quarter, revs[-1]) if revs else None


def is_published(snapshots_dir: Path, quarter: str) -> bool:
    return bool(published(snapshots_dir).get(quarter))


def previous_snapshot(snapshots_dir: Path, quarter: str, revision: int) -> Path | None:
    """What restatements compare with: for a revision, the latest revision it corrects; otherwise
    the latest revision of the most recent quarter published before this one."""
    pub = published(snapshots_dir)
    if revision > 1:
        return Path(snapshots_dir) / folder_name(quarter, max(r for r in pub[quarter] if r < revision))
    earlier = [q for q in pub if dates.parse_quarter(q) < dates.parse_quarter(quarter)]
    if not earlier:
        return None
    q = max(earlier, key=dates.parse_quarter)
    return Path(snapshots_dir) / folder_name(q, pub[q][-1])


def restricted_file(settings, name: str) -> Path:
    """The team's record of a snapshot's suppressed rows (true counts and reason): restricted store,
    never under snapshots/."""
    return Path(settings.restricted_dir) / "disclosure" / f"{name}.csv"


def earlier_publications(settings, snapshots_dir: Path) -> list[tuple]:
    """Every published folder (all quarters, all revisions), sorted by name: (folder, its metrics.csv
    as text, the true counts of its hidden rows from the restricted file, or None for a snapshot
    published before it was kept) — what a reader of the new snapshot already holds, and what the
    audit needs to link a hidden count to the same count now."""
    import pandas as pd

    out = []
    for p in sorted(Path(snapshots_dir).iterdir()) if Path(snapshots_dir).is_dir() else []:
        if split_revision(p.name) and p.is_dir() and (p / "manifest.json").exists():
            truth = restricted_file(settings, p.name)
            out.append((p.name, _with_counts_people(pd.read_csv(p / "metrics.csv", dtype=str, keep_default_na=False)),
                        pd.read_csv(truth, dtype={k: str for k in KEY}, keep_default_na=False,
                                    na_values=[""]) if truth.exists() else None))
    return out


def _with_counts_people(rows):
    """metrics.md v1 publications printed `counts_people`; v2 ones do not: what a metric counts is
    in the catalogue (a metric it does not know counts people)."""
    from pipelines import catalogue

    if "counts_people" not in rows:
        known = catalogue.metrics_by_id()
        rows["counts_people"] = ["true" if (m := known.get(mid)) is None or m.counts_people else "false"
                                 for mid in rows["metric_id"]]
    return rows


def write_restricted_file(settings, name: str, truth) -> Path:
    from pipelines.snapshot.table import csv_bytes, format_count

    path = restricted_file(settings, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{**{k: str(getattr(r, k)) for k in KEY}, "numerator": format_count(r.numerator),
             "denominator": format_count(r.denominator), "suppression_reason": r.suppression_reason or ""}
            for r in truth.sort_values(KEY).itertuples(index=False)]
    path.write_bytes(csv_bytes(rows, KEY + ["numerator", "denominator", "suppression_reason"]))
    return path


def publish_snapshot(settings, quarter: str, revision_reason: str | None = None) -> Path:
    """Publish the snapshot of `quarter` from settings.analytics_db; return its folder.

    Without `revision_reason` the quarter must not be published yet (AlreadyPublished otherwise).
    With it, a correction is published as the next revision `<quarter>-r<k>`; it is refused when
    its figures equal those of the revision it would correct."""
    from pipelines.snapshot import effects_files
    from pipelines.snapshot.manifest import read_inputs, sha256_file, write_manifest
    from pipelines.snapshot.report import Reports
    from pipelines.snapshot.restatements import write_restatements
    from pipelines.snapshot.workbook import write_workbook

    dates.parse_quarter(quarter)
    snaps = Path(settings.snapshots_dir)
    snaps.mkdir(parents=True, exist_ok=True)
    revs = published(snaps).get(quarter, [])
    if revs and not revision_reason:
        raise AlreadyPublished(
            f"{quarter} is already published ({snaps / folder_name(quarter, revs[-1])}); a published snapshot "
            "is never overwritten. To publish a correction beside it, give a reason (htic snapshot --revise REASON).")
    if revision_reason and not revs:
        raise SnapshotError(f"{quarter} is not published yet: nothing to revise (publish it without a reason)")
    revision = revs[-1] + 1 if revs else 1
    name = folder_name(quarter, revision)
    target = snaps / name
    if target.exists():
        raise AlreadyPublished(f"{target} exists; a published snapshot is never overwritten")

    import time

    clock = time.perf_counter
    timings: dict[str, float] = {}
    start = t = clock()
    as_of, cutoff = dates.quarter_end(quarter), dates.data_cutoff(quarter)
    metrics = read_metrics(settings.analytics_db, as_of)
    if metrics.empty:
        raise SnapshotError(f"analytics.duckdb has no metrics as of {as_of}: build the warehouse as of that date first")
    deliveries, files = read_inputs(settings.analytics_db, cutoff)
    earlier = earlier_publications(settings, snaps)
    timings["read"] = clock() - t
    t = clock()
    table, audit, truth = build_table(metrics, earlier, as_of)
    timings["disclosure_total"] = clock() - t
    timings["disclosure_audit_final"] = audit.seconds
    t = clock()
    effects, effects_audit = effects_files.for_publication(settings.analytics_db, as_of, snaps, settings.restricted_dir,
                                                           [e[0] for e in earlier])
    timings["effects_disclosure"] = clock() - t
    if effects_audit is not None and not effects_audit.passed:
        raise DisclosureRefused(effects_audit.failures)
    previous = previous_snapshot(snaps, quarter, revision)
    ctx = SnapshotContext(quarter=quarter, revision=revision, folder=name, as_of=as_of, cutoff=cutoff, table=table,
                          n_deliveries=len(deliveries), revises=previous.name if revision > 1 else None,
                          revision_reason=revision_reason, effects=effects,
                          earlier=tuple(e for e in earlier if split_revision(e[0])[0] != quarter))

    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=snaps))
    try:
        write_csv(table, tmp / "metrics.csv")
        if revision > 1 and sha256_file(tmp / "metrics.csv") == sha256_file(previous / "metrics.csv"):
            raise SnapshotError(f"the figures equal those of {previous.name}: nothing to correct, no revision published")
        write_parquet(table, tmp / "metrics.parquet")
        if effects is not None:
            effects_files.write_effects_files(effects, tmp)
        t = clock()
        with Reports(ctx) as reports:  # its charts render in worker processes while the workbook is written
            timings["report_model"] = clock() - t
            t = clock()
            write_workbook(ctx, tmp / "workbook.xlsx")
            timings["workbook"] = clock() - t
            t = clock()
            reports.write(tmp / "report.html", tmp / "report.pdf")
            timings["report"] = clock() - t
        n_restated = write_restatements(previous / "metrics.csv" if previous else None, formatted_rows(table),
                                        tmp / "restatements.csv")
        facts = {
            "snapshot": name, "quarter": quarter, "revision": revision, "revises": ctx.revises,
            "revision_reason": revision_reason, "as_of": as_of.isoformat(), "data_cutoff": cutoff.isoformat(),
            "input_rule": "accepted deliveries with as_of <= as_of + 45 days in the ledger of analytics.duckdb",
            "previous_snapshot": None if previous is None else {
                "folder": previous.name, "metrics_csv_sha256": sha256_file(previous / "metrics.csv")},
            "restatements": n_restated,
            "disclosure": {"rows": len(table), "suppressed": ctx.n_suppressed,
                           "earlier_publications": [
                               {"folder": e[0], "metrics_csv_sha256": sha256_file(snaps / e[0] / "metrics.csv"),
                                "restricted_truth_sha256": sha256_file(restricted_file(settings, e[0]))
                                if e[2] is not None else None} for e in earlier],
                           "audit": audit.summary(),
                           "effects_audit": None if effects_audit is None else effects_audit.summary(),
                           "rule": "metrics.md v2 'What funders receive'; see docs/disclosure.md"},
            # building and rendering: all but the disclosure control (timed apart: issue 14)
            "build_seconds": {k: round(v, 2) for k, v in timings.items()} | {"building_and_rendering": round(
                clock() - start - timings["disclosure_total"] - timings["effects_disclosure"], 2)},
        }
        manifest = write_manifest(tmp, tmp / "manifest.json", facts, deliveries, files)
        for p in tmp.iterdir():
            p.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # read-only: published bytes never change
        tmp.chmod(0o755)
        if target.exists():
            raise AlreadyPublished(f"{target} appeared while publishing; a published snapshot is never overwritten")
        os.rename(tmp, target)  # atomic on one filesystem; fails if the target exists and is not empty
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    write_restricted_file(settings, name, truth)
    if effects is not None:
        effects_files.write_record(settings.restricted_dir, name, effects)
    with open(snaps / LOG, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"snapshot": name, "quarter": quarter, "revision": revision, "revises": ctx.revises,
                             "reason": revision_reason, "generated_at": manifest["generated_at"],
                             "metrics_csv_sha256": manifest["outputs"]["metrics.csv"]["sha256"]}) + "\n")
    return target


def first_page_of(settings, folder):
    """The first page of a published snapshot folder, rebuilt from its metrics.csv, the publications
    before it and the warehouse's evaluation tables, disclosed as that publication disclosed them."""
    import pandas as pd

    from pipelines.snapshot import effects_files
    from pipelines.snapshot.firstpage import build_first_page

    folder = Path(folder)
    quarter = split_revision(folder.name)[0]
    as_of = dates.quarter_end(quarter)
    rows = pd.read_csv(folder / "metrics.csv", dtype=str, keep_default_na=False)
    before = [e for e in earlier_publications(settings, folder.parent) if e[0] < folder.name]
    effects, _ = effects_files.for_publication(settings.analytics_db, as_of, folder.parent, settings.restricted_dir,
                                               [e[0] for e in before])
    return build_first_page(rows, quarter, as_of, [e for e in before if split_revision(e[0])[0] != quarter],
                            effects)


def print_first_page(settings, folder) -> None:
    """For `htic demo`: print the first page of the published snapshot in `folder`."""
    from pipelines.snapshot.firstpage import first_page_text

    print(first_page_text(first_page_of(settings, folder)))
