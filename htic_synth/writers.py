"""Streaming file writers: CSV/pipe text with BOM/CRLF options, control files, Excel workbooks,
and the temp JSON-lines rows that hold a workbook's sheets until it is built.

Every text writer hashes the bytes as it writes them, so the control file needs no second read.
Dates travel as ordinals and are rendered here, in the extract contract's formats.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date, datetime
from functools import lru_cache

from pipelines.ingestion.spec import TABLE_SPECS

FLUSH_EVERY = 4000
(ISO_FORMAT,) = TABLE_SPECS["court__cases"].date_formats
_, MDY_FORMAT = TABLE_SPECS["provider__clients"].date_formats  # providers may send either
(YMD_FORMAT,) = TABLE_SPECS["dcjs__arrests"].date_formats


@lru_cache(maxsize=None)
def iso(o: int) -> str:
    return date.fromordinal(o).strftime(ISO_FORMAT)


@lru_cache(maxsize=None)
def mdy(o: int) -> str:
    return date.fromordinal(o).strftime(MDY_FORMAT)


@lru_cache(maxsize=None)
def ymd(o: int) -> str:
    return date.fromordinal(o).strftime(YMD_FORMAT)


def hms(secs: int) -> str:
    return f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"


def cell_text(c):
    """A workbook cell as CSV text: date cells as ISO dates, date-time cells as ISO timestamps."""
    if isinstance(c, list):
        if c[0] == "d":
            return iso(c[1])
        return f"{iso(c[1])}T{hms(c[2])}"
    return c


def delivery_folder(out: str, source: str, d: date) -> str:
    """`<out>/<source>/<YYYY-MM-DD>`, created."""
    f = os.path.join(out, source, d.isoformat())
    os.makedirs(f, exist_ok=True)
    return f


def _q(v) -> str:
    if v is None:
        return ""
    s = v if isinstance(v, str) else str(v)
    if "," in s or '"' in s or "\n" in s or "\r" in s:
        return '"' + s.replace('"', '""') + '"'
    return s


def csv_line(values) -> str:
    return ",".join([_q(v) for v in values])


class TextOut:
    """A delimited text file written in chunks; counts data rows and hashes bytes."""

    def __init__(self, path: str, header: list[str], *, sep: str = ",", crlf: bool = False, bom: bool = False):
        self.path = path
        self.name = os.path.basename(path)
        self.f = open(path, "wb")
        self.h = hashlib.sha256()
        self.nl = "\r\n" if crlf else "\n"
        self.sep = sep
        self.buf: list[str] = []
        self.rows = 0
        head = ("\ufeff" if bom else "") + sep.join(header) + self.nl
        self._write(head)

    def _write(self, text: str) -> None:
        b = text.encode("utf-8")
        self.h.update(b)
        self.f.write(b)

    def row(self, values) -> None:
        if self.sep == ",":
            self.buf.append(csv_line(values))
        else:
            self.buf.append(self.sep.join("" if v is None else str(v) for v in values))
        self.rows += 1
        if len(self.buf) >= FLUSH_EVERY:
            self.flush()

    def lines(self, text_lines: list[str]) -> None:
        """Pre-rendered lines (without line ends)."""
        self.buf.extend(text_lines)
        self.rows += len(text_lines)
        if len(self.buf) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        if self.buf:
            self._write(self.nl.join(self.buf) + self.nl)
            self.buf = []

    def close(self, trailing_blank: bool = False) -> tuple[str, int, str]:
        self.flush()
        if trailing_blank:
            self._write(self.nl)
        self.f.close()
        return self.name, self.rows, self.h.hexdigest()


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_control(folder: str, entries: list[tuple[str, int, str]]) -> None:
    """`_control.csv`, written last: file_name,row_count,sha256 (LF, sorted by file name)."""
    lines = ["file_name,row_count,sha256"] + [f"{n},{c},{s}" for n, c, s in sorted(entries)]
    tmp = os.path.join(folder, "_control.csv.part")
    with open(tmp, "wb") as f:
        f.write(("\n".join(lines) + "\n").encode("utf-8"))
    os.replace(tmp, os.path.join(folder, "_control.csv"))


FIXED_DOC_TIME = datetime(2000, 1, 1, 0, 0, 0)


def write_workbook(path: str, sheets: list[tuple[str, list[str], object]], tmpdir: str) -> None:
    """Write an xlsx with one sheet per (name, header, rows-iterable), streaming (constant memory).

    Cells in rows: None (blank), str (text), int/float (number), ("d", ordinal, fmt_idx) a date
    cell, ("t", ordinal, secs) a date-time cell. Document properties are fixed so bytes are stable.
    """
    import xlsxwriter

    wb = xlsxwriter.Workbook(path, {"constant_memory": True, "tmpdir": tmpdir, "strings_to_numbers": False,
                                    "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"created": FIXED_DOC_TIME, "author": "provider MIS export", "title": "extract"})
    date_fmts = [wb.add_format({"num_format": "yyyy-mm-dd"}), wb.add_format({"num_format": "mm/dd/yyyy"})]
    ts_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for name, header, rows in sheets:
        ws = wb.add_worksheet(name)
        for j, col in enumerate(header):
            ws.write_string(0, j, col)
        i = 0
        for i, row in enumerate(rows, start=1):
            for j, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, str):
                    ws.write_string(i, j, v)
                elif isinstance(v, (list, tuple)):
                    if v[0] == "d":
                        ws.write_datetime(i, j, datetime.fromordinal(v[1]), date_fmts[v[2]])
                    else:
                        d = datetime.fromordinal(v[1])
                        s = v[2]
                        ws.write_datetime(i, j, d.replace(hour=s // 3600, minute=s // 60 % 60, second=s % 60),
                                          ts_fmt)
                else:
                    ws.write_number(i, j, v)
    wb.close()


class JsonRows:
    """Rows (workbook cells) kept in a temp JSON-lines file until the workbook is written."""

    def __init__(self, path: str):
        self.path = path
        self.f = open(path, "w")
        self.rows = 0

    def row(self, values) -> None:
        self.f.write(json.dumps(values, separators=(",", ":")) + "\n")
        self.rows += 1

    def close(self) -> None:
        if not self.f.closed:
            self.f.close()

    def read(self):
        with open(self.path) as f:
            for line in f:
                yield json.loads(line)

    def remove(self) -> None:
        os.remove(self.path)
