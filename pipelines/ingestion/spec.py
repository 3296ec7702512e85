"""The extract contract (the shared spec `extracts.md`) as data: the one declaration of its schema.

Sources and their cadence, and per raw table: file name, delimiter, declared columns and their
types, key, date formats, code lists, and the entity column derived from the folder name. The
reader, the stage, the raw tables' DDL, the suite author (`expectations/build_suites.py`), the
synthetic world generator and the test fixtures all take these facts from here; a test checks the
Great Expectations suites under `expectations/` against them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from pipelines.catalogue import metrics_by_id
from pipelines.sql import ident, qualified

# Column types of the raw tables (docs/architecture.md): text stays VARCHAR (ids keep leading zeros).
TEXT, DATE, INT, TS, NUM = "text", "date", "int", "timestamp", "number"
DUCKDB_TYPE = {TEXT: "VARCHAR", DATE: "DATE", INT: "INTEGER", TS: "TIMESTAMP", NUM: "DOUBLE"}

# Source cadence in days (for staleness: overdue once as_of + cadence + 7 days < today).
CADENCE_DAYS = {"program": None, "court": 31, "provider": 31, "dcjs": 92}
STALE_GRACE_DAYS = 7

# Plausible ranges (docs/ingestion.md, "Plausible values"). The programme's scope starts well before
# three years ahead of the earliest HTIC (2013 -> 2010): no event, arrest or term before SCOPE_START
# is real. Births not before BIRTH_FLOOR; a person is AGE_MIN..AGE_MAX years old at an arrest.
SCOPE_START = date(1990, 1, 1)
BIRTH_FLOOR = date(1900, 1, 1)
AGE_MIN, AGE_MAX = 12, 100
# Programme terms may lie ahead of the as-of date: starts by up to AS_OF_GRACE_DAYS, ends by up
# to TERM_HORIZON_YEARS. (Every other date is a fact: not after the as-of date.)
AS_OF_GRACE_DAYS = 45
TERM_HORIZON_YEARS = 10
# A delivery folder's as-of date must lie in [SCOPE_START, AS_OF_LAST]: any other name is not a
# delivery (reported, skipped) — so no date arithmetic ever meets year 0 or 9999.
AS_OF_LAST = date(2199, 12, 31)

# Structural limits (a delivery over one is rejected whole, naming the file and the limit).
MAX_LINE_BYTES = 1 << 20                 # one physical line of a text file
MAX_WORKBOOK_EXPANDED = 256 << 20        # sum of an xlsx's uncompressed members (its zip directory)
MAX_WORKBOOK_RATIO = 100                 # uncompressed / compressed size of an xlsx (zip bombs)

LINEAGE_COLUMNS: list[tuple[str, str]] = [
    ("_delivery_key", "VARCHAR"),
    ("_source_id", "VARCHAR"),
    ("_as_of", "DATE"),
    ("_version", "INTEGER"),
    ("_file", "VARCHAR"),
    ("_line", "INTEGER"),
]


@dataclass(frozen=True)
class TableSpec:
    table: str                      # raw table name, e.g. court__cases
    source_kind: str                # program | court | provider | dcjs
    name: str                       # file stem / sheet name, e.g. cases
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...]
    entity_column: str | None = None
    delimiter: str = ","
    upper_header: bool = False      # dcjs: upper-case headers in the file
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    identifier_columns: tuple[str, ...] = field(default=())  # never echoed in messages
    codes: tuple[tuple[str, tuple[str, ...]], ...] = ()      # (column, allowed codes)
    optional: bool = False          # a snapshot source's delivery may leave this file out

    @property
    def file_name(self) -> str:
        return "arrests.txt" if self.source_kind == "dcjs" else f"{self.name}.csv"

    @property
    def column_names(self) -> list[str]:
        return [c for c, _ in self.columns]

    @property
    def code_lists(self) -> dict[str, tuple[str, ...]]:
        """column -> its allowed codes, for the columns that take a code."""
        return dict(self.codes)

    @property
    def raw_columns(self) -> list[str]:
        """The raw table's columns in order: entity column, declared columns, lineage columns."""
        entity = [self.entity_column] if self.entity_column else []
        return entity + self.column_names + [c for c, _ in LINEAGE_COLUMNS]


_PROVIDER_DATES = ("%Y-%m-%d", "%m/%d/%Y")
_PROV = dict(source_kind="provider", entity_column="provider_id", date_formats=_PROVIDER_DATES)
_COURT = dict(source_kind="court", entity_column="court_id")
_STATUS = (("updated_at", TS), ("record_status", TEXT))

# Code lists (extracts.md), named where several columns share one.
YES_NO = ("Y", "N")
RECORD_STATUS = ("ACTIVE", "DELETED")
TARGET_DIRECTIONS = ("HIGHER", "LOWER")
SERVICE_DOMAINS = ("TRAUMA", "SUBSTANCE_USE", "MENTAL_HEALTH", "HOUSING", "IMMIGRATION", "EMPLOYMENT",
                   "MEDICAL", "TRAFFICKING_INDICATORS")

