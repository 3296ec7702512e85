"""Find deliveries in the landing root, check them against their control file, archive their bytes.

No DuckDB here: the sensor uses this module too, and the sensor must never open the warehouse.

The landing root is walked without following symbolic links: a source folder, delivery folder,
control file or data file that is a link (or not a regular file) is reported and never read, so
nothing outside the landing root is read or archived.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import os
import stat
import tempfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from pipelines.ingestion.read import BOM, FileRead, StructuralError, read_text_file, read_workbook
from pipelines.ingestion.spec import (AS_OF_LAST, CADENCE_DAYS, SCOPE_START, SOURCE_TABLES, STALE_GRACE_DAYS,
                                      TABLE_SPECS, parse_as_of, source_kind)

CONTROL = "_control.csv"


@dataclass
class Delivery:
    source_id: str
    as_of: date
    path: Path
    complete: bool
    control_sha256: str | None = None

    @property
    def kind(self) -> str:
        return source_kind(self.source_id)[0]

    @property
    def entity_id(self) -> str | None:
        return source_kind(self.source_id)[1]

    @property
    def key(self) -> str:
        """Delivery (folder) key: `<source_id>/<as_of>`; a version adds `/v<n>`."""
        return f"{self.source_id}/{self.as_of.isoformat()}"

    def overdue(self, today: date) -> bool:
        cadence = CADENCE_DAYS.get(self.kind)
        return cadence is not None and self.as_of + timedelta(days=cadence + STALE_GRACE_DAYS) < today


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class NotRegularFile(Exception):
    """A path that is a symbolic link or not a regular file: never read."""


def read_regular(path: Path) -> bytes:
    """The bytes of a regular file, never through a symbolic link (O_NOFOLLOW) nor from a FIFO or
    device (checked on the open descriptor, so a swap after a listing cannot slip through)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise NotRegularFile("symbolic link") from None
        raise
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise NotRegularFile("not a regular file")
        return fh.read()


def _entries(folder: str | Path) -> list[os.DirEntry]:
    with os.scandir(folder) as it:
        return sorted(it, key=lambda e: e.name)


def discover(landing: Path) -> tuple[list[Delivery], list[str]]:
    """All delivery folders under the landing root, sorted by (as_of, source); plus warnings about
    what is not a usable delivery: a folder named neither after a source nor an as-of date, a link
    (source folder, delivery folder or control file). Those are reported (source, folder) and
    skipped; they never stop the other sources."""
    found: list[Delivery] = []
    warnings: list[str] = []
    if not landing.is_dir():
        return found, [f"landing root {landing} does not exist"]
    for src in _entries(landing):
        if src.is_symlink():
            warnings.append(f"{src.name}: source folder is a symbolic link; not followed")
            continue
        if not src.is_dir(follow_symlinks=False):
            continue
        try:
            source_kind(src.name)
        except ValueError:
            warnings.append(f"folder {src.name!r} in the landing root is not a known source; ignored")
            continue
        for d in _entries(src.path):
            where = f"{src.name}/{d.name}"
            if d.is_symlink():
                warnings.append(f"{where}: delivery folder is a symbolic link; not followed")
                continue
            if not d.is_dir(follow_symlinks=False):
                continue
            as_of = parse_as_of(d.name)
            if as_of is None:
                warnings.append(f"{where}: folder name is not an as-of date (YYYY-MM-DD, {SCOPE_START} to "
                                f"{AS_OF_LAST}); ignored")
                continue
            try:
                ctl = read_regular(Path(d.path) / CONTROL)
            except FileNotFoundError:
                ctl = None
            except NotRegularFile as e:
                warnings.append(f"{where}: control file is a {e}; delivery not read")
                continue
            found.append(Delivery(src.name, as_of, Path(d.path), ctl is not None,
                                  sha256_bytes(ctl) if ctl is not None else None))
    found.sort(key=lambda x: (x.as_of, x.source_id))
    return found, warnings


def folder_files(path: Path) -> dict[str, str]:
    """{file name: sha256} of a delivery folder's regular files (links and dot files left out)."""
    return {e.name: sha256_bytes(read_regular(Path(e.path))) for e in _entries(path)
            if not e.name.startswith(".") and not e.is_symlink() and e.is_file(follow_symlinks=False)}


