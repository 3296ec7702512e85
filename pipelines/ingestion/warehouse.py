"""The restricted store: one writer's connection and locks, the raw schema's DDL, the ledger export.

Two flocks (the OS drops them when their process dies, even by kill -9):
* the store lock (`settings.store_lock`), held by each step that opens the store read-write
  (ingestion, the dbt build, the publish), whoever started it (`htic`, the UI's runs);
* the run lock (`settings.run_lock`), held by a whole `htic run`/`htic snapshot` (pipelines.runner).
  Its file records the owner: pid and a token that the owner's children (dbt) inherit in their
  environment as $HTIC_RUN_TOKEN. A run that takes the lock and finds an owner recorded there
  (the owner was killed before it could clear it) first stops the processes still carrying that
  token — a dbt child of the killed run would otherwise keep the DuckDB file locked.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import signal
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timezone
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


RUN_TOKEN_VAR = "HTIC_RUN_TOKEN"


@contextmanager
def run_lock(settings, say):
    """Hold the warehouse for one run: wait (saying so once) while another run holds it; stop the
    leftover children of a killed earlier run; record this run as the owner, and its token in
    os.environ (children started from now on inherit it); clear the record on the way out."""
    settings.ensure_dirs()
    fd = os.open(settings.run_lock, os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _owner(fh)
            who = f" (pid {holder['pid']}, since {holder['started']})" if holder else ""
            say(f"another htic run{who} is using the warehouse {settings.warehouse}; waiting for it to finish")
            fcntl.flock(fh, fcntl.LOCK_EX)
        stale = _owner(fh)
        if stale:
            stopped = stop_processes_with_token(stale["token"])
            say(f"an earlier run (pid {stale['pid']}) was killed; stopped {len(stopped)} of its "
                "processes still running" if stopped else
                f"an earlier run (pid {stale['pid']}) was killed; none of its processes is left")
        token = f"{os.getpid()}-{secrets.token_hex(8)}"
        _record_owner(fh, {"pid": os.getpid(), "token": token,
                           "started": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        previous = os.environ.get(RUN_TOKEN_VAR)
        os.environ[RUN_TOKEN_VAR] = token
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop(RUN_TOKEN_VAR, None)
            else:
                os.environ[RUN_TOKEN_VAR] = previous
            _record_owner(fh, None)


def _owner(fh) -> dict | None:
    fh.seek(0)
    text = fh.read().strip()
    try:
        owner = json.loads(text) if text else None
    except json.JSONDecodeError:
        return None
    return owner if isinstance(owner, dict) and owner.get("token") else None


def _record_owner(fh, owner: dict | None) -> None:
    fh.seek(0)
    fh.truncate()
    if owner:
        fh.write(json.dumps(owner))
    fh.flush()
    os.fsync(fh.fileno())


def processes_with_token(token: str) -> list[int]:
    """PIDs of this user's live processes whose environment has $HTIC_RUN_TOKEN = token."""
    wanted = f"{RUN_TOKEN_VAR}={token}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if wanted in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:  # gone, or another user's
            continue
    return found


def stop_processes_with_token(token: str, grace_s: float = 10.0) -> list[int]:
    """SIGTERM the processes carrying the token, SIGKILL those still there after grace_s; returns
    once they are gone (a process that has exited has an empty environment)."""
    pids = processes_with_token(token)
    for sig, wait in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while processes_with_token(token) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not processes_with_token(token):
            break
    return pids


@contextmanager
def open_store(settings):
    """The restricted store's read-write connection, with the raw schema in place."""
    import duckdb

    con = duckdb.connect(str(settings.restricted_db))
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute("SET memory_limit = ?", [settings.duckdb_memory_limit])
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
