"""pipelines/defs/dbt.py: pure pieces (arguments, translator, lineage) and one end-to-end build
(`pipelines.runner.build(..., ingest=False)`: one Dagster run, in-process, of the dbt build incl.
the marts, then publish) on the hand-made world, with the scan of the published file for identifier
values, a check of the keyed hash, and dbt's artifacts under the warehouse."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date

import dagster as dg
import duckdb
import pytest

from pipelines import builds
from pipelines.defs import dbt as dbt_defs
from pipelines.evaluation.assets import EFFECTS_ASSET_KEY
from pipelines.settings import DBT_PROJECT_DIR, get_settings
from pipelines.sql import ident, qualified
from tests.dbt import scenario

SECRET = "e2e-secret-5b1d07e2"


def test_dbt_build_args_pass_as_of_and_grace_as_vars():
    want = ["build", "--vars", '{"as_of": "2026-03-31", "grace_days": 45}']
    assert dbt_defs.dbt_build_args(date(2026, 3, 31)) == want
    assert dbt_defs.dbt_build_args("2026-03-31") == want
    # the grace is set in Python only: dbt_project.yml does not set it
    assert "grace_days:" not in (DBT_PROJECT_DIR / "dbt_project.yml").read_text()
    with pytest.raises(ValueError):
        dbt_defs.dbt_build_args("31/03/2026")


def test_translator_keys():
    t = dbt_defs.TRANSLATOR
    assert t.get_asset_key({"resource_type": "source", "source_name": "raw", "name": "court__cases"}) == dg.AssetKey(["raw", "court__cases"])
    assert t.get_asset_key({"resource_type": "model", "name": "stg_court__cases"}) == dg.AssetKey(["stg_court__cases"])
    assert t.get_group_name({"resource_type": "model", "fqn": ["htic_eval", "intermediate", "linkage", "int_persons"]}) == "intermediate_linkage"
    assert t.get_group_name({"resource_type": "model", "fqn": ["htic_eval", "staging", "court", "stg_court__cases"]}) == "staging"


def test_lineage_is_one_connected_graph():
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    manifest = json.loads(dbt_defs.dbt_project(get_settings()).manifest_path.read_text())
    source_keys = {dg.AssetKey(["raw", s["name"]]) for s in manifest["sources"].values() if s["source_name"] == "raw"}
    materializable = {k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    # every raw table dbt reads is an asset the ingestion area materializes
    assert source_keys <= materializable, source_keys - materializable
    # staging reads raw; the publish step depends on every mart and on the evaluation's tables
    assert dg.AssetKey(["raw", "court__cases"]) in graph.get(dg.AssetKey(["stg_court__cases"])).parent_keys
    marts = {dbt_defs.TRANSLATOR.get_asset_key(n) for n in manifest["nodes"].values()
             if n["resource_type"] == "model" and n["fqn"][1] == "marts"}
    assert marts and graph.get(dbt_defs.PUBLISH_ASSET_KEY).parent_keys == marts | {EFFECTS_ASSET_KEY}
    assert dg.AssetKey(["fct_eval_cases"]) in graph.get(EFFECTS_ASSET_KEY).parent_keys
    # dbt tests are asset checks
    assert any(ck.asset_key == dg.AssetKey(["stg_court__cases"]) for ck in graph.asset_check_keys)


def _identifier_values(restricted_db) -> tuple[set[str], set[date]]:
    con = duckdb.connect(str(restricted_db), read_only=True)
    texts: set[str] = set()
    for table, cols in {
        "court__defendants": ["defendant_id", "nysid", "last_name", "first_name"],
        "court__cases": ["docket_id", "defendant_id"],
        "provider__clients": ["client_id", "docket_ref", "first_name", "last_name"],
        "provider__referrals": ["partner"],
        "dcjs__arrests": ["nysid"],
    }.items():
        for c in cols:
            texts |= {str(v).strip().upper() for (v,) in con.execute(f"select distinct {ident(c)} from {qualified('raw', table)} where {ident(c)} is not null").fetchall()}
    dobs = {v for (v,) in con.execute("select dob from raw.court__defendants union select dob from raw.provider__clients").fetchall() if v}
    con.close()
    return texts, dobs


def test_build_models_end_to_end_publishes_no_identifiers(tmp_path, monkeypatch):
    monkeypatch.setenv("HTIC_PSEUDONYM_SECRET", SECRET)
    settings = get_settings(tmp_path / "wh")
    settings.ensure_dirs()
    scenario.build(settings.restricted_db)

    from pipelines import runner

    result = runner.build(settings, scenario.AS_OF, ingest=False, instance=dg.DagsterInstance.ephemeral())
    assert result.success and runner.built_as_of(result) == scenario.AS_OF
    mats = {e.asset_key for e in result.get_asset_materialization_events()}
    assert dbt_defs.PUBLISH_ASSET_KEY in mats and dg.AssetKey(["int_client_case_links"]) in mats
    checks = result.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks)

    texts, dobs = _identifier_values(settings.restricted_db)
    assert "CL-201" in texts and "GONZALEZ" in texts and "12345678A" in texts  # the scan looks for real values
    con = duckdb.connect(str(settings.analytics_db), read_only=True)
    tables = [t for (t,) in con.execute("select table_name from information_schema.tables where table_schema='main'").fetchall()]
    assert "metrics" in tables and "deliveries" in tables
    long_ids = {t for t in texts if len(t) >= 6}
    leaks = []
    for t in tables:
        cols = con.execute("select column_name, data_type from information_schema.columns where table_name = ?", [t]).fetchall()
        for c, ty in cols:
            values = {v for (v,) in con.execute(f"select distinct {ident(c)} from {qualified('main', t)} where {ident(c)} is not null").fetchall()}
            for v in values:
                if isinstance(v, date) and v in dobs:
                    leaks.append((t, c, "dob"))
                s = str(v).strip().upper()
                if s in texts or any(i in s for i in long_ids) or any(d.isoformat() in s for d in dobs):
                    leaks.append((t, c, "text"))
    assert not leaks, sorted(set(leaks))

    # pseudonymous *_key columns: 16 hex chars, and keyed (the exact formula is tested on the
    # macro itself below): no key is the unkeyed hash of a docket, nor of court/docket forms
    dockets = [scenario.q(n) for n in range(1, 10)] + [scenario.k(n) for n in range(1, 10)]
    courts = ["queens", "kings"]
    unkeyed = {hashlib.sha256(f"{x}".encode()).hexdigest()[:16]
               for d in dockets for x in [d] + [f"{c}{sep}{d}" for c in courts for sep in ("/", ":", "|")]}
    keys = set()
    for t in tables:
        for (c,) in con.execute("select column_name from information_schema.columns where table_name = ? and column_name like '%\\_key' escape '\\' and column_name <> 'delivery_key'", [t]).fetchall():
            keys |= {v for (v,) in con.execute(f"select distinct {ident(c)} from {qualified('main', t)} where {ident(c)} is not null").fetchall()}
    con.close()
    assert keys and all(len(v) == 16 and all(ch in "0123456789abcdef" for ch in v) for v in keys)
    assert not keys & unkeyed

    # dbt's artifacts and logs of this build are under this warehouse, and the secret never reaches them
    [build_dir] = [p for p in settings.dbt_target_dir.glob(f"{dbt_defs.DBT_ASSETS_NAME}-{result.run_id[:7]}-*")]
    assert (build_dir / "run_results.json").exists() and (build_dir / "dbt.log").exists()
    for folder in (settings.dbt_dir, DBT_PROJECT_DIR / "target", DBT_PROJECT_DIR / "logs"):
        if folder.exists():
            for p in folder.rglob("*"):
                if p.is_file() and p.stat().st_size < 50_000_000:
                    assert SECRET.encode() not in p.read_bytes(), p
    # the build as of A is recorded with the deliveries it was made from
    assert builds.is_published_build(settings, scenario.AS_OF)


def test_pseudonymize_fails_loudly_without_secret(tmp_path):
    from tests.dbt.conftest import run_dbt

    db = tmp_path / "r.duckdb"
    duckdb.connect(str(db)).close()
    sql = "select {{ pseudonymize(\"'x'\") }} as k"
    ok = run_dbt(["show", "--inline", sql, "--output", "json"], db, tmp_path, secret=SECRET)
    assert hashlib.sha256(f"{SECRET}|x".encode()).hexdigest()[:16] in ok.stdout
    bad = run_dbt(["show", "--inline", sql], db, tmp_path, secret=None, check=False)
    assert bad.returncode != 0 and "no secret" in (bad.stdout + bad.stderr)
    shutil.rmtree(tmp_path / "target", ignore_errors=True)


def test_default_as_of_comes_from_the_data(modelled, tmp_path):
    settings = get_settings(tmp_path / "wh")
    settings.restricted_dir.mkdir(parents=True)
    shutil.copy(modelled, settings.restricted_db)
    # the latest accepted delivery is provider-p1 2026-06-30 (the rejected 2026-05-10 one is ignored);
    # A is the last quarter end whose A + 45 days it covers: 2026-03-31 (+45 = 2026-05-15 <= 2026-06-30),
    # not 2026-06-30 (+45 = 2026-08-14, not yet covered)
    assert builds.default_as_of(settings) == date(2026, 3, 31)
    assert dbt_defs.resolve_as_of(None, None, settings) == date(2026, 3, 31)


def test_dbt_env_is_set_for_dbt_and_restored(tmp_path, monkeypatch):
    import os

    monkeypatch.setenv("HTIC_PSEUDONYM_SECRET", SECRET)
    monkeypatch.delenv("DBT_ENV_SECRET_HTIC_PSEUDONYM", raising=False)
    settings = get_settings(tmp_path / "wh")
    with dbt_defs.dbt_env(settings):
        assert os.environ["HTIC_RESTRICTED_DB"] == str(settings.restricted_db)
        assert os.environ["DBT_ENV_SECRET_HTIC_PSEUDONYM"] == SECRET
        assert os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] == "false"
    assert "DBT_ENV_SECRET_HTIC_PSEUDONYM" not in os.environ
