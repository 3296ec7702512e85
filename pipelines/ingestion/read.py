"""Read one delivery file into an Arrow table of text columns, with declared columns (no sniffing).

Every value is read as text here; typing happens in DuckDB (`stage.py`), set-wise, so a value that
does not parse becomes a row-level fault rather than a crash. Structural faults (bytes that are not
UTF-8, a missing column, a file that cannot be parsed) raise `StructuralError`, which rejects the
whole delivery. Messages name file, line and column — never a value.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, time

import pyarrow as pa
import pyarrow.csv as pacsv

from pipelines.ingestion.spec import MAX_LINE_BYTES, MAX_WORKBOOK_EXPANDED, MAX_WORKBOOK_RATIO, TableSpec

BOM = b"\xef\xbb\xbf"


class StructuralError(Exception):
    """A fault that rejects the whole delivery (control mismatch, missing file/column, bad bytes)."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 column: str | None = None, rule: str = "structural"):
        self.file, self.line, self.column, self.rule = file, line, column, rule
        where = ", ".join(x for x in (f"file {file}" if file else "", f"line {line}" if line else "",
                                       f"column {column}" if column else "") if x)
        super().__init__(f"{message}" + (f" ({where})" if where else ""))


@dataclass
class FileRead:
    """The text rows of one file (or sheet) with the physical line of each."""

    label: str                      # file name, or extract.xlsx#<sheet>
    table: pa.Table                 # spec columns as strings + _line int32
    row_count: int                  # non-blank data rows (incl. malformed ones) — for the control file
    extra_columns: list[int] = field(default_factory=list)    # 1-based positions of unknown columns
    malformed: list[tuple[int, str]] = field(default_factory=list)  # (line, description)


def _column_label(name: str, i: int, spec: TableSpec) -> str:
    """A header cell as a message may name it: the spec's column name, else its position — a
    header-less file's first row holds values, never to be echoed."""
    return name if name in spec.column_names else f"#{i + 1}"


def _check_header(header: list[str], spec: TableSpec, label: str) -> list[str]:
    if spec.upper_header:
        header = [h.lower() for h in header]
    header = [h.strip() for h in header]
    seen = set()
    for i, h in enumerate(header):
        if h in seen:
            raise StructuralError("duplicate column in header", file=label, line=1,
                                  column=_column_label(h, i, spec), rule="duplicate_column")
        seen.add(h)
    missing = [c for c in spec.column_names if c not in seen]
    if missing:
        raise StructuralError("missing required column", file=label, line=1, column=", ".join(missing),
                              rule="missing_column")
    return header


def _extra_columns(header: list[str], spec: TableSpec) -> list[int]:
    """1-based positions of header cells that are not spec columns (ignored; named by position)."""
    return [i + 1 for i, h in enumerate(header) if h not in spec.column_names]


def _check_line_length(data: bytes, label: str) -> None:
    """A physical line longer than MAX_LINE_BYTES is structural (the limit and the line named)."""
    if len(data) <= MAX_LINE_BYTES:
        return
    import numpy as np

    ends = np.flatnonzero(np.frombuffer(data, np.uint8) == 10)
    starts = np.concatenate(([0], ends + 1))
    lengths = np.concatenate((ends, [len(data)])) - starts
    over = np.flatnonzero(lengths > MAX_LINE_BYTES)
    if over.size:
        raise StructuralError(f"line longer than the limit of {MAX_LINE_BYTES // 1024} KB", file=label,
                              line=int(over[0]) + 1, rule="too_large")


def _decode_check(data: bytes, label: str, spec: TableSpec, header: list[str]) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        line_no = data.count(b"\n", 0, e.start) + 1
        start = data.rfind(b"\n", 0, e.start) + 1
        end = data.find(b"\n", e.start)
        raw_line = data[start: end if end >= 0 else len(data)]
        col = None
        try:
            fields = next(csv.reader([raw_line.decode("utf-8", errors="replace")], delimiter=spec.delimiter))
            for i, f in enumerate(fields):
                if "\ufffd" in f:
                    col = _column_label(header[i], i, spec) if i < len(header) else f"#{i + 1}"
                    break
        except Exception:  # noqa: BLE001 - the column is a courtesy; the line is what matters
            pass
        raise StructuralError("bytes are not valid UTF-8", file=label, line=line_no, column=col,
                              rule="undecodable") from None


