"""Linkage on hand-made rows (scenario.py): docket links, probabilistic matches through typos,
nicknames, swapped name parts and transposed dates, the person rule across courts, and what must
stay unlinked."""

from __future__ import annotations


def test_persons_same_nysid_in_two_courts_is_one_person(con):
    got = con.execute("select court_id, defendant_id, person_id from int_defendant_persons "
                      "where defendant_id in ('DEF-K1', 'DEF-Q9', 'DEF-K2') order by 1, 2").fetchall()
    assert got == [("kings", "DEF-K1", "12345678A"), ("kings", "DEF-K2", "kings:DEF-K2"), ("queens", "DEF-Q9", "12345678A")]
    assert con.execute("select defendant_records, courts from int_persons where person_id='12345678A'").fetchall() == [(2, 2)]
    n_def = con.execute("select count(*) from stg_court__defendants").fetchone()[0]
    n_persons = con.execute("select count(*) from int_persons").fetchone()[0]
    assert n_persons == n_def - 1  # exactly one person has two defendant records


def test_person_arrests_by_nysid(con):
    got = sorted(con.execute("select person_id, arrest_id from int_person_arrests").fetchall())
    # ST-4's nysid is no court person's; ST-2 is after A
    assert got == [("12345678A", "ST-1"), ("87654321B", "ST-3")]


def test_client_case_links_match_hand_labels(con):
    from tests.dbt.scenario import EXPECTED_LINKS, EXPECTED_UNLINKED

    got = {(p, c): (court, docket, method) for p, c, court, docket, method in con.execute(
        "select provider_id, client_id, court_id, docket_id, link_method from int_client_case_links where provider_id='p2'").fetchall()}
    assert got == EXPECTED_LINKS
    assert not (set(got) & EXPECTED_UNLINKED)


def test_link_probabilities(con):
    rows = con.execute("select link_method, match_probability from int_client_case_links").fetchall()
    assert rows and all((p == 1.0) if m == "docket" else (0.95 <= p <= 1.0) for m, p in rows)


def test_matches_table_keeps_candidates_for_review(con):
    # CL-208 is matched to the person (then has no HTIC case in its window): still a 'link' match
    got = con.execute("select person_id, match_status from int_client_person_matches "
                      "where client_id='CL-208' and candidate_rank=1").fetchall()
    assert got == [("12345678A", "link")]
    # the other Ana Lopez (different date of birth) is a scored candidate of CL-207, not its link
    rivals = con.execute("select person_id, match_status from int_client_person_matches "
                         "where client_id='CL-207' order by candidate_rank").fetchall()
    assert rivals[0] == ("kings:DEF-K4", "link")
    assert all(status != "link" for _, status in rivals[1:])
    # docket-linked clients are not scored
    assert con.execute("select count(*) from int_client_person_matches where client_id in ('CL-204','CL-210')").fetchone()[0] == 0
    # levels recorded for review
    lv = con.execute("select first_name_level, last_name_level, dob_level, names_swapped from int_client_person_matches "
                     "where client_id='CL-203' and candidate_rank=1").fetchall()
    assert lv == [("exact", "exact", "month_day_swap", True)]
    lv = con.execute("select first_name_level, dob_level from int_client_person_matches "
                     "where client_id in ('CL-202','CL-205') and candidate_rank=1 order by client_id").fetchall()
    assert lv == [("nickname", "exact"), ("exact", "transposition")]


def test_client_persons(con):
    got = dict(((p, c), (pid, src)) for p, c, pid, src in con.execute(
        "select provider_id, client_id, person_id, person_source from int_client_persons").fetchall())
    # the two Maria Gonzalez client records (one with no case in its window) are the court person
    assert got[("p2", "CL-201")] == ("12345678A", "match")
    assert got[("p2", "CL-208")] == ("12345678A", "match")
    assert got[("p2", "CL-204")] == ("kings:DEF-K5", "docket")
    # nobody in court: a client-only person of its own
    assert got[("p2", "CL-206")] == ("client:p2:CL-206", "client")
    n_clients = con.execute("select count(*) from stg_provider__clients").fetchone()[0]
    assert len(got) == n_clients