# ----------------------------------------------------------------------------------------------
# Which complete deliveries a run processes: pending until a version is accepted, or its bytes
# change. Shared by the run (ledger in DuckDB), the sensor and `htic status` (ledger.parquet).

@dataclass(frozen=True)
class SeenVersion:
    """One version of a delivery folder, as the ledger records it."""

    version: int
    control_sha256: str
    status: str                  # accepted | rejected | duplicate | superseded
    delivery_key: str
    files: dict                  # file name -> sha256 of every regular file the version held


def versions_from_export(rows: list[dict]) -> dict[str, list[SeenVersion]]:
    """Folder key -> its versions, from the rows of ledger.parquet."""
    out: dict[str, list[SeenVersion]] = {}
    for r in sorted(rows, key=lambda r: r["version"]):
        out.setdefault(f"{r['source_id']}/{r['as_of'].isoformat()}", []).append(SeenVersion(
            r["version"], r["control_sha256"], r["status"], r["delivery_key"],
            {f["file_name"]: f["sha256"] for f in r.get("files") or []}))
    return out


def is_pending(d: Delivery, versions: list[SeenVersion]) -> bool:
    """A complete delivery is pending when the ledger has no version of its folder, when its control
    file differs from the latest version's (a correction, or a return to earlier bytes), or when the
    latest version was rejected and the folder's files changed since (e.g. a control file written
    before the data finished copying). Re-sent identical bytes are not pending."""
    if not d.complete:
        return False
    if not versions:
        return True
    latest = max(versions, key=lambda v: v.version)
    if latest.control_sha256 != d.control_sha256:
        return True
    return latest.status == "rejected" and folder_files(d.path) != latest.files


def pending_folders(found: list[Delivery], versions: dict[str, list[SeenVersion]]) -> list[Delivery]:
    return [d for d in found if is_pending(d, versions.get(d.key, []))]


def awaiting_correction(versions: dict[str, list[SeenVersion]]) -> list[str]:
    """Folders seen only as rejected versions: nothing of them is in force; waiting for new bytes."""
    return sorted(k for k, vs in versions.items() if all(v.status == "rejected" for v in vs))


# ----------------------------------------------------------------------------------------------

@dataclass
class ControlRow:
    file_name: str
    row_count: int
    sha256: str


def parse_control(data: bytes) -> list[ControlRow]:
    if data.startswith(BOM):
        data = data[len(BOM):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise StructuralError("control file is not valid UTF-8", file=CONTROL, rule="control_invalid") from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows or [c.strip().lower() for c in rows[0]] != ["file_name", "row_count", "sha256"]:
        raise StructuralError("control file header is not file_name,row_count,sha256", file=CONTROL,
                              line=1, rule="control_invalid")
    out = []
    for i, r in enumerate(rows[1:], start=2):
        if len(r) != 3:
            raise StructuralError("control row has wrong number of fields", file=CONTROL, line=i,
                                  rule="control_invalid")
        try:
            n = int(r[1].strip())
        except ValueError:
            raise StructuralError("control row_count is not an integer", file=CONTROL, line=i,
                                  column="row_count", rule="control_invalid") from None
        out.append(ControlRow(r[0].strip(), n, r[2].strip().lower()))
    return out


@dataclass
class FileInfo:
    file_name: str
    sha256: str
    row_count: int | None
    archive_path: str


@dataclass
class Checked:
    """A delivery version after control checks and reading: either reads, or a structural error."""

    delivery: Delivery
    control_sha256: str
    files: list[FileInfo] = field(default_factory=list)
    reads: dict[str, list[FileRead]] = field(default_factory=dict)   # table -> file reads
    error: StructuralError | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        """Identity of the content: the data files' names and hashes (not the folder's name)."""
        items = sorted((f.file_name, f.sha256) for f in self.files if f.file_name != CONTROL)
        return sha256_bytes("\n".join(f"{n}\t{h}" for n, h in items).encode())


def archive_bytes(archive_dir: Path, data: bytes, sha: str) -> Path:
    """Store bytes under archive/<aa>/<sha256>, once; never modified (write temp + rename)."""
    dest = archive_dir / sha[:2] / sha
    if dest.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, dest)  # made durable by one os.sync() before the ledger refers to it
    return dest


def expected_files(kind: str) -> list[str]:
    return [TABLE_SPECS[t].file_name for t in SOURCE_TABLES[kind]]