TABLE_SPECS: dict[str, TableSpec] = {
    t.table: t
    for t in [
        TableSpec("program__courts", "program", "courts",
                  (("court_id", TEXT), ("court_name", TEXT), ("county", TEXT),
                   ("htic_start_date", DATE), ("htic_end_date", DATE)), key=("court_id",)),
        TableSpec("program__providers", "program", "providers",
                  (("provider_id", TEXT), ("provider_name", TEXT), ("court_id", TEXT),
                   ("contract_start", DATE), ("contract_end", DATE), ("capacity", INT)),
                  key=("provider_id", "court_id")),
        # targets.csv (optional): the programme's measurable goals; `set_by` and `note` are free
        # text (restricted store only). metric_id is a metric of the catalogue (metrics.md).
        TableSpec("program__targets", "program", "targets",
                  (("metric_id", TEXT), ("population", TEXT), ("target", NUM), ("direction", TEXT),
                   ("effective_from", DATE), ("set_by", TEXT), ("note", TEXT)),
                  key=("metric_id", "population", "effective_from"), optional=True,
                  identifier_columns=("set_by", "note"),
                  codes=(("metric_id", tuple(metrics_by_id())), ("population", ("htic",)),
                         ("direction", TARGET_DIRECTIONS))),
        TableSpec(name="defendants",
                  columns=(("defendant_id", TEXT), ("nysid", TEXT), ("last_name", TEXT),
                           ("first_name", TEXT), ("dob", DATE), ("sex", TEXT),
                           ("gender_identity", TEXT), ("race", TEXT), ("ethnicity", TEXT),
                           ("primary_language", TEXT)),
                  key=("defendant_id",), identifier_columns=("defendant_id", "nysid", "last_name", "first_name", "dob"),
                  codes=(("sex", ("F", "M", "X", "U")),
                         ("gender_identity", ("WOMAN", "MAN", "TRANS_WOMAN", "TRANS_MAN", "NONBINARY", "UNKNOWN")),
                         ("race", ("ASIAN", "BLACK", "WHITE", "AMERICAN_INDIAN", "PACIFIC_ISLANDER", "OTHER",
                                   "UNKNOWN")),
                         ("ethnicity", ("HISPANIC", "NOT_HISPANIC", "UNKNOWN"))),
                  table="court__defendants", **_COURT),
        TableSpec(name="cases",
                  columns=(("docket_id", TEXT), ("defendant_id", TEXT), ("arrest_id", TEXT),
                           ("arrest_date", DATE), ("arraignment_date", DATE), ("top_charge", TEXT),
                           ("htic_referral_date", DATE), ("mandate_sessions", INT),
                           ("disposition_date", DATE), ("disposition", TEXT), ("sealed", TEXT),
                           ("sealed_date", DATE), ("updated_at", TS)),
                  key=("docket_id",), identifier_columns=("docket_id", "defendant_id", "arrest_id"),
                  codes=(("disposition", ("ACD", "DISMISSED", "PLEA_VIOLATION", "PLEA_MISDEMEANOR", "CONVICTED",
                                          "ACQUITTED", "TRANSFERRED", "ABATED")),
                         ("sealed", YES_NO)),
                  table="court__cases", **_COURT),
        TableSpec(name="events",
                  columns=(("docket_id", TEXT), ("event_seq", INT), ("event_date", DATE),
                           ("event_type", TEXT)),
                  key=("docket_id", "event_seq"), identifier_columns=("docket_id",),
                  codes=(("event_type", ("ARRAIGNMENT", "ADJOURNMENT", "COMPLIANCE_REVIEW", "WARRANT_ISSUED",
                                         "WARRANT_VACATED", "DISPOSITION", "RESTORED", "SEALED")),),
                  table="court__events", **_COURT),
        TableSpec(name="clients",
                  columns=(("client_id", TEXT), ("docket_ref", TEXT), ("court_id", TEXT),
                           ("first_name", TEXT), ("last_name", TEXT), ("dob", DATE),
                           ("intake_date", DATE), ("referral_source", TEXT)) + _STATUS,
                  key=("client_id",), identifier_columns=("client_id", "docket_ref", "first_name", "last_name", "dob"),
                  codes=(("referral_source", ("COURT_MANDATE", "SELF", "OUTREACH", "OTHER_AGENCY")),
                         ("record_status", RECORD_STATUS)),
                  table="provider__clients", **_PROV),
        TableSpec(name="assessments",
                  columns=(("assessment_id", TEXT), ("client_id", TEXT), ("assessment_date", DATE),
                           ("domain", TEXT), ("level", TEXT)) + _STATUS,
                  key=("assessment_id",), identifier_columns=("assessment_id", "client_id"),
                  codes=(("domain", SERVICE_DOMAINS), ("level", ("NONE", "LOW", "MODERATE", "HIGH")),
                         ("record_status", RECORD_STATUS)),
                  table="provider__assessments", **_PROV),
        TableSpec(name="sessions",
                  columns=(("session_id", TEXT), ("client_id", TEXT), ("session_date", DATE),
                           ("session_type", TEXT), ("status", TEXT), ("mandate_credit", TEXT),
                           ("minutes", INT)) + _STATUS,
                  key=("session_id",), identifier_columns=("session_id", "client_id"),
                  codes=(("session_type", ("INDIVIDUAL_COUNSELING", "GROUP", "CASE_MANAGEMENT", "OTHER")),
                         ("status", ("ATTENDED", "NO_SHOW", "CANCELLED")), ("mandate_credit", YES_NO),
                         ("record_status", RECORD_STATUS)),
                  table="provider__sessions", **_PROV),
        TableSpec(name="referrals",
                  columns=(("referral_id", TEXT), ("client_id", TEXT), ("referral_date", DATE),
                           ("domain", TEXT), ("partner", TEXT), ("status", TEXT),
                           ("status_date", DATE)) + _STATUS,
                  key=("referral_id",), identifier_columns=("referral_id", "client_id", "partner"),
                  codes=(("domain", SERVICE_DOMAINS + ("LEGAL",)),
                         ("status", ("MADE", "CONNECTED", "DECLINED", "UNREACHABLE")),
                         ("record_status", RECORD_STATUS)),
                  table="provider__referrals", **_PROV),
        TableSpec(name="exits",
                  columns=(("client_id", TEXT), ("exit_date", DATE), ("exit_reason", TEXT),
                           ("survey_helpfulness", INT), ("survey_would_recommend", TEXT)) + _STATUS,
                  key=("client_id",), identifier_columns=("client_id",),
                  codes=(("exit_reason", ("MANDATE_COMPLETE", "VOLUNTARY_COMPLETE", "DISENGAGED", "TRANSFERRED",
                                          "PROVIDER_CLOSED", "OTHER")),
                         ("survey_would_recommend", YES_NO), ("record_status", RECORD_STATUS)),
                  table="provider__exits", **_PROV),
        TableSpec("dcjs__arrests", "dcjs", "arrests",
                  (("nysid", TEXT), ("arrest_id", TEXT), ("arrest_date", DATE),
                   ("arrest_county", TEXT), ("top_charge", TEXT), ("offense_level", TEXT)),
                  key=("arrest_id",), delimiter="|", upper_header=True, date_formats=("%Y%m%d",),
                  identifier_columns=("nysid", "arrest_id"), codes=(("offense_level", ("F", "M", "V", "I")),)),
    ]
}

