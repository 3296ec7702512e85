"""Dagster definitions for the dbt area: the dbt project as assets, and the publish step.

* The dbt project is loaded once per warehouse, by the cached `dbt_project(target_dir)`; `dbt
  parse` runs only when the manifest is missing or older than a file of the project (`dagster dev`
  re-parses anyway through `prepare_if_dev()`), never on a plain import with a fresh manifest. The
  manifest, and every build's artifacts and logs, live under `<warehouse>/dbt/target`, so two
  warehouses built from one checkout never share them; a fresh warehouse's manifest is copied from
  `dbt_project/target/manifest-cache/<key>.json` when the checkout parsed the same project files
  with the same dbt before (`manifest_key`), which saves the ~12 s of a parse.
* `HticDbtTranslator` maps dbt sources to the ingestion area's asset keys `["raw", "<table>"]` and
  models to `["<model_name>"]`, grouped by layer, so the lineage graph is one connected picture;
  dbt tests become asset checks.
* The dbt asset builds as of A: the run config's `as_of`, else the quarter end of the run's
  snapshot partition, else the default from the ledger (pipelines.builds.default_as_of); A and the
  grace become dbt `--vars` here (pipelines.dates.dbt_vars). dbt runs as a subprocess (the `dbt` of
  this venv) inside the restricted DuckDB file. DuckDB has a single writer per file: these assets
  run after ingestion (their dependency) and one run at a time (the instance's run queue allows one
  concurrent run, settings.py).
* `analytics_warehouse` (publish) depends on every mart and copies schema `analytics` to
  analytics.duckdb (pipelines/publish.py), then records which build it holds (pipelines.builds).

Nothing here logs or records identifiers: asset metadata holds counts and names of tables only.
"""



import contextlib
import functools
import json
import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from pipelines import builds, dates
from pipelines.defs.resources import HticSettings
from pipelines.evaluation.assets import EFFECTS_ASSET_KEY
from pipelines.ingestion.warehouse import exclusive_lock
from pipelines.settings import DBT_PROJECT_DIR, Settings, pseudonym_secret

DBT_ASSETS_NAME = "htic_dbt_models"
PUBLISH_ASSET_KEY = dg.AssetKey(["analytics_warehouse"])
PARTITION_TAG = "dagster/partition"  # the run's partition key (a quarter, in a funder_snapshot run)
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


def _project_files(project_dir: Path) -> list[Path]:
    """The files a parse reads (the project's own; not target/, logs/ or packages), sorted."""
    found = []
    for dirpath, dirnames, filenames in os.walk(project_dir):
        if Path(dirpath) == project_dir:
            dirnames[:] = [d for d in dirnames if d not in {"target", "logs", "dbt_packages"}]
        found += [Path(dirpath) / name for name in filenames if Path(name).suffix in _PROJECT_SUFFIXES]
    return sorted(found)


def _newest_project_file(project_dir: Path) -> float:
    return max((p.stat().st_mtime for p in _project_files(project_dir)), default=0.0)


def manifest_is_stale(project: DbtProject) -> bool:
    m = project.manifest_path
    return not m.exists() or m.stat().st_mtime < _newest_project_file(project.project_dir)


MANIFEST_CACHE = DBT_PROJECT_DIR / "target" / "manifest-cache"


def manifest_key(project_dir: Path, settings: Settings) -> str:
    """What a parse's manifest depends on: every project file (name and bytes), dbt's and the
    adapter's versions, and the restricted store's file name (DuckDB names the database after it).
    Two warehouses with the same key get the same manifest (but for the nodes' created_at)."""
    import hashlib
    from importlib.metadata import version

    h = hashlib.sha256(f"dbt-core {version('dbt-core')} dbt-duckdb {version('dbt-duckdb')} "
                       f"{Path(settings.restricted_db).name}\n".encode())
    for p in _project_files(project_dir):
        h.update(f"{p.relative_to(project_dir).as_posix()}\n{p.stat().st_size}\n".encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:40]


def _manifest_from_cache(project: DbtProject, key: str) -> bool:
    """A fresh warehouse's manifest copied from the parse of another warehouse of this checkout
    with the same key (dbt parse costs ~12 s per process); False when there is none."""
    cached = MANIFEST_CACHE / f"{key}.json"
    if not cached.is_file():
        return False
    project.manifest_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = project.manifest_path.with_name(f".manifest-{uuid.uuid4().hex}.json")
    shutil.copyfile(cached, tmp)
    os.replace(tmp, project.manifest_path)  # its mtime is now: fresh against the project files
    return True


def _manifest_to_cache(project: DbtProject, key: str) -> None:
    """Keep a parsed manifest for the next fresh warehouse (content-addressed, written atomically;
    a checkout that cannot be written to just parses every time)."""
    try:
        MANIFEST_CACHE.mkdir(parents=True, exist_ok=True)
        tmp = MANIFEST_CACHE / f".{key}-{uuid.uuid4().hex}.json"
        shutil.copyfile(project.manifest_path, tmp)
        os.replace(tmp, MANIFEST_CACHE / f"{key}.json")
    except OSError:
        pass


