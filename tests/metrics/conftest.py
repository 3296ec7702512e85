"""One small synthetic world, ingested and modelled once per session (dbt calls cost seconds each).

Warehouses:
  * `full`: every delivery of the world; dbt built as of A (with all dbt tests and unit tests),
    then as of A0 (an earlier quarter end): the incremental `metrics` then holds both dates.
  * `early`: only the deliveries with as-of <= A0 + 45, as if the pipeline had run back then;
    built as of A0, then `metrics` alone re-built as of A0 (replacement of its rows).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.dates import dbt_vars
from pipelines.settings import get_settings
from tests import dbt_env
from tests.dbt_env import checked

SECRET = "metrics-test-secret-41c2"  # only for these tests
SEED, SCALE = 0, 0.1
A = date(2026, 6, 30)
A0 = date(2025, 12, 31)
GRACE = 45


def run_dbt(args: list[str], db: Path, tmp: Path) -> subprocess.CompletedProcess:
    """tests.dbt_env.run_dbt with this area's secret, unchecked (the caller keeps the result)."""
    return dbt_env.run_dbt(args, db, tmp, secret=SECRET, check=False)


def ingest(warehouse: Path, landing: Path) -> Path:
    from pipelines.ingestion.pipeline import run_ingestion

    settings = get_settings(warehouse=warehouse, landing=landing)
    run_ingestion(settings, today=date(2026, 11, 30))
    return settings.restricted_db


def metrics_at(db: Path, as_of: date) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select * from analytics.metrics where as_of = ? "
                           "order by metric_id, population, cohort, breakdown, breakdown_value",
                           [as_of]).df()
    finally:
        con.close()


@dataclass
class World:
    landing: Path
    truth: Path
    full_db: Path
    early_db: Path
    build_full: subprocess.CompletedProcess
    metrics_a_first: pd.DataFrame
    links_a: pd.DataFrame | None = None  # the pipeline's client-case links as of A
    metrics_a0_first: pd.DataFrame | None = None
    timings: dict = field(default_factory=dict)


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> World:
    from htic_synth import generate

    t = {}
    root = tmp_path_factory.mktemp("metrics_world")
    landing, truth = root / "landing", root / "truth"
    t0 = time.perf_counter()
    generate(str(landing), str(truth), seed=SEED, scale=SCALE)
    t["generate"] = time.perf_counter() - t0

    # the same deliveries, cut at A0 + 45: what existed when the figures as of A0 were first made
    early_landing = root / "early_landing"
    cutoff = A0 + timedelta(days=GRACE)
    for src in landing.iterdir():
        for d in src.iterdir():
            try:
                as_of = date.fromisoformat(d.name)
            except ValueError:
                continue
            if as_of <= cutoff:
                shutil.copytree(d, early_landing / src.name / d.name)

    t0 = time.perf_counter()
    full_db = ingest(root / "wh_full", landing)
    early_db = ingest(root / "wh_early", early_landing)
    t["ingest"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    build = run_dbt(["build", "--vars", dbt_vars(A)], full_db, root / "dbt_full")
    t["dbt_build_full"] = time.perf_counter() - t0
    w = World(landing, truth, full_db, early_db, build, metrics_at(full_db, A) if build.returncode == 0 else None)
    checked(build, "dbt build (full world, as of A)")
    con = duckdb.connect(str(full_db), read_only=True)
    try:
        w.links_a = con.execute("select provider_id, client_id, court_id, docket_id "
                                "from main.int_client_case_links").df()
    finally:
        con.close()

    t0 = time.perf_counter()
    models_only = ["build", "--select", "resource_type:model resource_type:seed"]
    checked(run_dbt([*models_only, "--vars", dbt_vars(A0)], full_db, root / "dbt_full"),
            "dbt build of models (full world, as of A0)")
    checked(run_dbt([*models_only, "--vars", dbt_vars(A0)], early_db, root / "dbt_early"),
            "dbt build of models (early world, as of A0)")
    w.metrics_a0_first = metrics_at(early_db, A0)
    checked(run_dbt(["run", "--select", "metrics", "--vars", dbt_vars(A0)],
                    early_db, root / "dbt_early"), "dbt run metrics (early world, as of A0, again)")
    t["dbt_other"] = time.perf_counter() - t0
    w.timings = t
    print("metrics world timings (s):", {k: round(v, 1) for k, v in t.items()})
    return w


@pytest.fixture(scope="session")
def state_a(world):
    from tests.metrics import reference

    return reference.load_state(world.full_db, A)


@pytest.fixture(scope="session")
def cases_a(state_a):
    from tests.metrics import reference

    return reference.case_table(state_a)
