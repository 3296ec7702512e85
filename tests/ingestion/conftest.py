import os
import sys

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")


@pytest.fixture
def settings_for(tmp_path):
    from pipelines.settings import get_settings

    def make(name="wh", landing="landing"):
        return get_settings(warehouse=tmp_path / name, landing=tmp_path / landing)

    return make


def raw_snapshot(settings):
    """Every raw table and the ledger (minus timestamps), sorted: for equality between runs."""
    import duckdb

    from pipelines.ingestion.spec import TABLE_SPECS

    con = duckdb.connect(str(settings.restricted_db), read_only=True)
    try:
        out = {}
        for t in list(TABLE_SPECS) + ["rejected_rows", "delivery_files"]:
            out[t] = sorted(con.execute(f"SELECT * FROM raw.{t}").fetchall(), key=repr)
        out["deliveries"] = sorted(con.execute(
            "SELECT * EXCLUDE (received_at, loaded_at) FROM raw.deliveries").fetchall(), key=repr)
        return out
    finally:
        con.close()


sys.modules.setdefault("tests.ingestion.conftest_helpers", sys.modules[__name__])
