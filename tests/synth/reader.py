"""An independent reader of a landing tree, written from the extract contract alone.

It uses only the csv module, hashlib, openpyxl and the contract as data (`pipelines.ingestion.spec`:
tables, columns, types, code lists): nothing from htic_synth, so that a test passes only if the
generator's files follow the spec, not merely agree with the generator's own idea of it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from datetime import date, datetime

import openpyxl

from pipelines.ingestion.spec import CODE_LISTS, DATE, SOURCE_TABLES, TABLE_SPECS

DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SOURCE = re.compile(r"^(program|dcjs|court-[a-z0-9-]+|provider-[a-z0-9-]+)$")
DOCKET = re.compile(r"^CR-\d{6}-\d{2}[A-Z]{2}$")
NYSID = re.compile(r"^[0-9]{8}[A-Z]$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MDY_DATE = re.compile(r"^\d{2}/\d{2}/\d{4}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?$")
YMD = re.compile(r"^\d{8}$")

# The extract contract's tables, columns, date columns and code lists (pipelines.ingestion.spec).
PROGRAM = {TABLE_SPECS[t].file_name: TABLE_SPECS[t].column_names for t in SOURCE_TABLES["program"]}
PROGRAM_OPTIONAL = {TABLE_SPECS[t].file_name for t in SOURCE_TABLES["program"] if TABLE_SPECS[t].optional}
COURT = {TABLE_SPECS[t].file_name: TABLE_SPECS[t].column_names for t in SOURCE_TABLES["court"]}
PROVIDER = {TABLE_SPECS[t].name: TABLE_SPECS[t].column_names for t in SOURCE_TABLES["provider"]}  # sheet names
_DCJS = TABLE_SPECS["dcjs__arrests"]
DCJS = [c.upper() for c in _DCJS.column_names] if _DCJS.upper_header else _DCJS.column_names
PROVIDER_DATES = {TABLE_SPECS[t].name: [c for c, typ in TABLE_SPECS[t].columns if typ == DATE]
                  for t in SOURCE_TABLES["provider"]}


def codes(table: str, column: str) -> set[str]:
    """The code list of `table.column` (raw table name, e.g. `provider__sessions`)."""
    return set(CODE_LISTS[(table, column)])


PROSTITUTION = {"PL 230.00", "PL 230.03", "PL 240.37", "ED 6512"}  # extracts.md: prostitution-related charges


def sha256(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read_text_table(path: str, sep: str = ",") -> tuple[list[str], list[dict]]:
    """Header and non-blank data rows; UTF-8 with or without BOM, LF or CRLF."""
    with open(path, "rb") as f:
        text = f.read().decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    header = next(reader)
    rows = []
    for r in reader:
        if not r or all(v == "" for v in r):
            continue
        assert len(r) == len(header), f"{path}: row width {len(r)} != {len(header)}: {r}"
        rows.append({h: (v if v != "" else None) for h, v in zip(header, r)})
    return header, rows


def read_workbook(path: str) -> dict[str, tuple[list[str], list[dict]]]:
    """{sheet: (header, rows)}; cells keep their Excel types (datetime for date cells)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    out = {}
    for ws in wb.worksheets:
        it = ws.iter_rows(values_only=True)
        header = [str(h) for h in next(it)]
        rows = []
        for r in it:
            if r is None or all(v is None or v == "" for v in r):
                continue
            rows.append({h: v for h, v in zip(header, r)})
        out[ws.title] = (header, rows)
    wb.close()
    return out


def parse_date(v, allow_mdy: bool) -> date | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    s = str(v)
    if ISO_DATE.match(s):
        return date.fromisoformat(s)
    if allow_mdy and MDY_DATE.match(s):
        m, d, y = s.split("/")
        return date(int(y), int(m), int(d))
    raise AssertionError(f"not a date: {v!r}")


def parse_ts(v) -> datetime:
    if isinstance(v, datetime):
        return v
    s = str(v)
    assert TIMESTAMP.match(s), f"not an ISO timestamp: {s!r}"
    return datetime.fromisoformat(s.replace(" ", "T"))


def deliveries(root: str):
    """[(source, as_of, folder)] for every delivery folder."""
    out = []
    for source in sorted(os.listdir(root)):
        for d in sorted(os.listdir(os.path.join(root, source))):
            out.append((source, d, os.path.join(root, source, d)))
    return out


def read_control(folder: str) -> dict[str, tuple[int, str]]:
    header, rows = read_text_table(os.path.join(folder, "_control.csv"))
    assert header == ["file_name", "row_count", "sha256"]
    return {r["file_name"]: (int(r["row_count"]), r["sha256"]) for r in rows}


def load_delivery(source: str, folder: str) -> dict[str, list[dict]]:
    """Read one delivery; checks its columns against the spec. → {table: rows}."""
    names = set(os.listdir(folder)) - {"_control.csv"}
    out: dict[str, list[dict]] = {}
    if source == "program":
        assert set(PROGRAM) - PROGRAM_OPTIONAL <= names <= set(PROGRAM), names
        for n, cols in PROGRAM.items():
            if n not in names:
                continue
            h, rows = read_text_table(os.path.join(folder, n))
            assert h == cols, (folder, n, h)
            out[n[:-4]] = rows
    elif source.startswith("court-"):
        assert names == set(COURT), names
        for n, cols in COURT.items():
            h, rows = read_text_table(os.path.join(folder, n))
            assert h == cols, (folder, n, h)
            out[n[:-4]] = rows
    elif source == "dcjs":
        assert names == {_DCJS.file_name}, names
        h, rows = read_text_table(os.path.join(folder, _DCJS.file_name), sep=_DCJS.delimiter)
        assert h == DCJS, h
        out["arrests"] = rows
    elif source.startswith("provider-"):
        if "extract.xlsx" in names:
            assert names == {"extract.xlsx"}, names
            wb = read_workbook(os.path.join(folder, "extract.xlsx"))
            assert set(wb) == set(PROVIDER), set(wb)
            for t, cols in PROVIDER.items():
                assert wb[t][0] == cols, (folder, t, wb[t][0])
                out[t] = wb[t][1]
        else:
            assert names == {f"{t}.csv" for t in PROVIDER}, names
            for t, cols in PROVIDER.items():
                h, rows = read_text_table(os.path.join(folder, f"{t}.csv"))
                assert h == cols, (folder, t, h)
                out[t] = rows
    else:
        raise AssertionError(f"unknown source {source}")
    return out


def control_rows(folder: str, name: str) -> int:
    path = os.path.join(folder, name)
    if name.endswith(".xlsx"):
        return sum(len(rows) for _, rows in read_workbook(path).values())
    return len(read_text_table(path, sep=_DCJS.delimiter if name == _DCJS.file_name else ",")[1])
