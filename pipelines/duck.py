"""Every DuckDB connection the pipeline opens: `connect(path, settings, read_only=...)`.

Each one gets the warehouse's memory limit (`settings.duckdb_memory_limit`, HTIC_DUCKDB_MEMORY) and
spills what does not fit to `settings.duckdb_temp_dir` (inside the restricted folder, owner-only:
spilled pages of the restricted store hold identifiers), so a large build slows down instead of
growing without bound. dbt's connections get the same two settings through profiles.yml
(pipelines/defs/dbt.py, `dbt_env_vars`). Functions that are handed only a file's path pass no
settings: those of this process (`get_settings()`) apply.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from pipelines.settings import Settings, get_settings


def limits(settings: Settings) -> dict[str, str]:
    """The DuckDB settings every connection of the pipeline gets (name -> value)."""
    return {"memory_limit": settings.duckdb_memory_limit, "temp_directory": str(settings.duckdb_temp_dir)}


def connect(path: str | os.PathLike, settings: Settings | None = None, *,
            read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to `path` (a file, or ":memory:") with the memory limit and temp directory set
    when the database opens (DuckDB refuses to switch the temporary directory of a database that
    has already spilled into it, so they are configuration, not a later SET)."""
    return duckdb.connect(str(path) if isinstance(path, Path) else path, read_only=read_only,
                          config=limits(settings or get_settings()))
