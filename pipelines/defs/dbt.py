"""Dagster definitions for the dbt area: the dbt project as assets, and the publish step.

* The dbt project is loaded once, by the cached `dbt_project()`; `dbt parse` runs only when the
  manifest is missing or older than a file of the project (`dagster dev` re-parses anyway through
  `prepare_if_dev()`), never on a plain import with a fresh manifest.
* `HticDbtTranslator` maps dbt sources to the ingestion area's asset keys `["raw", "<table>"]` and
  models to `["<model_name>"]`, grouped by layer, so the lineage graph is one connected picture;
  dbt tests become asset checks.
* dbt runs as a subprocess (the `dbt` of this venv) inside the restricted DuckDB file, with the
  as-of date A passed as `--vars`. DuckDB has a single writer per file: these assets run in-process
  and one run at a time (the instance's run queue allows one concurrent run, settings.py), after
  ingestion has closed its connection.
* `analytics_warehouse` (publish) depends on every mart and copies schema `analytics` to
  analytics.duckdb (pipelines/publish.py).

Nothing here logs or records identifiers: asset metadata holds counts and names of tables only.
"""


import contextlib
import functools
import json
import os
import shutil
import sys
import time
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from pipelines.settings import DBT_PROJECT_DIR, Settings, get_settings, pseudonym_secret

DBT_ASSETS_NAME = "htic_dbt_models"
PUBLISH_ASSET_KEY = dg.AssetKey(["analytics_warehouse"])
_PROJECT_SUFFIXES = {".sql", ".yml", ".yaml", ".py", ".csv", ".md"}

# layer (second element of a model's fqn) -> Dagster group
_GROUPS = {"staging": "staging", "intermediate": "intermediate", "marts": "marts"}


# --- the project --------------------------------------------------------------------------------


def _ensure_dbt_on_path() -> None:
    """dagster-dbt runs the `dbt` found on PATH (its preparer ignores dbt_executable): use ours."""
    bindir = os.path.dirname(sys.executable)
    path = os.environ.get("PATH", "")
    if bindir not in path.split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + path


def _newest_project_file(project_dir: Path) -> float:
    newest = 0.0
    for dirpath, dirnames, filenames in os.walk(project_dir):
        if Path(dirpath) == project_dir:
            dirnames[:] = [d for d in dirnames if d not in {"target", "logs", "dbt_packages"}]
        for name in filenames:
            if Path(name).suffix in _PROJECT_SUFFIXES:
                newest = max(newest, os.stat(os.path.join(dirpath, name)).st_mtime)
    return newest


def manifest_is_stale(project: DbtProject) -> bool:
    m = project.manifest_path
    return not m.exists() or m.stat().st_mtime < _newest_project_file(project.project_dir)


@functools.cache
def dbt_project() -> DbtProject:
    """The dbt project, prepared once per process (manifest parsed only when needed)."""
    _ensure_dbt_on_path()
    project = DbtProject(project_dir=DBT_PROJECT_DIR)
    project.prepare_if_dev()  # `dagster dev`: always re-parse
    if manifest_is_stale(project):
        with dbt_env(get_settings(), secret=False):
            project.preparer.prepare(project)
    return project


# --- environment of the dbt subprocess ---------------------------------------------------------


