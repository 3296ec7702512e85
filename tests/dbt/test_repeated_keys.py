"""A provider key repeated within one delivery (extracts.md, provider): per key the latest
`updated_at` wins; on equal `updated_at` the later delivery wins, and within one delivery the later
row (`_line`). Raw keeps every row; the staging models resolve them.

A world of its own (one provider, two deliveries) so the shared scenario's expectations stay as
they are. Every expected value below is written by hand from that rule.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from pipelines.dates import dbt_vars
from tests.dbt import raw_fixture as rf
from tests.dbt.conftest import run_dbt
from tests.dbt.scenario import client

AS_OF = date(2026, 3, 31)
P = "provider-p9"


def session(sid, cid, status, updated, minutes=60):
    return dict(session_id=sid, client_id=cid, session_date=date(2026, 1, 10), session_type="GROUP", status=status,
                mandate_credit="Y" if status == "ATTENDED" else "N", minutes=minutes if status == "ATTENDED" else None,
                updated_at=updated, record_status="ACTIVE")


def referral(rid, status, updated, status_date=date(2026, 1, 20)):
    return dict(referral_id=rid, client_id="CL-901", referral_date=date(2026, 1, 12), domain="HOUSING",
                partner="Covenant House", status=status, status_date=status_date, updated_at=updated,
                record_status="ACTIVE")


def assessment(aid, status, updated):
    return dict(assessment_id=aid, client_id="CL-901", assessment_date=date(2026, 1, 8), domain="TRAUMA",
                level="HIGH", updated_at=updated, record_status=status)


def exit_row(helpful, updated):
    return dict(client_id="CL-901", exit_date=date(2026, 2, 20), exit_reason="MANDATE_COMPLETE",
                survey_helpfulness=helpful, survey_would_recommend="Y" if helpful else None,
                updated_at=updated, record_status="ACTIVE")


def build(db) -> None:
    rf.create_raw(db)
    con = duckdb.connect(str(db))
    # rows are listed in file order (_line 2, 3, ...)
    rf.add_delivery(con, P, "2026-01-31", {
        "provider__clients": [
            client("CL-901", "ZQXNUEVE", "ZQXREP", date(1990, 1, 1), date(2026, 1, 5), "2026-01-05 10:00:00"),
            client("CL-902", "ZQXDIEZ", "ZQXREP", date(1990, 1, 2), date(2026, 1, 6), "2026-01-06 10:00:00"),
            client("CL-902", "ZQXDIEZ", "ZQXREP", date(1990, 1, 2), date(2026, 1, 6), "2026-01-20 10:00:00",
                   status="DELETED"),  # the later version deletes the client: it and its records count nowhere
        ],
        "provider__sessions": [
            session("S-1", "CL-901", "NO_SHOW", "2026-01-10 10:00:00"),
            session("S-1", "CL-901", "ATTENDED", "2026-01-17 09:00:00"),  # corrected a week later: ATTENDED
            session("S-2", "CL-901", "ATTENDED", "2026-01-12 10:00:00"),
            session("S-2", "CL-901", "NO_SHOW", "2026-01-12 10:00:00"),  # same stamp: the later row, NO_SHOW
            session("S-3", "CL-901", "ATTENDED", "2026-01-20 10:00:00"),
            session("S-3", "CL-901", "NO_SHOW", "2026-01-15 10:00:00"),  # later row, older stamp: ATTENDED stays
            session("S-4", "CL-902", "ATTENDED", "2026-01-11 10:00:00"),  # a deleted client's session
        ],
        "provider__referrals": [
            referral("R-1", "MADE", "2026-01-12 10:00:00", date(2026, 1, 12)),
            referral("R-1", "CONNECTED", "2026-01-20 10:00:00"),  # MADE, then CONNECTED a week later
            referral("R-2", "CONNECTED", "2026-01-25 10:00:00"),
            referral("R-2", "DECLINED", "2026-01-25 10:00:00"),  # the next delivery repeats the stamp
        ],
        "provider__assessments": [
            assessment("AS-1", "ACTIVE", "2026-01-08 12:00:00"),
            assessment("AS-1", "DELETED", "2026-01-08 12:00:00"),  # same stamp: the later row, DELETED, wins
            assessment("AS-2", "DELETED", "2026-01-09 12:00:00"),
            assessment("AS-2", "ACTIVE", "2026-01-09 12:00:00"),  # same stamp: the later row, ACTIVE, wins
        ],
        "provider__exits": [
            exit_row(None, "2026-01-25 10:00:00"),
            exit_row(4, "2026-01-25 10:00:00"),  # the survey answers entered in the same edit
        ],
    })
    rf.add_delivery(con, P, "2026-02-28", {
        # R-2 again with the same stamp, on an earlier line than in the first delivery: the later
        # delivery wins whatever the line
        "provider__referrals": [referral("R-2", "UNREACHABLE", "2026-01-25 10:00:00")],
    })
    con.close()


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dbt_repeated_keys")
    db = tmp / "restricted.duckdb"
    build(db)
    run_dbt(["run", "--select", "staging.provider", "--vars", dbt_vars(AS_OF)], db, tmp)
    c = duckdb.connect(str(db), read_only=True)
    yield c
    c.close()


def rows(con, sql):
    return con.execute(sql).fetchall()


def test_raw_keeps_every_row_of_a_repeated_key(con):
    assert rows(con, "select count(*) from raw.provider__sessions where session_id = 'S-2'") == [(2,)]


def test_sessions_latest_updated_at_then_later_row(con):
    got = rows(con, "select session_id, status, minutes from stg_provider__sessions order by 1")
    assert got == [("S-1", "ATTENDED", 60), ("S-2", "NO_SHOW", None), ("S-3", "ATTENDED", 60)]


def test_referrals_made_then_connected_and_equal_stamp_goes_to_the_later_delivery(con):
    got = rows(con, "select referral_id, status, status_date from stg_provider__referrals order by 1")
    assert got == [("R-1", "CONNECTED", date(2026, 1, 20)), ("R-2", "UNREACHABLE", date(2026, 1, 20))]


def test_deleted_as_the_winning_version_removes_the_record(con):
    assert rows(con, "select assessment_id from stg_provider__assessments order by 1") == [("AS-2",)]
    assert rows(con, "select client_id from stg_provider__clients order by 1") == [("CL-901",)]
    assert rows(con, "select provider_id, client_id from stg_provider__deleted_clients") == [("p9", "CL-902")]


def test_exit_later_row_with_the_survey_wins(con):
    assert rows(con, "select client_id, survey_helpfulness from stg_provider__exits") == [("CL-901", 4)]