def read_text_file(data: bytes, spec: TableSpec, label: str) -> FileRead:
    """CSV (or dcjs pipe-delimited) bytes -> FileRead. BOM, LF/CRLF handled; all columns text."""
    if data.startswith(BOM):
        data = data[len(BOM):]
    _check_line_length(data, label)
    nl = data.find(b"\n")
    head_bytes = data if nl < 0 else data[:nl]
    head_text = head_bytes.decode("utf-8", errors="replace").rstrip("\r")
    if not head_text.strip():
        raise StructuralError("file has no header", file=label, line=1, rule="missing_header")
    try:
        header = next(csv.reader([head_text], delimiter=spec.delimiter))
    except csv.Error as e:   # e.g. a field over the csv module's size limit; its text holds no value
        raise StructuralError(f"header cannot be parsed: {e}", file=label, line=1, rule="unparseable") from None
    _decode_check(data, label, spec, [(h.lower() if spec.upper_header else h).strip() for h in header])
    header = _check_header(header, spec, label)
    extra = _extra_columns(header, spec)
    body = b"" if nl < 0 else data[nl + 1:]

    malformed_idx: list[tuple[int | None, str]] = []

    def on_invalid(row):  # pyarrow InvalidRow: wrong field count
        malformed_idx.append((row.number, f"expected {row.expected_columns} fields, got {row.actual_columns}"))
        return "skip"

    names = [f"c{i}" for i in range(len(header))]  # positional: header names may be odd
    if body.strip():
        try:
            tbl = pacsv.read_csv(
                io.BytesIO(body),
                read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
                parse_options=pacsv.ParseOptions(delimiter=spec.delimiter, newlines_in_values=True,
                                                 invalid_row_handler=on_invalid),
                convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                     null_values=[""], strings_can_be_null=True,
                                                     quoted_strings_can_be_null=True),
            )
        except pa.ArrowInvalid as e:
            raise StructuralError(f"file cannot be parsed as delimited text: {type(e).__name__}",
                                  file=label, rule="unparseable") from None
    else:
        tbl = pa.table({n: pa.array([], pa.string()) for n in names})

    lines, malformed = _line_numbers(body, spec.delimiter, len(header), tbl.num_rows, len(malformed_idx), label)
    cols = {c: tbl.column(names[header.index(c)]) for c in spec.column_names}
    cols["_line"] = pa.array(lines, pa.int32())
    return FileRead(label=label, table=pa.table(cols), row_count=tbl.num_rows + len(malformed_idx),
                    extra_columns=extra, malformed=malformed)


def _line_numbers(body: bytes, delimiter: str, n_fields: int, n_rows: int, n_bad: int, label: str):
    """Physical line (header = 1) of each parsed record, and of each malformed record.

    Fast path: one record per line, no blank lines -> record i is on line i + 2. Otherwise walk the
    text with the csv module (rare: quoted newlines, blank lines, malformed rows)."""
    n_lines = body.count(b"\n") + (0 if body.endswith(b"\n") or not body else 1)
    blank = body.startswith(b"\n") or body.startswith(b"\r\n") or b"\n\n" in body or b"\n\r\n" in body
    if n_bad == 0 and not blank and n_lines == n_rows:
        import numpy as np

        return np.arange(2, n_rows + 2, dtype=np.int32), []  # not a Python int per row
    good, bad = [], []
    reader = csv.reader(io.StringIO(body.decode("utf-8"), newline=""), delimiter=delimiter)
    prev = 0
    try:
        for rec in reader:
            start = prev + 1
            prev = reader.line_num
            if not rec or all(not f.strip() for f in rec) and len(rec) <= 1:
                continue
            (good if len(rec) == n_fields else bad).append(start + 1)
    except csv.Error as e:   # e.g. a field over the csv module's size limit; its text holds no value
        raise StructuralError(f"file cannot be parsed: {e}", file=label, line=prev + 2, rule="unparseable") from None
    if len(good) != n_rows:  # the two parsers disagree: do not guess line numbers
        raise StructuralError("file cannot be parsed consistently (quoting)", file=label, rule="unparseable")
    return good, [(ln, "wrong number of fields") for ln in bad]


# ----------------------------------------------------------------------------------------------
# Excel workbooks (providers): one sheet per table, sheet name = table name.

def _cell_text(v) -> str | None:
    if v is None or v == "":
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "Y" if v else "N"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, datetime):
        if v.time() == time(0):
            return v.date().isoformat()
        return v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")          # a cell's <f> element (formula)
_CELL_REF = re.compile(rb'\br="([A-Z]+)([0-9]+)"')


