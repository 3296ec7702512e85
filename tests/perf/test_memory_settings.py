"""Every DuckDB connection the pipeline opens has the warehouse's memory limit and spill folder.

Each kind of connection is opened the way the pipeline opens it — the restricted store read-write
(ingestion, evaluation), a file read-only (publish's description, the snapshot, the run summary),
an in-memory session (publish), and dbt's connection through profiles.yml — and its settings are
read back from DuckDB itself. The expected memory limit is DuckDB's own rendering of the setting in
a separate, plain connection. A source scan checks no module of the pipeline opens DuckDB another
way.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import duckdb
import pytest

from pipelines.settings import REPO_ROOT, get_settings

LIMIT = "1536MB"  # not the default, so a connection left at DuckDB's own default would show


def rendered(limit: str) -> str:
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"SET memory_limit = '{limit}'")
        return con.execute("select current_setting('memory_limit')").fetchone()[0]
    finally:
        con.close()


def settings_of(con) -> tuple[str, str]:
    return con.execute("select current_setting('memory_limit'), current_setting('temp_directory')").fetchone()


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("HTIC_WAREHOUSE", str(tmp_path / "wh"))
    monkeypatch.setenv("HTIC_DUCKDB_MEMORY", LIMIT)
    s = get_settings()
    s.ensure_dirs()
    return s


def test_the_spill_folder_is_under_the_warehouse_and_private(settings):
    assert settings.duckdb_temp_dir.is_relative_to(settings.restricted_dir)
    assert settings.duckdb_temp_dir.stat().st_mode & 0o077 == 0


def test_ingestion_store_connection(settings):
    from pipelines.ingestion.warehouse import open_store

    with open_store(settings) as con:
        assert settings_of(con) == (rendered(LIMIT), str(settings.duckdb_temp_dir))


def test_read_only_and_in_memory_connections(settings):
    from pipelines.duck import connect

    with open_store_and_close(settings):
        pass
    for con in (connect(settings.restricted_db, settings, read_only=True),
                connect(settings.restricted_db, read_only=True),  # settings of the process (environment)
                connect(":memory:", settings)):
        try:
            assert settings_of(con) == (rendered(LIMIT), str(settings.duckdb_temp_dir))
        finally:
            con.close()


def open_store_and_close(settings):
    from pipelines.ingestion.warehouse import open_store

    return open_store(settings)  # creates the file with its schema


def test_dbt_connection_through_the_profile(settings, tmp_path):
    """dbt run with the variables the pipeline gives it (pipelines.defs.dbt.dbt_env_vars)."""
    from pipelines.defs.dbt import dbt_env_vars
    from pipelines.settings import DBT_PROJECT_DIR
    from tests.dbt_env import BIN, checked

    with open_store_and_close(settings):
        pass
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ["PATH"], DBT_TARGET_PATH=str(tmp_path / "target"),
               DBT_LOG_PATH=str(tmp_path / "logs"))
    env.pop("HTIC_DUCKDB_MEMORY")  # only what the pipeline hands dbt
    env.update(dbt_env_vars(settings, secret=False))
    sql = "select current_setting('memory_limit') as m, current_setting('temp_directory') as t"
    proc = checked(subprocess.run([os.path.join(BIN, "dbt"), "show", "--inline", sql, "--output", "json",
                                   "--vars", '{"as_of": "2026-06-30"}'],
                                  cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600), "dbt show")
    shown = json.loads(proc.stdout[proc.stdout.index("{"):proc.stdout.rindex("}") + 1])["show"]
    assert shown == [{"m": rendered(LIMIT), "t": str(settings.duckdb_temp_dir)}]


def test_no_module_of_the_pipeline_opens_duckdb_another_way():
    offenders = []
    for path in (REPO_ROOT / "pipelines").rglob("*.py"):
        if path.name == "duck.py" and path.parent.name == "pipelines":
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\bduckdb\.connect\(", line):
                offenders.append(f"{path.relative_to(REPO_ROOT)}:{n}")
    assert offenders == []
