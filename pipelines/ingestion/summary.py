"""What a run reports: quarantine reports per delivery, the suites' results merged over batches,
and the run summary. No identifiers: keys, counts, files, lines, columns, rules."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path

from pipelines.ingestion.batch import Outcome
from pipelines.ingestion.spec import TABLE_SPECS
from pipelines.ingestion.validate import MAX_LOCATIONS, not_evaluated


def needs_quarantine_report(out: Outcome) -> bool:
    return out.status == "rejected" or bool(out.rows_rejected or out.rows_held)


def write_quarantine_report(quarantine_dir: Path, out: Outcome) -> None:
    """quarantine/<source>/<as-of>/v<n>/report.json, replaced atomically."""
    p = quarantine_dir / out.source_id / out.as_of / f"v{out.version}"
    p.mkdir(parents=True, exist_ok=True)
    tmp = p / ".report.json.tmp"
    tmp.write_text(json.dumps(asdict(out), indent=1))
    os.replace(tmp, p / "report.json")


def no_new_deliveries_checks() -> dict[str, dict]:
    return {t: not_evaluated(0, "no new deliveries in this run") for t in TABLE_SPECS}


def merge_checks(parts: list[dict]) -> dict:
    """The suites' results of several batches as one result per table: passed when every batch
    that had rows passed; not evaluated when no batch had rows for the table."""
    merged: dict[str, dict] = {}
    for part in parts:
        for t, r in part.items():
            m = merged.setdefault(t, not_evaluated(r.get("expectations", 0), "no new rows in this run"))
            if r.get("evaluated", True):
                m["passed"] = (m["passed"] is not False) and r["passed"]
                m["evaluated"] = True
                m.pop("note", None)
            if r["severity"] == "ERROR":
                m["severity"] = "ERROR"
            if r.get("error"):
                m["error"] = "; ".join(x for x in (m["error"], r["error"]) if x)
            m["rows_validated"] += r.get("rows_validated") or 0
            for f in r["failing"]:
                prev = next((x for x in m["failing"] if x["expectation_id"] == f["expectation_id"]), None)
                if prev is None:
                    m["failing"].append(dict(f))
                else:
                    prev["unexpected_rows"] += f["unexpected_rows"]
                    prev["rows"] = (prev.get("rows") or []) + (f.get("rows") or [])
    for m in merged.values():
        for f in m["failing"]:
            if "rows" in f:
                f["rows"] = f["rows"][:MAX_LOCATIONS]
    return merged


def summarise(landing: Path, outcomes: list[Outcome], in_transit: list[dict], waiting: list[str], rows_staged: int,
              checks: dict, warnings: list[str], timings: dict[str, float]) -> dict:
    per_source: dict[str, dict] = defaultdict(lambda: {"rows_loaded": 0, "rows_rejected": 0, "rows_held": 0})
    for o in outcomes:
        ps = per_source[o.source_id]
        ps["rows_loaded"] += o.rows_loaded
        ps["rows_rejected"] += o.rows_rejected
        ps["rows_held"] += o.rows_held
    return {
        "landing": str(landing),
        "deliveries": [asdict(o) for o in outcomes],
        "counts": {s: sum(1 for o in outcomes if o.status == s) for s in ("accepted", "rejected", "duplicate")},
        "superseded": [k for o in outcomes for k in o.superseded],
        "in_transit": in_transit,
        "waiting": waiting,          # folders with only rejected versions: retried when their bytes change
        "per_source": dict(per_source),
        "rows_staged": rows_staged,
        "checks": checks,
        "warnings": warnings + [w for o in outcomes for w in o.warnings],
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }
