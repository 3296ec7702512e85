"""Benchmark of the whole `htic run` (ingest -> validate -> dbt -> publish) at scale 1 and 10, and of
dbt's overhead: the same models' compiled SQL run directly in DuckDB, in the same order.

Each measured step runs in its own subprocess (peak RSS per step). Prints; asserts nothing.
Run: `.venv/bin/python bench/bench_pipeline.py [scales...]` (default 1 10; env HTIC_BENCH_SCALES).
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

ROOT = Path(__file__).resolve().parent.parent
TIMED = r"""
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
p = subprocess.run(sys.argv[1:], capture_output=True, text=True)
dt = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": dt, "peak_rss_mb": ru.ru_maxrss / 1024, "rc": p.returncode,
                  "tail": (p.stdout + p.stderr)[-3000:]}))
"""

DIRECT_SQL = r"""
import json, sys, time, duckdb
from pipelines.sql import qualified, ident
db, order_file, secret = sys.argv[1], sys.argv[2], sys.argv[3]
steps = json.load(open(order_file))
con = duckdb.connect(db)
con.execute("SET VARIABLE htic_pseudonym_secret = ?", [secret])
t0 = time.perf_counter()
for path, schema, name in steps:
    con.execute(open(path).read())
    # dbt-duckdb builds into <name>__dbt_tmp, then renames: do the same
    kind = con.execute("select 'VIEW' from duckdb_views() where schema_name = ? and view_name = ? union all "
                       "select 'TABLE' from duckdb_tables() where schema_name = ? and table_name = ?",
                       [schema, name + "__dbt_tmp"] * 2).fetchone()
    if kind:
        con.execute(f"ALTER {kind[0]} {qualified(schema, name + '__dbt_tmp')} RENAME TO {ident(name)}")
