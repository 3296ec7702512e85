"""One small synthetic world through the real `htic` command (synth -> run), with identifiers of
our own planted in its landing tree, shared by the tests of the evaluators' docs.

Planted (every file that carries the value, control files' sha256 updated): a provider client's
name, and a court defendant's nysid wherever the world uses it (court snapshots, DCJS arrests).
The run is as of PLANNED_AS_OF, given on the command line, so every published as_of is known here.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HTIC = [sys.executable, "-m", "pipelines.cli"]
SECRET = "docs-test-secret-5b7e2a90"
PLANNED_AS_OF = date(2026, 9, 30)
PLANTED_FIRST, PLANTED_LAST = "Quillonia", "Zephyrbrook"
PLANTED_NYSID = "31415926Q"


@dataclass
class World:
    root: Path
    landing: Path
    truth: Path
    warehouse: Path
    env: dict
    planted: list[str]

    @property
    def analytics_db(self) -> Path:
        return self.warehouse / "analytics.duckdb"

    @property
    def restricted_db(self) -> Path:
        return self.warehouse / "restricted" / "restricted.duckdb"

    @property
    def site(self) -> Path:
        return self.warehouse / "docs" / "index.html"

    @property
    def manifest(self) -> Path:
        return self.warehouse / "dbt" / "target" / "manifest.json"


def htic(*args: str, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([*HTIC, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(f"htic {args[0]} exited {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def _replace_everywhere(landing: Path, folders: list[str], old: str, new: str) -> int:
    """Replace `old` by `new` in every text data file of the given source folders; fix the control files."""
    changed = 0
    for folder in folders:
        for delivery in sorted((landing / folder).iterdir()):
            control = delivery / "_control.csv"
            rows = list(csv.DictReader(io.StringIO(control.read_text())))
            touched = False
            for row in rows:
                f = delivery / row["file_name"]
                data = f.read_bytes()  # text files only: a workbook (a zip) keeps its bytes
                if not data.startswith(b"PK") and old.encode() in data:
                    f.write_bytes(data.replace(old.encode(), new.encode()))
                    row["sha256"] = hashlib.sha256(f.read_bytes()).hexdigest()
                    touched, changed = True, changed + 1
            if touched:
                out = io.StringIO()
                w = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
                w.writeheader()
                w.writerows(rows)
                control.write_text(out.getvalue())
    return changed


def plant_identifiers(landing: Path) -> None:
    provider = sorted(p.name for p in landing.iterdir() if p.name.startswith("provider-"))[0]
    first_delivery = sorted((landing / provider).iterdir())[0]
    client = next(csv.DictReader((first_delivery / "clients.csv").open()))
    name = f",{client['first_name']},{client['last_name']},"
    assert _replace_everywhere(landing, [provider], name, f",{PLANTED_FIRST},{PLANTED_LAST},") > 0

    court = sorted(p.name for p in landing.iterdir() if p.name.startswith("court-"))[0]
    snapshot = sorted((landing / court).iterdir())[-1]
    nysid = next(r["nysid"] for r in csv.DictReader((snapshot / "defendants.csv").open()) if r["nysid"])
    sources = [p.name for p in landing.iterdir() if p.name.startswith("court-") or p.name == "dcjs"]
    assert _replace_everywhere(landing, sources, nysid, PLANTED_NYSID) > 0


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> World:
    root = tmp_path_factory.mktemp("docs_world")
    env = dict(os.environ)
    env.pop("HTIC_LINKAGE_TRUTH", None)  # the default: truth/ beside the landing root
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        HTIC_PSEUDONYM_SECRET=SECRET,
        DAGSTER_DISABLE_TELEMETRY="1",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
        GX_ANALYTICS_ENABLED="false",
    )
    landing, warehouse = root / "landing", root / "warehouse"
    htic("synth", "--out", str(landing), "--seed", "11", "--scale", "0.1", "--dsa-start", "2025-10-31", env=env)
    plant_identifiers(landing)
    htic("run", "--create", "--landing", str(landing), "--warehouse", str(warehouse), "--as-of", PLANNED_AS_OF.isoformat(),
         "--quiet", env=env)
    return World(root, landing, root / "truth", warehouse, env, [PLANTED_FIRST, PLANTED_LAST, PLANTED_NYSID])


def inlined_documents(page: str) -> tuple[dict, dict]:
    """The manifest and catalog that the site inlines where dbt's docs page has its placeholders."""
    from dbt.task.docs import DOCS_INDEX_FILE_PATH

    original = Path(DOCS_INDEX_FILE_PATH).read_text(encoding="utf-8")
    m_at = original.index('"MANIFEST.JSON INLINE DATA"')
    c_at = original.index('"CATALOG.JSON INLINE DATA"')
    assert m_at < c_at
    decoder = json.JSONDecoder()
    manifest, m_end = decoder.raw_decode(page, m_at)
    between = original[m_at + len('"MANIFEST.JSON INLINE DATA"'):c_at]
    assert page[m_end:m_end + len(between)] == between
    catalog, _ = decoder.raw_decode(page, m_end + len(between))
    return manifest, catalog
