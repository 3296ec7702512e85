"""Raw tables per docs/architecture.md ("Raw tables", "Ledger"), built by hand for dbt tests.

Until (and independently of) the ingestion loader, tests create `raw.*` in a tmp DuckDB file and
append deliveries with `add_delivery`, exactly as the contract describes them: one row per
accepted delivery version in `raw.deliveries`, data rows carrying the lineage columns, rejected
rows in `raw.rejected_rows` only.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb

D, TS, I, V = "DATE", "TIMESTAMP", "INTEGER", "VARCHAR"

# table -> (entity column or None, [(column, type)])
RAW_TABLES: dict[str, tuple[str | None, list[tuple[str, str]]]] = {
    "program__courts": (None, [("court_id", V), ("court_name", V), ("county", V), ("htic_start_date", D), ("htic_end_date", D)]),
    "program__providers": (None, [("provider_id", V), ("provider_name", V), ("court_id", V), ("contract_start", D), ("contract_end", D), ("capacity", I)]),
    "court__defendants": ("court_id", [("defendant_id", V), ("nysid", V), ("last_name", V), ("first_name", V), ("dob", D), ("sex", V), ("gender_identity", V), ("race", V), ("ethnicity", V), ("primary_language", V)]),
    "court__cases": ("court_id", [("docket_id", V), ("defendant_id", V), ("arrest_id", V), ("arrest_date", D), ("arraignment_date", D), ("top_charge", V), ("htic_referral_date", D), ("mandate_sessions", I), ("disposition_date", D), ("disposition", V), ("sealed", V), ("sealed_date", D), ("updated_at", TS)]),
    "court__events": ("court_id", [("docket_id", V), ("event_seq", I), ("event_date", D), ("event_type", V)]),
    "provider__clients": ("provider_id", [("client_id", V), ("docket_ref", V), ("court_id", V), ("first_name", V), ("last_name", V), ("dob", D), ("intake_date", D), ("referral_source", V), ("updated_at", TS), ("record_status", V)]),
    "provider__assessments": ("provider_id", [("assessment_id", V), ("client_id", V), ("assessment_date", D), ("domain", V), ("level", V), ("updated_at", TS), ("record_status", V)]),
    "provider__sessions": ("provider_id", [("session_id", V), ("client_id", V), ("session_date", D), ("session_type", V), ("status", V), ("mandate_credit", V), ("minutes", I), ("updated_at", TS), ("record_status", V)]),
    "provider__referrals": ("provider_id", [("referral_id", V), ("client_id", V), ("referral_date", D), ("domain", V), ("partner", V), ("status", V), ("status_date", D), ("updated_at", TS), ("record_status", V)]),
    "provider__exits": ("provider_id", [("client_id", V), ("exit_date", D), ("exit_reason", V), ("survey_helpfulness", I), ("survey_would_recommend", V), ("updated_at", TS), ("record_status", V)]),
    "dcjs__arrests": (None, [("nysid", V), ("arrest_id", V), ("arrest_date", D), ("arrest_county", V), ("top_charge", V), ("offense_level", V)]),
}
LINEAGE = [("_delivery_key", V), ("_source_id", V), ("_as_of", D), ("_version", I), ("_file", V), ("_line", I)]
LEDGER = {
    "deliveries": [("delivery_key", V), ("source_id", V), ("source_kind", V), ("entity_id", V), ("as_of", D), ("version", I), ("control_sha256", V), ("status", V), ("reason", V), ("duplicate_of", V), ("rows_loaded", "BIGINT"), ("rows_rejected", "BIGINT"), ("received_at", TS), ("loaded_at", TS)],
    "delivery_files": [("delivery_key", V), ("file_name", V), ("sha256", V), ("row_count", "BIGINT"), ("archive_path", V)],
    "rejected_rows": [("delivery_key", V), ("source_id", V), ("as_of", D), ("table_name", V), ("file_name", V), ("line_number", I), ("column_name", V), ("rule", V), ("record_key", V)],
}


def all_columns(table: str) -> list[tuple[str, str]]:
    entity, cols = RAW_TABLES[table]
    return ([(entity, V)] if entity else []) + cols + LINEAGE


def create_raw(path) -> None:
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists raw")
    for t in RAW_TABLES:
        con.execute(f"create or replace table raw.{t} ({', '.join(f'{c} {ty}' for c, ty in all_columns(t))})")
    for t, cols in LEDGER.items():
        con.execute(f"create or replace table raw.{t} ({', '.join(f'{c} {ty}' for c, ty in cols)})")
    con.close()


def _kind(source_id: str) -> tuple[str, str | None]:
    if source_id.startswith("court-"):
        return "court", source_id[len("court-"):]
    if source_id.startswith("provider-"):
        return "provider", source_id[len("provider-"):]
    return source_id, None


def add_delivery(con: duckdb.DuckDBPyConnection, source_id: str, as_of: str | date, tables: dict[str, list[dict]],
                 version: int = 1, rejected: list[dict] | None = None, status: str = "accepted") -> str:
    """Append one delivery version: a ledger row, and (when accepted) its rows with lineage."""
    as_of = date.fromisoformat(str(as_of))
    key = f"{source_id}/{as_of.isoformat()}/v{version}"
    kind, entity = _kind(source_id)
    n = sum(len(r) for r in tables.values())
    con.execute(
        "insert into raw.deliveries values (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [key, source_id, kind, entity, as_of, version, "0" * 64, status, None if status == "accepted" else "test",
         None, n if status == "accepted" else 0, len(rejected or []), datetime(2026, 1, 1), datetime(2026, 1, 1)],
    )
    if status != "accepted":
        return key
    for table, rows in tables.items():
        entity_col, _ = RAW_TABLES[table]
        cols = [c for c, _ in all_columns(table)]
        fname = table.split("__", 1)[1] + ".csv"
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
