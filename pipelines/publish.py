"""Publish the analytics warehouse: schema `analytics` of the restricted store -> analytics.duckdb.

The only writer of `analytics.duckdb` (docs/architecture.md, "Analytics warehouse"):

1. a fresh file `analytics.duckdb.tmp-<pid>` beside the target gets every table and view of schema
   `analytics` in restricted.duckdb, as tables in its `main` schema, plus the ledger copies
   `deliveries` and `delivery_files` (no identifiers in them);
2. before anything is written, and again on the finished file, every column name is checked
   against the identifier names of the restricted store (names, dob, nysid, dockets, ids, free
   text; BOOLEAN flags such as `has_nysid` excepted): publishing fails loudly rather than leak one;
3. on the finished file, the VALUES of every VARCHAR column are scanned against the restricted
   store's identifiers (`identifier_value_scan`): the values of every raw table's identifier
   columns (names, dates of birth as text, nysid, docket and source ids, referral partners), each
   value whole and split into words, case-insensitively; values shorter than
   MIN_IDENTIFIER_LENGTH characters are not compared (they would match ordinary words), nor words
   the project writes itself (the catalogues, the models' literals: `project_vocabulary`). A hit
   refuses the publish; the message names the table and column, never the value;
4. the new file is made readable by the owner's group (0640: evaluators), and leftovers of an
   earlier, killed publish (`analytics.duckdb.tmp-*`) are removed first;
5. `os.replace` puts the new file in place atomically. An evaluator holding a read-only
   connection on the old file keeps reading the old file (POSIX keeps its inode alive); new
   connections see the new one.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.settings import share_with_group
from pipelines.sql import ident, literal

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

# Identifier values shorter than this are not looked for in published text: a 3-letter surname
# ("Li", "Ng", "Cox") also spells ordinary words and codes. Dates of birth (10 characters as text),
# nysids, docket and source ids, and most names are longer.
MIN_IDENTIFIER_LENGTH = 4
MIN_NUMERIC_IDENTIFIER_LENGTH = 6
MAX_VOCABULARY_TEXT = 60  # project_vocabulary: codes, ids, labels and titles; not prose
# How a published text value is split into words before comparing (ids keep - / . ' inside them).
_WORD_SPLIT = r"[\s,;:()\[\]{}<>=|\"`!?*]+"
_WORD_EDGES = ".-/"  # also compared without these at a word's ends ("... K1234567.")


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


def project_vocabulary() -> set[str]:
    """The words the project itself writes into published tables, lower-cased, whole and split as
    published text is: every cell of the dbt seeds (the metric and goal catalogues: ids, kinds,
    units, titles) and every quoted literal of the dbt models and macros ('overall', 'unknown',
    'met', ...), texts of at most MAX_VOCABULARY_TEXT characters (the definitions' prose would
    exempt half the English words). Authored text cannot carry a person's identifier, so an
    identifier that spells one of these words (a typed surname 'Mean', the kind of a metric) is not
    a leak there."""
    import csv

    from pipelines.settings import DBT_PROJECT_DIR

    texts: list[str] = []
    for seed in sorted((DBT_PROJECT_DIR / "seeds").glob("*.csv")):
        with seed.open(newline="", encoding="utf-8") as fh:
            texts += [cell for row in csv.reader(fh) for cell in row]
    for folder in ("models", "macros"):
        for sql in sorted((DBT_PROJECT_DIR / folder).rglob("*.sql")):
            texts += [t.replace("''", "'") for t in re.findall(r"'((?:[^']|'')*)'", sql.read_text(encoding="utf-8"))]
    out: set[str] = set()
    for text in (t for t in texts if len(t) <= MAX_VOCABULARY_TEXT):
        t = text.strip().lower()
        out.add(t)
        for w in re.split(_WORD_SPLIT, t):
            out.update((w, w.strip(_WORD_EDGES)))
    out.discard("")
    return out


def identifier_value_scan(con, restricted: str, published: str) -> list[str]:
    """`["table.column", ...]` of the published catalog's VARCHAR columns where a value, or a word of
    one, equals (case-insensitively) an identifier value of the restricted catalog's raw tables.

    The identifiers: every `identifier_columns` column of the raw tables (pipelines.ingestion.spec),
    as text; DATE columns also as MM/DD/YYYY and YYYYMMDD (how the sources write them). Not compared:
    values shorter than MIN_IDENTIFIER_LENGTH, all-digit values shorter than
    MIN_NUMERIC_IDENTIFIER_LENGTH (a provider's client `2014` is also a year), and values that the
    raw tables also hold in a column that is not an identifier (a surname `White` is also a `race`
    code), and words the project writes itself (`project_vocabulary`: a typed surname `Mean` is
    also a metric's kind). One deduplicated set of identifiers, and per published table one
    semi-join with its columns' text values and their words."""
    from pipelines.ingestion.spec import TABLE_SPECS

    sources, ordinary = [], []
    for spec in TABLE_SPECS.values():
        types = dict(spec.columns)
        table = f"{restricted}.raw.{ident(spec.table)}"
        for column in spec.identifier_columns:
            col = ident(column)
            forms = [f"CAST({col} AS VARCHAR)"]
            if types.get(column) == "date":
                forms += [f"strftime({col}, '%m/%d/%Y')", f"strftime({col}, '%Y%m%d')"]
            sources += [f"SELECT lower(trim({f})) AS v FROM (SELECT DISTINCT {col} FROM {table})" for f in forms]
        ordinary += [f"SELECT lower(trim({ident(c)})) AS v FROM {table}" for c, kind in spec.columns
                     if kind == "text" and c not in spec.identifier_columns]
    con.execute(f"""CREATE OR REPLACE TEMP TABLE identifier_values AS
        SELECT DISTINCT v FROM ({' UNION ALL '.join(sources)})
        WHERE length(v) >= {MIN_IDENTIFIER_LENGTH}
          AND NOT (regexp_full_match(v, '[0-9]+') AND length(v) < {MIN_NUMERIC_IDENTIFIER_LENGTH})""")
    con.execute("CREATE OR REPLACE TEMP TABLE identifier_hits (table_name VARCHAR, column_name VARCHAR, v VARCHAR)")
    columns = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_catalog = ? "
        "AND data_type = 'VARCHAR' ORDER BY table_name, ordinal_position", [published]).fetchall()
    # Per published table, one statement: each VARCHAR column's distinct texts, each text with its
    # words and their edge-trimmed forms unnested in the same pass (no CTE read twice, which DuckDB
    # would materialise in memory), semi-joined with the identifiers. Every step is a scan, a hash
    # aggregate or a hash join, which spill under the memory limit (a scale-30 world's published
    # keys do not fit in 1.5 GB at once; a scale-10 store publishes under a 120MB limit).
    by_table: dict[str, list[str]] = {}
    for table, column in columns:
        by_table.setdefault(table, []).append(column)
    for table, table_columns in by_table.items():
        candidates = " UNION ALL ".join(
            f"""SELECT {literal(column)} AS column_name,
                       unnest(list_concat([t], ws, list_transform(ws, lambda w: trim(w, '{_WORD_EDGES}')))) AS v
                FROM (SELECT t, regexp_split_to_array(t, '{_WORD_SPLIT}') AS ws
                      FROM (SELECT DISTINCT lower(trim({ident(column)})) AS t
                            FROM {published}.main.{ident(table)} WHERE {ident(column)} IS NOT NULL))"""
            for column in table_columns)
        con.execute(f"""INSERT INTO temp.identifier_hits
            SELECT DISTINCT {literal(table)}, column_name, v FROM ({candidates}) AS c
            SEMI JOIN temp.identifier_values USING (v)""")
    if con.execute("SELECT count(*) FROM temp.identifier_hits").fetchone()[0] and ordinary:
        con.execute(f"""DELETE FROM temp.identifier_hits WHERE v IN (
            SELECT v FROM ({' UNION ALL '.join(ordinary)}) WHERE v IN (SELECT v FROM temp.identifier_hits))""")
    if con.execute("SELECT count(*) FROM temp.identifier_hits").fetchone()[0]:
        words = sorted(project_vocabulary())
        con.execute("CREATE OR REPLACE TEMP TABLE project_words AS SELECT unnest(?::VARCHAR[]) AS v", [words])
        con.execute("DELETE FROM temp.identifier_hits WHERE v IN (SELECT v FROM temp.project_words)")
        con.execute("DROP TABLE temp.project_words")
    hits = [f"{t}.{c}" for t, c in con.execute(
        "SELECT DISTINCT table_name, column_name FROM temp.identifier_hits ORDER BY 1, 2").fetchall()]
    con.execute("DROP TABLE temp.identifier_values")
    con.execute("DROP TABLE temp.identifier_hits")
    return hits


def remove_leftovers(dst: Path) -> None:
    """Temporary files of an earlier publish that was killed (`<name>.tmp-<pid>` and its WAL).
    Called by the one writer (under the store lock), so none of them is in use."""
    for leftover in dst.parent.glob(f"{dst.name}.tmp-*"):
        leftover.unlink(missing_ok=True)


def publish_analytics(settings) -> Path:
    """Copy schema `analytics` (+ ledger) of the restricted store into a fresh analytics.duckdb."""
    from pipelines.duck import connect

    src = Path(settings.restricted_db)
    dst = Path(settings.analytics_db)
    if not src.exists():
        raise FileNotFoundError(f"restricted store not found: {src}")
    dst.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(dst)
    tmp = dst.with_name(f"{dst.name}.tmp-{os.getpid()}")

    # An in-memory session attaching both files: the output's catalog is `publish_out`, and with
    # `USE restricted` the view definitions of the restricted store resolve as they do there.
    con = connect(":memory:", settings)
    try:
        con.execute(f"ATTACH {literal(str(src))} AS restricted (READ_ONLY)")
        con.execute(f"ATTACH {literal(str(tmp))} AS publish_out")
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
            con.execute(f"CREATE TABLE publish_out.main.{ident(name)} AS SELECT * FROM restricted.analytics.{ident(name)}")
        for name in LEDGER_TABLES:
            con.execute(f"CREATE TABLE publish_out.main.{ident(name)} AS SELECT * FROM restricted.raw.{ident(name)}")

        # 3) check the finished file itself
        final_cols = con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_catalog = 'publish_out'"
        ).fetchall()
        leaks = forbidden_columns(final_cols)
        if leaks:
            raise IdentifierLeakError(f"refusing to publish identifier-like columns: {', '.join(leaks)}")
        # 4) ... and the values in it
        leaks = identifier_value_scan(con, "restricted", "publish_out")
        if leaks:
            raise IdentifierLeakError("refusing to publish: values of the restricted store's identifiers "
                                      f"found in {', '.join(leaks)}")
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
    share_with_group(tmp)
    os.replace(tmp, dst)
    return dst


def describe_published(path: Path) -> list[PublishedTable]:
    """Table names, row and column counts of a published file (no values: safe for metadata)."""
    from pipelines.duck import connect

    con = connect(path, read_only=True)
    try:
        out = []
        for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1"
        ).fetchall():
            rows = con.execute(f"SELECT count(*) FROM main.{ident(name)}").fetchone()[0]
            ncol = con.execute(
                "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ?", [name]
            ).fetchone()[0]
            out.append(PublishedTable(name=name, rows=int(rows), columns=int(ncol)))
        return out
    finally:
        con.close()
