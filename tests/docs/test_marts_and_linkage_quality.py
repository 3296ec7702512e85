"""`as_of` on every published mart, and `linkage_quality` against an independent computation from
the restricted store's link tables and the world's truth file."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from pipelines.dates import dbt_vars
from tests import dbt_env
from tests.docs.conftest import PLANNED_AS_OF, SECRET


def _analytics(world, sql: str, params=None):
    con = duckdb.connect(str(world.analytics_db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_every_mart_has_as_of_equal_to_the_runs_a(world):
    tables = [t for (t,) in _analytics(world, "select table_name from information_schema.tables "
                                              "where table_schema = 'main' order by 1")]
    marts = [t for t in tables if t.startswith(("fct_", "dim_")) or t in ("metrics", "linkage_quality")]
    assert len(marts) >= 17
    for table in marts:
        types = dict(_analytics(world, "select column_name, data_type from information_schema.columns "
                                       "where table_name = ?", [table]))
        assert types.get("as_of") == "DATE", table
        assert _analytics(world, f'select distinct as_of from "{table}"') == [(PLANNED_AS_OF,)], table


def _expected_linkage_quality(world) -> dict:
    con = duckdb.connect(str(world.restricted_db), read_only=True)
    try:
        links = con.execute("select provider_id, client_id, court_id, docket_id, link_method "
                            "from main.int_client_case_links").df()
        matches = con.execute("select provider_id, client_id, match_status from main.int_client_person_matches").df()
        clients = con.execute("select count(*) from main.stg_provider__clients").fetchone()[0]
    finally:
        con.close()
    truth = pd.read_csv(world.truth / "client_links.csv", dtype=str, keep_default_na=False)
    truth = truth[(truth.docket_id != "") & (truth.deleted == "N") & (truth.delivered == "Y")
                  & (pd.to_datetime(truth.intake_date).dt.date <= PLANNED_AS_OF)]
    key = ["provider_id", "client_id", "court_id", "docket_id"]
    true_links = set(map(tuple, truth[key].drop_duplicates().values))
    found = set(map(tuple, links[key].values))
    review = matches[matches.match_status.isin(["ambiguous", "review"])]
    n = len(links)
    correct = len(found & true_links)
    return {
        "clients": clients,
        "linked_clients": len(links[["provider_id", "client_id"]].drop_duplicates()),
        "linked_cases": len(links[["court_id", "docket_id"]].drop_duplicates()),
        "links": n,
        "links_deterministic": int((links.link_method == "docket").sum()),
        "links_probabilistic": int((links.link_method == "match").sum()),
        "share_deterministic": (links.link_method == "docket").sum() / n,
        "share_probabilistic": (links.link_method == "match").sum() / n,
        "review_queue_pairs": len(review),
        "review_queue_clients": len(review[["provider_id", "client_id"]].drop_duplicates()),
        "review_queue_unlinked_clients": len(
            set(map(tuple, review[["provider_id", "client_id"]].values))
            - set(map(tuple, links[["provider_id", "client_id"]].values))),
        "true_links": len(true_links),
        "correct_links": correct,
        "precision": correct / n,
        "recall": correct / len(true_links),
    }


def test_linkage_quality_equals_an_independent_computation(world):
    con = duckdb.connect(str(world.analytics_db), read_only=True)
    try:
        got = con.execute("select * from linkage_quality").df()
        types = dict(con.execute("select column_name, data_type from information_schema.columns "
                                 "where table_name = 'linkage_quality'").fetchall())
    finally:
        con.close()
    assert len(got) == 1
    row = got.iloc[0].to_dict()
    expected = _expected_linkage_quality(world)
    assert row.pop("as_of").date() == PLANNED_AS_OF
    assert set(row) == set(expected)
    for name, value in expected.items():
        assert row[name] == pytest.approx(value, rel=1e-12), name
    assert expected["links_probabilistic"] > 0 and expected["review_queue_pairs"] >= 0
    assert 0.95 < row["precision"] <= 1 and 0.95 < row["recall"] <= 1
    # counts and shares only: no text column, so no identifier can sit in it
    assert {t for c, t in types.items() if c != "as_of"} <= {"BIGINT", "DOUBLE", "INTEGER", "HUGEINT"}


def test_without_a_truth_file_precision_and_recall_are_null(world, tmp_path, monkeypatch):
    monkeypatch.delenv("HTIC_LINKAGE_TRUTH", raising=False)
    db = tmp_path / "restricted.duckdb"
    db.write_bytes(world.restricted_db.read_bytes())
    dbt_env.run_dbt(["run", "--select", "linkage_quality", "--vars", dbt_vars(PLANNED_AS_OF)],
                    db, tmp_path, secret=SECRET)  # HTIC_LINKAGE_TRUTH not set: no truth
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute("select links, true_links, correct_links, precision, recall "
                          "from analytics.linkage_quality").fetchone()
    finally:
        con.close()
    assert row[0] > 0 and row[1:] == (None, None, None, None)
