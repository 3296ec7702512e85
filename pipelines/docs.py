"""`htic docs`: dbt's documentation site for evaluators, built from the analytics warehouse alone.

What an evaluator may see is what `pipelines/publish.py` copied to analytics.duckdb: the marts,
`metrics`, `linkage_quality`, the effects tables and the delivery ledger. The site shows exactly
those relations, named as an evaluator's session names them (`analytics.main.<table>`, or just
`<table>`), with dbt's descriptions of every table and column:

1. the descriptions come from the dbt project's manifest (`dbt parse`, no database needed): the
   models of schema `analytics` and the sources that describe the tables written outside dbt (the
   effects tables, `marts/evaluation/_evaluation__sources.yml`; the ledger, `raw.deliveries` and
   `raw.delivery_files`). Only those nodes (and their data tests) are kept, each re-pointed at its
   published table; everything else of the project (staging and intermediate models, macros, unit
   tests with their fixture rows) stays out;
2. the catalog (column names, types, order) is read from analytics.duckdb's information_schema,
   opened read-only. No row is read: the site holds no data values and no table statistics;
3. both are inlined into dbt's own single-page docs app (what `dbt docs generate --static` does)
   and written to `<warehouse>/docs/index.html`, readable by the owner's group like
   analytics.duckdb, replaced atomically.

The restricted store is never opened, so the site can be built wherever analytics.duckdb is. The
publish asset (pipelines/defs/dbt.py) rebuilds it after every publish.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pipelines.publish import LEDGER_TABLES
from pipelines.settings import Settings, share_with_group

PUBLISHED_SCHEMA = "analytics"  # the restricted store's schema that publish copies
EVALUATION_SOURCE = "evaluation"  # dbt source naming the effects tables (written by pipelines/evaluation)
LEDGER_SOURCE = "raw"  # dbt source naming the delivery ledger
SITE_DATABASE, SITE_SCHEMA = "analytics", "main"  # how an evaluator's session names the tables
_INLINE_MANIFEST = '"MANIFEST.JSON INLINE DATA"'  # placeholders of dbt's index.html (dbt docs generate --static)
_INLINE_CATALOG = '"CATALOG.JSON INLINE DATA"'


@dataclass(frozen=True)
class DocsSite:
    path: Path
    tables: int
    columns: int
    undocumented: list[str]  # "table.column" published without a description


def docs_dir(settings: Settings) -> Path:
    return settings.warehouse / "docs"


def published_columns(analytics_db: Path) -> dict[str, list[tuple[str, str]]]:
    """`{table: [(column, type), ...]}` of analytics.duckdb, in column order (information_schema only)."""
    from pipelines.duck import connect

    con = connect(analytics_db, read_only=True)
    try:
        rows = con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position").fetchall()
    finally:
        con.close()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        tables.setdefault(table, []).append((column, data_type))
    return tables


def published_nodes(manifest: dict) -> dict[str, str]:
    """`{published table name: manifest unique_id}`: models of schema `analytics`, the evaluation
    source's tables, and the ledger's sources."""
    nodes = {}
    for uid, node in manifest["nodes"].items():
        if node["resource_type"] == "model" and node["schema"] == PUBLISHED_SCHEMA:
            nodes[node["name"]] = uid
    for uid, source in manifest["sources"].items():
        if source["source_name"] == EVALUATION_SOURCE or (
                source["source_name"] == LEDGER_SOURCE and source["name"] in LEDGER_TABLES):
            nodes[source["name"]] = uid
    return nodes


def undocumented_columns(manifest: dict, tables: dict[str, list[tuple[str, str]]]) -> list[str]:
    """`["table.column", ...]` of the published columns that the manifest does not describe (a
    table that no model or source describes counts with all its columns)."""
    nodes = published_nodes(manifest)
    missing = []
    for table, columns in sorted(tables.items()):
        uid = nodes.get(table)
        node = (manifest["nodes"].get(uid) or manifest["sources"].get(uid)) if uid else None
        described = {c.lower() for c, spec in (node or {}).get("columns", {}).items() if spec.get("description", "").strip()}
        missing += [f"{table}.{column}" for column, _ in columns if column.lower() not in described]
    return missing


def site_manifest(manifest: dict, tables: dict[str, list[tuple[str, str]]]) -> dict:
    """The manifest cut down to the published relations, each re-pointed at its table in
    analytics.duckdb; dependencies kept only between published relations."""
    keep = {uid: table for table, uid in published_nodes(manifest).items() if table in tables}
    out = {k: v for k, v in manifest.items()
           if k not in {"nodes", "sources", "macros", "unit_tests", "parent_map", "child_map", "group_map", "disabled"}}
    out.update(nodes={}, sources={}, macros={}, unit_tests={}, disabled={}, group_map={})
    for uid, table in keep.items():
        kind = "sources" if uid in manifest["sources"] else "nodes"
        node = dict(manifest[kind][uid])
        node.update(database=SITE_DATABASE, schema=SITE_SCHEMA, relation_name=f"{SITE_DATABASE}.{SITE_SCHEMA}.{table}")
        if "depends_on" in node:
            node["depends_on"] = {**node["depends_on"], "macros": [],
                                  "nodes": [d for d in node["depends_on"].get("nodes", []) if d in keep]}
        out[kind][uid] = node
    for uid, node in manifest["nodes"].items():  # the data tests of the kept relations (no data in them)
        if node["resource_type"] == "test" and node.get("attached_node") in keep:
            out["nodes"][uid] = {**node, "depends_on": {"macros": [], "nodes": [
                d for d in node["depends_on"].get("nodes", []) if d in keep]}}
    kept = set(out["nodes"]) | set(out["sources"])
    for graph in ("parent_map", "child_map"):
        out[graph] = {uid: [n for n in manifest.get(graph, {}).get(uid, []) if n in kept] for uid in kept}
    return out


def site_catalog(manifest: dict, tables: dict[str, list[tuple[str, str]]]) -> dict:
    """dbt's catalog.json for the published tables: names, types and order of columns, no stats."""
    entries: dict[str, dict] = {"nodes": {}, "sources": {}}
    for table, uid in published_nodes(manifest).items():
        if table not in tables:
            continue
        kind = "sources" if uid in manifest["sources"] else "nodes"
        entries[kind][uid] = {
            "metadata": {"type": "BASE TABLE", "schema": SITE_SCHEMA, "name": table, "database": SITE_DATABASE,
                         "comment": None, "owner": None},
            "columns": {column: {"type": data_type, "index": i, "name": column, "comment": None}
                        for i, (column, data_type) in enumerate(tables[table], start=1)},
            "stats": {"has_stats": {"id": "has_stats", "label": "Has Stats?", "value": False, "include": False,
                                    "description": "Indicates whether there are statistics for this table"}},
            "unique_id": uid,
        }
    return {
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/catalog/v1.json",
                     "dbt_version": manifest["metadata"].get("dbt_version"),
                     "generated_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                     "invocation_id": None, "env": {}},
        **entries,
        "errors": None,
    }


