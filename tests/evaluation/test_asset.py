"""The Dagster asset end to end on a tiny restricted store: reads the mart, writes the tables
into schema analytics for the mart's as-of date, and refuses a mismatched as-of."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from pipelines.defs.resources import HticSettings
from pipelines.evaluation.assets import EFFECTS_ASSET_KEY, MART_ASSET_KEY, EvaluationConfig, evaluation_effects
from pipelines.settings import get_settings
from tests.evaluation.simulated import AS_OF, simulate

OP = "evaluation__effects"
WORLD = simulate(n=2500, seed=4)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    wh = tmp_path_factory.mktemp("wh")
    (wh / "restricted").mkdir()
    cases = WORLD.cases.assign(as_of=AS_OF)
    with duckdb.connect(str(wh / "restricted" / "restricted.duckdb")) as con:
        con.execute("create schema analytics")
        con.register("cases", cases)
        con.execute("create table analytics.fct_eval_cases as select * exclude (as_of), cast(as_of as date) as as_of from cases")
    return wh


def _run(warehouse, as_of):
    return dg.materialize(
        [evaluation_effects],
        run_config=dg.RunConfig(ops={OP: EvaluationConfig(as_of=as_of)}),
        resources={"htic": HticSettings.from_settings(get_settings(warehouse))},
        raise_on_error=False,
    )


def test_asset_lineage():
    spec = evaluation_effects.specs_by_key[EFFECTS_ASSET_KEY]
    assert [d.asset_key for d in spec.deps] == [MART_ASSET_KEY]


def test_asset_writes_the_tables_of_the_mart_s_as_of(warehouse):
    result = _run(warehouse, AS_OF)
    assert result.success
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["as_of"].value == AS_OF
    rows = metadata["rows_by_table"].value
    with duckdb.connect(str(warehouse / "restricted" / "restricted.duckdb"), read_only=True) as con:
        for table, n in rows.items():
            got = con.execute(f"select cast(as_of as varchar), count(*) from analytics.{table} group by 1").fetchall()
            assert got == [(AS_OF, n)] and n > 0
    assert set(metadata["headline_12m_risk_difference"].value) == {"unadjusted", "aipw"}
    # nothing in the metadata is a key of a case or a person
    text = str({k: v.value for k, v in metadata.items()})
    assert not any(key in text for key in set(WORLD.cases.case_key) | set(WORLD.cases.person_key))


def test_asset_refuses_another_as_of(warehouse):
    result = _run(warehouse, "2026-06-30")
    assert not result.success


def test_the_asset_s_reader_gives_the_frame_and_estimates_of_a_plain_read(warehouse):
    """read_cases (Arrow, one string per distinct value, keys as codes) must change nothing the
    estimation sees: every column as DuckDB's own `.df()` gives it (dtype, values, missing values;
    the keys as their ranks in sort order), and the three tables equal to the bit."""
    import pandas as pd

    import pipelines.evaluation.assets as assets
    from pipelines.evaluation.assets import MART_TABLE, read_cases
    from pipelines.evaluation.estimate import evaluate

    with duckdb.connect(str(warehouse / "restricted" / "restricted.duckdb"), read_only=True) as con:
        con.execute(f"create temp table mart as select * from {MART_TABLE}")
        # a text column with missing values, as the mart's quarters have
        con.execute("update mart set disposition_quarter = null where case_key like '%1'")
        plain = con.sql("select * from mart").df()
        original, assets.MART_TABLE = assets.MART_TABLE, "mart"
        try:
            ours = read_cases(con)
        finally:
            assets.MART_TABLE = original
    assert list(ours.columns) == list(plain.columns) and len(ours) == len(plain)
    for column in plain.columns:
        if column in ("case_key", "person_key"):
            ranks = plain[column].rank(method="dense").astype("int64") - 1
            assert ours[column].tolist() == ranks.tolist(), column
        elif plain[column].dtype == object:
            assert ours[column].isna().tolist() == plain[column].isna().tolist(), column
            assert ours[column].dropna().tolist() == plain[column].dropna().tolist(), column
        else:
            pd.testing.assert_series_equal(ours[column], plain[column], check_names=True)
    assert plain["disposition_quarter"].isna().any()
    theirs, mine = evaluate(plain, AS_OF), evaluate(ours, AS_OF)
    for name in theirs:
        pd.testing.assert_frame_equal(mine[name], theirs[name], check_exact=True)