print(json.dumps({"seconds": time.perf_counter() - t0, "statements": len(steps)}))
"""


def env() -> dict:
    e = dict(os.environ)
    e.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{e.get('PATH', '')}",
             HTIC_PSEUDONYM_SECRET=e.get("HTIC_PSEUDONYM_SECRET", "bench-secret-7c1e5a90"),
             DAGSTER_DISABLE_TELEMETRY="1", DBT_SEND_ANONYMOUS_USAGE_STATS="false", DO_NOT_TRACK="1",
             GX_ANALYTICS_ENABLED="false")
    return e


def timed(cmd: list[str], cwd: Path = ROOT, extra_env: dict | None = None) -> dict:
    e = env()
    e.update(extra_env or {})
    out = subprocess.run([sys.executable, "-c", TIMED, *cmd], cwd=cwd, env=e, capture_output=True, text=True, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    if res["rc"] != 0:
        print(res["tail"])
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return res


def dbt_overhead(wh: Path, as_of: str) -> tuple[float, float]:
    """dbt run (models only) on a copy of the restricted store, then the compiled SQL it executed,
    in run order, directly in DuckDB on another copy of the same pre-dbt state."""
    sys.path.insert(0, str(ROOT))
    from pipelines.dates import dbt_vars
    from pipelines.settings import get_settings
    from pipelines.sql import ident, literal, qualified
    from tests.dbt_env import dbt_env

    settings = get_settings(wh)
    tmp = Path(tempfile.mkdtemp(prefix="htic-bench-dbt-", dir="/tmp"))
    try:
        # the pre-dbt state: only the raw schema
        base = tmp / "base.duckdb"
        import duckdb

        con = duckdb.connect(str(base))
        con.execute(f"ATTACH {literal(str(settings.restricted_db))} AS src (READ_ONLY)")
        con.execute("CREATE SCHEMA raw")
        for (t,) in con.execute("select table_name from information_schema.tables where table_catalog='src' and table_schema='raw'").fetchall():
            con.execute(f"CREATE TABLE {qualified('raw', t)} AS SELECT * FROM {qualified('src', 'raw', t)}")
        con.close()
        # same file name in two folders: dbt-duckdb names the catalog after the file's stem, and the
        # compiled SQL refers to it
        (tmp / "dbt").mkdir()
        (tmp / "direct").mkdir()
        a, b = tmp / "dbt" / "restricted.duckdb", tmp / "direct" / "restricted.duckdb"
        shutil.copy(base, a)
        shutil.copy(base, b)
        target = tmp / "target"
        cmd = ["dbt", "run", "--vars", dbt_vars(as_of), "--target-path", str(target), "--quiet",
               "--project-dir", str(ROOT / "dbt_project"), "--profiles-dir", str(ROOT / "dbt_project")]
        dbt_vars = dbt_env(a, tmp, secret=env()["HTIC_PSEUDONYM_SECRET"])  # target: tmp / "target"
        r = timed(["dbt", "seed", *cmd[2:]], extra_env=dbt_vars)
        r = timed(cmd, extra_env=dbt_vars)
        t_dbt = r["seconds"]
        results = json.loads((target / "run_results.json").read_text())["results"]
        # seeds are data, not SQL: copy them into b untimed
        con = duckdb.connect(str(b))
        con.execute(f"ATTACH {literal(str(a))} AS s (READ_ONLY)")
        for (sch, t) in con.execute("select table_schema, table_name from information_schema.tables where table_catalog='s' and table_name like '%t_critical%'").fetchall():
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(sch)}")
            con.execute(f"CREATE TABLE {qualified(sch, t)} AS SELECT * FROM {qualified('s', sch, t)}")
        con.close()
        files = []
        schemas = sorted({r["relation_name"].split(".")[1].strip('"') for r in results
                          if r.get("relation_name") and r["unique_id"].startswith("model.")})
        con = duckdb.connect(str(b))
        for sch in schemas:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(sch)}")
        con.close()
        # dependency order from the manifest (a topological sort of the models dbt ran)
        manifest = json.loads((target / "manifest.json").read_text())
        ran = {r["unique_id"] for r in results if r["unique_id"].startswith("model.")}
        done: set[str] = set()

        def visit(uid: str) -> None:
            if uid in done or uid not in ran:
                return
            done.add(uid)
            for dep in manifest["nodes"][uid]["depends_on"]["nodes"]:
                visit(dep)
            node = manifest["nodes"][uid]
            compiled = target / "run" / node["package_name"] / node["original_file_path"]
            if not compiled.exists():
                raise SystemExit(f"no compiled SQL for {uid} at {compiled}")
            files.append([str(compiled), node["schema"], node["alias"] or node["name"]])

        for uid in sorted(ran):
            visit(uid)
        order = tmp / "order.json"
        order.write_text(json.dumps(files))
        out = subprocess.run([sys.executable, "-c", DIRECT_SQL, str(b), str(order), env()["HTIC_PSEUDONYM_SECRET"]],
                             cwd=ROOT, capture_output=True, text=True, env=env())
        if out.returncode != 0:
            print("  direct SQL failed:", out.stderr[-3000:])
            return t_dbt, float("nan")
        return t_dbt, json.loads(out.stdout.strip().splitlines()[-1])["seconds"]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def bench(scale: float) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=f"htic-bench-pipeline-{scale:g}-", dir="/tmp"))
    try:
        land, wh = tmp / "landing", tmp / "wh"
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pipelines.cli", "synth", "--out", str(land), "--scale", str(scale)],
                       cwd=ROOT, env=env(), check=True, capture_output=True)
        gen_s = time.perf_counter() - t0
        r = timed([sys.executable, "-m", "pipelines.cli", "run", "--landing", str(land), "--warehouse", str(wh), "--create", "--quiet"])
        as_of = next((ln.split()[-1] for ln in r["tail"].splitlines() if ln.startswith("As of")), None)
        print(f"scale {scale:g}: world generated in {gen_s:.0f}s; full htic run (ingest -> metrics -> publish) "
              f"{r['seconds']:.1f}s, peak RSS {r['peak_rss_mb']:.0f} MB (as of {as_of})", flush=True)
        if scale >= 10 or os.environ.get("HTIC_BENCH_OVERHEAD_ALL"):
            t_dbt, t_sql = dbt_overhead(wh, as_of)
            print(f"scale {scale:g}: dbt run {t_dbt:.1f}s vs the same compiled SQL directly in DuckDB {t_sql:.1f}s "
                  f"-> overhead x{t_dbt / t_sql:.2f}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    scales = [float(s) for s in (argv or os.environ.get("HTIC_BENCH_SCALES", "1 10").split())]
    for s in scales:
        bench(s)


if __name__ == "__main__":
    main()
