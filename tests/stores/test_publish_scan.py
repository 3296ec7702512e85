"""The publish step refuses a mart whose text values hold an identifier of the restricted store,
naming table and column but never the value; a clean build publishes."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.ingestion.warehouse import ensure_schema
from pipelines.publish import IdentifierLeakError, MIN_IDENTIFIER_LENGTH, publish_analytics
from pipelines.settings import get_settings

NAME, DOB, NYSID, PARTNER = "Quillonia", "1987-03-05", "04417823K", "Harbor Light Shelter"


@pytest.fixture
def store(tmp_path):
    """A restricted store: raw tables with one defendant, one client, one referral; a clean mart."""
    settings = get_settings(tmp_path / "wh", landing=tmp_path / "landing")
    settings.ensure_dirs()
    con = duckdb.connect(str(settings.restricted_db))
    ensure_schema(con)
    con.execute("INSERT INTO raw.court__defendants (court_id, defendant_id, nysid, last_name, first_name, dob, race) "
                "VALUES ('queens', 'QD00012345', ?, 'White', ?, ?, 'WHITE')", [NYSID, NAME, DOB])
    con.execute("INSERT INTO raw.provider__referrals (provider_id, referral_id, client_id, partner, domain) "
                "VALUES ('p1', 'R-000981', '2014', ?, 'HOUSING')", [PARTNER])
    con.execute("CREATE SCHEMA analytics")
    con.execute("CREATE TABLE analytics.fct_people (person_key VARCHAR, race VARCHAR, cohort VARCHAR, note VARCHAR)")
    # ordinary values that happen to equal an identifier: a race code (also a surname here), a year
    # (also a provider's short numeric client id) — not identifying, must not block the publish
    con.execute("INSERT INTO analytics.fct_people VALUES ('a1b2c3d4e5f60718', 'WHITE', '2014', 'completed')")
    con.close()
    return settings


def _plant(settings, value: str, table="fct_people", column="note") -> None:
    con = duckdb.connect(str(settings.restricted_db))
    con.execute(f"UPDATE analytics.{table} SET {column} = ?", [value])
    con.close()


def test_a_clean_build_publishes(store):
    path = publish_analytics(store)
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT race, cohort FROM fct_people").fetchall() == [("WHITE", "2014")]
    con.close()


@pytest.mark.parametrize("planted", [
    f"note on {NAME.upper()}",                 # a first name inside free text, another case
    DOB,                                        # a date of birth as text
    f"client {NYSID}.",                         # a nysid as a word
    PARTNER,                                    # free text of a referral (whole value)
    "duplicate column in header (column QD00012345)",  # a defendant id inside a reason
])
def test_an_identifier_in_a_mart_value_blocks_the_publish(store, planted):
    publish_analytics(store)
    before = store.analytics_db.read_bytes()
    _plant(store, planted)
    with pytest.raises(IdentifierLeakError) as err:
        publish_analytics(store)
    message = str(err.value)
    assert "fct_people.note" in message
    for value in (NAME, DOB, NYSID, PARTNER, "QD00012345", planted):
        assert value.lower() not in message.lower()
    assert store.analytics_db.read_bytes() == before  # the published file is untouched
    assert [p.name for p in store.warehouse.iterdir() if ".tmp-" in p.name] == []


def test_an_identifier_in_the_ledger_copy_blocks_the_publish(store):
    con = duckdb.connect(str(store.restricted_db))
    con.execute("INSERT INTO raw.deliveries (delivery_key, status, reason) VALUES "
                "('court-queens/2026-06-30/v1', 'rejected', ?)", [f"duplicate column in header (column {NAME})"])
    con.close()
    with pytest.raises(IdentifierLeakError, match=r"deliveries\.reason") as err:
        publish_analytics(store)
    assert NAME.lower() not in str(err.value).lower()
    assert not store.analytics_db.exists()


def test_values_shorter_than_the_minimum_are_not_compared(store):
    con = duckdb.connect(str(store.restricted_db))
    short = "Ng"
    assert len(short) < MIN_IDENTIFIER_LENGTH
    con.execute("UPDATE raw.court__defendants SET last_name = ?", [short])
    con.close()
    _plant(store, "ng")
    publish_analytics(store)  # documented limit (README, "Privacy"): a 2-letter name is not looked for


def test_leftovers_of_a_killed_publish_are_removed(store):
    leftover = store.analytics_db.with_name("analytics.duckdb.tmp-99999999")
    leftover.write_bytes(b"half-written")
    leftover.with_name(leftover.name + ".wal").write_bytes(b"wal")
    publish_analytics(store)
    assert sorted(p.name for p in store.warehouse.iterdir() if p.is_file()) == ["analytics.duckdb"]


@pytest.mark.parametrize("surname, published", [
    ("Mean", "mean"),        # Megan typed without its g; the kind of a metric (metric_catalogue)
    ("Overall", "overall"),  # the breakdown of every overall row (a literal of the models)
])
def test_an_identifier_that_spells_a_word_the_project_writes_does_not_block(store, surname, published):
    con = duckdb.connect(str(store.restricted_db))
    con.execute("UPDATE raw.court__defendants SET last_name = ?", [surname])
    con.close()
    _plant(store, published)
    publish_analytics(store)  # the word comes from the project's own text, not from a person


def test_a_name_that_is_only_a_word_of_the_definitions_prose_still_blocks(store):
    from pipelines.publish import project_vocabulary
    from pipelines.settings import DBT_PROJECT_DIR

    prose = (DBT_PROJECT_DIR / "seeds" / "metric_catalogue.csv").read_text().lower()
    word = "adjournment"  # in a definition, in no code, label or title
    assert word in prose and word not in project_vocabulary()
    con = duckdb.connect(str(store.restricted_db))
    con.execute("UPDATE raw.court__defendants SET last_name = ?", [word.title()])
    con.close()
    _plant(store, f"see {word}")
    with pytest.raises(IdentifierLeakError, match=r"fct_people\.note"):
        publish_analytics(store)
