"""Benchmark of ingestion (read + control + archive + validate + load) at scale 1 and 10.

For each scale: the synthetic world is generated into a temp dir under /tmp (not timed here: see
bench_synth), then `htic run`'s ingest (`pipelines.runner.ingest`, in-process through Dagster, with
a Dagster instance in the temp warehouse) runs in its own subprocess, which reports wall time, CPU
time and peak RSS; the run's own timings split the time into read, stage, row rules, Great
Expectations and load. A second run on the same tree measures the no-op (nothing pending).
Prints; asserts nothing.

Run: `.venv/bin/python bench/bench_ingest.py [scales...]` (default 1 10; env HTIC_BENCH_SCALES).
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

GEN = r"""
import sys
from htic_synth import generate
s = generate(sys.argv[1], scale=float(sys.argv[2]))
print(s["rows"], s["data_files"], s["bytes"])
"""

CHILD = r"""
import json, resource, sys, time
from pipelines.settings import get_settings
from pipelines.runner import ingest
t0 = time.perf_counter()
s = ingest(get_settings(warehouse=sys.argv[1], landing=sys.argv[2]), log_level="ERROR")
dt = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": dt, "cpu_seconds": ru.ru_utime + ru.ru_stime, "peak_rss_mb": ru.ru_maxrss / 1024,
                  "rows": s["rows_staged"], "timings": s["timings"], "counts": s["counts"],
                  "rows_rejected": sum(p["rows_rejected"] for p in s["per_source"].values())}))
"""


def _env() -> dict:
    return dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
                DAGSTER_DISABLE_TELEMETRY="1", DO_NOT_TRACK="1", GX_ANALYTICS_ENABLED="false")


def _child(wh: str, land: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, wh, land], env=_env(), capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench(scale: float) -> None:
    tmp = tempfile.mkdtemp(prefix=f"htic-bench-ingest-{scale:g}-", dir="/tmp")
    try:
        land, wh = os.path.join(tmp, "landing"), os.path.join(tmp, "wh")
        t = time.perf_counter()
        gen = subprocess.run([sys.executable, "-c", GEN, land, str(scale)], env=_env(), capture_output=True,
                             text=True, check=True).stdout.split()
        print(f"scale {scale:g}: world of {int(gen[0]):,} rows in {int(gen[1]):,} files "
              f"({int(gen[2]) / 1e6:,.0f} MB), generated in {time.perf_counter() - t:.0f}s", flush=True)
        r = _child(wh, land)
        tm, n = r["timings"], r["rows"]
        validate = tm.get("rules", 0) + tm.get("gx", 0)
        print(f"  ingest (htic run, through Dagster): {r['seconds']:.1f}s wall, {r['cpu_seconds']:.0f}s CPU, "
              f"peak RSS {r['peak_rss_mb']:,.0f} MB; deliveries {r['counts']}; {r['rows_rejected']} rows rejected")
        print(f"  throughput end to end: {n / r['seconds']:,.0f} rows/s "
              f"(pipeline {n / tm['total']:,.0f} rows/s over {tm['total']:.1f}s)")
        print(f"    read+control+archive {tm.get('read', 0):.1f}s ({n / max(tm.get('read', 0), 1e-9):,.0f} rows/s) | "
              f"stage/type {tm.get('stage', 0):.1f}s | row rules (DuckDB set ops) {tm.get('rules', 0):.1f}s "
              f"({n / max(tm.get('rules', 0), 1e-9):,.0f} rows/s) | Great Expectations {tm.get('gx', 0):.1f}s | "
              f"load {tm.get('load', 0):.1f}s ({n / max(tm.get('load', 0), 1e-9):,.0f} rows/s)")
        print(f"  validation (rules + GX): {n / max(validate, 1e-9):,.0f} rows/s; "
              f"ingested + validated (read+stage+rules+GX): "
              f"{n / max(tm.get('read', 0) + tm.get('stage', 0) + validate, 1e-9):,.0f} rows/s", flush=True)
        again = _child(wh, land)
        print(f"  re-run, nothing pending: {again['seconds']:.1f}s wall, peak RSS {again['peak_rss_mb']:,.0f} MB",
              flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    scales = [float(x) for x in (argv or os.environ.get("HTIC_BENCH_SCALES", "1 10").split())]
    for s in scales:
        bench(s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
