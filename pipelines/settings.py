"""The one settings object: every path and tunable of the pipeline, read once, lazily.

`get_settings()` reads the environment (then the defaults below) when it is called, never at
import, and returns a frozen `Settings`; Dagster assets receive it as one resource (`htic`,
pipelines/defs/resources.py). No other module reads `HTIC_*` variables. Every tunable is listed,
with its default, in the README ("Settings").

Environment variables (all optional):
  HTIC_WAREHOUSE             warehouse folder (default: <repo>/warehouse)
  HTIC_LANDING               landing root (default: <warehouse>/landing)
  HTIC_DUCKDB_MEMORY         memory limit of every DuckDB connection of the pipeline, dbt's included;
                             what does not fit spills to <warehouse>/restricted/tmp (default 1.5GB)
  HTIC_CHECKPOINT_THRESHOLD  DuckDB WAL size that triggers a checkpoint while loading (default 1GB)
  HTIC_REJECT_THRESHOLD      share of a delivery's rows that may be rejected before the whole
                             delivery is (default 0.10)
  HTIC_BATCH_MB              deliveries read and validated together, at most this many MB (default 256)
  HTIC_ALERT_WEBHOOK         URL that run-failure alerts are POSTed to (default: none)
  HTIC_PSEUDONYM_SECRET      the pseudonymisation secret itself (read by `pseudonym_secret()` only)
  HTIC_SECRET_FILE           a file holding that secret (default: <repo>/.secrets/pseudonym.key)
  HTIC_LINKAGE_TRUTH         a CSV of known true client -> case links, against which
                             `linkage_quality` measures precision and recall (default:
                             truth/client_links.csv beside the landing root, where `htic synth`
                             writes it; a missing file leaves them null)

File modes (README, "Privacy"): every process of the pipeline runs with umask 0o077
(`keep_private()`, called by the `htic` command, the code location and the runner), and the folders
that hold identifiers or run records are made 0700 whatever the umask was (`ensure_dirs`). Only
what evaluators and funders read is opened to the owner's group (`share_with_group`): the
warehouse folder itself (0750, so they can reach those files), analytics.duckdb (0640) and the
published snapshots (folders 0750, files 0640).
"""

from __future__ import annotations

import os
import secrets
import sys
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
    "duckdb_memory_limit": "1.5GB",
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
    linkage_truth: Path | None = None

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
    def duckdb_temp_dir(self) -> Path:
        """Where every DuckDB connection of the pipeline spills beyond its memory limit (pipelines.duck):
        inside the restricted folder, because spilled pages of the restricted store hold identifiers."""
        return self.restricted_dir / "tmp"

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

    @property
    def runs_dir(self) -> Path:
        """One JSON summary per ingestion run (no identifiers, but private like the ledger)."""
        return self.warehouse / "runs"

    @property
    def alerts_log(self) -> Path:
        return self.warehouse / "alerts.jsonl"

    @property
    def run_lock(self) -> Path:
        """Held by a whole `htic run`/`htic snapshot` (pipelines.runner); records its owner."""
        return self.restricted_dir / ".run.lock"

    @property
    def store_lock(self) -> Path:
        """Held by each step that opens the restricted store read-write: ingestion, dbt, publish."""
        return self.restricted_dir / ".ingest.lock"

    @property
    def private_dirs(self) -> tuple[Path, ...]:
        """Folders created owner-only (0700): identifiers, run records, logs."""
        return (self.restricted_dir, self.archive_dir, self.duckdb_temp_dir, self.quarantine_dir, self.runs_dir, self.dbt_dir,
                self.dagster_home)

    def ensure_dirs(self) -> None:
        """The warehouse (0750 when created here: evaluators of the owner's group reach the analytics
        file and snapshots) and its private folders (0700, also when they existed with looser modes),
        whatever the umask; an existing restricted store and its WAL are made 0600."""
        if not self.warehouse.exists():
            self.warehouse.mkdir(parents=True)
            os.chmod(self.warehouse, GROUP_DIR_MODE)
        for d in self.private_dirs:
            make_private_dir(d)
        for f in (self.restricted_db, self.restricted_db.with_name(self.restricted_db.name + ".wal")):
            if f.exists():
                os.chmod(f, PRIVATE_FILE_MODE)

    def ensure_dagster_home(self) -> Path:
        self.ensure_dirs()
        home = self.dagster_home
        cfg = home / "dagster.yaml"
        if not cfg.exists() or cfg.read_text() != DAGSTER_YAML:
            cfg.write_text(DAGSTER_YAML)
        return home


