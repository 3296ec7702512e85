"""Load: one DuckDB transaction per delivery version — its rows (if accepted), its rejected rows,
its ledger rows, and the supersession of the folder's earlier accepted version. A crash or kill
leaves no part of a delivery in the warehouse; the next run finds it still pending."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Callable

import pyarrow as pa

from pipelines.ingestion.batch import Item, Run
from pipelines.ingestion.spec import TABLE_SPECS
from pipelines.ingestion.stage import stage_table
from pipelines.sql import ident, qualified

# Called with the delivery key inside each transaction that loads rows, just before COMMIT. Tests
# set it to stop a run there (a real SIGKILL mid-load); None in normal runs.
before_commit: Callable[[str], None] | None = None


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


def _raw(table: str) -> str:
    return qualified("raw", table)


def _record_key_sql(spec) -> str:
    return " || '|' || ".join(f"coalesce(CAST(s.{ident(k)} AS VARCHAR), '')" for k in spec.key)


def load_delivery(run: Run, item: Item) -> None:
    """One delivery version, atomically. Records the rows loaded and the versions it supersedes in
    the item's outcome."""
    con, chk, out = run.con, item.checked, item.outcome
    d = chk.delivery
    seen = run.ledger.seen.get(d.key, [])
    loads_rows = out.status == "accepted" and item.stage_index is not None
    tables = [t for t, s in TABLE_SPECS.items() if s.source_kind == d.kind]
    con.execute("BEGIN TRANSACTION")
    try:
        if run.force and any(v.delivery_key == out.delivery_key for v in seen):
            _delete_version(con, tables, out.delivery_key)
        if loads_rows:
            out.superseded.extend(_supersede(con, tables, seen, out.delivery_key))
            out.rows_loaded = sum(_insert_rows(con, t, item.stage_index, out.rows_rejected > 0) for t in tables)
        if out.rows_rejected:  # row-level rejects (also kept when the share rejected the delivery)
            for t in tables:
                _insert_rejected_rows(con, t, out.delivery_key)
        if out.status in ("accepted", "rejected") and chk.reads:
            for t, frs in chk.reads.items():
                for fr in frs:
                    for ln, _why in fr.malformed:
                        con.execute("INSERT INTO raw.rejected_rows VALUES (?,?,?,?,?,?,?,?,?)",
                                    [out.delivery_key, d.source_id, d.as_of, t, fr.label, ln, None,
                                     "malformed_row", None])
        _insert_ledger_rows(con, item)
        if before_commit is not None and loads_rows:
            before_commit(out.delivery_key)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _delete_version(con, tables: list[str], delivery_key: str) -> None:
    """A forced rerun of a version replaces everything the earlier run of it wrote."""
    for t in tables:
        con.execute(f"DELETE FROM {_raw(t)} WHERE _delivery_key = ?", [delivery_key])
    for t in ("rejected_rows", "delivery_files", "deliveries"):
        con.execute(f"DELETE FROM {_raw(t)} WHERE delivery_key = ?", [delivery_key])


def _supersede(con, tables: list[str], seen: list, delivery_key: str) -> list[str]:
    """Delete the rows of the folder's earlier accepted versions; mark them superseded."""
    older = [v.delivery_key for v in seen if v.status == "accepted" and v.delivery_key != delivery_key]
    for dk in older:
        for t in tables:
            con.execute(f"DELETE FROM {_raw(t)} WHERE _delivery_key = ?", [dk])
        con.execute("UPDATE raw.deliveries SET status = 'superseded', reason = ? WHERE delivery_key = ?",
                    [f"superseded by {delivery_key}", dk])
    return older


def _insert_rows(con, table: str, stage_index: int, has_rejects: bool) -> int:
    """The delivery's staged rows of `table`, less the rejected ones, into raw; returns the count."""
    cols = ", ".join(ident(c) for c in TABLE_SPECS[table].raw_columns)
    params: list = [stage_index]
    keep = ""
    if has_rejects:
        keep = (" AND NOT EXISTS (SELECT 1 FROM stg.violations v WHERE v.table_name = ? "
                "AND v._row_id = s._row_id AND v.action = 'reject')")
        params.append(table)
    return con.execute(f"INSERT INTO {_raw(table)} ({cols}) SELECT {cols} FROM stg.{stage_table(table)} s "
                       f"WHERE s._d = ?{keep}", params).fetchone()[0]


def _insert_rejected_rows(con, table: str, delivery_key: str) -> None:
    con.execute(f"""
        INSERT INTO raw.rejected_rows
        SELECT s._delivery_key, s._source_id, s._as_of, ?, s._file, s._line, v.column_name,
               v.rule, {_record_key_sql(TABLE_SPECS[table])}
        FROM stg.violations v JOIN stg.{stage_table(table)} s ON s._row_id = v._row_id
        WHERE v.table_name = ? AND v.action = 'reject' AND s._delivery_key = ?
        ORDER BY s._file, s._line, v.column_name, v.rule""", [table, table, delivery_key])


def _insert_ledger_rows(con, item: Item) -> None:
    chk, out = item.checked, item.outcome
    d = chk.delivery
    now = _now()
    con.execute("INSERT INTO raw.deliveries VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", [
        out.delivery_key, d.source_id, d.kind, d.entity_id, d.as_of, out.version, chk.control_sha256,
        out.status, out.reason, out.duplicate_of, out.rows_loaded, out.rows_rejected, now,
        now if out.status == "accepted" else None])
    files = pa.table({"delivery_key": [out.delivery_key] * len(chk.files),
                      "file_name": [f.file_name for f in chk.files], "sha256": [f.sha256 for f in chk.files],
                      "row_count": pa.array([f.row_count for f in chk.files], pa.int64()),
                      "archive_path": [f.archive_path for f in chk.files]})
    con.register("files_v", files)
    con.execute("INSERT INTO raw.delivery_files SELECT * FROM files_v")
    con.unregister("files_v")


def make_archive_durable() -> None:
    """The archive's new files reach the disk before any ledger row refers to them (one sync)."""
    os.sync()
