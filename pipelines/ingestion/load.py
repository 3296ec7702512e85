"""Load: one DuckDB transaction per batch — every delivery version's rows (if accepted), its
rejected rows, its ledger rows, and the supersession of its folder's earlier accepted version. A
crash or kill leaves no part of the batch in the warehouse; the next run finds its deliveries still
pending. Each table's accepted rows go in with one statement for the whole batch (one commit, one
pass over the stage), in stage order, as if inserted delivery by delivery."""

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


def load_batch(run: Run, items: list[Item]) -> None:
    """The batch's delivery versions (already judged), atomically. Records each item's rows loaded
    and the versions it supersedes in its outcome."""
    con = run.con
    con.execute("BEGIN TRANSACTION")
    try:
        for item in items:  # earlier versions' rows go first: none of them is in the stage
            _clear_earlier(run, item)
        loaded = _insert_rows(con, items)
        for item in items:
            _record(run, item, loaded.get(item.stage_index, 0) if _loads_rows(item) else 0)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _loads_rows(item: Item) -> bool:
    return item.outcome.status == "accepted" and item.stage_index is not None


def _tables(item: Item) -> list[str]:
    return [t for t, s in TABLE_SPECS.items() if s.source_kind == item.delivery.kind]


def _clear_earlier(run: Run, item: Item) -> None:
    """A forced rerun's earlier rows of the same version; the folder's earlier accepted versions."""
    out = item.outcome
    seen = run.ledger.seen.get(item.delivery.key, [])
    if run.force and any(v.delivery_key == out.delivery_key for v in seen):
        _delete_version(run.con, _tables(item), out.delivery_key)
    if _loads_rows(item):
        out.superseded.extend(_supersede(run.con, _tables(item), seen, out.delivery_key))


def _record(run: Run, item: Item, rows_loaded: int) -> None:
    """One version's rejected rows and ledger rows."""
    con, chk, out = run.con, item.checked, item.outcome
    d = chk.delivery
    out.rows_loaded = rows_loaded
    if out.rows_rejected:  # row-level rejects (also kept when the share rejected the delivery)
        for t in _tables(item):
            _insert_rejected_rows(con, t, out.delivery_key)
    if out.status in ("accepted", "rejected") and chk.reads:
        for t, frs in chk.reads.items():
            for fr in frs:
                for ln, _why in fr.malformed:
                    con.execute("INSERT INTO raw.rejected_rows VALUES (?,?,?,?,?,?,?,?,?)",
                                [out.delivery_key, d.source_id, d.as_of, t, fr.label, ln, None,
                                 "malformed_row", None])
    _insert_ledger_rows(con, item)
    if before_commit is not None and _loads_rows(item):
        before_commit(out.delivery_key)


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


def _insert_rows(con, items: list[Item]) -> dict[int, int]:
    """The staged rows of the batch's accepted deliveries, less the rejected rows, into raw, one
    statement per table; returns the rows loaded per delivery (`_d`). A plain filtered scan keeps
    the stage's order (delivery, line); where rows are rejected, the anti-join is ordered explicitly."""
    not_loading = [it.stage_index for it in items if it.stage_index is not None and not _loads_rows(it)]
    loaded: dict[int, int] = {}
    for table, spec in TABLE_SPECS.items():
        cols = ", ".join(ident(c) for c in spec.raw_columns)
        kept = f"FROM stg.{stage_table(table)} s WHERE NOT list_contains(?::INTEGER[], s._d)"
        params: list = [not_loading]
        rejects = con.execute("SELECT count(*) FROM stg.violations WHERE table_name = ? AND action = 'reject'",
                              [table]).fetchone()[0]
        if rejects:
            kept += (" AND NOT EXISTS (SELECT 1 FROM stg.violations v WHERE v.table_name = ? "
                     "AND v._row_id = s._row_id AND v.action = 'reject')")
            params.append(table)
        for d, n in con.execute(f"SELECT s._d, count(*) {kept} GROUP BY s._d", params).fetchall():
            loaded[d] = loaded.get(d, 0) + n
        order = " ORDER BY s._d, s._line" if rejects else ""
        con.execute(f"INSERT INTO {_raw(table)} ({cols}) SELECT {cols} {kept}{order}", params)
    return loaded


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