def _open_zip(data: bytes, label: str) -> zipfile.ZipFile:
    """The workbook's zip, after its directory shows it expands within the limits (nothing is
    decompressed before: a zip bomb is refused from its directory alone)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        expanded = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as e:
        raise StructuralError(f"workbook cannot be opened: {type(e).__name__}", file=label,
                              rule="unparseable") from None
    if expanded > MAX_WORKBOOK_EXPANDED:
        raise StructuralError(f"workbook expands to {expanded >> 20} MB, over the limit of "
                              f"{MAX_WORKBOOK_EXPANDED >> 20} MB", file=label, rule="too_large")
    if expanded > MAX_WORKBOOK_RATIO * max(len(data), 1):
        raise StructuralError(f"workbook expands {expanded // max(len(data), 1)} times its size, over the limit "
                              f"of {MAX_WORKBOOK_RATIO}", file=label, rule="too_large")
    return zf


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its XML member, from xl/workbook.xml and its relationships."""
    from xml.etree import ElementTree

    def root(name):
        return ElementTree.fromstring(zf.read(name))

    rels = {r.get("Id"): r.get("Target", "") for r in root("xl/_rels/workbook.xml.rels").iter()
            if r.tag.endswith("Relationship")}
    out = {}
    for sh in root("xl/workbook.xml").iter():
        if sh.tag.endswith("}sheet"):
            rid = next((v for k, v in sh.attrib.items() if k.endswith("}id")), None)
            target = rels.get(rid, "")
            out[sh.get("name")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return out


def _column_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n - 1


def formula_cells(zf: zipfile.ZipFile, label: str) -> dict[str, tuple[int, int]]:
    """Sheet name -> (row, 0-based column) of its first cell holding a formula. Found in the sheet's
    XML (`<f>` elements) — python-calamine only sees the cached values."""
    try:
        parts = _sheet_parts(zf)
        out = {}
        for name, part in parts.items():
            xml = zf.read(part)
            m = _FORMULA.search(xml)
            if m:
                ref = _CELL_REF.search(xml, max(xml.rfind(b"<c ", 0, m.start()), xml.rfind(b":c ", 0, m.start()), 0),
                                       m.start())
                out[name] = (int(ref.group(2)), _column_index(ref.group(1))) if ref else (0, -1)
        return out
    except (KeyError, zipfile.BadZipFile, ValueError, EOFError, SyntaxError, OSError, NotImplementedError,
            zlib.error) as e:  # a damaged or unsupported zip member
        raise StructuralError(f"workbook cannot be opened: {type(e).__name__}", file=label,
                              rule="unparseable") from None


def read_workbook(data: bytes, specs: dict[str, TableSpec], label: str = "extract.xlsx") -> dict[str, FileRead]:
    """extract.xlsx bytes -> {table name: FileRead}, one per sheet named after a provider table.

    Structural: a workbook expanding beyond the limits (checked from its zip directory before
    anything is read), a cell holding a formula (policy: the delivery is rejected — the supplier's
    extract must carry values, not computations over them), an unknown sheet, a missing column."""
    import python_calamine

    formulas = formula_cells(_open_zip(data, label), label)
    try:
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as e:  # noqa: BLE001 - any reader failure is a structural fault
        raise StructuralError(f"workbook cannot be opened: {type(e).__name__}", file=label,
                              rule="unparseable") from None
    out: dict[str, FileRead] = {}
    for sheet_name in wb.sheet_names:
        spec = specs.get(sheet_name)
        sl = f"{label}#{sheet_name}"
        if spec is None:
            raise StructuralError("unknown sheet in workbook", file=sl, rule="unknown_sheet")
        try:
            sheet = wb.get_sheet_by_name(sheet_name)
            rows = sheet.to_python(skip_empty_area=False)
        except Exception as e:  # noqa: BLE001 - a damaged sheet is a structural fault
            raise StructuralError(f"sheet cannot be read: {type(e).__name__}", file=sl, rule="unparseable") from None
        if not rows:
            raise StructuralError("sheet has no header", file=sl, line=1, rule="missing_header")
        first_row = sheet.start[0] + 1 if sheet.start else 1
        first_col = sheet.start[1] if sheet.start else 0
        header = [str(h).strip() if h is not None else "" for h in rows[0]]
        header = _check_header(header, spec, sl)
        if sheet_name in formulas:
            row, col = formulas[sheet_name]
            i = col - first_col
            raise StructuralError("cell holds a formula (workbooks with formulas are rejected)", file=sl, line=row,
                                  column=_column_label(header[i], i, spec) if 0 <= i < len(header) else None,
                                  rule="formula_cell")
        idx = [header.index(c) for c in spec.column_names]
        cols: list[list] = [[] for _ in idx]
        lines = []
        for n, row in enumerate(rows[1:], start=first_row + 1):
            if all(v is None or v == "" for v in row):
                continue
            lines.append(n)
            for out_col, i in zip(cols, idx):
                out_col.append(_cell_text(row[i]) if i < len(row) else None)
        tbl = {c: pa.array(v, pa.string()) for c, v in zip(spec.column_names, cols)}
        tbl["_line"] = pa.array(lines, pa.int32())
        out[spec.table] = FileRead(label=sl, table=pa.table(tbl), row_count=len(lines),
                                   extra_columns=_extra_columns(header, spec))
    return out
