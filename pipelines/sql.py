"""One way to put names and values into SQL text, for the statements DuckDB cannot parameterise.

Prefer bound parameters (`con.execute("... WHERE x = ?", [value])`) wherever DuckDB accepts them.
Where it does not — identifiers (table and column names), `SET` values, `COPY ... TO` paths, SQL
assembled once and run elsewhere (a suite's query) — quote with these two helpers, never by hand.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal


def ident(name: str) -> str:
    """A double-quoted identifier: `court__cases` -> `"court__cases"`, inner quotes doubled."""
    if not isinstance(name, str) or not name:
        raise ValueError("an SQL identifier must be a non-empty string")
    if "\x00" in name:
        raise ValueError("an SQL identifier cannot contain a NUL character")
    return '"' + name.replace('"', '""') + '"'


def qualified(*parts: str) -> str:
    """A dotted name of quoted identifiers: `qualified("raw", "court__cases")` -> `"raw"."court__cases"`."""
    return ".".join(ident(p) for p in parts)


def literal(value) -> str:
    """A SQL literal: NULL, TRUE/FALSE, a number, DATE '…', TIMESTAMP '…', a single-quoted string
    (inner quotes doubled), or a list of those (`['a', 'b']`)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("NaN and infinities have no SQL literal here")
        return repr(value)
    if isinstance(value, datetime):
        return f"TIMESTAMP {_quote(value.isoformat(sep=' '))}"
    if isinstance(value, date):
        return f"DATE {_quote(value.isoformat())}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, str):
        return _quote(value)
    raise TypeError(f"no SQL literal for a {type(value).__name__}")


def _quote(text: str) -> str:
    if "\x00" in text:
        raise ValueError("an SQL string cannot contain a NUL character")
    return "'" + text.replace("'", "''") + "'"
