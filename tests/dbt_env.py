"""The dbt test environment, in one place: every test that runs the project's `dbt` (tests/dbt,
tests/metrics) runs it through `run_dbt`, against a restricted DuckDB file of its own.

The variables are those the pipeline gives dbt (pipelines/defs/dbt.py, `dbt_env_vars`): the
restricted store's path, its spill folder beside it (the memory limit: the profile's default
or $HTIC_DUCKDB_MEMORY), the plugin folder, no usage statistics, and the pseudonymisation secret as
DBT_ENV_SECRET_HTIC_PSEUDONYM (dbt scrubs DBT_ENV_SECRET_* from its logs). dbt's target and logs go
to the test's own folder, never into the checkout (the project's manifest stays untouched).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pipelines.settings import DBT_PROJECT_DIR

BIN = os.path.dirname(sys.executable)  # this venv's dbt, whatever PATH says
SECRET_VAR = "DBT_ENV_SECRET_HTIC_PSEUDONYM"


def dbt_env(db: Path, tmp: Path, secret: str | None) -> dict[str, str]:
    """os.environ plus the dbt variables for restricted store `db`, target/logs under `tmp`;
    `secret=None` leaves the pseudonymisation secret unset (pseudonymize() must then fail)."""
    env = dict(os.environ)
    env.update(
        PATH=BIN + os.pathsep + env.get("PATH", ""),
        HTIC_RESTRICTED_DB=str(db),
        HTIC_DUCKDB_TEMP_DIR=str(db.parent / "tmp"),
        HTIC_DBT_PLUGIN_DIR=str(DBT_PROJECT_DIR / "plugins"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
        DBT_TARGET_PATH=str(tmp / "target"),
        DBT_LOG_PATH=str(tmp / "logs"),
    )
    env.pop(SECRET_VAR, None)
    if secret is not None:
        env[SECRET_VAR] = secret
    return env


def run_dbt(args: list[str], db: Path, tmp: Path, *, secret: str | None, check: bool = True,
            timeout: float = 600) -> subprocess.CompletedProcess:
    """`dbt <args>` in the project folder; with `check`, a failure raises AssertionError with
    the tail of dbt's output."""
    proc = subprocess.run([os.path.join(BIN, "dbt"), *args], cwd=DBT_PROJECT_DIR, env=dbt_env(db, tmp, secret),
                          capture_output=True, text=True, timeout=timeout)
    if check:
        checked(proc, f"dbt {' '.join(args)}")
    return proc


def checked(proc: subprocess.CompletedProcess, what: str) -> subprocess.CompletedProcess:
    if proc.returncode != 0:
        raise AssertionError(f"{what} failed:\n{proc.stdout[-8000:]}\n{proc.stderr[-2000:]}")
    return proc
