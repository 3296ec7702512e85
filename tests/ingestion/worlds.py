"""Tiny hand-made deliveries written per extracts.md, for the ingestion tests.

Each builder returns {file name: bytes}; `write_delivery` puts them in <landing>/<source>/<as_of>/
with a control file (row counts and sha256) unless told otherwise.
"""

from __future__ import annotations

import hashlib
import io
from datetime import date, datetime, timedelta
from pathlib import Path

SPEC_COLUMNS = {
    "courts": ["court_id", "court_name", "county", "htic_start_date", "htic_end_date"],
    "providers": ["provider_id", "provider_name", "court_id", "contract_start", "contract_end", "capacity"],
    "defendants": ["defendant_id", "nysid", "last_name", "first_name", "dob", "sex", "gender_identity", "race",
                   "ethnicity", "primary_language"],
    "cases": ["docket_id", "defendant_id", "arrest_id", "arrest_date", "arraignment_date", "top_charge",
              "htic_referral_date", "mandate_sessions", "disposition_date", "disposition", "sealed", "sealed_date",
              "updated_at"],
    "events": ["docket_id", "event_seq", "event_date", "event_type"],
    "clients": ["client_id", "docket_ref", "court_id", "first_name", "last_name", "dob", "intake_date",
                "referral_source", "updated_at", "record_status"],
    "assessments": ["assessment_id", "client_id", "assessment_date", "domain", "level", "updated_at", "record_status"],
    "sessions": ["session_id", "client_id", "session_date", "session_type", "status", "mandate_credit", "minutes",
                 "updated_at", "record_status"],
    "referrals": ["referral_id", "client_id", "referral_date", "domain", "partner", "status", "status_date",
                  "updated_at", "record_status"],
    "exits": ["client_id", "exit_date", "exit_reason", "survey_helpfulness", "survey_would_recommend", "updated_at",
              "record_status"],
    "arrests": ["NYSID", "ARREST_ID", "ARREST_DATE", "ARREST_COUNTY", "TOP_CHARGE", "OFFENSE_LEVEL"],
}


def csv_bytes(header, rows, *, delimiter=",", bom=False, crlf=False) -> bytes:
    nl = "\r\n" if crlf else "\n"

    def cell(v):
        s = "" if v is None else str(v)
        if any(ch in s for ch in (delimiter, '"', "\n", "\r")):
            s = '"' + s.replace('"', '""') + '"'
        return s

    text = nl.join(delimiter.join(cell(v) for v in r) for r in [header, *rows]) + nl
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def control_bytes(files: dict[str, bytes], counts: dict[str, int]) -> bytes:
    rows = [[n, counts[n], hashlib.sha256(b).hexdigest()] for n, b in sorted(files.items())]
    return csv_bytes(["file_name", "row_count", "sha256"], rows)


def count_rows(name: str, data: bytes) -> int:
    if name.endswith(".xlsx"):
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return sum(sum(1 for r in wb.get_sheet_by_name(s).to_python()[1:] if any(v not in ("", None) for v in r))
                   for s in wb.sheet_names)
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    return sum(1 for ln in text.splitlines()[1:] if ln.strip())


def write_delivery(landing: Path, source_id: str, as_of: str, files: dict[str, bytes], *, control=True,
                   counts: dict[str, int] | None = None, control_files: dict[str, bytes] | None = None) -> Path:
    d = landing / source_id / as_of
    d.mkdir(parents=True, exist_ok=True)
    for n, b in files.items():
        (d / n).write_bytes(b)
    if control:
        cf = control_files if control_files is not None else files
        c = {n: count_rows(n, b) for n, b in cf.items()}
        c.update(counts or {})
        (d / "_control.csv").write_bytes(control_bytes(cf, c))
    return d


# ---- builders: plain values, so tests can compare what was loaded with what was written ---------

def program_rows():
    courts = [["queens", "Queens HTIC", "Queens", "2019-01-01", None],
              ["bronx", "Bronx HTIC", "Bronx", "2019-06-01", None]]
    providers = [["p01", "Safe Harbor", "queens", "2019-01-01", None, 40],
                 ["p01", "Safe Harbor", "bronx", "2019-06-01", "2024-12-31", 15],
                 ["00739", "Leading Zero Services", "queens", "2020-01-01", None, 25]]
    return {"courts.csv": (SPEC_COLUMNS["courts"], courts), "providers.csv": (SPEC_COLUMNS["providers"], providers)}


