"""`htic status`: the delivery ledger, read from the ledger export (ledger.parquet) and the landing
root — never from the DuckDB file, so it works while a run holds the write lock."""

from __future__ import annotations

import json
from datetime import date


def add_arguments(parser) -> None:
    parser.add_argument("--warehouse", help="warehouse folder (default: $HTIC_WAREHOUSE or <repo>/warehouse)")
    parser.add_argument("--landing", help="landing root (default: $HTIC_LANDING or <warehouse>/landing)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def status(settings) -> dict:
    from pipelines.ingestion.deliveries import awaiting_correction, discover, pending_folders, versions_from_export
    from pipelines.ingestion.warehouse import read_ledger_export

    ledger = read_ledger_export(settings.ledger_export)
    found, warnings = discover(settings.landing)
    versions = versions_from_export(ledger)
    waiting = [{"delivery": d.key, "state": "in transit", "overdue": d.overdue(date.today())}
               for d in found if not d.complete]
    pending = pending_folders(found, versions)
    waiting += [{"delivery": d.key, "state": "complete, not yet ingested", "overdue": False} for d in pending]
    waiting += [{"delivery": k, "state": "rejected, waiting for corrected files", "overdue": False}
                for k in awaiting_correction(versions) if k not in {d.key for d in pending}]
    return {"ledger": ledger, "waiting": waiting, "warnings": warnings}


def run(args) -> int:
    from pipelines.settings import get_settings

    settings = get_settings(warehouse=args.warehouse, landing=args.landing)
    st = status(settings)
    if args.json:
        print(json.dumps(st, indent=1, default=str))
        return 0
    if not st["ledger"]:
        print(f"No deliveries ingested yet ({settings.ledger_export} not found or empty).")
    else:
        print(f"{'delivery':<40} {'status':<10} {'loaded':>9} {'rejected':>8}  reason")
        for r in st["ledger"]:
            print(f"{r['delivery_key']:<40} {r['status']:<10} {r['rows_loaded'] or 0:>9} "
                  f"{r['rows_rejected'] or 0:>8}  {r['reason'] or ''}")
        counts: dict[str, int] = {}
        for r in st["ledger"]:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        print("totals: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for w in st["waiting"]:
        print(f"{w['delivery']:<40} {w['state']}" + ("  ** OVERDUE **" if w["overdue"] else ""))
    for w in st["warnings"]:
        print(f"warning: {w}")
    return 0
