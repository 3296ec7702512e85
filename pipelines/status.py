"""`htic status`: what arrived, what was held or rejected, what is overdue — for people and for cron.

Read from files only: the ledger export (ledger.parquet), the runs' summaries (runs/ingest-*.json:
the rows each delivery held back, which the ledger does not record) and the landing root — never
the DuckDB file, so it works while a run holds the write lock.

By default one line per source, the source with the newest delivery first: its last delivery
version, that version's status and rows loaded / rejected / held, and whether the source is
overdue. `--all` lists every delivery version instead (newest first); `--source` and `--since`
narrow either view; `--json` prints the same facts for machines.

Exit status 1 when something needs attention (`attention()`): a source whose last delivery was
rejected (its files are in quarantine) or held rows back, a source that is overdue (its newest
delivery is older than its cadence + 7 days, or a delivery is in transit that long), a folder
rejected and still waiting for corrected files, or a landing root that cannot be read. Else 0.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from pipelines.cliargs import as_of_date


def add_arguments(parser) -> None:
    parser.add_argument("--warehouse", help="warehouse folder (default: $HTIC_WAREHOUSE or <repo>/warehouse)")
    parser.add_argument("--landing", help="landing root (default: $HTIC_LANDING or <warehouse>/landing)")
    parser.add_argument("--all", action="store_true", help="every delivery version, newest first (default: one line per source)")
    parser.add_argument("--source", help="only this source (e.g. court-queens), or every source of a kind (court, provider)")
    parser.add_argument("--since", type=as_of_date, help="only deliveries with as-of on or after this date (YYYY-MM-DD)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def held_rows(settings) -> dict[str, int]:
    """delivery version key -> rows it held back (orphan changes waiting for their record), from the
    runs' summaries; the latest run that processed a version wins."""
    held: dict[str, int] = {}
    summaries = sorted(settings.runs_dir.glob("ingest-*.json"), key=lambda p: p.stat().st_mtime) \
        if settings.runs_dir.is_dir() else []
    for path in summaries:
        for o in json.loads(path.read_text()).get("deliveries", []):
            held[o["delivery_key"]] = int(o.get("rows_held") or 0)
    return held


def _matches(source_id: str, wanted: str | None) -> bool:
    return wanted is None or source_id == wanted or source_id.split("-")[0] == wanted


def source_overdue(kind: str, newest: date, today: date) -> bool:
    """The next delivery of a source is overdue: its newest as-of + cadence + 7 days is past."""
    from pipelines.ingestion.spec import CADENCE_DAYS, STALE_GRACE_DAYS

    cadence = CADENCE_DAYS.get(kind)
    return cadence is not None and newest + timedelta(days=cadence + STALE_GRACE_DAYS) < today


def status(settings, *, source: str | None = None, since: date | None = None, today: date | None = None) -> dict:
    """The ledger's deliveries (newest first), one summary per source, what is waiting, and what
    needs attention."""
    from pipelines.ingestion.deliveries import awaiting_correction, discover, pending_folders, versions_from_export
    from pipelines.ingestion.warehouse import read_ledger_export

    today = today or date.today()
    ledger = read_ledger_export(settings.ledger_export)
    found, warnings = discover(settings.landing)
    versions = versions_from_export(ledger)
    held = held_rows(settings)

    deliveries = []
    for r in ledger:
        if not _matches(r["source_id"], source) or (since and r["as_of"] < since):
            continue
        deliveries.append({k: r[k] for k in ("delivery_key", "source_id", "source_kind", "as_of", "version",
                                              "status", "reason", "duplicate_of", "rows_loaded", "rows_rejected",
                                              "received_at")} | {"rows_held": held.get(r["delivery_key"], 0)})
    deliveries.sort(key=lambda d: (d["as_of"], d["received_at"], d["version"]), reverse=True)

    waiting = [{"delivery": d.key, "source_id": d.source_id, "state": "in transit", "overdue": d.overdue(today)}
               for d in found if not d.complete]
    pending = pending_folders(found, versions)
    waiting += [{"delivery": d.key, "source_id": d.source_id, "state": "complete, not yet ingested", "overdue": False}
                for d in pending]
    waiting += [{"delivery": k, "source_id": k.split("/")[0], "state": "rejected, waiting for corrected files",
                 "overdue": False} for k in awaiting_correction(versions) if k not in {d.key for d in pending}]
    waiting = [w for w in waiting if _matches(w["source_id"], source)]

    newest_folder: dict[str, date] = {}  # a source's newest delivery, ingested or in the landing tree
    for r in ledger:
        newest_folder[r["source_id"]] = max(newest_folder.get(r["source_id"], r["as_of"]), r["as_of"])
    for d in found:
        newest_folder[d.source_id] = max(newest_folder.get(d.source_id, d.as_of), d.as_of)

    sources = []
    for d in deliveries:  # newest first: the first version seen of a source is its last delivery
        if any(s["source_id"] == d["source_id"] for s in sources):
            continue
        late = source_overdue(d["source_kind"], newest_folder[d["source_id"]], today) or any(
            w["overdue"] for w in waiting if w["source_id"] == d["source_id"])
        sources.append(d | {"overdue": late})
    sources.sort(key=lambda s: (-s["as_of"].toordinal(), s["source_id"]))  # newest first, then by name
    return {"today": today, "sources": sources, "deliveries": deliveries, "waiting": waiting, "warnings": warnings,
            "attention": attention(sources, waiting, warnings)}