SOURCE_TABLES: dict[str, list[str]] = {}
for _t in TABLE_SPECS.values():
    SOURCE_TABLES.setdefault(_t.source_kind, []).append(_t.table)

RAW_TABLES = list(TABLE_SPECS)

_SOURCE_RE = re.compile(r"^(program|dcjs|court-[a-z0-9_-]+|provider-[A-Za-z0-9_-]+)$")
_ASOF_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def source_kind(source_id: str) -> tuple[str, str | None]:
    """`court-queens` -> ('court', 'queens'); `program` -> ('program', None)."""
    if not _SOURCE_RE.match(source_id):
        raise ValueError(f"unknown source folder {source_id!r}")
    if source_id in ("program", "dcjs"):
        return source_id, None
    kind, _, entity = source_id.partition("-")
    return kind, entity


def parse_as_of(name: str) -> date | None:
    """A delivery folder's as-of date: `YYYY-MM-DD`, a real date in [SCOPE_START, AS_OF_LAST]."""
    if not _ASOF_RE.match(name):
        return None
    try:
        d = date.fromisoformat(name)
    except ValueError:
        return None
    return d if SCOPE_START <= d <= AS_OF_LAST else None


def raw_table_ddl(spec: TableSpec) -> str:
    cols = []
    if spec.entity_column:
        cols.append(f"{ident(spec.entity_column)} VARCHAR")
    cols += [f"{ident(c)} {DUCKDB_TYPE[t]}" for c, t in spec.columns]
    cols += [f"{ident(c)} {t}" for c, t in LINEAGE_COLUMNS]
    return f"CREATE TABLE IF NOT EXISTS {qualified('raw', spec.table)} ({', '.join(cols)})"


# (table, column) -> the codes a coded column may hold, in the contract's order (derived from the
# table specs above; the synthetic world generator and the test reader use this view).
CODE_LISTS: dict[tuple[str, str], tuple[str, ...]] = {
    (table, column): codes for table, spec in TABLE_SPECS.items() for column, codes in spec.codes}