def render_site(manifest: dict, catalog: dict) -> str:
    """dbt's docs app with the manifest and catalog inlined (as `dbt docs generate --static`)."""
    from dbt.task.docs import DOCS_INDEX_FILE_PATH

    page = Path(DOCS_INDEX_FILE_PATH).read_text(encoding="utf-8")
    if _INLINE_MANIFEST not in page or _INLINE_CATALOG not in page:
        raise RuntimeError(f"dbt's docs page has no inline-data placeholders: {DOCS_INDEX_FILE_PATH}")
    # json.dumps escapes no "</script>"; written as "<\/" the JSON stays the same and the page intact
    inline = lambda doc: json.dumps(doc).replace("</", "<\\/")  # noqa: E731
    return page.replace(_INLINE_MANIFEST, inline(manifest)).replace(_INLINE_CATALOG, inline(catalog))


def build_docs(settings: Settings, manifest_path: Path) -> DocsSite:
    """Write `<warehouse>/docs/index.html` for analytics.duckdb from the project's manifest."""
    analytics = Path(settings.analytics_db)
    if not analytics.exists():
        raise FileNotFoundError(f"analytics warehouse not found: {analytics} (run `htic run` first)")
    manifest = json.loads(Path(manifest_path).read_text())
    tables = published_columns(analytics)
    page = render_site(site_manifest(manifest, tables), site_catalog(manifest, tables))

    out = docs_dir(settings)
    out.mkdir(exist_ok=True)
    share_with_group(out)
    target = out / "index.html"
    tmp = out / f"index.html.tmp-{os.getpid()}"
    tmp.write_text(page, encoding="utf-8")
    share_with_group(tmp)
    os.replace(tmp, target)
    return DocsSite(path=target, tables=len(tables), columns=sum(map(len, tables.values())),
                    undocumented=undocumented_columns(manifest, tables))


# --- `htic docs` ---------------------------------------------------------------------------------