def attention(sources: list[dict], waiting: list[dict], warnings: list[str]) -> list[str]:
    """What a person should look at, one line each (empty: nothing)."""
    out = []
    for s in sources:
        if s["status"] == "rejected":
            out.append(f"{s['source_id']}: last delivery {s['delivery_key']} rejected ({s['reason'] or 'see quarantine'})")
        if s["rows_held"]:
            out.append(f"{s['source_id']}: last delivery {s['delivery_key']} held {s['rows_held']} row(s) back")
        if s["overdue"]:
            out.append(f"{s['source_id']}: overdue (newest delivery older than its cadence + 7 days)")
    out += [f"{w['delivery']}: {w['state']}" for w in waiting if w["state"].startswith("rejected")]
    out += [f"{w['delivery']}: in transit and overdue" for w in waiting
            if w["overdue"] and not any(s["source_id"] == w["source_id"] for s in sources)]
    out += [f"landing: {w}" for w in warnings]
    return out


_COLUMNS = f"{'status':<10} {'loaded':>9} {'rejected':>8} {'held':>6}"
HEADER = f"{'source':<22} {'last delivery':<26} {_COLUMNS}  overdue"
ALL_HEADER = f"{'source':<22} {'delivery':<26} {_COLUMNS}  reason"


def _line(d: dict, name: str) -> str:
    return (f"{name:<22} {d['as_of'].isoformat() + ' v' + str(d['version']):<26} {d['status']:<10} "
            f"{d['rows_loaded'] or 0:>9} {d['rows_rejected'] or 0:>8} {d['rows_held']:>6}  "
            f"{'OVERDUE' if d.get('overdue') else ''}").rstrip()


def format_status(st: dict, every: bool) -> list[str]:
    lines = []
    if not st["deliveries"]:
        lines.append("No deliveries ingested yet" + (" (for this selection)." if st["waiting"] or st["warnings"] else "."))
    elif every:
        lines.append(ALL_HEADER)
        for d in st["deliveries"]:
            lines.append(f"{_line(d, d['source_id'])}  {d['reason'] or ''}".rstrip())
    else:
        lines.append(HEADER)
        lines += [_line(s, s["source_id"]) for s in st["sources"]]
    for w in st["waiting"]:
        lines.append(f"{w['delivery']:<40} {w['state']}" + ("  OVERDUE" if w["overdue"] else ""))
    if st["attention"]:
        lines.append(f"Needs attention ({len(st['attention'])}):")
        lines += [f"  {a}" for a in st["attention"]]
    else:
        lines.append("Nothing needs attention.")
    return lines


def run(args) -> int:
    from pipelines.settings import get_settings

    settings = get_settings(warehouse=args.warehouse, landing=args.landing)
    st = status(settings, source=args.source, since=args.since)
    if args.json:
        print(json.dumps(st, indent=1, default=str))
    else:
        print("\n".join(format_status(st, args.all)))
    return 1 if st["attention"] else 0