def required_files(kind: str) -> list[str]:
    return [TABLE_SPECS[t].file_name for t in SOURCE_TABLES[kind] if not TABLE_SPECS[t].optional]


def check_delivery(d: Delivery, archive_dir: Path) -> Checked:
    """Archive every file of the delivery, then check it against its control file and read it.

    Never raises for a faulty delivery: the fault is in `Checked.error`. Messages name the source,
    delivery, file, line and column, never a value."""
    try:
        ctl_bytes = read_regular(d.path / CONTROL)
    except NotRegularFile as err:  # replaced by a link since discovery
        return Checked(d, d.control_sha256, error=StructuralError(f"file is a {err}; not read", file=CONTROL,
                                                                  rule="link"))
    chk = Checked(d, sha256_bytes(ctl_bytes))
    datas: dict[str, bytes] = {}                        # regular files only: links are never read
    not_read: list[tuple[str, NotRegularFile]] = []
    for e in _entries(d.path):
        if e.name.startswith(".") or e.is_dir(follow_symlinks=False):
            continue
        try:
            data = read_regular(Path(e.path))
        except NotRegularFile as err:
            not_read.append((e.name, err))
            continue
        sha = sha256_bytes(data)
        ap = archive_bytes(archive_dir, data, sha)
        datas[e.name] = data
        chk.files.append(FileInfo(e.name, sha, None, str(ap.relative_to(archive_dir))))
    by_name = {f.file_name: f for f in chk.files}
    try:
        for name, err in not_read:
            rule = "link" if str(err) == "symbolic link" else "not_a_file"
            raise StructuralError(f"file is a {err}; not read", file=name, rule=rule)
        control = parse_control(ctl_bytes)
        listed = {c.file_name: c for c in control}
        for c in control:
            if c.file_name not in datas:
                raise StructuralError("file listed in the control file is missing", file=c.file_name,
                                      rule="missing_file")
            if by_name[c.file_name].sha256 != c.sha256:
                raise StructuralError("sha256 differs from the control file", file=c.file_name,
                                      rule="hash_mismatch")
        for name in datas:
            if name != CONTROL and name not in listed:
                raise StructuralError("file is not listed in the control file", file=name,
                                      rule="unlisted_file")
        kind = d.kind
        names = set(listed)
        if kind == "provider" and "extract.xlsx" in names:
            if names & set(expected_files(kind)):
                raise StructuralError("provider delivery has both a workbook and CSV files",
                                      file="extract.xlsx", rule="unexpected_file")
            specs = {TABLE_SPECS[t].name: TABLE_SPECS[t] for t in SOURCE_TABLES[kind]}
            reads = read_workbook(datas["extract.xlsx"], specs)
            for t, fr in reads.items():
                chk.reads[t] = [fr]
            _check_count(listed["extract.xlsx"], sum(fr.row_count for fr in reads.values()))
            by_name["extract.xlsx"].row_count = sum(fr.row_count for fr in reads.values())
        else:
            for name in names:
                if name not in expected_files(kind):
                    raise StructuralError(f"file is not part of a {kind} delivery", file=name,
                                          rule="unexpected_file")
            if kind != "provider":  # snapshots must be whole (an optional file may be left out)
                for name in required_files(kind):
                    if name not in names:
                        raise StructuralError("snapshot file is missing (not in the control file)",
                                              file=name, rule="missing_file")
            for t in SOURCE_TABLES[kind]:
                spec = TABLE_SPECS[t]
                if spec.file_name not in names:
                    continue
                fr = read_text_file(datas[spec.file_name], spec, spec.file_name)
                _check_count(listed[spec.file_name], fr.row_count)
                by_name[spec.file_name].row_count = fr.row_count
                chk.reads[t] = [fr]
        for t, frs in chk.reads.items():
            for fr in frs:
                if fr.extra_columns:  # positions only: a header-less file's "header" is a data row
                    n = len(fr.extra_columns)
                    chk.warnings.append(f"{d.key}: {fr.label}: {n} unknown column{'s' if n > 1 else ''} ignored "
                                        f"(column {', '.join(map(str, fr.extra_columns))})")
    except StructuralError as e:
        chk.error = e
        chk.reads = {}
    return chk


def _check_count(c, actual: int) -> None:
    if c.row_count != actual:
        raise StructuralError(f"row count {actual} differs from the control file's {c.row_count}",
                              file=c.file_name, rule="count_mismatch")
