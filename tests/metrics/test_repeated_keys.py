"""Provider keys repeated within one delivery (extracts.md: "a repeated key is normal, not an
error") on the session's synthetic world, whose generator sends every edit of a record in a
delivery's window (a referral MADE then CONNECTED, a session NO_SHOW then ATTENDED, corrections with
the same `updated_at`).

* Ingestion keeps every row: no provider row is rejected as `duplicate_key`, and raw holds exactly
  the repeats the generator planted (truth/quirks.json).
* The figures are those of the same records delivered without repeats: a copy of the restricted
  store keeping, per delivery and key, only the row the spec's rule picks (latest `updated_at`,
  then the later row), modelled again as of A, gives the same `metrics`.
"""

from __future__ import annotations

import json
import shutil

import duckdb
import pandas as pd

from pipelines.dates import dbt_vars
from pipelines.ingestion.spec import SOURCE_TABLES, TABLE_SPECS
from pipelines.sql import ident
from tests.dbt_env import checked
from tests.metrics.conftest import A, metrics_at, run_dbt


def _key(table: str) -> str:
    return ", ".join(ident(c) for c in TABLE_SPECS[table].key)


def test_no_provider_row_rejected_and_raw_keeps_the_planted_repeats(world):
    quirks = json.loads((world.truth / "quirks.json").read_text())
    con = duckdb.connect(str(world.full_db), read_only=True)
    try:
        assert con.execute("select count(*) from raw.rejected_rows where rule = 'duplicate_key'").fetchone() == (0,)
        assert con.execute("select count(*) from raw.deliveries where source_id like 'provider-%' "
                           "and status = 'rejected'").fetchone() == (0,)
        repeated = tied = 0
        for table in SOURCE_TABLES["provider"]:
            r, t = con.execute(f"""
                select count(*), count(*) filter (where n_stamps < n)
                from (select count(*) as n, count(distinct updated_at) as n_stamps
                      from raw.{ident(table)} group by _delivery_key, {_key(table)} having count(*) > 1)""").fetchone()
            repeated, tied = repeated + r, tied + t
    finally:
        con.close()
    assert repeated == quirks["key_repeated_in_delivery"]["count"] > 0
    assert tied == quirks["key_repeated_same_updated_at"]["count"] > 0


def test_repeated_keys_give_the_metrics_of_the_same_records_without_repeats(world, tmp_path):
    db = tmp_path / "restricted.duckdb"
    shutil.copyfile(world.full_db, db)
    con = duckdb.connect(str(db))
    try:
        removed = 0
        for table in SOURCE_TABLES["provider"]:
            removed += con.execute(f"""
                delete from raw.{ident(table)} r using (
                    select _delivery_key, _line, row_number() over (
                        partition by _delivery_key, {_key(table)} order by updated_at desc, _line desc) as rank
                    from raw.{ident(table)}) w
                where w._delivery_key = r._delivery_key and w._line = r._line and w.rank > 1""").fetchone()[0]
    finally:
        con.close()
    assert removed > 0
    checked(run_dbt(["build", "--select", "resource_type:model resource_type:seed", "--vars", dbt_vars(A)],
                    db, tmp_path / "dbt"), "dbt build of models (world without repeats, as of A)")
    pd.testing.assert_frame_equal(metrics_at(db, A), world.metrics_a_first)