def dbt_env_vars(settings: Settings, secret: bool = True) -> dict[str, str]:
    env = {
        "HTIC_RESTRICTED_DB": str(settings.restricted_db),
        "HTIC_DBT_PLUGIN_DIR": str(DBT_PROJECT_DIR / "plugins"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    if secret:
        # DBT_ENV_SECRET_*: dbt scrubs it from its logs; profiles.yml hands it to DuckDB as a
        # session variable (plugins/htic_pseudonym.py), never into SQL text or tables.
        env["DBT_ENV_SECRET_HTIC_PSEUDONYM"] = pseudonym_secret()
    return env


@contextlib.contextmanager
def dbt_env(settings: Settings, secret: bool = True) -> Iterator[None]:
    """Set the dbt subprocess's variables in os.environ (dagster-dbt copies it), then restore."""
    new = dbt_env_vars(settings, secret=secret)
    old = {k: os.environ.get(k) for k in new}
    os.environ.update(new)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def dbt_build_args(as_of: str | date) -> list[str]:
    """The dbt command of one build as of A (pure; unit-tested)."""
    a = as_of.isoformat() if isinstance(as_of, date) else date.fromisoformat(str(as_of)).isoformat()
    return ["build", "--vars", json.dumps({"as_of": a})]


def default_as_of(settings: Settings) -> str:
    """A when none is given: the last quarter end that the deliveries cover through 45 days later
    (one rule for the UI and `htic run`: pipelines.runner.default_as_of)."""
    from pipelines.runner import IngestionFailed
    from pipelines.runner import default_as_of as rule

    if not settings.restricted_db.exists():
        raise dg.Failure("no restricted store yet: ingest deliveries first (or pass as_of)")
    try:
        return rule(settings).isoformat()
    except IngestionFailed as exc:
        raise dg.Failure(str(exc)) from exc


# --- translator ---------------------------------------------------------------------------------


class HticDbtTranslator(DagsterDbtTranslator):
    """Sources -> the ingestion assets' keys ["raw", <table>]; models -> [<model_name>]."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn") or []
        if dbt_resource_props["resource_type"] == "source":
            return "raw"
        layer = fqn[1] if len(fqn) > 2 else None
        if layer == "intermediate" and len(fqn) > 3:
            return f"intermediate_{fqn[2]}"  # intermediate_linkage, intermediate_cases
        return _GROUPS.get(layer or "", "dbt")


TRANSLATOR = HticDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


class DbtBuildConfig(dg.Config):
    """Run configuration of the dbt build."""

    as_of: str | None = None  # the as-of date A, YYYY-MM-DD; default: latest accepted delivery's as-of
    warehouse: str | None = None  # warehouse folder; default: get_settings() ($HTIC_WAREHOUSE or ./warehouse)


class PublishConfig(dg.Config):
    warehouse: str | None = None


def _settings(warehouse: str | None) -> Settings:
    return get_settings(warehouse) if warehouse else get_settings()


def prune_run_targets(project: DbtProject, keep: int = 5, min_age_s: float = 3600.0) -> None:
    """dagster-dbt gives every invocation its own target folder (target/<name>-<run>-<id>);
    remove all but the newest few, and only those untouched for an hour (another process in the
    same checkout may be using a recent one), so target/ does not grow without bound."""
    root = project.project_dir / project.target_path
    runs = sorted((p for p in root.glob(f"{DBT_ASSETS_NAME}-*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    now = time.time()
    for old in runs[:-keep] if keep else runs:
        if now - old.stat().st_mtime >= min_age_s:
            shutil.rmtree(old, ignore_errors=True)


def mart_asset_keys(project: DbtProject) -> list[dg.AssetKey]:
    manifest = json.loads(project.manifest_path.read_text())
    keys = []
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and len(node.get("fqn", [])) > 1 and node["fqn"][1] == "marts":
            keys.append(TRANSLATOR.get_asset_key(node))
    return sorted(keys, key=lambda k: k.to_user_string())


@functools.cache
def build_assets() -> tuple[dg.AssetsDefinition, dg.AssetsDefinition]:
    project = dbt_project()

    @dbt_assets(manifest=project.manifest_path, project=project, dagster_dbt_translator=TRANSLATOR, name=DBT_ASSETS_NAME)
    def htic_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
        settings = _settings(config.warehouse)
        as_of = config.as_of or default_as_of(settings)
        context.log.info(f"dbt build as of {as_of} in the restricted store")
        with dbt_env(settings):
            yield from dbt.cli(dbt_build_args(as_of), context=context).stream()
        prune_run_targets(project)

    @dg.asset(
        key=PUBLISH_ASSET_KEY,
        deps=mart_asset_keys(project),
        group_name="analytics",
        description="analytics.duckdb: every table of schema `analytics` (pseudonymous) + the ledger, atomically replaced.",
    )
    def analytics_warehouse(context: dg.AssetExecutionContext, config: PublishConfig) -> dg.MaterializeResult:
        from pipelines.publish import describe_published, publish_analytics

        path = publish_analytics(_settings(config.warehouse))
        tables = describe_published(path)
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(path)),
                "tables": len(tables),
                "rows_by_table": dg.MetadataValue.json({t.name: t.rows for t in tables}),
            }
        )

    return htic_dbt_models, analytics_warehouse


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project())


def build_models(settings: Settings, as_of: date, instance: dg.DagsterInstance | None = None,
                 log_level: str = "INFO") -> dg.ExecuteInProcessResult:
    """Materialise every dbt asset (models + tests as checks) as of A, then publish, in-process.

    Used by `htic run` / `htic snapshot`. Re-parses the project first if it changed on disk.
    """
    if manifest_is_stale(dbt_project()):
        dbt_project.cache_clear()
        build_assets.cache_clear()
    models, publish = build_assets()
    run_config = dg.RunConfig(
        ops={
            DBT_ASSETS_NAME: DbtBuildConfig(as_of=as_of.isoformat(), warehouse=str(settings.warehouse)),
            PUBLISH_ASSET_KEY.path[-1]: PublishConfig(warehouse=str(settings.warehouse)),
        },
        loggers={"console": {"config": {"log_level": log_level}}},
    )
    return dg.materialize(
        [models, publish],
        instance=instance,
        resources={"dbt": dbt_resource()},
        run_config=run_config,
        tags={"htic/as_of": as_of.isoformat()},
    )


def _definitions() -> dg.Definitions:
    models, publish = build_assets()
    return dg.Definitions(assets=[models, publish], resources={"dbt": dbt_resource()})


defs = _definitions()
