"""Compare two htic-eval builds: every relation of their DuckDB files, and snapshot files.

Usage:
  python bench/compare_builds.py BASE_WAREHOUSE NEW_WAREHOUSE [--quarter 2026Q3] [--skip-raw]
  python bench/compare_builds.py --db BASE.duckdb NEW.duckdb

For refactors that must leave every output identical: build the same landing tree with the same
pseudonymisation secret before and after, then compare the two warehouse folders.

For each DuckDB file (restricted/restricted.duckdb, analytics.duckdb) every table and view of every
schema is exported (each side in its own read-only connection, so views resolve in their own
catalog) and compared as multisets (EXCEPT ALL both ways) after dropping the columns that record
when something ran (received_at, loaded_at, generated_at). Column names and types are compared too.
Snapshot folders: every file byte for byte; manifest.json as JSON less generation time and git state.
Prints one line per difference and exits 1 if any.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

import duckdb

RUN_TIME_COLUMNS = {"received_at", "loaded_at", "generated_at"}
MANIFEST_RUN_KEYS = {"generated_at", "generation_time", "git_commit", "git_dirty", "code_version", "build_seconds"}


def relations(con) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_catalog = current_database() ORDER BY 1, 2").fetchall()
    out = {}
    for schema, name in rows:
        cols = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = current_database() "
            "AND table_schema = ? AND table_name = ? ORDER BY ordinal_position", [schema, name]).fetchall()
        out[f"{schema}.{name}"] = cols
    return out


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def export(db: Path, rels: list[str], cols: dict, out: Path) -> dict[str, str]:
    con = duckdb.connect(str(db), read_only=True)
    paths = {}
    try:
        for rel in rels:
            schema, name = rel.split(".", 1)
            keep = [c for c, _ in cols[rel] if c not in RUN_TIME_COLUMNS]
            p = out / (hashlib.sha1(rel.encode()).hexdigest() + ".parquet")
            sel = ", ".join(q(c) for c in keep) if keep else "1 AS _empty"
            try:
                con.execute(f"COPY (SELECT {sel} FROM {q(schema)}.{q(name)}) TO '{p}' (FORMAT parquet)")
                paths[rel] = str(p)
            except duckdb.Error as e:  # a view that cannot be read on its own
                paths[rel] = "ERROR " + str(e).splitlines()[0][:200]
    finally:
        con.close()
    return paths


def compare_db(base: Path, new: Path, skip_schemas: set[str]) -> list[str]:
    diffs = []
    cb = duckdb.connect(str(base), read_only=True)
    cn = duckdb.connect(str(new), read_only=True)
    rb, rn = relations(cb), relations(cn)
    cb.close(); cn.close()
    rb = {k: v for k, v in rb.items() if k.split(".")[0] not in skip_schemas}
    rn = {k: v for k, v in rn.items() if k.split(".")[0] not in skip_schemas}
    for r in sorted(set(rb) - set(rn)):
        diffs.append(f"{base.name}: {r} only in BASE")
    for r in sorted(set(rn) - set(rb)):
        diffs.append(f"{base.name}: {r} only in NEW")
    common = sorted(set(rb) & set(rn))
    for r in common:
        if rb[r] != rn[r]:
            diffs.append(f"{base.name}: {r} columns differ: base {rb[r]} new {rn[r]}")
    tmp = Path(tempfile.mkdtemp(prefix="cmp-"))
    try:
        (tmp / "b").mkdir(); (tmp / "n").mkdir()
        same_cols = [r for r in common if rb[r] == rn[r]]
        pb = export(base, same_cols, rb, tmp / "b")
        pn = export(new, same_cols, rn, tmp / "n")
        con = duckdb.connect()
        for r in same_cols:
            if pb[r].startswith("ERROR") or pn[r].startswith("ERROR"):
                diffs.append(f"{base.name}: {r} unreadable: base {pb[r][:80]} new {pn[r][:80]}")
                continue
            a = f"read_parquet('{pb[r]}')"
            b = f"read_parquet('{pn[r]}')"
            na = con.execute(f"SELECT count(*) FROM {a}").fetchone()[0]
            nb = con.execute(f"SELECT count(*) FROM {b}").fetchone()[0]
            only_b = con.execute(f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b})").fetchone()[0]
            only_n = con.execute(f"SELECT count(*) FROM (SELECT * FROM {b} EXCEPT ALL SELECT * FROM {a})").fetchone()[0]
            if na != nb or only_b or only_n:
                diffs.append(f"{base.name}: {r} rows base {na} new {nb}; only in base {only_b}, only in new {only_n}")
        print(f"{base.name}: {len(same_cols)} relations compared", file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return diffs


def compare_snapshot(base: Path, new: Path) -> list[str]:
    diffs = []
    fb = {p.relative_to(base) for p in base.rglob("*") if p.is_file()}
    fn = {p.relative_to(new) for p in new.rglob("*") if p.is_file()}
    for f in sorted(fb - fn):
        diffs.append(f"snapshot: {f} only in BASE")
    for f in sorted(fn - fb):
        diffs.append(f"snapshot: {f} only in NEW")
    for f in sorted(fb & fn):
        a, b = (base / f).read_bytes(), (new / f).read_bytes()
        if f.name == "manifest.json":
            ja, jb = json.loads(a), json.loads(b)
            strip(ja); strip(jb)
            if ja != jb:
                keys = sorted(k for k in set(ja) | set(jb) if ja.get(k) != jb.get(k))
                diffs.append(f"snapshot: manifest.json differs in {keys}")
        elif a != b:
            diffs.append(f"snapshot: {f} differs ({len(a)} vs {len(b)} bytes)")
    print(f"snapshot: {len(fb & fn)} files compared", file=sys.stderr)
    return diffs


def strip(m):
    """Drop values that record when/where something ran (and output hashes of files whose
    comparison is done byte for byte anyway)."""
    if isinstance(m, dict):
        for k in list(m):
            if k in MANIFEST_RUN_KEYS:
                del m[k]
            else:
                strip(m[k])
    elif isinstance(m, list):
        for x in m:
            strip(x)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("base", nargs="?")
    ap.add_argument("new", nargs="?")
    ap.add_argument("--db", nargs=2, metavar=("BASE", "NEW"))
    ap.add_argument("--quarter", default="2026Q3")
    ap.add_argument("--skip-raw", action="store_true", help="do not compare the raw schema")
    a = ap.parse_args(argv)
    diffs = []
    skip = {"raw"} if a.skip_raw else set()
    if a.db:
        diffs += compare_db(Path(a.db[0]), Path(a.db[1]), skip)
    else:
        b, n = Path(a.base), Path(a.new)
        for rel in ["restricted/restricted.duckdb", "analytics.duckdb"]:
            if (b / rel).exists() and (n / rel).exists():
                diffs += compare_db(b / rel, n / rel, skip)
            else:
                diffs.append(f"{rel}: missing on one side")
        sb, sn = b / "snapshots" / a.quarter, n / "snapshots" / a.quarter
        if sb.exists() and sn.exists():
            diffs += compare_snapshot(sb, sn)
        elif sb.exists():
            diffs.append(f"snapshots/{a.quarter}: missing in NEW")
    for d in diffs:
        print(d)
    print("IDENTICAL" if not diffs else f"{len(diffs)} differences")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
