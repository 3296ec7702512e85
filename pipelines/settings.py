"""The one settings object: every path and tunable of the pipeline, read once, lazily.

`get_settings()` reads the environment (then the defaults below) when it is called, never at
import, and returns a frozen `Settings`; Dagster assets receive it as one resource (`htic`,
pipelines/defs/resources.py). No other module reads `HTIC_*` variables. Every tunable is listed,
with its default, in the README ("Settings").

Environment variables (all optional):
  HTIC_WAREHOUSE             warehouse folder (default: <repo>/warehouse)
  HTIC_LANDING               landing root (default: <warehouse>/landing)
  HTIC_DUCKDB_MEMORY         DuckDB memory limit of the ingestion connection (default 2GB)
  HTIC_CHECKPOINT_THRESHOLD  DuckDB WAL size that triggers a checkpoint while loading (default 1GB)
  HTIC_REJECT_THRESHOLD      share of a delivery's rows that may be rejected before the whole
                             delivery is (default 0.10)
  HTIC_BATCH_MB              deliveries read and validated together, at most this many MB (default 256)
  HTIC_ALERT_WEBHOOK         URL that run-failure alerts are POSTed to (default: none)
  HTIC_PSEUDONYM_SECRET      the pseudonymisation secret itself (read by `pseudonym_secret()` only)
  HTIC_SECRET_FILE           a file holding that secret (default: <repo>/.secrets/pseudonym.key)
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"

DAGSTER_YAML = """\
# Written by htic-eval (pipelines/settings.py). Telemetry off; one run at a time, because
# DuckDB allows a single writer per file and every run of this project writes the warehouse.
telemetry:
  enabled: false
run_coordinator:
  module: dagster._core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 1
"""


DEFAULTS = {
    "duckdb_memory_limit": "2GB",
    "duckdb_checkpoint_threshold": "1GB",
    "reject_threshold": 0.10,
    "batch_mb": 256,
    "alert_webhook": None,
}


@dataclass(frozen=True)
class Settings:
    warehouse: Path
    landing: Path
    duckdb_memory_limit: str = DEFAULTS["duckdb_memory_limit"]
    duckdb_checkpoint_threshold: str = DEFAULTS["duckdb_checkpoint_threshold"]
    reject_threshold: float = DEFAULTS["reject_threshold"]
    batch_mb: int = DEFAULTS["batch_mb"]
    alert_webhook: str | None = DEFAULTS["alert_webhook"]

    # --- restricted store: identifiers live here and nowhere else -------------------------------
    @property
    def restricted_dir(self) -> Path:
        return self.warehouse / "restricted"

    @property
    def restricted_db(self) -> Path:
        return self.restricted_dir / "restricted.duckdb"

    @property
    def archive_dir(self) -> Path:
        """Original delivery bytes, content-addressed (sha256), never modified."""
        return self.restricted_dir / "archive"

    @property
    def quarantine_dir(self) -> Path:
        """Reports on rejected deliveries (no identifiers in them)."""
        return self.warehouse / "quarantine"

    @property
    def ledger_export(self) -> Path:
        """Read-only copy of the delivery ledger for `htic status` (no DuckDB lock needed)."""
        return self.warehouse / "ledger.parquet"

    # --- analytics warehouse: pseudonymous, what evaluators open ---------------------------------
    @property
    def analytics_db(self) -> Path:
        return self.warehouse / "analytics.duckdb"

    @property
    def snapshots_dir(self) -> Path:
        return self.warehouse / "snapshots"

    @property
    def dagster_home(self) -> Path:
        return self.warehouse / "dagster_home"

    # --- dbt's artifacts and logs of the builds of this warehouse (never shared between warehouses)
    @property
    def dbt_dir(self) -> Path:
        return self.warehouse / "dbt"

    @property
    def dbt_target_dir(self) -> Path:
        """The parsed project (manifest.json) and one folder per build (artifacts and logs)."""
        return self.dbt_dir / "target"

    @property
    def analytics_builds(self) -> Path:
        """as-of date -> fingerprint of the deliveries the published metrics as of it were built from."""
        return self.warehouse / "analytics_builds.json"

    def ensure_dirs(self) -> None:
        for d in (self.warehouse, self.restricted_dir, self.archive_dir, self.quarantine_dir):
            d.mkdir(parents=True, exist_ok=True)

    def ensure_dagster_home(self) -> Path:
        home = self.dagster_home
        home.mkdir(parents=True, exist_ok=True)
        cfg = home / "dagster.yaml"
        if not cfg.exists() or cfg.read_text() != DAGSTER_YAML:
            cfg.write_text(DAGSTER_YAML)
        return home


def get_settings(warehouse: str | os.PathLike | None = None, landing: str | os.PathLike | None = None) -> Settings:
    """Arguments first, then the environment, then the defaults."""
    env = os.environ.get
    wh = Path(warehouse or env("HTIC_WAREHOUSE") or REPO_ROOT / "warehouse").resolve()
    ld = Path(landing or env("HTIC_LANDING") or wh / "landing").resolve()
    return Settings(
        warehouse=wh,
        landing=ld,
        duckdb_memory_limit=env("HTIC_DUCKDB_MEMORY") or DEFAULTS["duckdb_memory_limit"],
        duckdb_checkpoint_threshold=env("HTIC_CHECKPOINT_THRESHOLD") or DEFAULTS["duckdb_checkpoint_threshold"],
        reject_threshold=float(env("HTIC_REJECT_THRESHOLD") or DEFAULTS["reject_threshold"]),
        batch_mb=int(env("HTIC_BATCH_MB") or DEFAULTS["batch_mb"]),
        alert_webhook=env("HTIC_ALERT_WEBHOOK") or DEFAULTS["alert_webhook"],
    )


def pseudonym_secret() -> str:
    """The key of the keyed hash behind every pseudonymous key in the analytics warehouse.

    Order: $HTIC_PSEUDONYM_SECRET, then the file $HTIC_SECRET_FILE, then <repo>/.secrets/pseudonym.key,
    which is generated on first use for the demo (git-ignored, outside the warehouse). For real use,
    provision the secret from your secret manager into one of the first two and keep it stable:
    changing it changes every pseudonymous key.
    """
    env = os.environ.get("HTIC_PSEUDONYM_SECRET")
    if env:
        return _strong(env.strip(), "$HTIC_PSEUDONYM_SECRET")
    path = Path(os.environ.get("HTIC_SECRET_FILE") or REPO_ROOT / ".secrets" / "pseudonym.key")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    return _strong(path.read_text().strip(), str(path))


MIN_SECRET_LENGTH = 16


def _strong(secret: str, where: str) -> str:
    """A short key is guessable, and dbt masks the secret's text wherever it appears in its own
    output, so a short one (say `x`) would also mangle model names in dbt's logs."""
    if len(secret) < MIN_SECRET_LENGTH:
        raise ValueError(f"the pseudonymisation secret from {where} is shorter than {MIN_SECRET_LENGTH} "
                         "characters; use a long random value (e.g. `python -c 'import secrets; "
                         "print(secrets.token_hex(32))'`)")
    return secret


def quiet_telemetry() -> None:
    """Turn off dagster, dbt and GX telemetry for this process and its children."""
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
