"""Monthly runs that redo only what changed: the fingerprint of a build of the models as of A, and
whether the warehouse already holds that build.

A build as of A (dbt's models, the evaluation, the published analytics warehouse) depends on
nothing but:
* A itself;
* the accepted delivery versions with as-of <= A + 45 (docs/metrics.md, "Terms"): their keys
  (source, as-of, version) and control-file hashes — a delivery dated after A + 45 cannot change
  any figure as of A, a late or corrected one dated on or before it can;
* the code: every file of the dbt project and of `pipelines/` (any change rebuilds);
* the pseudonymisation secret, as a keyed hash of a fixed text (never the secret itself).

`model_inputs(settings, A)` hashes these; `htic run` (pipelines/run.py) records it with
`record(settings, A, run)` once a whole build (dbt, evaluation, publish) has succeeded, and asks
`unchanged_since(settings, instance, A)` after ingesting: when the record matches today's inputs,
the restricted store's schema `analytics` still holds that build (pipelines.builds' note of the
last dbt build) and analytics.duckdb was last published from it, the run skips dbt and the
evaluation and only republishes analytics.duckdb, whose ledger copy then lists the deliveries
received since. Only keys, dates and hashes are read: no identifier leaves the ledger here.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from datetime import date, datetime, timezone
from pathlib import Path

from pipelines import dates
from pipelines.settings import DBT_PROJECT_DIR, REPO_ROOT, Settings, pseudonym_secret

_SKIPPED_DIRS = {"target", "logs", "dbt_packages", "__pycache__"}


@functools.cache
def code_version() -> str:
    """A hash of every file of the dbt project and every Python file of the pipeline."""
    h = hashlib.sha256()
    files = [p for p in DBT_PROJECT_DIR.rglob("*") if p.is_file()]
    files += list((REPO_ROOT / "pipelines").rglob("*.py"))
    for path in sorted(files):
        rel = path.relative_to(REPO_ROOT)
        if _SKIPPED_DIRS & set(rel.parts):
            continue
        h.update(str(rel).encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def secret_id() -> str:
    """Which pseudonymisation secret: a keyed hash of a fixed text, from which the secret cannot be had."""
    return hmac.new(pseudonym_secret().encode(), b"htic-eval build fingerprint", hashlib.sha256).hexdigest()


def in_scope_deliveries(settings: Settings, as_of: date) -> list[tuple[str, str]]:
    """(delivery key, control-file sha256) of the accepted versions with as-of <= A + 45."""
    from pipelines.duck import connect

    con = connect(settings.restricted_db, settings, read_only=True)
    try:
        return con.execute("SELECT delivery_key, control_sha256 FROM raw.deliveries "
                           "WHERE status = 'accepted' AND as_of <= ? ORDER BY 1", [dates.cutoff(as_of)]).fetchall()
    finally:
        con.close()


def model_inputs(settings: Settings, as_of: date) -> str:
    """The fingerprint of a build as of A (see the module's docstring)."""
    what = {"as_of": as_of.isoformat(), "deliveries": in_scope_deliveries(settings, as_of),
            "code": code_version(), "secret": secret_id()}
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


def _record_path(settings: Settings) -> Path:
    return settings.dbt_dir / "models_fingerprint.json"


def record(settings: Settings, as_of: date, run_id: str) -> None:
    """After a successful build as of A (dbt, evaluation and publish) by run `run_id`."""
    at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    path = _record_path(settings)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"as_of": as_of.isoformat(), "fingerprint": model_inputs(settings, as_of),
                               "run": f"run {run_id[:8]} ({at})"}))
    tmp.replace(path)


def unchanged_since(settings: Settings, instance, as_of: date) -> str | None:
    """The run that built what the warehouse holds, when that is a build as of A from today's
    inputs (recorded by `record`), the restricted store's schema `analytics` still holds it (the last
    dbt build noted by pipelines.builds) and analytics.duckdb was last published from it; else None."""
    from pipelines import builds
    from pipelines.defs.dbt import PUBLISH_ASSET_KEY

    recorded, last_build = _record_path(settings), settings.dbt_dir / "last_build.json"
    if not (recorded.exists() and last_build.exists()):
        return None
    mine, noted = json.loads(recorded.read_text()), json.loads(last_build.read_text())
    if mine["as_of"] != as_of.isoformat() or noted["as_of"] != as_of.isoformat():
        return None
    event = instance.get_latest_materialization_event(PUBLISH_ASSET_KEY)
    published = event.asset_materialization.metadata.get("as_of") if event else None
    if published is None or published.value != as_of.isoformat():
        return None
    if mine["fingerprint"] != model_inputs(settings, as_of):
        return None
    if noted["fingerprint"] != builds.inputs_fingerprint(settings, as_of) or not builds.is_published_build(settings, as_of):
        return None
    return mine["run"]
