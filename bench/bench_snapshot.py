"""Benchmark of `htic snapshot` (publishing the quarterly funder snapshot) at scale 1 and 10.

For each scale: a warehouse in a temp dir under /tmp, then `htic snapshot --quarter 2026Q3
--no-build` timed in its own subprocess (wall time, peak RSS), then removed. The warehouse is the
fabricated analytics.duckdb of tests/snapshot/fabricate.py (every metric id, cohorts from 2019Q1,
counts x scale), so the figure is the snapshot's own cost, not the pipeline's; with `--real`, the
synthetic world at that scale is run through ingestion and dbt as of the quarter's end first (not
timed), and the snapshot is timed on that warehouse. Prints; asserts nothing.

Run: `.venv/bin/python bench/bench_snapshot.py [--real] [scales...]`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUARTER = "2026Q3"

CHILD = r"""
import json, resource, sys, time
from pipelines.cli import main
t0 = time.perf_counter()
rc = main(sys.argv[1:])
dt = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"rc": rc, "seconds": dt, "cpu_seconds": ru.ru_utime + ru.ru_stime, "peak_rss_mb": ru.ru_maxrss / 1024}))
"""


def _env() -> dict:
    return dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
                DAGSTER_DISABLE_TELEMETRY="1", DO_NOT_TRACK="1")


def _fabricate(warehouse: str, scale: float) -> int:
    sys.path.insert(0, ROOT)
    from tests.snapshot.fabricate import build_warehouse

    import duckdb

    path = build_warehouse(warehouse, [QUARTER], scale=scale, first_cohort="2019Q1")
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select count(*) from metrics").fetchone()[0]
    finally:
        con.close()


REAL = r"""
import sys
from datetime import date
from pipelines.settings import get_settings, quiet_telemetry
quiet_telemetry()
wh, scale = sys.argv[1], float(sys.argv[2])
s = get_settings(wh)
s.ensure_dirs()
from htic_synth import generate
generate(s.landing, truth=s.warehouse / "truth", scale=scale)
from pipelines import runner
runner.build(s, date(2026, 9, 30), log_level="WARNING")
"""


def _real(warehouse: str, scale: float) -> int:
    """The synthetic world at this scale through ingestion and dbt as of the quarter's end."""
    subprocess.run([sys.executable, "-c", REAL, warehouse, str(scale)], check=True, env=_env(), cwd=ROOT,
                   capture_output=True)
    return -1


def run_one(scale: float, real: bool = False) -> dict:
    base = tempfile.mkdtemp(prefix=f"htic-bench-snapshot-{scale:g}-", dir="/tmp")
    try:
        wh = os.path.join(base, "warehouse")
        t0 = time.perf_counter()
        rows = _real(wh, scale) if real else _fabricate(wh, scale)
        prep = time.perf_counter() - t0
        args = ["snapshot", "--quarter", QUARTER, "--warehouse", wh, "--early", "--no-build"]
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True, env=_env(), cwd=ROOT)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            raise RuntimeError(p.stderr[-3000:])
        r = json.loads(p.stdout.strip().splitlines()[-1])
        folder = os.path.join(wh, "snapshots", QUARTER)
        sizes = {f: os.path.getsize(os.path.join(folder, f)) for f in sorted(os.listdir(folder))}
        manifest = json.load(open(os.path.join(folder, "manifest.json")))
        r.update(scale=scale, wall_seconds=wall, prepare_seconds=prep, metric_rows=manifest["disclosure"]["rows"],
                 suppressed=manifest["disclosure"]["suppressed"], sizes=sizes, source_rows=rows)
        return r
    finally:
        shutil.rmtree(base, ignore_errors=True)


def main(scales=(1.0, 10.0), real: bool = False) -> list[dict]:
    print(f"htic snapshot --quarter {QUARTER} ({'synthetic world + pipeline' if real else 'fabricated analytics.duckdb'}); "
          "one subprocess per scale")
    print(f"{'scale':>6} {'rows':>8} {'suppr.':>7} {'in-proc s':>10} {'CPU s':>6} {'wall s':>8} {'peak RSS MB':>12} "
          f"{'html MB':>8} {'pdf MB':>7} {'xlsx MB':>8}")
    out = []
    for s in scales:
        r = run_one(float(s), real=real)
        out.append(r)
        z = r["sizes"]
        print(f"{r['scale']:>6g} {r['metric_rows']:>8,} {r['suppressed']:>7,} {r['seconds']:>10.1f} {r['cpu_seconds']:>6.1f} {r['wall_seconds']:>8.1f} "
              f"{r['peak_rss_mb']:>12.0f} {z['report.html'] / 1e6:>8.2f} {z['report.pdf'] / 1e6:>7.2f} "
              f"{z['workbook.xlsx'] / 1e6:>8.2f}", flush=True)
    print("(in-process: publish incl. Dagster run; CPU: user+sys of that process; the snapshot's cost is the ~60 "
          "charts, not the rows)")
    return out


if __name__ == "__main__":
    argv = sys.argv[1:]
    real = "--real" in argv
    scales = [float(a) for a in argv if a != "--real"] or [1.0, 10.0]
    main(scales, real=real)
