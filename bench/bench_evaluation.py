"""Benchmark of the evaluation stage (the adjusted comparison, pipelines/evaluation), and the
coverage of its intervals over several generated worlds. Prints; asserts nothing.

1. Time, at scale 1 and 10: a world (a short data-sharing window: the case pools do not depend on
   it, every court snapshot being a full one) through `htic run`; then `evaluate` alone on the
   world's mart fct_eval_cases, in a subprocess (wall, CPU, peak RSS), beside the whole run.
2. Coverage: for several seeds at the planted-effect test's scale, the share of worlds whose 95%
   interval of each method covers the true ATT (htic_synth.att.true_att, from the generator's
   potential_risks.csv), and the mean error of each method. One world's interval covers or not;
   only the share over seeds says whether the intervals are honest.

Run: `.venv/bin/python bench/bench_evaluation.py` (env: HTIC_BENCH_EVAL_SCALES, default "1 10";
HTIC_BENCH_EVAL_SEEDS, default "1 2 3 4 5"; HTIC_BENCH_EVAL_COVERAGE_SCALE, default 0.4).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_pipeline import ROOT, env, timed

DSA_START = "2026-08-31"  # four monthly deliveries to 2026-11-30: runs as of 2026-09-30
OUTCOMES = ("rearrest_any_6m", "rearrest_any_12m", "rearrest_any_24m")
METHODS = ("unadjusted", "ps_matched", "ipw", "aipw")

EVALUATE = r"""
import json, resource, sys, time, warnings
import duckdb
t0, c0 = time.perf_counter(), time.process_time()
from pipelines.evaluation.estimate import evaluate
with duckdb.connect(sys.argv[1], read_only=True) as con:
    cases = con.execute("select * from analytics.fct_eval_cases").df()
t1, c1 = time.perf_counter(), time.process_time()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    tables = evaluate(cases, cases["as_of"].iloc[0])
print(json.dumps({"cases": len(cases), "treated": int(cases["referred"].sum()),
                  "seconds": time.perf_counter() - t1, "cpu": time.process_time() - c1,
                  "import_read_seconds": t1 - t0, "rows": {k: len(v) for k, v in tables.items()},
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def world(root: Path, scale: float, seed: int) -> tuple[Path, Path, dict]:
    """synth + `htic run` into `root`; → (truth, warehouse, the run's timing)."""
    land, truth, wh = root / "landing", root / "truth", root / "wh"
    subprocess.run([sys.executable, "-m", "pipelines.cli", "synth", "--out", str(land), "--truth", str(truth),
                    "--scale", str(scale), "--seed", str(seed), "--dsa-start", DSA_START],
                   cwd=ROOT, env=env(), check=True, capture_output=True)
    run = timed([sys.executable, "-m", "pipelines.cli", "run", "--landing", str(land), "--warehouse", str(wh), "--create", "--quiet"])
    return truth, wh, run


def stage_time(scale: float) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=f"htic-bench-evaluation-{scale:g}-", dir="/tmp"))
    try:
        _, wh, run = world(tmp, scale, seed=20261130)
        out = subprocess.run([sys.executable, "-c", EVALUATE, str(wh / "restricted" / "restricted.duckdb")],
                             cwd=ROOT, env=env(), capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"scale {scale:g}: evaluate {r['seconds']:.1f}s wall, {r['cpu']:.1f}s CPU, peak RSS "
              f"{r['peak_rss_mb']:.0f} MB on {r['cases']:,} cases ({r['treated']:,} referred; imports and read "
              f"{r['import_read_seconds']:.1f}s) -> {r['rows']}; the whole htic run {run['seconds']:.0f}s "
              f"(evaluation ~{100 * r['seconds'] / run['seconds']:.0f}% of it)", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def coverage(scale: float, seeds: list[int]) -> None:
    sys.path.insert(0, str(ROOT))
    import duckdb

    from htic_synth.att import true_att

    covered = {(o, m): 0 for o in OUTCOMES for m in METHODS}
    estimated = {(o, m): 0 for o in OUTCOMES for m in METHODS}  # not estimable (null) in the others
    error = {(o, m): 0.0 for o in OUTCOMES for m in METHODS}
    for seed in seeds:
        tmp = Path(tempfile.mkdtemp(prefix=f"htic-bench-coverage-{seed}-", dir="/tmp"))
        try:
            t0 = time.perf_counter()
            truth_dir, wh, _ = world(tmp, scale, seed)
            with duckdb.connect(str(wh / "analytics.duckdb"), read_only=True) as con:
                as_of, = con.execute("select max(as_of) from effects").fetchone()
                rows = con.execute("select outcome, method, estimate, ci_low, ci_high from effects where as_of = ? "
                                   "and time_zero = 'disposition' and measure = 'risk_difference'", [as_of]).fetchall()
            truth = true_att(truth_dir, as_of)
            line = []
            for outcome, method, est, lo, hi in rows:
                if outcome in OUTCOMES and est is not None:
                    att = truth[outcome]["att"]
                    estimated[(outcome, method)] += 1
                    covered[(outcome, method)] += int(lo <= att <= hi)
                    error[(outcome, method)] += est - att
                if outcome == "rearrest_any_12m":
                    line.append(f"{method} " + ("not estimable" if est is None else f"{est:+.3f} [{lo:+.3f}, {hi:+.3f}]"))
            print(f"  seed {seed}: true 12m ATT {truth['rearrest_any_12m']['att']:+.3f} "
                  f"(n treated {truth['rearrest_any_12m']['n_treated']}); " + "; ".join(line)
                  + f" ({time.perf_counter() - t0:.0f}s)", flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"coverage of the 95% intervals over {len(seeds)} worlds at scale {scale:g} "
          "(covered / worlds where the method was estimable; mean error of the estimate):")
    for outcome in OUTCOMES:
        cells = []
        for m in METHODS:
            k = estimated[(outcome, m)]
            cells.append(f"{m} {covered[(outcome, m)]}/{k} ({error[(outcome, m)] / k:+.3f})" if k else f"{m} -")
        print(f"  {outcome:<18} " + "  ".join(cells))


def main() -> None:
    scales = [float(s) for s in os.environ.get("HTIC_BENCH_EVAL_SCALES", "1 10").split()]
    seeds = [int(s) for s in os.environ.get("HTIC_BENCH_EVAL_SEEDS", "1 2 3 4 5").split()]
    for s in scales:
        stage_time(s)
    if seeds:
        coverage(float(os.environ.get("HTIC_BENCH_EVAL_COVERAGE_SCALE", "0.4")), seeds)


if __name__ == "__main__":
    main()
