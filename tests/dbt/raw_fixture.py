"""Raw tables per docs/architecture.md ("Raw tables", "Ledger"), built by hand for dbt tests.

Until (and independently of) the ingestion loader, tests create `raw.*` in a tmp DuckDB file and
append deliveries with `add_delivery`, exactly as the contract describes them: one row per
accepted delivery version in `raw.deliveries`, data rows carrying the lineage columns, rejected
rows in `raw.rejected_rows` only.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb

from pipelines.ingestion.spec import LINEAGE_COLUMNS, TABLE_SPECS, raw_table_ddl, source_kind

V, D, I, TS = "VARCHAR", "DATE", "INTEGER", "TIMESTAMP"
LEDGER = {
    "deliveries": [("delivery_key", V), ("source_id", V), ("source_kind", V), ("entity_id", V), ("as_of", D), ("version", I), ("control_sha256", V), ("status", V), ("reason", V), ("duplicate_of", V), ("rows_loaded", "BIGINT"), ("rows_rejected", "BIGINT"), ("received_at", TS), ("loaded_at", TS)],
    "delivery_files": [("delivery_key", V), ("file_name", V), ("sha256", V), ("row_count", "BIGINT"), ("archive_path", V)],
    "rejected_rows": [("delivery_key", V), ("source_id", V), ("as_of", D), ("table_name", V), ("file_name", V), ("line_number", I), ("column_name", V), ("rule", V), ("record_key", V)],
}


def create_raw(path) -> None:
    """The raw tables as the extract contract declares them (entity, columns, lineage), and the ledger."""
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists raw")
    for spec in TABLE_SPECS.values():
        con.execute(raw_table_ddl(spec))
    for t, cols in LEDGER.items():
        con.execute(f"create or replace table raw.{t} ({', '.join(f'{c} {ty}' for c, ty in cols)})")
    con.close()


def add_delivery(con: duckdb.DuckDBPyConnection, source_id: str, as_of: str | date, tables: dict[str, list[dict]],
                 version: int = 1, rejected: list[dict] | None = None, status: str = "accepted") -> str:
    """Append one delivery version: a ledger row, and (when accepted) its rows with lineage."""
    as_of = date.fromisoformat(str(as_of))
    key = f"{source_id}/{as_of.isoformat()}/v{version}"
    kind, entity = source_kind(source_id)
    n = sum(len(r) for r in tables.values())
    con.execute(
        "insert into raw.deliveries values (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [key, source_id, kind, entity, as_of, version, "0" * 64, status, None if status == "accepted" else "test",
         None, n if status == "accepted" else 0, len(rejected or []), datetime(2026, 1, 1), datetime(2026, 1, 1)],
    )
    if status != "accepted":
        return key
    for table, rows in tables.items():
        spec = TABLE_SPECS[table]
        entity_col = spec.entity_column
        cols = ([entity_col] if entity_col else []) + spec.column_names + [c for c, _ in LINEAGE_COLUMNS]
        fname = spec.file_name
        con.execute("insert into raw.delivery_files values (?,?,?,?,?)", [key, fname, "0" * 64, len(rows), f"archive/{key}/{fname}"])
        for line, row in enumerate(rows, start=2):
            rec = dict(row)
            if entity_col:
                rec.setdefault(entity_col, entity)
            rec.update(_delivery_key=key, _source_id=source_id, _as_of=as_of, _version=version, _file=fname, _line=line)
            unknown = set(rec) - set(cols)
            assert not unknown, f"unknown columns for {table}: {unknown}"
            con.execute(f"insert into raw.{table} ({', '.join(rec)}) values ({', '.join('?' * len(rec))})", list(rec.values()))
    for rj in rejected or []:
        con.execute(
            "insert into raw.rejected_rows values (?,?,?,?,?,?,?,?,?)",
            [key, source_id, as_of, rj["table_name"], rj.get("file_name"), rj.get("line_number", 99), rj.get("column_name"),
             rj.get("rule", "test_rule"), rj.get("record_key")],
        )
    return key
