"""The cost curve: rows, wall time and peak memory of every stage at several scales, in one run.

For each scale (default 1 3 10 30; `make bench SCALES="1 3"`; `--stages-only` leaves out the three
runs at the end, which take as long again), in a temp folder under /tmp:

  synth       the synthetic world, ending 2026-12-31 (htic_synth.generate)
  floor       DuckDB alone reading the same CSV files, every column declared as text (no sniffing),
              into a database file: the speed ingestion is held to (workbooks excluded: DuckDB has
              no reader for them here; they are under 1% of the rows)
  ingest      `htic run --ingest-only`: read, archive, control, stage, validate (row rules + Great
              Expectations) and load every delivery — a first load; the note splits the ingestion's
              own time (pipelines.ingestion.pipeline) from the process's (Dagster, the dbt manifest
              a fresh warehouse parses, one materialization per delivery partition)
  models      the dbt build as of the default A (every model and test), through Dagster
  evaluation  the adjusted comparison (pipelines/evaluation)
  publish     analytics.duckdb from schema `analytics` (with the identifier scans)
  snapshot    `htic snapshot --no-build` of the quarter of A, the whole process (disclosure
              selection and audit included)
  snapshot build   the same snapshot's building and rendering alone (table, charts, workbook, PDF,
              HTML, manifest: the manifest's build_seconds), the disclosure control timed apart
  full run    `htic run` from an empty warehouse on the world without its last two months
  month, A moves   `htic run` again once the deliveries dated 2026-11-30 have arrived: they cover
              2026-09-30 + 45 days, so A moves a quarter on and every model is rebuilt as of it
  month       `htic run` again once the last month's deliveries (dated 2026-12-31, after A + 45)
              have arrived: ingests them, finds the models' inputs unchanged, republishes

Each stage runs in its own subprocess; its peak RSS is the largest of that process and the
processes it waited for (dbt), from getrusage(RUSAGE_CHILDREN) of a small wrapper. Ratios:
ingest / floor; dbt overhead = the dbt step's wall time / the sum of its nodes' own execution
times (run_results.json: what dbt spends around the SQL — start-up, parsing the manifest,
compiling, scheduling; threads running in parallel pull the ratio down); month / full run.

Prints a table, writes `<warehouse>/bench/curve.csv` (HTIC_WAREHOUSE or ./warehouse) and
regenerates the README's cost table from it (bench/cost_table.py). Asserts nothing.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

END = "2026-12-31"
LAST_MONTH = END
MOVES_A = "2026-11-30"  # the month whose deliveries cover 2026-09-30 + 45 days
SECRET = "bench-curve-secret-5d2a9c71"
FIELDS = ["scale", "stage", "rows", "seconds", "peak_rss_mb", "note"]

TIMED = r"""
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
p = subprocess.run(sys.argv[1:], capture_output=True, text=True)
dt = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": dt, "peak_rss_mb": ru.ru_maxrss / 1024, "rc": p.returncode,
                  "stdout": p.stdout, "stderr": p.stderr[-3000:]}))
"""

SYNTH = r"""
import json, sys
from htic_synth import generate
s = generate(sys.argv[1], truth=sys.argv[2], scale=float(sys.argv[3]), end=sys.argv[4])
print(json.dumps({"rows": s["rows"], "bytes": s["bytes"]}))
"""

FLOOR = r"""
import glob, json, sys, duckdb
from pipelines.ingestion.spec import TABLE_SPECS
from pipelines.sql import ident, literal
land, db = sys.argv[1:3]
con = duckdb.connect(db)
rows = 0
for table, spec in TABLE_SPECS.items():
    files = sorted(glob.glob(f"{land}/*/*/{spec.file_name}"))
    if not files:
        continue
    columns = "{" + ", ".join(f"{literal(c)}: 'VARCHAR'" for c in spec.column_names) + "}"
    con.execute(f"CREATE TABLE {ident(table)} AS SELECT * FROM read_csv({literal(files)}, columns = {columns}, "
                f"header = true, auto_detect = false, delim = {literal(spec.delimiter)})")
    rows += con.execute(f"SELECT count(*) FROM {ident(table)}").fetchone()[0]