@functools.cache
def dbt_project(settings: Settings) -> DbtProject:
    """The dbt project, its manifest in <warehouse>/dbt/target, parsed only when stale (once per
    process), or copied from the manifest cache when this checkout parsed the same project before."""
    _ensure_dbt_on_path()
    project = DbtProject(project_dir=DBT_PROJECT_DIR, target_path=settings.dbt_target_dir)
    project.prepare_if_dev()  # `dagster dev`: always re-parse
    if manifest_is_stale(project):
        key = manifest_key(project.project_dir, settings)
        if not _manifest_from_cache(project, key):
            with dbt_env(settings, secret=False):
                project.preparer.prepare(project)
            _manifest_to_cache(project, key)
    return project


# --- environment and arguments of the dbt subprocess --------------------------------------------


def dbt_env_vars(settings: Settings, secret: bool = True) -> dict[str, str]:
    """What profiles.yml reads: the restricted store, the plugin folder, DuckDB's memory limit and
    spill folder (pipelines.duck), and (for builds) the secret."""
    env = {
        "HTIC_RESTRICTED_DB": str(settings.restricted_db),
        "HTIC_DUCKDB_MEMORY": settings.duckdb_memory_limit,
        "HTIC_DUCKDB_TEMP_DIR": str(settings.duckdb_temp_dir),
        "HTIC_DBT_PLUGIN_DIR": str(DBT_PROJECT_DIR / "plugins"),
        "HTIC_LINKAGE_TRUTH": str(settings.linkage_truth or ""),  # linkage_quality's precision/recall
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
    return ["build", "--vars", dates.dbt_vars(as_of)]


def resolve_as_of(configured: str | None, run_partition: str | None, settings: Settings) -> date:
    """A of a build: the run config's as_of, else the end of the run's quarter partition (a
    funder_snapshot run), else the default from the ledger (the last quarter the deliveries cover)."""
    if configured:
        return dates.as_of_date(configured)
    if run_partition:
        return dates.quarter_end(run_partition)
    try:
        return builds.default_as_of(settings)
    except builds.NoDeliveries as exc:
        raise dg.Failure(str(exc)) from exc


def build_target_dir(settings: Settings, run_id: str) -> Path:
    """Artifacts and logs of one dbt build, under the warehouse (pruned by prune_build_targets)."""
    return settings.dbt_target_dir / f"{DBT_ASSETS_NAME}-{run_id[:7]}-{uuid.uuid4().hex[:7]}"


def prune_build_targets(settings: Settings, keep: int = 5, min_age_s: float = 3600.0) -> None:
    """Remove all but the newest few build folders, and only those untouched for an hour (another
    process on the same warehouse may be using a recent one), so target/ does not grow without bound."""
    root = settings.dbt_target_dir
    runs = sorted((p for p in root.glob(f"{DBT_ASSETS_NAME}-*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    now = time.time()
    for old in runs[:-keep] if keep else runs:
        if now - old.stat().st_mtime >= min_age_s:
            shutil.rmtree(old, ignore_errors=True)


# --- the dbt console: into a file under the warehouse, one progress line on the terminal -----------


def progress(line: str) -> None:
    """One line for the person at the terminal (stderr: stdout may carry `--json` output)."""
    print(line, file=sys.stderr, flush=True)


def latest_console_log(settings: Settings) -> Path | None:
    """dbt's console log of the newest build of this warehouse (None before the first)."""
    logs = sorted(settings.dbt_target_dir.glob(f"{DBT_ASSETS_NAME}-*/console.log"), key=lambda p: p.stat().st_mtime)
    return logs[-1] if logs else None


def console_to_file(events: Iterator, log: Path) -> Iterator:
    """Pass dbt's events on while what dagster-dbt echoes of dbt's console (on stdout) goes to `log`;
    a failed build raises dg.Failure naming the log (dbt's messages carry no identifiers, but they
    are many lines: the terminal gets the path)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a", encoding="utf-8") as fh:
        stream = iter(events)
        while True:
            with contextlib.redirect_stdout(fh):
                try:
                    event = next(stream)
                except StopIteration:
                    break
                except Exception as exc:  # noqa: BLE001 - dbt failed: the message points at the log
                    raise dg.Failure(f"dbt build failed ({type(exc).__name__}); details in {log}") from exc
            yield event


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

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project) -> dg.AssetCheckSpec | None:
        """A dbt test as an asset check, described by the test's own `description:` (dbt 1.9+;
        dagster-dbt reads only `meta.description`), else by what the generic test asserts."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        return spec._replace(description=check_description(manifest["nodes"].get(unique_id, {})))


def check_description(test: Mapping[str, Any]) -> str:
    """A dbt test's description: its own, else one sentence from the generic test's arguments."""
    if test.get("description"):
        return test["description"]
    meta = test.get("test_metadata") or {}
    kwargs = meta.get("kwargs") or {}
    column = kwargs.get("column_name")
    values = ", ".join(str(v) for v in kwargs.get("values") or [])
    said = {
        "not_null": f"`{column}` is never null.",
        "unique": f"`{column}` is unique: one row per value.",
        "unique_key": f"One row per ({', '.join(kwargs.get('columns') or [])}).",
        "in_set": f"`{column}` takes only the values: {values}.",
        "accepted_values": f"`{column}` takes only the values: {values}.",
        "relationships": f"Every `{column}` is found in {kwargs.get('to')} (`{kwargs.get('field')}`).",
    }.get(meta.get("name"))
    return said or f"dbt test `{test.get('name', '')}` (tests/ of the dbt project): returns no rows when it holds."


TRANSLATOR = HticDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


class DbtBuildConfig(dg.Config):
    """Run configuration of the dbt build."""

    # the as-of date A, YYYY-MM-DD; default: the end of the run's quarter partition, else the last
    # quarter end whose A + 45 the deliveries received cover
    as_of: str | None = None
    # one line on stderr as the build starts (with the path of dbt's console log) and as it ends
    progress: bool = True


def mart_asset_keys(project: DbtProject) -> list[dg.AssetKey]:
    manifest = json.loads(project.manifest_path.read_text())
    keys = []
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and len(node.get("fqn", [])) > 1 and node["fqn"][1] == "marts":
            keys.append(TRANSLATOR.get_asset_key(node))
    return sorted(keys, key=lambda k: k.to_user_string())


@functools.cache
def build_assets(project: DbtProject) -> tuple[dg.AssetsDefinition, dg.AssetsDefinition]:
    """The dbt models (+ tests as checks) and the publish asset, from the project's manifest."""

    @dbt_assets(manifest=project.manifest_path, project=project, dagster_dbt_translator=TRANSLATOR, name=DBT_ASSETS_NAME)
    def htic_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig,
                        htic: HticSettings):
        settings = htic.get()
        as_of = resolve_as_of(config.as_of, context.run.tags.get(PARTITION_TAG), settings)
        fingerprint = builds.inputs_fingerprint(settings, as_of)
        builds.forget_build(settings)  # until this build succeeds, schema `analytics` holds no known build
        context.log.info(f"dbt build as of {as_of} (deliveries with as-of <= {dates.cutoff(as_of)}) "
                         "in the restricted store")
        # the store lock: no other writer (an ingestion or build started elsewhere) while dbt has the file
        target = build_target_dir(settings, context.run_id)
        log = target / "console.log"
        say = progress if config.progress else context.log.info
        say(f"dbt build as of {as_of} (its console output: {log}) ...")
        with exclusive_lock(settings.store_lock, context.log.info), dbt_env(settings):
            yield from console_to_file(dbt.cli(dbt_build_args(as_of), context=context, target_path=target).stream(),
                                      log)
        builds.note_build(settings, as_of, fingerprint)
        say(f"dbt build as of {as_of}: done")
        prune_build_targets(settings)

    @dg.asset(
        key=PUBLISH_ASSET_KEY,
        deps=[*mart_asset_keys(project), EFFECTS_ASSET_KEY],
        group_name="analytics",
        kinds={"duckdb"},
        description="analytics.duckdb: every table of schema `analytics` (pseudonymous) + the ledger, atomically "
                    "replaced; then its docs site for evaluators, <warehouse>/docs/index.html (pipelines/docs.py).",
    )
    def analytics_warehouse(context: dg.AssetExecutionContext, htic: HticSettings) -> dg.MaterializeResult:
        from pipelines.docs import build_docs
        from pipelines.publish import describe_published, publish_analytics

        settings = htic.get()
        with exclusive_lock(settings.store_lock, context.log.info):
            path = publish_analytics(settings)
        docs = build_docs(settings, project.manifest_path)  # the evaluators' docs site, from analytics.duckdb alone
        as_of = builds.record_published(settings)
        tables = describe_published(path)
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(path)),
                "as_of": as_of.isoformat() if as_of else "",
                "tables": len(tables),
                "rows_by_table": dg.MetadataValue.json({t.name: t.rows for t in tables}),
                "docs": dg.MetadataValue.path(str(docs.path)),
                "undocumented_columns": len(docs.undocumented),
            }
        )

    return htic_dbt_models, analytics_warehouse


def definitions(settings: Settings) -> dg.Definitions:
    """The dbt area of the code location, its manifest under this warehouse."""
    project = dbt_project(settings)
    if manifest_is_stale(project):  # the project changed on disk since this process parsed it
        dbt_project.cache_clear()
        project = dbt_project(settings)
    models, publish = build_assets(project)
    return dg.Definitions(assets=[models, publish], resources={"dbt": DbtCliResource(project_dir=project)})
