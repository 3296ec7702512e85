"""`htic docs`: the evaluators' dbt docs site, built from analytics.duckdb alone.

- built with the restricted store gone (and dbt's manifest re-parsed without it);
- every column of every published relation described, the tables named as an evaluator's session
  names them;
- no identifier in the site: the planted name and nysid, and every nysid, docket id and date of
  birth of the world, are absent; the catalog carries no statistics.
"""

from __future__ import annotations

import json
import re
import shutil

import duckdb
import pytest

from tests.docs.conftest import htic, inlined_documents


def _published(world) -> dict[str, list[str]]:
    con = duckdb.connect(str(world.analytics_db), read_only=True)
    try:
        rows = con.execute("select table_name, column_name from information_schema.columns "
                           "where table_schema = 'main' order by table_name, ordinal_position").fetchall()
    finally:
        con.close()
    tables: dict[str, list[str]] = {}
    for t, c in rows:
        tables.setdefault(t, []).append(c)
    return tables


@pytest.fixture(scope="module")
def rebuilt_without_restricted(world):
    """`htic docs` run again with the restricted folder moved away and the manifest deleted."""
    restricted = world.restricted_db.parent
    hidden = world.root / "restricted-away"
    shutil.move(restricted, hidden)
    world.manifest.unlink()
    world.site.unlink()
    try:
        proc = htic("docs", "--warehouse", str(world.warehouse), env=world.env, check=False)
        recreated = restricted.exists()
    finally:
        if restricted.exists():
            shutil.rmtree(restricted)
        shutil.move(hidden, restricted)
    return proc, recreated


def test_site_is_built_without_the_restricted_store(world, rebuilt_without_restricted):
    proc, recreated = rebuilt_without_restricted
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not recreated  # nothing opened (or created) a restricted store
    assert world.site.exists() and world.manifest.exists()
    assert str(world.site) in proc.stdout


def test_every_published_column_is_described(world, rebuilt_without_restricted):
    published = _published(world)
    manifest = json.loads(world.manifest.read_text())
    described: dict[str, dict[str, str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node["schema"] == "analytics":
            described[node["name"]] = {c.lower(): v["description"] for c, v in node["columns"].items()}
    for source in manifest["sources"].values():
        if (source["source_name"], source["name"]) in {("raw", "deliveries"), ("raw", "delivery_files")} \
                or source["source_name"] == "evaluation":
            described[source["name"]] = {c.lower(): v["description"] for c, v in source["columns"].items()}
    assert {"metrics", "linkage_quality", "fct_g4_rearrests", "effects", "deliveries"} <= set(published)
    missing = [f"{t}.{c}" for t, cols in published.items() for c in cols
               if not described.get(t, {}).get(c.lower(), "").strip()]
    assert missing == []


def test_site_shows_the_published_tables_as_evaluators_name_them(world, rebuilt_without_restricted):
    published = _published(world)
    manifest, catalog = inlined_documents(world.site.read_text(encoding="utf-8"))
    relations = {n["name"]: n for kind in ("nodes", "sources") for n in manifest[kind].values()
                 if n["resource_type"] in ("model", "source")}
    assert set(relations) == set(published)
    for name, node in relations.items():
        assert (node["database"], node["schema"], node["relation_name"]) == ("analytics", "main", f"analytics.main.{name}")
        assert all(col["description"].strip() for col in node["columns"].values()), name
    entries = {e["metadata"]["name"]: e for kind in ("nodes", "sources") for e in catalog[kind].values()}
    assert {t: list(e["columns"]) for t, e in entries.items()} == published
    assert all(not s["include"] for e in entries.values() for s in e["stats"].values())  # no table statistics
    assert "restricted" not in json.dumps([n["relation_name"] for n in relations.values()])


def test_no_identifier_in_the_site(world, rebuilt_without_restricted):
    page = world.site.read_text(encoding="utf-8")
    con = duckdb.connect(str(world.restricted_db), read_only=True)
    try:
        # the planted values did reach the restricted store ...
        assert con.execute("select count(*) from raw.provider__clients where first_name = ? and last_name = ?",
                           world.planted[:2]).fetchone()[0] > 0
        assert con.execute("select count(*) from raw.court__defendants where nysid = ?",
                           [world.planted[2]]).fetchone()[0] > 0
        nysids = {r[0].upper() for r in con.execute("select distinct nysid from raw.court__defendants "
                                                     "where nysid is not null").fetchall()}
        dockets = {r[0].upper() for r in con.execute("select distinct docket_id from raw.court__cases").fetchall()}
        dobs = {r[0] for r in con.execute("select distinct strftime(dob, '%Y-%m-%d') from raw.court__defendants "
                                          "where dob is not null union select distinct strftime(dob, '%Y-%m-%d') "
                                          "from raw.provider__clients where dob is not null").fetchall()}
    finally:
        con.close()
    lowered = page.lower()
    # ... and not the site
    assert [v for v in world.planted if v.lower() in lowered] == []
    assert not set(re.findall(r"\b\d{8}[A-Z]\b", page.upper())) & nysids
    assert not set(re.findall(r"CR-\d{6}-\d{2}[A-Z]{2}", page.upper())) & dockets
    assert not set(re.findall(r"\b\d{4}-\d{2}-\d{2}\b", page)) & dobs


def test_the_evaluation_source_names_the_tables_the_evaluation_writes(world):
    from pipelines.evaluation.store import TABLES

    manifest = json.loads(world.manifest.read_text())
    declared = {s["name"]: set(s["columns"]) for s in manifest["sources"].values() if s["source_name"] == "evaluation"}
    written = _published(world)
    assert set(declared) == set(TABLES)
    assert all(declared[t] == set(written[t]) for t in TABLES)
