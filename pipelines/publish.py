"""Publish the analytics warehouse: schema `analytics` of the restricted store -> analytics.duckdb.

The only writer of `analytics.duckdb` (docs/architecture.md, "Analytics warehouse"):

1. a fresh file `analytics.duckdb.tmp-<pid>` beside the target gets every table and view of schema
   `analytics` in restricted.duckdb, as tables in its `main` schema, plus the ledger copies
   `deliveries` and `delivery_files` (no identifiers in them);
2. before anything is written, and again on the finished file, every column name is checked
   against the identifier names of the restricted store (names, dob, nysid, dockets, ids, free
   text; BOOLEAN flags such as `has_nysid` excepted): publishing fails loudly rather than leak one;
3. `os.replace` puts the new file in place atomically. An evaluator holding a read-only
   connection on the old file keeps reading the old file (POSIX keeps its inode alive); new
   connections see the new one.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

# Column names that hold (or are derived 1:1 from) identifiers in the restricted store. A column
# whose name contains any of these may not be published (pseudonymous keys are *_key columns).
FORBIDDEN_COLUMN_PATTERNS: tuple[str, ...] = (
    "last_name",
    "first_name",
    "dob",
    "nysid",
    "docket_id",
    "docket_ref",
    "partner",
    "defendant_id",
    "client_id",
)
_FORBIDDEN_RE = re.compile("|".join(re.escape(p) for p in FORBIDDEN_COLUMN_PATTERNS), re.IGNORECASE)

LEDGER_TABLES: tuple[str, ...] = ("deliveries", "delivery_files")


class IdentifierLeakError(RuntimeError):
    """Something about to be published carries a column named like an identifier."""


@dataclass(frozen=True)
class PublishedTable:
    name: str
    rows: int
    columns: int


def forbidden_columns(columns: list[tuple[str, str, str]]) -> list[str]:
    """`[(table, column, data_type)] -> ["table.column", ...]` for every column named like an
    identifier. BOOLEAN columns are exempt: a flag such as `has_nysid` cannot carry a value."""
    return sorted(f"{t}.{c}" for t, c, ty in columns if _FORBIDDEN_RE.search(c) and ty.upper() != "BOOLEAN")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def publish_analytics(settings) -> Path:
    """Copy schema `analytics` (+ ledger) of the restricted store into a fresh analytics.duckdb."""
    import duckdb

    src = Path(settings.restricted_db)
    dst = Path(settings.analytics_db)
    if not src.exists():
        raise FileNotFoundError(f"restricted store not found: {src}")
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f"{dst.name}.tmp-{os.getpid()}")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)

    # An in-memory session attaching both files: the output's catalog is `publish_out`, and with
    # `USE restricted` the view definitions of the restricted store resolve as they do there.
    con = duckdb.connect(":memory:")
    try:
        src_literal = str(src).replace("'", "''")
        tmp_literal = str(tmp).replace("'", "''")
        con.execute(f"ATTACH '{src_literal}' AS restricted (READ_ONLY)")
        con.execute(f"ATTACH '{tmp_literal}' AS publish_out")
        con.execute("USE restricted")
        relations = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_catalog = 'restricted' AND table_schema = 'analytics' ORDER BY table_name"
            ).fetchall()
        ]
        if not relations:
            raise RuntimeError("schema `analytics` of the restricted store is empty or missing: build the marts first")
        clash = sorted(set(relations) & set(LEDGER_TABLES))
        if clash:
            raise RuntimeError(f"analytics relations clash with the ledger copies: {clash}")

        # 1) check the source columns before copying anything
        cols = con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = 'restricted' AND ((table_schema = 'analytics') "
            f"OR (table_schema = 'raw' AND table_name IN ({', '.join(repr(t) for t in LEDGER_TABLES)})))"
        ).fetchall()
        leaks = forbidden_columns(cols)
        if leaks:
            raise IdentifierLeakError(f"refusing to publish identifier-like columns: {', '.join(leaks)}")

        # 2) copy: every analytics relation as a table, plus the ledger
        for name in relations:
            con.execute(f"CREATE TABLE publish_out.main.{_quote(name)} AS SELECT * FROM restricted.analytics.{_quote(name)}")
        for name in LEDGER_TABLES:
            con.execute(f"CREATE TABLE publish_out.main.{_quote(name)} AS SELECT * FROM restricted.raw.{_quote(name)}")

        # 3) check the finished file itself
        final_cols = con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_catalog = 'publish_out'"
        ).fetchall()
        leaks = forbidden_columns(final_cols)
        if leaks:
            raise IdentifierLeakError(f"refusing to publish identifier-like columns: {', '.join(leaks)}")
        con.execute("USE memory")
        con.execute("DETACH restricted")
        con.execute("CHECKPOINT publish_out")
        con.execute("DETACH publish_out")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, dst)
    return dst


def describe_published(path: Path) -> list[PublishedTable]:
    """Table names, row and column counts of a published file (no values: safe for metadata)."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        out = []
        for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1"
        ).fetchall():
            rows = con.execute(f"SELECT count(*) FROM main.{_quote(name)}").fetchone()[0]
            ncol = con.execute(
                "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ?", [name]
            ).fetchone()[0]
            out.append(PublishedTable(name=name, rows=int(rows), columns=int(ncol)))
        return out
    finally:
        con.close()
