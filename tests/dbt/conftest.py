"""Fixtures for the dbt-area tests: a hand-made raw world (scenario.py) built once per session
and modelled by ONE `dbt build` of staging + linkage (each dbt invocation costs seconds)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.dates import dbt_vars
from pipelines.settings import DBT_PROJECT_DIR
from tests.dbt import scenario

BIN = os.path.dirname(sys.executable)
TEST_SECRET = "test-secret-7f3a9c"  # only for these tests


def dbt_env(db: Path, tmp: Path, secret: str | None = TEST_SECRET) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PATH=BIN + os.pathsep + env.get("PATH", ""),
        HTIC_RESTRICTED_DB=str(db),
        HTIC_DBT_PLUGIN_DIR=str(DBT_PROJECT_DIR / "plugins"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
        DBT_TARGET_PATH=str(tmp / "target"),  # never clobber the project's target/manifest.json
        DBT_LOG_PATH=str(tmp / "logs"),
    )
    env.pop("DBT_ENV_SECRET_HTIC_PSEUDONYM", None)
    if secret is not None:
        env["DBT_ENV_SECRET_HTIC_PSEUDONYM"] = secret
    return env


def run_dbt(args: list[str], db: Path, tmp: Path, secret: str | None = TEST_SECRET, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([os.path.join(BIN, "dbt"), *args], cwd=DBT_PROJECT_DIR, env=dbt_env(db, tmp, secret),
                          capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}")
    return proc


@pytest.fixture(scope="session")
def modelled(tmp_path_factory) -> Path:
    """The scenario's restricted store after `dbt build` of staging + linkage as of scenario.AS_OF."""
    tmp = tmp_path_factory.mktemp("dbt_scenario")
    db = tmp / "restricted.duckdb"
    scenario.build(db)
    run_dbt(["build", "--select", "staging", "intermediate.linkage",
             "--vars", dbt_vars(scenario.AS_OF)], db, tmp)
    return db


@pytest.fixture()
def con(modelled):
    c = duckdb.connect(str(modelled), read_only=True)
    yield c
    c.close()
