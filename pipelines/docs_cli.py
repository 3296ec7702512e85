"""`htic docs`: the command face of pipelines/docs.py — builds the evaluators' dbt docs site from
analytics.duckdb alone (the dbt project's manifest for the descriptions, parsed when stale)."""

from __future__ import annotations

from pipelines.docs import build_docs


def add_arguments(parser) -> None:
    parser.add_argument("--warehouse", help="warehouse folder (default: $HTIC_WAREHOUSE or <repo>/warehouse)")


def run(args) -> int:
    import sys

    from pipelines.defs.dbt import dbt_project
    from pipelines.settings import get_settings

    settings = get_settings(args.warehouse)
    if not settings.analytics_db.exists():
        print(f"htic docs: no analytics warehouse at {settings.analytics_db} (run `htic run` first)", file=sys.stderr)
        return 2
    site = build_docs(settings, dbt_project(settings).manifest_path)
    print(f"dbt docs of {site.tables} tables, {site.columns} columns: {site.path}")
    if site.undocumented:
        print(f"  {len(site.undocumented)} columns without a description: {', '.join(site.undocumented)}")
    return 0
