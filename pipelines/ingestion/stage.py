"""The stage: every new row of a batch, one table per raw table, typed set-wise in DuckDB.

The stage is an in-memory database attached as `stg` to the restricted store's connection, so the
row rules, Great Expectations (through a cursor of the same database instance) and the load all
read it where it is; it is detached, and gone, when the batch is done. Each staged row carries its
delivery (`_d`, the item's stage index), lineage columns, and the columns whose text did not parse
(`_parse_errors`) — a value that does not parse is a row fault, never a crash.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager

import pyarrow as pa

from pipelines.ingestion.batch import Item
from pipelines.ingestion.read import FileRead
from pipelines.ingestion.spec import DATE, INT, NUM, TABLE_SPECS, TEXT, TS
from pipelines.sql import ident, literal


def stage_table(table: str) -> str:
    """The stage table of a raw table, as an SQL name (in the stage database)."""
    return ident(f"stage_{table}")


@contextmanager
def attached(con):
    """The stage database, attached to `con` for the duration of one batch."""
    con.execute("ATTACH ':memory:' AS stg")
    try:
        yield
    finally:
        con.execute("DETACH DATABASE IF EXISTS stg")


def cursor(con):
    """A cursor of `con`'s database instance whose default database is the stage."""
    cur = con.cursor()
    cur.execute("USE stg")
    return cur


def stage_batch(con, items: list[Item]) -> int:
    """Stage the rows of the batch's accepted items (and the provider clients accepted so far) in
    `stg`; return the number of rows staged. The items' Arrow tables are released once staged."""
    # inside DuckDB, never through Python: the raw table may be large
    con.execute("CREATE TABLE stg.known_provider_clients AS SELECT DISTINCT provider_id, client_id "
                "FROM raw.provider__clients")
    staged = [it for it in items if it.stage_index is not None]
    rows = sum(fr.table.num_rows for it in staged for frs in it.checked.reads.values() for fr in frs)
    scon = cursor(con)
    try:
        _build(scon, staged)
    finally:
        scon.close()
        for it in staged:  # the rows now live in the stage (_build released them table by table)
            for frs in it.checked.reads.values():
                for fr in frs:
                    fr.table = None
        # Arrow's allocator keeps freed blocks for reuse; hand them back, or the process would carry
        # the largest batch's Arrow memory on top of DuckDB's limit for the rest of the run
        pa.default_memory_pool().release_unused()
    return rows


def _typed_expr(col: str, typ: str, date_formats: tuple[str, ...]) -> str:
    text = f"t.{ident(col)}"
    v = f"NULLIF(trim({text}), '')"
    if typ == TEXT:
        return text
    if typ == INT:
        return f"TRY_CAST({v} AS INTEGER)"
    if typ == DATE:
        parts = ", ".join(f"TRY_STRPTIME({v}, {literal(f)})" for f in date_formats)
        return f"CAST(COALESCE({parts}) AS DATE)" if len(date_formats) > 1 else f"CAST({parts} AS DATE)"
    if typ == TS:
        return f"TRY_CAST({v} AS TIMESTAMP)"
    if typ == NUM:
        return f"TRY_CAST({v} AS DOUBLE)"
    raise ValueError(typ)


def _files_table(staged: list[Item]) -> tuple[pa.Table, dict[str, list[tuple[FileRead, int]]]]:
    """One row per staged file (its index `_fidx`, delivery and lineage), and each table's file
    reads with their `_fidx`."""
    files_rows = []
    per_table: dict[str, list[tuple[FileRead, int]]] = defaultdict(list)
    fidx = 0
    for it in staged:
        d, o = it.delivery, it.outcome
        for table, reads in it.checked.reads.items():
            for fr in reads:
                files_rows.append((fidx, it.stage_index, o.delivery_key, d.source_id, d.as_of, o.version,
                                   fr.label, d.entity_id))
                per_table[table].append((fr, fidx))
                fidx += 1
    columns = [("_fidx", pa.int32()), ("_d", pa.int32()), ("_delivery_key", pa.string()),
               ("_source_id", pa.string()), ("_as_of", pa.date32()), ("_version", pa.int32()),
               ("_file", pa.string()), ("_entity", pa.string())]
    files = pa.table({name: pa.array([r[i] for r in files_rows], typ) for i, (name, typ) in enumerate(columns)})
    return files, per_table


def _build(scon, staged: list[Item]) -> None:
    files, per_table = _files_table(staged)
    scon.register("files_v", files)
    scon.execute("CREATE TABLE stage_files AS SELECT * FROM files_v")
    offset = 0
    for table, spec in TABLE_SPECS.items():
        reads = per_table.pop(table, None)
        if reads:
            arrow = pa.concat_tables([fr.table.append_column("_fidx", pa.array([fidx] * fr.table.num_rows, pa.int32()))
                                      for fr, fidx in reads])
            for fr, _ in reads:  # from here on the concatenation holds this table's rows, and only until staged
                fr.table = None
            del reads
        else:
            arrow = pa.table({**{c: pa.array([], pa.string()) for c in spec.column_names},
                              "_line": pa.array([], pa.int32()), "_fidx": pa.array([], pa.int32())})
        scon.register("t_v", arrow)
        ent = f"f._entity AS {ident(spec.entity_column)}, " if spec.entity_column else ""
        typed_cols = [(c, ty) for c, ty in spec.columns if ty != TEXT]
        # type each column once (inner query), then list the columns whose text did not parse
        typed = ", ".join(f"{_typed_expr(c, ty, spec.date_formats)} AS {ident(c)}" for c, ty in spec.columns)
        raws = ", ".join(f"NULLIF(trim(t.{ident(c)}), '') IS NOT NULL AS {ident('__has_' + c)}"
                         for c, _ in typed_cols)
        errs = [f"CASE WHEN {ident('__has_' + c)} AND {ident(c)} IS NULL THEN {literal(c)} END" for c, _ in typed_cols]
        err_expr = f"list_filter([{', '.join(errs)}], lambda x: x IS NOT NULL)" if errs else "CAST([] AS VARCHAR[])"
        outer = ", ".join(ident(c) for c in ([spec.entity_column] if spec.entity_column else []) + spec.column_names)
        scon.execute(f"""
            CREATE TABLE {stage_table(table)} AS
            SELECT ? + row_number() OVER () AS _row_id, _d, {outer},
                   _delivery_key, _source_id, _as_of, _version, _file, _line, {err_expr} AS _parse_errors
            FROM (SELECT f._d, {ent}{typed}, {raws + ',' if raws else ''}
                         f._delivery_key, f._source_id, f._as_of, f._version, f._file, t._line
                  FROM t_v t JOIN files_v f USING (_fidx))
            ORDER BY _d, _line""", [offset])
        scon.unregister("t_v")
        offset += arrow.num_rows
        del arrow
    scon.unregister("files_v")
