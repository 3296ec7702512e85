"""A small hand-made world of raw tables for the dbt tests, and what each staging/linkage model
must make of it as of A = 2026-03-31 (delivery cut-off A + 45 = 2026-05-15).

Every expectation in the tests is written down here by hand from the rules in
docs/architecture.md and extracts.md, not computed by the models under test.
Identifiers are deliberately distinctive (`DEF-…`, `CL-…`, `ZQX…` surnames) so that the
published-file scan can look for them without colliding with ordinary values.
"""

from __future__ import annotations

from datetime import date

import duckdb

from tests.dbt import raw_fixture as rf

AS_OF = date(2026, 3, 31)


def q(n: int) -> str:
    return f"CR-{n:06d}-19QN"


def k(n: int) -> str:
    return f"CR-{n:06d}-26KG"


def case(docket, defendant, referral=None, **kw):
    row = dict(docket_id=docket, defendant_id=defendant, arrest_id=f"ARR-{docket}", arrest_date=date(2025, 1, 2),
               arraignment_date=date(2025, 1, 3), top_charge="PL 230.00", htic_referral_date=referral,
               mandate_sessions=6 if referral else None, sealed="N", updated_at="2026-01-01 09:00:00")
    row.update(kw)
    return row


def defendant(did, first, last, dob, nysid=None):
    return dict(defendant_id=did, nysid=nysid, first_name=first, last_name=last, dob=dob, sex="F",
                gender_identity="WOMAN", race="OTHER", ethnicity="UNKNOWN", primary_language="en")


def event(docket, seq, when, kind="ADJOURNMENT"):
    return dict(docket_id=docket, event_seq=seq, event_date=when, event_type=kind)


def client(cid, first, last, dob, intake, updated, status="ACTIVE", docket_ref=None, court_id=None, source="COURT_MANDATE"):
    return dict(client_id=cid, docket_ref=docket_ref, court_id=court_id, first_name=first, last_name=last, dob=dob,
                intake_date=intake, referral_source=source, updated_at=updated, record_status=status)


# Filler defendants for the linkage court, so that name frequencies are not degenerate.
_FIRST = ["ZQXALBA", "ZQXBRENDA", "ZQXCARLA", "ZQXDIANA", "ZQXELENA", "ZQXFLOR", "ZQXGLORIA", "ZQXHILDA",
          "ZQXIRIS", "ZQXJUANA", "ZQXKARLA", "ZQXLIDIA", "ZQXMIRTA", "ZQXNORMA", "ZQXOLGA", "ZQXPAOLA"]
_LAST = ["ZQXACOSTA", "ZQXBENITEZ", "ZQXCASTRO", "ZQXDELGADO", "ZQXESPINO", "ZQXFUENTES", "ZQXGUZMAN",
         "ZQXHERRERA", "ZQXIBARRA", "ZQXJUAREZ", "ZQXKLEIN", "ZQXLUNA", "ZQXMEDINA"]


def filler_defendants() -> list[dict]:
    out = []
    for i in range(120):
        out.append(defendant(f"DEF-K9{i:03d}", _FIRST[i % len(_FIRST)], _LAST[(i * 7) % len(_LAST)],
                             date(1970 + i % 30, 1 + i % 12, 1 + (i * 3) % 28)))
    return out


