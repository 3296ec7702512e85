"""Benchmark of the synthetic world generator: throughput and peak memory at scale 1 and 10.

Each scale runs in its own subprocess (so peak RSS is that run's), into a temp dir under /tmp that
is removed afterwards. Prints; asserts nothing. Run: `.venv/bin/python bench/bench_synth.py [scales...]`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import json, resource, sys, time
from htic_synth import generate
out, scale = sys.argv[1], float(sys.argv[2])
t0 = time.perf_counter()
s = generate(out, scale=scale)
dt = time.perf_counter() - t0
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"scale": scale, "seconds": dt, "rows": s["rows"], "files": s["files"], "bytes": s["bytes"],
                  "peak_rss_mb": peak_kb / 1024, "rows_by_source": s["rows_by_source"], "cases": s["cases"],
                  "persons": s["persons"]}))
"""


def run_one(scale: float) -> dict:
    base = tempfile.mkdtemp(prefix=f"htic-bench-synth-{scale:g}-", dir="/tmp")
    try:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", CHILD, os.path.join(base, "landing"), str(scale)],
                           capture_output=True, text=True, env=env, cwd=root)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            raise RuntimeError(p.stderr)
        r = json.loads(p.stdout.strip().splitlines()[-1])
        r["wall_seconds"] = wall
        return r
    finally:
        shutil.rmtree(base, ignore_errors=True)


def main(scales=(1.0, 10.0)) -> list[dict]:
    results = []
    print("synthetic world generator (htic synth): one subprocess per scale")
    print(f"{'scale':>6} {'rows':>12} {'MB':>8} {'files':>6} {'seconds':>8} {'rows/s':>10} {'peak RSS MB':>12}")
    for s in scales:
        r = run_one(float(s))
        results.append(r)
        print(f"{r['scale']:>6g} {r['rows']:>12,} {r['bytes'] / 1e6:>8.1f} {r['files']:>6} {r['seconds']:>8.1f} "
              f"{r['rows'] / r['seconds']:>10,.0f} {r['peak_rss_mb']:>12.1f}", flush=True)
    if len(results) > 1:
        a, b = results[0], results[-1]
        print(f"peak memory x{b['peak_rss_mb'] / a['peak_rss_mb']:.2f} for x{b['scale'] / a['scale']:g} the people "
              f"(rows x{b['rows'] / a['rows']:.1f})")
    return results


if __name__ == "__main__":
    main([float(x) for x in sys.argv[1:]] or (1.0, 10.0))