PRIVATE_UMASK = 0o077
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
GROUP_DIR_MODE = 0o750
GROUP_FILE_MODE = 0o640


def keep_private() -> None:
    """Files and folders this process creates from now on are owner-only (umask 0o077)."""
    os.umask(PRIVATE_UMASK)


def make_private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, PRIVATE_DIR_MODE)


def share_with_group(path: Path) -> None:
    """A file 0640, or a folder tree 0750/0640: what evaluators (the owner's group) may read."""
    if path.is_dir():
        os.chmod(path, GROUP_DIR_MODE)
        for root, dirs, files in os.walk(path):
            for d in dirs:
                os.chmod(os.path.join(root, d), GROUP_DIR_MODE)
            for f in files:
                os.chmod(os.path.join(root, f), GROUP_FILE_MODE)
    else:
        os.chmod(path, GROUP_FILE_MODE)


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
        linkage_truth=Path(env("HTIC_LINKAGE_TRUTH") or ld.parent / "truth" / "client_links.csv").resolve(),
    )


DEFAULT_SECRET_FILE = REPO_ROOT / ".secrets" / "pseudonym.key"
MIN_SECRET_LENGTH = 16


class SecretError(ValueError):
    """The pseudonymisation secret is missing, unreadable or too short (the message is one line)."""


def pseudonym_secret(*, create: bool = False) -> str:
    """The key of the keyed hash behind every pseudonymous key in the analytics warehouse.

    * `$HTIC_PSEUDONYM_SECRET` set: that value (at least MIN_SECRET_LENGTH characters);
    * else `$HTIC_SECRET_FILE` set: that file, which must exist, be readable and hold a long enough
      secret — never replaced by a generated one;
    * else `<repo>/.secrets/pseudonym.key` (git-ignored, outside the warehouse): read when it
      exists; generated only with `create=True` (the demo, `htic run --create-secret`).
    Anything else raises SecretError before the caller writes anything. For real use, provision the
    secret from your secret manager into one of the variables and keep it stable: changing it
    changes every pseudonymous key.
    """
    if "HTIC_PSEUDONYM_SECRET" in os.environ:
        return _strong(os.environ["HTIC_PSEUDONYM_SECRET"].strip(), "$HTIC_PSEUDONYM_SECRET")
    named = os.environ.get("HTIC_SECRET_FILE")
    path = Path(named) if named else DEFAULT_SECRET_FILE
    where = f"$HTIC_SECRET_FILE ({path})" if named else str(path)
    if not named and create and not path.exists():
        create_secret_file(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        hint = "" if named else ("; set $HTIC_PSEUDONYM_SECRET or $HTIC_SECRET_FILE, or create one with "
                                 "`htic run --create-secret`")
        raise SecretError(f"the pseudonymisation secret file {where} does not exist{hint}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretError(f"the pseudonymisation secret file {where} cannot be read "
                          f"({type(exc).__name__}: {getattr(exc, 'strerror', None) or 'not text'})") from None
    return _strong(text.strip(), where)


def create_secret_file(path: Path = DEFAULT_SECRET_FILE) -> Path:
    """A new random secret in `path` (0600, its folder 0700); fails if the file exists."""
    make_private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    print(f"generated a new pseudonymisation secret in {path} (keep it: changing it changes every "
          "pseudonymous key)", file=sys.stderr, flush=True)
    return path


def _strong(secret: str, where: str) -> str:
    """A short key is guessable, and dbt masks the secret's text wherever it appears in its own
    output, so a short one (say `x`) would also mangle model names in dbt's logs."""
    if len(secret) < MIN_SECRET_LENGTH:
        raise SecretError(f"the pseudonymisation secret from {where} is shorter than {MIN_SECRET_LENGTH} "
                          "characters; use a long random value (e.g. `python -c 'import secrets; "
                          "print(secrets.token_hex(32))'`)")
    return secret


def quiet_telemetry() -> None:
    """Turn off dagster, dbt and GX telemetry for this process and its children."""
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
