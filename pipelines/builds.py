"""What a build of the analytics warehouse as of A is made from, read from the delivery ledger.

* `received_dates(settings)` — the as-of dates of the deliveries received (accepted or re-sent),
  from the restricted store, or from the ledger copy in analytics.duckdb (no lock on the restricted
  store; what `htic snapshot` reads);
* `default_as_of(settings)` — A when none is given (pipelines.dates.default_as_of over those dates);
* `inputs_fingerprint(settings, A)` — the accepted deliveries with as-of <= A + 45, hashed: a build
  as of A depends on exactly these;
* the record `<warehouse>/analytics_builds.json` (as-of -> fingerprint of what analytics.duckdb was
  published from): the dbt asset notes what it built (`note_build`), the publish asset records it
  once analytics.duckdb holds it (`record_published`), and `htic snapshot` skips the rebuild when
  `is_published_build` says nothing it depends on changed.

Only keys and dates are read: no identifier leaves the ledger through this module.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date
from pathlib import Path

from pipelines import dates
from pipelines.settings import Settings
from pipelines.sql import qualified

RECEIVED = ("accepted", "duplicate")


class NoDeliveries(RuntimeError):
    """Nothing has been received yet, so there is no default as-of date."""


def _ledger(db: Path, table: str, statuses: tuple[str, ...]) -> list[tuple[str, date]]:
    from pipelines.duck import connect

    con = connect(db, read_only=True)
    try:
        marks = ",".join("?" * len(statuses))
        return con.execute(f"SELECT delivery_key, as_of FROM {qualified(*table.split('.'))} "
                           f"WHERE status IN ({marks}) ORDER BY 1",
                           list(statuses)).fetchall()
    finally:
        con.close()


def received_dates(settings: Settings, *, published: bool = False) -> list[date]:
    """As-of dates of the deliveries received; `published=True` reads analytics.duckdb's ledger copy."""
    if published:
        if not settings.analytics_db.exists():
            return []
        return [d for _, d in _ledger(settings.analytics_db, "main.deliveries", RECEIVED)]
    if not settings.restricted_db.exists():
        return []
    return [d for _, d in _ledger(settings.restricted_db, "raw.deliveries", RECEIVED)]


def default_as_of(settings: Settings) -> date:
    """The last quarter end whose A + 45 the deliveries received cover (pipelines.dates)."""
    a = dates.default_as_of(received_dates(settings))
    if a is None:
        raise NoDeliveries("no delivery has been accepted yet: nothing to build (see htic status)")
    return a


def inputs_fingerprint(settings: Settings, as_of: date) -> str:
    """What a build as of A depends on: the accepted deliveries with as-of <= A + 45 (their keys)."""
    cutoff = dates.cutoff(as_of)
    keys = [k for k, d in _ledger(settings.restricted_db, "raw.deliveries", ("accepted",)) if d <= cutoff]
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()


def _last_build(settings: Settings) -> Path:
    return settings.dbt_dir / "last_build.json"


def _write_json(path: Path, value: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp-{os.getpid()}")
    tmp.write_text(json.dumps(value, indent=1, sort_keys=True))
    os.replace(tmp, path)


def forget_build(settings: Settings) -> None:
    """The dbt asset, before it builds: a failed build must not leave an earlier build's note behind."""
    _last_build(settings).unlink(missing_ok=True)


def note_build(settings: Settings, as_of: date, fingerprint: str) -> None:
    """The dbt asset: the restricted store's schema `analytics` now holds a build as of A from these inputs."""
    _write_json(_last_build(settings), {"as_of": as_of.isoformat(), "fingerprint": fingerprint})


def built_as_of(settings: Settings) -> date | None:
    """A of the build schema `analytics` of the restricted store holds (None: none noted)."""
    path = _last_build(settings)
    return date.fromisoformat(json.loads(path.read_text())["as_of"]) if path.exists() else None


def record_published(settings: Settings) -> date | None:
    """The publish asset, once analytics.duckdb is in place: record the build it holds. Returns its A
    (None when no build was noted, e.g. the schema was built outside Dagster)."""
    path = _last_build(settings)
    if not path.exists():
        return None
    build = json.loads(path.read_text())
    builds = json.loads(settings.analytics_builds.read_text()) if settings.analytics_builds.exists() else {}
    builds[build["as_of"]] = build["fingerprint"]
    _write_json(settings.analytics_builds, builds)
    return date.fromisoformat(build["as_of"])


def is_published_build(settings: Settings, as_of: date) -> bool:
    """analytics.duckdb holds metrics as of A built from exactly the deliveries A depends on now."""
    if not (settings.analytics_db.exists() and settings.analytics_builds.exists() and settings.restricted_db.exists()):
        return False
    recorded = json.loads(settings.analytics_builds.read_text()).get(as_of.isoformat())
    return recorded == inputs_fingerprint(settings, as_of)