def court_rows(n=40, court="qn", start=date(2020, 1, 1)):
    defendants, cases, events = [], [], []
    for i in range(n):
        did = f"D{i:04d}"
        defendants.append([did, f"{10000000 + i:08d}{'ABCDEFGH'[i % 8]}" if i % 5 else None, f"Last{i}", f"First{i}",
                           (date(1980, 1, 1) + timedelta(days=97 * i)).isoformat(), "FMXU"[i % 4],
                           "WOMAN", "BLACK", "HISPANIC", "en" if i % 3 else None])
        arrest = start + timedelta(days=11 * i)
        dock = f"CR-{i:06d}-20{court.upper()[:2]}"
        cases.append([dock, did, f"A{i:06d}" if i % 4 else None, arrest.isoformat(),
                      (arrest + timedelta(days=1)).isoformat(), "PL 230.00",
                      (arrest + timedelta(days=20)).isoformat() if i % 2 else None, 6 if i % 2 else None,
                      None, None, "N", None, f"{(arrest + timedelta(days=30)).isoformat()}T10:00:00"])
        events.append([dock, 1, (arrest + timedelta(days=1)).isoformat(), "ARRAIGNMENT"])
        events.append([dock, 2, (arrest + timedelta(days=15)).isoformat(), "ADJOURNMENT"])
    return {"defendants.csv": (SPEC_COLUMNS["defendants"], defendants),
            "cases.csv": (SPEC_COLUMNS["cases"], cases), "events.csv": (SPEC_COLUMNS["events"], events)}


def provider_rows(n=30, start=date(2021, 3, 1), id_offset=0, mixed_dates=True):
    clients, assessments, sessions, referrals, exits = [], [], [], [], []
    for j in range(n):
        i = j + id_offset
        cid = f"{i:05d}"
        intake = start + timedelta(days=j)
        d = (lambda x: x.strftime("%m/%d/%Y")) if (mixed_dates and j % 2) else (lambda x: x.isoformat())
        ts = f"{intake.isoformat()} 09:30:00" if j % 2 else f"{intake.isoformat()}T09:30:00"
        clients.append([cid, f"cr-{i:06d}-20qn" if j % 3 else None, "queens" if j % 4 else None, f"F{i}", f"L{i}",
                        d(date(1990, 1, 1) + timedelta(days=13 * i)), d(intake), "COURT_MANDATE", ts, "ACTIVE"])
        assessments.append([f"AS{i:05d}", cid, d(intake + timedelta(days=2)), "TRAUMA", "HIGH", ts, "ACTIVE"])
        sessions.append([f"S{i:05d}", cid, d(intake + timedelta(days=3)), "GROUP", "ATTENDED", "Y", 60, ts,
                         "ACTIVE"])
        referrals.append([f"R{i:05d}", cid, d(intake + timedelta(days=4)), "LEGAL", "Legal Aid, Inc.", "MADE", None,
                          ts, "ACTIVE"])
        if j % 3 == 0:
            exits.append([cid, d(intake + timedelta(days=5)), "MANDATE_COMPLETE", 1 + j % 5, "Y", ts, "ACTIVE"])
    return {"clients.csv": (SPEC_COLUMNS["clients"], clients),
            "assessments.csv": (SPEC_COLUMNS["assessments"], assessments),
            "sessions.csv": (SPEC_COLUMNS["sessions"], sessions),
            "referrals.csv": (SPEC_COLUMNS["referrals"], referrals), "exits.csv": (SPEC_COLUMNS["exits"], exits)}


def dcjs_rows(n=40, start=date(2019, 1, 1)):
    rows = []
    for i in range(n):
        rows.append([f"{10000000 + i:08d}{'ABCDEFGH'[i % 8]}", f"A{i:06d}",
                     (start + timedelta(days=9 * i)).strftime("%Y%m%d"), "QUEENS",
                     "PL 230.00" if i % 3 else "PL 120.00", "M" if i % 3 else "F"])
    return {"arrests.txt": (SPEC_COLUMNS["arrests"], rows)}


def to_files(tables, **kw) -> dict[str, bytes]:
    out = {}
    for name, (header, rows) in tables.items():
        out[name] = csv_bytes(header, rows, delimiter="|" if name.endswith(".txt") else ",", **kw)
    return out


def to_workbook(tables, *, date_cells=True) -> bytes:
    """Provider tables -> extract.xlsx (one sheet per table), some dates as real date cells."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.set_properties({"created": datetime(2020, 1, 1)})
    datefmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    tsfmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for name, (header, rows) in tables.items():
        ws = wb.add_worksheet(name.removesuffix(".csv"))
        ws.write_row(0, 0, header)
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row):
                col = header[c]
                if v is None:
                    continue
                if date_cells and r % 3 == 0 and (col.endswith("_date") or col in ("dob",)) and "-" in str(v):
                    ws.write_datetime(r, c, datetime.fromisoformat(str(v)), datefmt)
                elif date_cells and r % 3 == 0 and col == "updated_at":
                    ws.write_datetime(r, c, datetime.fromisoformat(str(v).replace("T", " ")), tsfmt)
                elif isinstance(v, int):
                    ws.write_number(r, c, v)
                else:
                    ws.write_string(r, c, str(v))
    wb.close()
    return buf.getvalue()
