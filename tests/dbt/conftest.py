"""Fixtures for the dbt-area tests: a hand-made raw world (scenario.py) built once per session
and modelled by ONE `dbt build` of staging + linkage (each dbt invocation costs seconds)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import duckdb
import pytest

from pipelines.dates import dbt_vars
from tests import dbt_env
from tests.dbt import scenario

TEST_SECRET = "test-secret-7f3a9c"  # only for these tests


def run_dbt(args: list[str], db: Path, tmp: Path, secret: str | None = TEST_SECRET,
            check: bool = True) -> subprocess.CompletedProcess:
    """tests.dbt_env.run_dbt with this area's secret by default."""
    return dbt_env.run_dbt(args, db, tmp, secret=secret, check=check)


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
