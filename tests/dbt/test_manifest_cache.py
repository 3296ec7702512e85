"""pipelines/defs/dbt.py's manifest cache: a fresh warehouse's manifest copied from an earlier parse
of the same project must be the manifest a parse of its own would give, and a change to any project
file must lead to a parse, never to the copy of an older manifest."""

from __future__ import annotations

import json
import shutil

from pipelines.defs import dbt as dbt_defs
from pipelines.settings import DBT_PROJECT_DIR, get_settings


def _content(manifest_path) -> dict:
    """The manifest but for when it was made (metadata, and each node's created_at)."""
    m = json.loads(manifest_path.read_text())
    m.pop("metadata")

    def strip(x):
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k != "created_at"}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    return strip(m)


def test_a_fresh_warehouse_gets_from_the_cache_the_manifest_its_own_parse_gives(tmp_path, monkeypatch):
    monkeypatch.setattr(dbt_defs, "MANIFEST_CACHE", tmp_path / "cache")
    first = get_settings(warehouse=tmp_path / "wh1")
    parsed = dbt_defs.dbt_project.__wrapped__(first)  # an empty cache: dbt parses, the cache keeps it
    assert list((tmp_path / "cache").glob("*.json")) == [tmp_path / "cache" / f"{dbt_defs.manifest_key(DBT_PROJECT_DIR, first)}.json"]

    cached = tmp_path / "cache" / f"{dbt_defs.manifest_key(DBT_PROJECT_DIR, first)}.json"

    second = get_settings(warehouse=tmp_path / "wh2")
    copied = dbt_defs.dbt_project.__wrapped__(second)
    assert copied.manifest_path != parsed.manifest_path
    # the cache's bytes: a parse would have stamped its own times
    assert copied.manifest_path.read_bytes() == cached.read_bytes()
    assert not dbt_defs.manifest_is_stale(copied)

    # the second warehouse's own parse (no cache) gives the same manifest
    monkeypatch.setattr(dbt_defs, "MANIFEST_CACHE", tmp_path / "no-cache")
    copied.manifest_path.unlink()
    own = dbt_defs.dbt_project.__wrapped__(second)
    assert own.manifest_path.read_bytes() != cached.read_bytes()
    assert _content(own.manifest_path) == _content(cached)


def test_any_change_to_a_project_file_changes_the_key(tmp_path):
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    s = get_settings(warehouse=tmp_path / "wh")
    key = dbt_defs.manifest_key(project, s)
    assert dbt_defs.manifest_key(project, s) == key  # the same files, the same key
    model = sorted(project.glob("models/**/*.sql"))[0]
    model.write_text(model.read_text() + "\n-- one more line\n")
    changed = dbt_defs.manifest_key(project, s)
    assert changed != key
    (project / "models" / "new_model.sql").write_text("select 1 as x\n")
    assert dbt_defs.manifest_key(project, s) not in {key, changed}
    assert dbt_defs.manifest_key(project, get_settings(warehouse=tmp_path / "elsewhere")) == dbt_defs.manifest_key(project, s)
