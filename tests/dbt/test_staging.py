"""Staging semantics "as of A" (docs/architecture.md), on the hand-made world of scenario.py.

A = 2026-03-31, so deliveries with as-of <= 2026-05-15 count. Expectations are written out by
hand from the rules; see scenario.py for the rows.
"""

from __future__ import annotations

from datetime import date

from tests.dbt.scenario import k, q


def rows(con, sql, *params):
    return con.execute(sql, list(params)).fetchall()


# --- program ------------------------------------------------------------------------------------


def test_program_latest_delivery_within_cutoff(con):
    courts = dict(rows(con, "select court_id, court_name from stg_program__courts"))
    assert courts == {"queens": "Queens HTIC", "kings": "Kings HTIC"}  # not the 2026-06-01 'LATE' one
    # htic_end_date 2026-04-01 is after A: still running on A
    assert rows(con, "select htic_end_date from stg_program__courts where court_id = 'kings'") == [(None,)]


def test_program_contract_end_after_as_of_reads_active(con):
    got = {r[0]: (r[1], r[2]) for r in rows(con, "select provider_id, contract_end, capacity from stg_program__providers")}
    assert got == {"p1": (None, 12), "p2": (date(2026, 2, 1), 5)}


# --- courts -------------------------------------------------------------------------------------


def test_current_snapshot_per_court(con):
    cur = dict(rows(con, "select court_id, snapshot_as_of from stg_court__snapshots where is_current"))
    # queens: 2026-04-30 v2 (<= cut-off); not the rejected 2026-05-10 nor 2026-05-31 (after cut-off)
    assert cur == {"queens": date(2026, 4, 30), "kings": date(2026, 3, 31)}
    versions = rows(con, "select snapshot_version from stg_court__snapshots where court_id='queens' and is_current")
    assert versions == [(2,)]


def test_cases_rejected_row_keeps_last_state_and_removed_docket_excluded(con):
    got = {r[0]: r[1:] for r in rows(con, "select docket_id, disposition, disposition_date, sealed, sealed_date, "
                                          "is_kept_from_earlier_snapshot from stg_court__cases where court_id='queens'")}
    assert set(got) == {q(1), q(2), q(4), q(5), q(9)}  # q(3) removed upstream
    # q(1): disposition and seal dated after A -> pending, not sealed
    assert got[q(1)] == (None, None, "N", None, False)
    # q(2): its row rejected in the current snapshot -> S1 state (ACD of 2025-06-01)
    assert got[q(2)] == ("ACD", date(2025, 6, 1), "N", None, True)
    # q(4): dated on/before A -> as delivered
    assert got[q(4)] == ("DISMISSED", date(2026, 3, 1), "Y", date(2026, 3, 31), False)


def test_removed_dockets_listed(con):
    got = rows(con, "select court_id, docket_id, defendant_id, last_seen_as_of, removed_in_as_of from stg_court__removed_dockets")
    assert got == [("queens", q(3), "DEF-Q3", date(2026, 1, 31), date(2026, 4, 30))]


def test_defendant_rejected_row_keeps_last_state(con):
    got = {r[0]: r[1:] for r in rows(con, "select defendant_id, nysid, is_kept_from_earlier_snapshot from stg_court__defendants where court_id='queens'")}
    assert set(got) == {"DEF-Q1", "DEF-Q2", "DEF-Q4", "DEF-Q5", "DEF-Q9"}  # DEF-Q3 absent from the current snapshot
    assert got["DEF-Q2"] == ("87654321B", True)


def test_events_as_of(con):
    got = sorted(rows(con, "select docket_id, event_seq, is_kept_from_earlier_snapshot from stg_court__events where court_id='queens'"))
    assert got == [
        (q(1), 1, False),  # q(1) seq 2 is dated after A
        (q(2), 1, False),
        (q(2), 2, True),  # rejected in the current snapshot: the last accepted row fills in
        (q(5), 1, False),
    ]  # q(3)'s events: docket removed


# --- providers ----------------------------------------------------------------------------------


def test_clients_latest_wins_deleted_and_dated_after_as_of(con):
    got = dict(rows(con, "select client_id, referral_source from stg_provider__clients where provider_id='p1'"))
    # CL-001: later updated_at (2026-03-15, SELF) wins; its deletion arrives after the cut-off
    # CL-002: DELETED winner; CL-003: the later delivery's OLDER updated_at loses (OUTREACH stays)
    # CL-004: intake after A
    assert got == {"CL-001": "SELF", "CL-003": "OUTREACH"}
    assert rows(con, "select provider_id, client_id from stg_provider__deleted_clients") == [("p1", "CL-002")]


def test_sessions_tie_goes_to_later_delivery_and_deleted_client_records_dropped(con):
    got = rows(con, "select session_id, minutes from stg_provider__sessions where provider_id='p1' order by 1")
    # S-1: same updated_at in two deliveries -> the later delivery (60 minutes)
    # S-2: its client was deleted; S-3: dated after A
    assert got == [("S-1", 60)]


def test_assessments_deleted_winner_dropped(con):
    assert rows(con, "select assessment_id from stg_provider__assessments order by 1") == [("AS-1",)]


def test_referrals_and_exits(con):
    assert rows(con, "select referral_id, status, status_date from stg_provider__referrals") == [("R-1", "CONNECTED", date(2026, 3, 1))]
    assert rows(con, "select count(*) from stg_provider__exits") == [(0,)]  # CL-002's exit: client deleted


def test_docket_ref_normalised(con):
    got = dict(rows(con, "select client_id, docket_ref_normalized from stg_provider__clients "
                         "where provider_id='p2' and docket_ref is not null"))
    assert got == {"CL-204": k(7), "CL-209": "CR-999999-99XX", "CL-210": k(8), "CL-212": k(5)}


def test_names_standardised(con):
    got = rows(con, "select first_name_std, last_name_std from stg_provider__clients where client_id='CL-204'")
    assert got == [("PAT", "ONEIL")]


# --- dcjs ---------------------------------------------------------------------------------------


def test_dcjs_latest_snapshot_and_arrests_up_to_as_of(con):
    got = sorted(r[0] for r in rows(con, "select arrest_id from stg_dcjs__arrests"))
    assert got == ["ST-1", "ST-3", "ST-4"]  # ST-OLD: older snapshot; ST-2: after A
