"""The README's cost table, regenerated from a bench curve (`<warehouse>/bench/curve.csv`, bench/curve.py).

Run: `.venv/bin/python bench/cost_table.py [curve.csv]` (make bench does it after measuring).
The table sits between two HTML comments in README.md and is replaced whole.
"""

from __future__ import annotations

import csv
import os
import sys
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START, END = "<!-- cost-table:start (bench/cost_table.py) -->", "<!-- cost-table:end -->"
STAGES = [("synth", "`htic synth` (the world)"), ("floor", "DuckDB floor: the same CSV files read, declared text columns"),
          ("ingest", "ingest + validate, first load (`htic run --ingest-only`)"), ("models", "dbt models and tests"),
          ("evaluation", "evaluation (adjusted comparison)"), ("publish", "publish analytics.duckdb"),
          ("snapshot", "`htic snapshot` (from the built warehouse), disclosure included"),
          ("snapshot build", "the snapshot's building and rendering (disclosure timed apart)"),
          ("full run", "full `htic run`, empty warehouse"),
          ("month, A moves", "`htic run` after a month whose deliveries move A a quarter on"),
          ("month", "`htic run` after a month that leaves A where it is")]


def table(rows: list[dict]) -> str:
    by = defaultdict(dict)
    for r in rows:
        by[r["scale"]][r["stage"]] = r
    scales = list(by)
    head = ["| |"] + [f" scale {s} ({int(by[s]['synth']['rows']) / 1e6:.1f} M rows) |" if by[s].get("synth", {}).get("rows")
                      else f" scale {s} |" for s in scales]
    lines = ["".join(head), "|---|" + "---|" * len(scales)]
    for stage, label in STAGES:
        cells = []
        for s in scales:
            r = by[s].get(stage)
            if not r:
                cells.append(" — |")
                continue
            mb = int(r["peak_rss_mb"]) if r["peak_rss_mb"] else None
            mem = "" if mb is None else f", {mb / 1024:.1f} GB peak" if mb >= 1024 else f", {mb} MB peak"
            note = f" ({r['note']})" if r["note"] and stage in ("ingest", "models", "month, A moves", "month") else ""
            cells.append(f" {float(r['seconds']):.0f} s{mem}{note} |")
        lines.append(f"| {label} |" + "".join(cells))
    return "\n".join(lines)


def update_readme(curve: Path) -> None:
    rows = list(csv.DictReader(curve.open()))
    text = README.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"README.md has no cost table markers ({START} ... {END})")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    stamp = datetime.fromtimestamp(curve.stat().st_mtime, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    caption = (f"Measured {stamp} on {os.cpu_count()} cores; load average when written "
               f"{os.getloadavg()[0]:.1f} (other jobs on the machine slow every figure alike).")
    README.write_text(before + START + "\n" + caption + "\n\n" + table(rows) + "\n" + END + after)
    print(f"README.md cost table regenerated from {curve}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    from pipelines.settings import get_settings

    update_readme(Path(sys.argv[1]) if len(sys.argv) > 1 else get_settings().warehouse / "bench" / "curve.csv")
