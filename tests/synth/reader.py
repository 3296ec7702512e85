"""An independent reader of a landing tree, written from docs/extracts.md alone.

It uses only the csv module, hashlib and openpyxl: nothing from htic_synth, so that a test passes
only if the generator's files follow the spec, not merely agree with the generator's own idea of it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from datetime import date, datetime

import openpyxl

DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SOURCE = re.compile(r"^(program|dcjs|court-[a-z0-9-]+|provider-[a-z0-9-]+)$")
DOCKET = re.compile(r"^CR-\d{6}-\d{2}[A-Z]{2}$")
NYSID = re.compile(r"^[0-9]{8}[A-Z]$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MDY_DATE = re.compile(r"^\d{2}/\d{2}/\d{4}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?$")
YMD = re.compile(r"^\d{8}$")

PROGRAM = {
    "courts.csv": ["court_id", "court_name", "county", "htic_start_date", "htic_end_date"],
    "providers.csv": ["provider_id", "provider_name", "court_id", "contract_start", "contract_end", "capacity"],
}
COURT = {
    "defendants.csv": ["defendant_id", "nysid", "last_name", "first_name", "dob", "sex", "gender_identity", "race",
                       "ethnicity", "primary_language"],
    "cases.csv": ["docket_id", "defendant_id", "arrest_id", "arrest_date", "arraignment_date", "top_charge",
                  "htic_referral_date", "mandate_sessions", "disposition_date", "disposition", "sealed",
                  "sealed_date", "updated_at"],
    "events.csv": ["docket_id", "event_seq", "event_date", "event_type"],
}
PROVIDER = {
    "clients": ["client_id", "docket_ref", "court_id", "first_name", "last_name", "dob", "intake_date",
                "referral_source", "updated_at", "record_status"],
    "assessments": ["assessment_id", "client_id", "assessment_date", "domain", "level", "updated_at",
                    "record_status"],
    "sessions": ["session_id", "client_id", "session_date", "session_type", "status", "mandate_credit", "minutes",
                 "updated_at", "record_status"],
    "referrals": ["referral_id", "client_id", "referral_date", "domain", "partner", "status", "status_date",
                  "updated_at", "record_status"],
    "exits": ["client_id", "exit_date", "exit_reason", "survey_helpfulness", "survey_would_recommend",
              "updated_at", "record_status"],
}
DCJS = ["NYSID", "ARREST_ID", "ARREST_DATE", "ARREST_COUNTY", "TOP_CHARGE", "OFFENSE_LEVEL"]
PROVIDER_DATES = {"clients": ["dob", "intake_date"], "assessments": ["assessment_date"],
                  "sessions": ["session_date"], "referrals": ["referral_date", "status_date"], "exits": ["exit_date"]}

CODES = {
    "sex": {"F", "M", "X", "U"},
    "gender_identity": {"WOMAN", "MAN", "TRANS_WOMAN", "TRANS_MAN", "NONBINARY", "UNKNOWN"},
    "race": {"ASIAN", "BLACK", "WHITE", "AMERICAN_INDIAN", "PACIFIC_ISLANDER", "OTHER", "UNKNOWN"},
    "ethnicity": {"HISPANIC", "NOT_HISPANIC", "UNKNOWN"},
    "disposition": {"ACD", "DISMISSED", "PLEA_VIOLATION", "PLEA_MISDEMEANOR", "CONVICTED", "ACQUITTED",
                    "TRANSFERRED", "ABATED"},
    "event_type": {"ARRAIGNMENT", "ADJOURNMENT", "COMPLIANCE_REVIEW", "WARRANT_ISSUED", "WARRANT_VACATED",
                   "DISPOSITION", "RESTORED", "SEALED"},
    "domain": {"TRAUMA", "SUBSTANCE_USE", "MENTAL_HEALTH", "HOUSING", "IMMIGRATION", "EMPLOYMENT", "MEDICAL",
               "TRAFFICKING_INDICATORS"},
    "level": {"NONE", "LOW", "MODERATE", "HIGH"},
    "session_type": {"INDIVIDUAL_COUNSELING", "GROUP", "CASE_MANAGEMENT", "OTHER"},
    "session_status": {"ATTENDED", "NO_SHOW", "CANCELLED"},
    "referral_status": {"MADE", "CONNECTED", "DECLINED", "UNREACHABLE"},
    "exit_reason": {"MANDATE_COMPLETE", "VOLUNTARY_COMPLETE", "DISENGAGED", "TRANSFERRED", "PROVIDER_CLOSED",
                    "OTHER"},
    "referral_source": {"COURT_MANDATE", "SELF", "OUTREACH", "OTHER_AGENCY"},
    "record_status": {"ACTIVE", "DELETED"},
    "offense_level": {"F", "M", "V", "I"},
}
PROSTITUTION = {"PL 230.00", "PL 230.03", "PL 240.37", "ED 6512"}


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
        assert names == set(PROGRAM), names
        for n, cols in PROGRAM.items():
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
        assert names == {"arrests.txt"}, names
        h, rows = read_text_table(os.path.join(folder, "arrests.txt"), sep="|")
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
    return len(read_text_table(path, sep="|" if name.endswith(".txt") else ",")[1])
