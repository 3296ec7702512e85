"""The restricted store: one writer's connection and lock, the raw schema's DDL, the ledger export.

The store lock (`settings.store_lock`, an flock the OS drops when its process dies, even by
kill -9) is held by each step that opens the store read-write (ingestion, the dbt build, the
publish), whoever started it (`htic`, the UI's runs). The run lock around a whole `htic run` is
pipelines/runlock.py.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from pipelines.ingestion.spec import TABLE_SPECS, raw_table_ddl
from pipelines.sql import literal

LEDGER_DDL = [
    "CREATE SCHEMA IF NOT EXISTS raw",
    """CREATE TABLE IF NOT EXISTS raw.deliveries (
        delivery_key VARCHAR, source_id VARCHAR, source_kind VARCHAR, entity_id VARCHAR, as_of DATE,
        version INTEGER, control_sha256 VARCHAR, status VARCHAR, reason VARCHAR, duplicate_of VARCHAR,
        rows_loaded BIGINT, rows_rejected BIGINT, received_at TIMESTAMP, loaded_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS raw.delivery_files (
        delivery_key VARCHAR, file_name VARCHAR, sha256 VARCHAR, row_count BIGINT, archive_path VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS raw.rejected_rows (
        delivery_key VARCHAR, source_id VARCHAR, as_of DATE, table_name VARCHAR, file_name VARCHAR,
        line_number INTEGER, column_name VARCHAR, rule VARCHAR, record_key VARCHAR)""",
]


@contextmanager
def exclusive_lock(path: Path, say):
    """One writer at a time (DuckDB has one writer per file): an flock the OS drops on exit/kill."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say("another ingestion run holds the warehouse; waiting for it to finish")
            fcntl.flock(fh, fcntl.LOCK_EX)
        yield


@contextmanager
def open_store(settings):
    """The restricted store's read-write connection, with the raw schema in place."""
    from pipelines.duck import connect

    con = connect(settings.restricted_db, settings)
    try:
        con.execute("SET enable_progress_bar = false")
        ensure_schema(con)
        # Fewer, larger checkpoints while loading many deliveries; committed work is in the WAL.
        con.execute("SET checkpoint_threshold = ?", [settings.duckdb_checkpoint_threshold])
        yield con
    finally:
        con.close()


def ensure_schema(con) -> None:
    for ddl in LEDGER_DDL:
        con.execute(ddl)
    for spec in TABLE_SPECS.values():
        con.execute(raw_table_ddl(spec))


def export_ledger(con, dest: Path) -> None:
    """deliveries (+ their files, nested) -> ledger.parquet, atomically (temp file + os.replace).
    No identifiers: keys, dates, hashes, counts, statuses, reasons (reasons never hold values)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".ledger-", suffix=".parquet")
    os.close(fd)
    con.execute(f"""
        COPY (
          SELECT d.*, coalesce((SELECT list(struct_pack(file_name := f.file_name, sha256 := f.sha256,
                                                   row_count := f.row_count, archive_path := f.archive_path)
                                       ORDER BY f.file_name)
                                FROM raw.delivery_files f WHERE f.delivery_key = d.delivery_key), []) AS files
          FROM raw.deliveries d ORDER BY d.as_of, d.source_id, d.version
        ) TO {literal(tmp)} (FORMAT parquet)""")
    os.replace(tmp, dest)


def read_ledger_export(path: Path):
    """The exported ledger as a list of dicts (empty when none yet); never opens the DuckDB file."""
    if not path.exists():
        return []
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()
