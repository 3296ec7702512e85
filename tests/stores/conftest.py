"""A tiny synthetic world, generated once, and the real `htic` command run on it (in processes of
their own, with the umask and environment a test chooses)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HTIC = [sys.executable, "-m", "pipelines.cli"]
SECRET = "stores-test-secret-6d0e2a91"


def htic_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HTIC_")}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
               HTIC_PSEUDONYM_SECRET=SECRET, DAGSTER_DISABLE_TELEMETRY="1",
               DBT_SEND_ANONYMOUS_USAGE_STATS="false", DO_NOT_TRACK="1", GX_ANALYTICS_ENABLED="false")
    env.update(extra)
    return env


def start_htic(*args: str, env: dict, umask: int = 0o022) -> subprocess.Popen:
    """`htic ARGS` in a process of its own, started with `umask` (its children inherit the group)."""
    return subprocess.Popen([*HTIC, *args], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=lambda: os.umask(umask))


def run_htic(*args: str, env: dict, umask: int = 0o022, timeout: float = 900) -> subprocess.CompletedProcess:
    proc = start_htic(*args, env=env, umask=umask)
    out, err = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.fixture(scope="session")
def tiny_landing(tmp_path_factory) -> Path:
    """A small synthetic landing tree (the pipeline only reads it)."""
    landing = tmp_path_factory.mktemp("stores") / "landing"
    done = run_htic("synth", "--out", str(landing), "--seed", "11", "--scale", "0.03", "--dsa-start", "2026-03-31",
                    env=htic_env())
    assert done.returncode == 0, done.stderr
    return landing


def wait_for(predicate, timeout: float, what: str, every: float = 0.2):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def run_owner(warehouse: Path) -> dict | None:
    """The owner recorded in the warehouse's run lock (pipelines.runlock.run_lock)."""
    import json

    lock = warehouse / "restricted" / ".run.lock"
    try:
        text = lock.read_text().strip()
    except FileNotFoundError:
        return None
    return json.loads(text) if text else None


@pytest.fixture(scope="session")
def concurrent_runs(tiny_landing, tmp_path_factory):
    """Two `htic` runs on one warehouse at once, under umask 0o000: a full `htic run`, and — once
    the first holds the warehouse — `htic run --ingest-only` (which, before the run lock, opened the
    store while the first run's dbt had it: `Could not set lock`)."""
    warehouse = tmp_path_factory.mktemp("concurrent") / "wh"
    env = htic_env()
    common = ("--landing", str(tiny_landing), "--warehouse", str(warehouse), "--create")
    first = start_htic("run", *common, env=env, umask=0o000)
    wait_for(lambda: run_owner(warehouse) or first.poll() is not None, 300, "the first run to hold the warehouse")
    second = start_htic("run", *common, "--ingest-only", env=env, umask=0o000)
    out1, err1 = first.communicate(timeout=1200)
    out2, err2 = second.communicate(timeout=1200)
    return {"warehouse": warehouse, "first": (first.returncode, out1, err1), "second": (second.returncode, out2, err2)}


def live(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def dbt_processes(token: str) -> list[int]:
    """The `dbt build` processes carrying the run token (not `dbt parse`, which holds no lock)."""
    from pipelines.runlock import processes_with_token

    pids = []
    for pid in processes_with_token(token):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if any(a.endswith(b"/dbt") for a in argv) and b"build" in argv:
                pids.append(pid)
        except OSError:
            continue
    return pids


@pytest.fixture(scope="session")
def killed_then_rerun(tiny_landing, tmp_path_factory):
    """`kill -9` of `htic run` while its dbt child builds, a publish leftover beside the analytics
    file, then the next `htic run` (all under umask 0o022)."""
    warehouse = tmp_path_factory.mktemp("killed") / "wh"
    env = htic_env()
    common = ("--landing", str(tiny_landing), "--warehouse", str(warehouse), "--create")
    victim = start_htic("run", *common, env=env, umask=0o022)
    wait_for(lambda: run_owner(warehouse), 300, "the run to hold the warehouse")

    def building() -> list[int] | bool:
        # `htic run` holds the lock once to ingest and again to build: the build's owner runs dbt
        owner = run_owner(warehouse)
        return (dbt_processes(owner["token"]) if owner else []) or victim.poll() is not None

    dbt = wait_for(building, 600, "dbt to start")
    assert victim.poll() is None, "the run ended before dbt started"
    os.kill(victim.pid, signal.SIGKILL)  # the htic process alone, as `kill -9 <pid>` does
    victim.wait()
    alive_after_kill = [p for p in dbt if live(p)]
    leftovers = [warehouse / f"analytics.duckdb.tmp-{victim.pid}", warehouse / f"analytics.duckdb.tmp-{victim.pid}.wal"]
    for leftover in leftovers:
        leftover.write_bytes(b"half-written by a killed publish")
    rerun = run_htic("run", *common, env=env, umask=0o022, timeout=1200)
    return {"warehouse": warehouse, "dbt": dbt, "alive_after_kill": alive_after_kill, "leftovers": leftovers,
            "rerun": rerun, "victim_pid": victim.pid}