con.execute("CHECKPOINT")
con.close()
print(json.dumps({"rows": rows}))
"""

STAGE = r"""
import json, sys
import dagster as dg
from pipelines import runner
from pipelines.defs.dbt import PUBLISH_ASSET_KEY
from pipelines.evaluation.assets import EFFECTS_ASSET_KEY
from pipelines.settings import get_settings
stage, wh, land = sys.argv[1:4]
s = get_settings(warehouse=wh, landing=land)
evaluation, publish = dg.AssetSelection.assets(EFFECTS_ASSET_KEY), dg.AssetSelection.assets(PUBLISH_ASSET_KEY)
selection = {"models": runner.MODELS - evaluation - publish, "evaluation": evaluation, "publish": publish}[stage]
instance = runner.instance_for(s)
result = runner.materialize(s, selection, instance=instance, log_level="ERROR", trigger="bench")
steps = {x.step_key: (x.end_time or 0) - (x.start_time or 0) for x in instance.get_run_step_stats(result.run_id)}
print(json.dumps({"steps": steps}))
"""


def env() -> dict:
    e = dict(os.environ)
    e.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{e.get('PATH', '')}", HTIC_PSEUDONYM_SECRET=SECRET,
             PYTHONPATH=str(ROOT) + os.pathsep + e.get("PYTHONPATH", ""), DAGSTER_DISABLE_TELEMETRY="1",
             DBT_SEND_ANONYMOUS_USAGE_STATS="false", DO_NOT_TRACK="1", GX_ANALYTICS_ENABLED="false")
    e.pop("HTIC_SECRET_FILE", None)
    return e


def timed(*cmd: str) -> dict:
    """Run `cmd` in a subprocess; its wall time, peak RSS, and the last JSON line it printed (if any)."""
    out = subprocess.run([sys.executable, "-c", TIMED, *cmd], cwd=ROOT, env=env(), capture_output=True, text=True,
                         check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    if res["rc"] != 0:
        raise SystemExit(f"bench: {' '.join(cmd[:4])} ... failed:\n{res['stdout'][-3000:]}\n{res['stderr']}")
    res["out"] = last_json(res["stdout"])
    return res


def last_json(text: str) -> dict:
    """The JSON object the command printed last: one line, or indented (`htic ... --json`)."""
    starts = [i for i in range(len(text)) if text.startswith("{", i) and (i == 0 or text[i - 1] == "\n")]
    for i in reversed(starts):
        try:
            return json.loads(text[i:])
        except json.JSONDecodeError:
            continue
    return {}


def htic(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", *args]


def py(code: str, *args: str) -> list[str]:
    return [sys.executable, "-c", code, *args]


def dbt_overhead(wh: Path, step_seconds: float) -> float:
    """The dbt step's wall time over the sum of its nodes' execution times (newest build's run_results.json)."""
    runs = sorted((wh / "dbt" / "target").glob("htic_dbt_models-*/run_results.json"), key=lambda p: p.stat().st_mtime)
    nodes = sum(r.get("execution_time") or 0 for r in json.loads(runs[-1].read_text())["results"])
    return step_seconds / nodes if nodes else float("nan")


def link_tree(src: Path, dst: Path, *, leave_out: set[str] = frozenset()) -> None:
    """A copy of a landing tree made of hard links (deliveries are never modified), without the
    folders dated one of `leave_out`."""
    shutil.copytree(src, dst, copy_function=os.link, ignore=lambda _d, names: [n for n in names if n in leave_out])


def add_month(world: Path, tree: Path, month: str) -> None:
    """The deliveries dated `month` arrive in `tree` (hard links)."""
    for src in sorted(world.glob(f"*/{month}")):
        shutil.copytree(src, tree / src.parent.name / src.name, copy_function=os.link)


def snapshot_note(wh: Path) -> tuple[float | None, str]:
    """The snapshot's building and rendering (seconds) and how it splits, from its manifest."""
    manifests = sorted((wh / "snapshots").glob("2026Q3*/manifest.json"))
    if not manifests:
        return None, ""
    b = json.loads(manifests[-1].read_text())["build_seconds"]
    return b.get("building_and_rendering"), (
        f"report {b.get('report', 0):.1f} s after its model {b.get('report_model', 0):.1f} s, workbook "
        f"{b.get('workbook', 0):.1f} s (charts drawn meanwhile); disclosure apart: selection "
        f"{b.get('disclosure_total', 0):.0f} s (final audit {b.get('disclosure_audit_final', 0):.0f} s), "
        f"evaluation tables {b.get('effects_disclosure', 0):.1f} s")


def bench(scale: float, rows_out: list[dict], *, runs: bool = True) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=f"htic-bench-curve-{scale:g}-", dir="/tmp"))

    def row(stage: str, r: dict | None, rows=None, seconds=None, note: str = "") -> None:
        rec = {"scale": f"{scale:g}", "stage": stage, "rows": rows if rows is not None else "",
               "seconds": round(seconds if seconds is not None else r["seconds"], 1),
               "peak_rss_mb": round(r["peak_rss_mb"]) if r else "", "note": note}
        rows_out.append(rec)
        print(f"  {stage:<12} {str(rec['rows']):>11} {rec['seconds']:>8} s {str(rec['peak_rss_mb']):>7} MB  {note}",
              flush=True)

    try:
        world, wh, wh_runs = tmp / "landing", tmp / "wh", tmp / "wh-runs"
        print(f"scale {scale:g}  (stage, rows, wall, peak RSS)", flush=True)
        r = timed(*py(SYNTH, str(world), str(tmp / "truth"), str(scale), END))
        rows = r["out"]["rows"]
        row("synth", r, rows, note=f"{r['out']['bytes'] / 1e6:,.0f} MB of files")
        floor = timed(*py(FLOOR, str(world), str(tmp / "floor.duckdb")))
        row("floor", floor, floor["out"]["rows"], note="DuckDB read_csv, declared text columns, into a file")
        (tmp / "floor.duckdb").unlink()
        ingest = timed(*htic("run", "--create", "--ingest-only", "--json", "--quiet", "--landing", str(world),
                             "--warehouse", str(wh)))
        tm = ingest["out"]["timings"]
        row("ingest", ingest, ingest["out"]["rows_staged"],
            note=f"x{ingest['seconds'] / floor['seconds']:.1f} the floor; the ingestion itself "
                 f"{tm['total']:.0f} s, x{tm['total'] / floor['seconds']:.1f} (read {tm.get('read', 0):.0f}, "
                 f"stage {tm.get('stage', 0):.0f}, rules {tm.get('rules', 0):.0f}, GX {tm.get('gx', 0):.0f}, "
                 f"load {tm.get('load', 0):.0f} s)")
        stages = {}
        for stage in ("models", "evaluation", "publish"):
            stages[stage] = timed(*py(STAGE, stage, str(wh), str(world)))
        steps = stages["models"]["out"]["steps"]
        dbt_step = sum(v for k, v in steps.items() if "dbt" in k)
        row("models", stages["models"], note=f"dbt overhead x{dbt_overhead(wh, dbt_step):.2f}")
        row("evaluation", stages["evaluation"])
        row("publish", stages["publish"])
        snap = timed(*htic("snapshot", "--quarter", "2026Q3", "--no-build", "--warehouse", str(wh)))
        row("snapshot", snap, note="2026Q3, from analytics.duckdb as built, disclosure included")
        build_seconds, how = snapshot_note(wh)
        if build_seconds is not None:
            row("snapshot build", None, seconds=build_seconds, note=how)

        if not runs:
            return
        shutil.rmtree(wh, ignore_errors=True)  # the runs build their own warehouse: the disk holds one at a time
        prev = tmp / "landing-prev"
        link_tree(world, prev, leave_out={MOVES_A, LAST_MONTH})
        full = timed(*htic("run", "--create", "--json", "--quiet", "--landing", str(prev), "--warehouse", str(wh_runs)))
        row("full run", full, full["out"]["ingest"]["rows_staged"],
            note=f"htic run, world less its last two months (A {full['out'].get('as_of')})")
        for stage, month_dated in (("month, A moves", MOVES_A), ("month", LAST_MONTH)):
            add_month(world, prev, month_dated)
            month = timed(*htic("run", "--json", "--quiet", "--landing", str(prev), "--warehouse", str(wh_runs)))
            skipped = month["out"].get("models_skipped_since")
            row(stage, month, month["out"]["ingest"]["rows_staged"],
                note=f"{month['seconds'] / full['seconds']:.2f} of the full run; deliveries dated {month_dated}, "
                     f"A {month['out'].get('as_of')}: "
                     + ("models unchanged, skipped" if skipped else "every model rebuilt as of A"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_csv(rows: list[dict]) -> Path:
    from pipelines.settings import get_settings

    out = get_settings().warehouse / "bench" / "curve.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS)
        w.writeheader()
        w.writerows(rows)
    return out


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    runs = "--stages-only" not in argv
    argv = [a for a in argv if a != "--stages-only"]
    scales = [float(s) for s in (argv or "1 3 10 30".split())]
    rows: list[dict] = []
    t0 = time.monotonic()
    for scale in scales:
        bench(scale, rows, runs=runs)
        write_csv(rows)  # what is measured so far survives a stopped bench
    out = write_csv(rows)
    print(f"curve written to {out} ({time.monotonic() - t0:.0f}s)")
    from cost_table import update_readme

    update_readme(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