def build(path) -> None:
    rf.create_raw(path)
    con = duckdb.connect(str(path))
    add = lambda *a, **kw: rf.add_delivery(con, *a, **kw)  # noqa: E731

    # --- program: two deliveries; the later one (<= cut-off) is the state ----------------------
    add("program", "2025-12-01", {
        "program__courts": [dict(court_id="queens", court_name="Queens HTIC", county="Queens", htic_start_date=date(2013, 9, 1)),
                            dict(court_id="kings", court_name="Kings HTIC", county="Kings", htic_start_date=date(2013, 10, 1))],
        "program__providers": [dict(provider_id="p1", provider_name="P One", court_id="queens", contract_start=date(2014, 1, 1), capacity=10)],
    })
    add("program", "2026-04-15", {
        "program__courts": [dict(court_id="queens", court_name="Queens HTIC", county="Queens", htic_start_date=date(2013, 9, 1)),
                            dict(court_id="kings", court_name="Kings HTIC", county="Kings", htic_start_date=date(2013, 10, 1),
                                 htic_end_date=date(2026, 4, 1))],
        "program__providers": [dict(provider_id="p1", provider_name="P One", court_id="queens", contract_start=date(2014, 1, 1),
                                    contract_end=date(2026, 5, 1), capacity=12),
                               dict(provider_id="p2", provider_name="P Two", court_id="kings", contract_start=date(2014, 1, 1),
                                    contract_end=date(2026, 2, 1), capacity=5)],
    })
    add("program", "2026-06-01", {  # after the cut-off: not yet
        "program__courts": [dict(court_id="queens", court_name="LATE", county="Queens", htic_start_date=date(2013, 9, 1))],
        "program__providers": [],
    })

    # --- court queens: S1 (older), S2 (current; one case row and one defendant row rejected,
    #     one docket removed), a rejected delivery, and S3 after the cut-off ---------------------
    q_defs_s1 = [defendant("DEF-Q1", "ZQXWANDA", "ZQXQUILL", date(1991, 1, 1)),
                 defendant("DEF-Q2", "ZQXXENIA", "ZQXQUORN", date(1992, 2, 2), nysid="87654321B"),
                 defendant("DEF-Q3", "ZQXYOLA", "ZQXQUOTA", date(1993, 3, 3)),
                 defendant("DEF-Q4", "ZQXZELDA", "ZQXQUAKE", date(1994, 4, 4)),
                 defendant("DEF-Q9", "Maria", "Gonzalez", date(1990, 5, 12), nysid="12345678A")]
    add("court-queens", "2026-01-31", {
        "court__defendants": q_defs_s1,
        "court__cases": [case(q(1), "DEF-Q1", date(2025, 3, 1)),
                         case(q(2), "DEF-Q2", date(2025, 3, 2), disposition="ACD", disposition_date=date(2025, 6, 1)),
                         case(q(3), "DEF-Q3", date(2025, 3, 3)),
                         case(q(4), "DEF-Q4", None),
                         case(q(9), "DEF-Q9", date(2026, 2, 20))],
        "court__events": [event(q(1), 1, date(2025, 3, 1)), event(q(2), 1, date(2025, 3, 2)),
                          event(q(2), 2, date(2025, 6, 1), "DISPOSITION"), event(q(3), 1, date(2025, 3, 3))],
    })
    # an older version of S2, superseded: ledger row only (its rows were deleted from raw)
    add("court-queens", "2026-04-30", {}, version=1, status="superseded")
    add("court-queens", "2026-04-30", {
        "court__defendants": [defendant("DEF-Q1", "ZQXWANDA", "ZQXQUILL", date(1991, 1, 1)),
                              # DEF-Q2's row rejected here -> keeps its S1 row (with its nysid)
                              defendant("DEF-Q4", "ZQXZELDA", "ZQXQUAKE", date(1994, 4, 4)),
                              defendant("DEF-Q5", "ZQXVERA", "ZQXQUEST", date(1995, 5, 5)),
                              q_defs_s1[4]],
        "court__cases": [
            # disposition and seal dated after A: pending / unsealed on A
            case(q(1), "DEF-Q1", date(2025, 3, 1), disposition="ACD", disposition_date=date(2026, 4, 10),
                 sealed="Y", sealed_date=date(2026, 4, 20)),
            # q(2): row rejected -> keeps S1 state (ACD 2025-06-01)
            # q(3): absent -> removed upstream
            case(q(4), "DEF-Q4", None, disposition="DISMISSED", disposition_date=date(2026, 3, 1),
                 sealed="Y", sealed_date=date(2026, 3, 31)),
            case(q(5), "DEF-Q5", date(2026, 3, 15)),
            case(q(9), "DEF-Q9", date(2026, 2, 20))],
        "court__events": [event(q(1), 1, date(2025, 3, 1)), event(q(1), 2, date(2026, 4, 12), "DISPOSITION"),
                          # q(2): seq 2 rejected here; seq 1 carried
                          event(q(2), 1, date(2025, 3, 2)),
                          event(q(5), 1, date(2026, 3, 15))],
    }, version=2, rejected=[
        dict(table_name="court__cases", record_key=q(2), column_name="arrest_date", rule="date_format"),
        dict(table_name="court__defendants", record_key="DEF-Q2", column_name="dob", rule="date_format"),
        dict(table_name="court__events", record_key=f"{q(2)}|2", column_name="event_type", rule="in_set"),
    ])
    add("court-queens", "2026-05-10", {}, status="rejected")  # rejected whole: counts nowhere
    add("court-queens", "2026-05-31", {  # after the cut-off
        "court__defendants": q_defs_s1,
        "court__cases": [case(q(3), "DEF-Q3", date(2025, 3, 3))],
        "court__events": [],
    })

    # --- court kings (linkage): one current snapshot ---------------------------------------------
    add("court-kings", "2026-03-31", {
        "court__defendants": [
            defendant("DEF-K1", "Maria", "Gonzalez", date(1990, 5, 12), nysid="12345678A"),  # same person as DEF-Q9
            defendant("DEF-K2", "Jennifer", "Smith", date(1985, 11, 3)),
            defendant("DEF-K3", "Ana", "Lopez", date(1992, 3, 7)),
            defendant("DEF-K4", "Ana", "Lopez", date(1970, 8, 19)),
            defendant("DEF-K5", "Patricia", "O'Neil", date(1988, 2, 14)),
            defendant("DEF-K6", "Kimberly", "Johnson", date(1995, 7, 30)),
            defendant("DEF-K7", "Lucia", "Fernandez", date(1983, 9, 21)),
            *filler_defendants(),
        ],
        "court__cases": [
            case(k(1), "DEF-K1", date(2025, 6, 1)), case(k(2), "DEF-K1", date(2026, 1, 10)), case(k(3), "DEF-K1", None),
            case(k(4), "DEF-K2", date(2026, 2, 1)), case(k(5), "DEF-K3", date(2025, 12, 1)),
            case(k(6), "DEF-K4", date(2025, 12, 5)), case(k(7), "DEF-K5", date(2026, 1, 20)),
            case(k(8), "DEF-K6", date(2026, 2, 15)), case(k(9), "DEF-K7", date(2026, 4, 20)),
        ],
        "court__events": [],
    })

    # --- provider p1: change files; latest updated_at wins, ties to the later delivery ------------
    add("provider-p1", "2026-02-28", {
        "provider__clients": [client("CL-001", "ZQXUNA", "ZQXPROV", date(1990, 1, 1), date(2026, 1, 5), "2026-02-01 10:00:00", source="COURT_MANDATE"),
                              client("CL-002", "ZQXDOS", "ZQXPROV", date(1990, 1, 2), date(2026, 1, 6), "2026-02-01 10:00:00"),
                              client("CL-003", "ZQXTRES", "ZQXPROV", date(1990, 1, 3), date(2026, 1, 7), "2026-02-01 10:00:00", source="OUTREACH")],
        "provider__sessions": [dict(session_id="S-1", client_id="CL-001", session_date=date(2026, 2, 2), session_type="GROUP", status="ATTENDED",
                                    mandate_credit="Y", minutes=45, updated_at="2026-02-02 12:00:00", record_status="ACTIVE"),
                               dict(session_id="S-2", client_id="CL-002", session_date=date(2026, 2, 3), session_type="GROUP", status="ATTENDED",
                                    mandate_credit="Y", minutes=45, updated_at="2026-02-03 12:00:00", record_status="ACTIVE")],
        "provider__assessments": [dict(assessment_id="AS-1", client_id="CL-003", assessment_date=date(2026, 1, 8), domain="HOUSING", level="HIGH",
                                       updated_at="2026-01-08 12:00:00", record_status="ACTIVE"),
                                  dict(assessment_id="AS-2", client_id="CL-003", assessment_date=date(2026, 1, 9), domain="TRAUMA", level="LOW",
                                       updated_at="2026-01-09 12:00:00", record_status="ACTIVE")],
        "provider__referrals": [dict(referral_id="R-1", client_id="CL-001", referral_date=date(2026, 2, 5), domain="HOUSING",
                                     partner="ZQXPARTNER Shelter", status="MADE", status_date=date(2026, 2, 5),
                                     updated_at="2026-02-05 12:00:00", record_status="ACTIVE")],
        "provider__exits": [dict(client_id="CL-002", exit_date=date(2026, 2, 20), exit_reason="DISENGAGED", updated_at="2026-02-20 12:00:00",
                                 record_status="ACTIVE")],
    })
    add("provider-p1", "2026-03-31", {
        "provider__clients": [client("CL-001", "ZQXUNA", "ZQXPROV", date(1990, 1, 1), date(2026, 1, 5), "2026-03-15 10:00:00", source="SELF"),
                              client("CL-002", "ZQXDOS", "ZQXPROV", date(1990, 1, 2), date(2026, 1, 6), "2026-03-20 10:00:00", status="DELETED")],
        # same updated_at as before: the later delivery wins (minutes 60)
        "provider__sessions": [dict(session_id="S-1", client_id="CL-001", session_date=date(2026, 2, 2), session_type="GROUP", status="ATTENDED",
                                    mandate_credit="Y", minutes=60, updated_at="2026-02-02 12:00:00", record_status="ACTIVE")],
        "provider__assessments": [dict(assessment_id="AS-2", client_id="CL-003", assessment_date=date(2026, 1, 9), domain="TRAUMA", level="LOW",
                                       updated_at="2026-03-01 12:00:00", record_status="DELETED")],
        "provider__referrals": [dict(referral_id="R-1", client_id="CL-001", referral_date=date(2026, 2, 5), domain="HOUSING",
                                     partner="ZQXPARTNER Shelter", status="CONNECTED", status_date=date(2026, 3, 1),
                                     updated_at="2026-03-01 12:00:00", record_status="ACTIVE")],
    })
    add("provider-p1", "2026-04-30", {
        # an older updated_at in a later delivery loses
        "provider__clients": [client("CL-003", "ZQXTRES", "ZQXPROV", date(1990, 1, 3), date(2026, 1, 7), "2026-01-01 10:00:00", source="SELF"),
                              client("CL-004", "ZQXCUATRO", "ZQXPROV", date(1990, 1, 4), date(2026, 4, 2), "2026-04-02 10:00:00")],
        "provider__sessions": [dict(session_id="S-3", client_id="CL-001", session_date=date(2026, 4, 5), session_type="GROUP", status="ATTENDED",
                                    mandate_credit="Y", minutes=45, updated_at="2026-04-05 12:00:00", record_status="ACTIVE")],
    })
    add("provider-p1", "2026-06-30", {  # after the cut-off: CL-001's deletion is not yet known
        "provider__clients": [client("CL-001", "ZQXUNA", "ZQXPROV", date(1990, 1, 1), date(2026, 1, 5), "2026-06-01 10:00:00", status="DELETED")],
    })

    # --- provider p2 (linkage): clients with the errors the spec names --------------------------
    add("provider-p2", "2026-03-31", {"provider__clients": [
        client("CL-201", "Maria", "Gonzales", date(1990, 5, 12), date(2026, 2, 15), "2026-02-15 09:00:00", court_id="kings"),  # typo
        client("CL-202", "Jenny", "Smith", date(1985, 11, 3), date(2026, 2, 10), "2026-02-10 09:00:00", court_id="kings"),  # nickname
        client("CL-203", "Lopez", "Ana", date(1992, 7, 3), date(2025, 12, 10), "2025-12-10 09:00:00", court_id="kings"),  # swapped names, month/day swapped
        client("CL-204", "Pat", "Oneil", date(1988, 2, 14), date(2026, 1, 25), "2026-01-25 09:00:00", court_id="kings",
               docket_ref="cr-000007-26kg "),  # docket link (lower case, trailing space)
        client("CL-205", "Kimberly", "Johnson", date(1995, 7, 3), date(2026, 2, 20), "2026-02-20 09:00:00", court_id="kings"),  # transposed digits
        client("CL-206", "ZQXROSA", "ZQXSTRANGER", date(1980, 1, 1), date(2026, 1, 2), "2026-01-02 09:00:00", court_id="kings", source="SELF"),
        client("CL-207", "Ana", "Lopez", date(1970, 8, 19), date(2026, 1, 1), "2026-01-01 09:00:00"),  # court unknown
        client("CL-208", "Maria", "Gonzalez", date(1990, 5, 12), date(2025, 1, 1), "2025-01-01 09:00:00", court_id="kings"),  # no HTIC case in window
        client("CL-209", "Jennifer", "Smith", date(1985, 11, 3), date(2026, 2, 11), "2026-02-11 09:00:00", court_id="kings",
               docket_ref="CR-999999-99XX"),  # docket_ref names no docket -> matched by name
        client("CL-210", "Kim", "Johnson", date(1995, 7, 30), date(2026, 2, 21), "2026-02-21 09:00:00", court_id="kings",
               docket_ref="000008 -26KG"),  # docket link without prefix, with a space
        client("CL-212", "ZQXNUEVA", "ZQXPERSONA", date(1979, 6, 6), date(2025, 12, 20), "2025-12-20 09:00:00", court_id="kings",
               docket_ref="cr 000005 26kg"),  # docket link: spaces instead of hyphens, lower case
        client("CL-211", "Lucia", "Fernandez", date(1983, 9, 21), date(2026, 3, 25), "2026-03-25 09:00:00", court_id="kings"),  # HTIC referral within intake+30 but after A
    ]})

    # --- DCJS: the later snapshot (<= cut-off) is the state; arrests after A dropped --------------
    add("dcjs", "2026-01-31", {"dcjs__arrests": [
        dict(nysid="12345678A", arrest_id="ST-OLD", arrest_date=date(2024, 1, 1), arrest_county="KINGS", top_charge="PL 230.00", offense_level="M")]})
    add("dcjs", "2026-04-30", {"dcjs__arrests": [
        dict(nysid="12345678A", arrest_id="ST-1", arrest_date=date(2025, 1, 2), arrest_county="KINGS", top_charge="PL 230.00", offense_level="M"),
        dict(nysid="12345678A", arrest_id="ST-2", arrest_date=date(2026, 4, 2), arrest_county="KINGS", top_charge="PL 120.00", offense_level="M"),
        dict(nysid="87654321B", arrest_id="ST-3", arrest_date=date(2025, 1, 2), arrest_county="QUEENS", top_charge="PL 230.00", offense_level="M"),
        dict(nysid="99999999Z", arrest_id="ST-4", arrest_date=date(2025, 5, 5), arrest_county="BRONX", top_charge="PL 230.00", offense_level="M")]})
    con.close()


# --- the expected linkage, by hand: (provider, client) -> (court, docket, method) ----------------
EXPECTED_LINKS = {
    ("p2", "CL-201"): ("queens", q(9), "match"),  # person 12345678A: latest HTIC referral <= intake+30 is in queens
    ("p2", "CL-202"): ("kings", k(4), "match"),
    ("p2", "CL-203"): ("kings", k(5), "match"),
    ("p2", "CL-204"): ("kings", k(7), "docket"),
    ("p2", "CL-205"): ("kings", k(8), "match"),
    ("p2", "CL-207"): ("kings", k(6), "match"),
    ("p2", "CL-209"): ("kings", k(4), "match"),
    ("p2", "CL-210"): ("kings", k(8), "docket"),
    ("p2", "CL-212"): ("kings", k(5), "docket"),
}
# CL-206 (nobody), CL-208 (person found, no HTIC case referred by intake+30), CL-211 (referral after A)
EXPECTED_UNLINKED = {("p2", "CL-206"), ("p2", "CL-208"), ("p2", "CL-211")}
