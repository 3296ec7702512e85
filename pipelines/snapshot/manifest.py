"""manifest.json — what a snapshot was made from and what it holds.

Inputs (delivery, file, sha256), each output's sha256, code version, stack versions, version of the
metric definitions, as-of date and generation time. The manifest is the only file of a snapshot
that carries the generation time or the code version, so the others reproduce byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from datetime import date, datetime, timezone
from importlib import metadata
from pathlib import Path

import pandas as pd

from pipelines.settings import REPO_ROOT
from pipelines.snapshot.definitions_text import METRICS_SPEC_VERSION

STACK = ["duckdb", "pyarrow", "pandas", "numpy", "altair", "vl-convert-python", "xlsxwriter", "reportlab",
         "dagster", "dbt-core", "dbt-duckdb", "great-expectations"]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def code_version() -> dict:
    out: dict = {}
    try:
        out["package_version"] = metadata.version("htic-eval")
    except metadata.PackageNotFoundError:
        out["package_version"] = None
    try:
        commit = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no",
                                "--", "pipelines", "dbt_project", "expectations"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
        out["git_commit"] = commit or None
        out["git_dirty"] = bool(dirty)
    except (OSError, subprocess.SubprocessError):
        out["git_commit"] = None
    return out


def stack_versions() -> dict:
    out = {"python": platform.python_version()}
    for name in STACK:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    try:
        import vl_convert as vlc

        out["vega-lite (vl-convert)"] = vlc.get_vegalite_versions()[-1]
    except Exception:  # noqa: BLE001 - informative only
        pass
    return out


def read_inputs(analytics_db: Path, cutoff: date) -> tuple[list[dict], list[dict]]:
    """Accepted deliveries with as-of <= A + 45 and their files, from the ledger copy in
    analytics.duckdb (no identifiers in it)."""
    from pipelines.duck import connect

    con = connect(analytics_db, read_only=True)
    try:
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        missing = {"deliveries", "delivery_files"} - tables
        if missing:
            from pipelines.snapshot.table import SnapshotError

            raise SnapshotError(f"analytics.duckdb lacks the ledger tables {sorted(missing)}")
        deliveries = con.execute(
            "select delivery_key, source_id, cast(as_of as varchar) as as_of, version from deliveries "
            "where status = 'accepted' and as_of <= ? order by delivery_key", [cutoff]).df()
        files = con.execute(
            "select f.delivery_key, f.file_name, f.sha256 from delivery_files f join deliveries d using (delivery_key) "
            "where d.status = 'accepted' and d.as_of <= ? order by f.delivery_key, f.file_name", [cutoff]).df()
    finally:
        con.close()
    return (_records(deliveries), [{"delivery": r["delivery_key"], "file": r["file_name"], "sha256": r["sha256"]}
                                   for r in _records(files)])


def _plain(v):
    if hasattr(v, "item"):
        v = v.item()
    if v is None or (isinstance(v, float) and v != v):
        return None
    return v


def _records(df: pd.DataFrame) -> list[dict]:
    return [{k: _plain(v) for k, v in r.items()} for r in df.to_dict("records")]


def write_manifest(folder: Path, path: Path, facts: dict, deliveries: list[dict], files: list[dict]) -> dict:
    outputs = {}
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.name != path.name:
            outputs[p.name] = {"sha256": sha256_file(p), "bytes": p.stat().st_size}
    manifest = {
        **facts,
        "metric_definitions_version": METRICS_SPEC_VERSION,
        "code_version": code_version(),
        "stack": stack_versions(),
        "generated_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "inputs": files,
        "deliveries": deliveries,
        "outputs": outputs,
    }
    path.write_text(json.dumps(manifest, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")
    return manifest
