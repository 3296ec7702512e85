"""A tiny synthetic world, generated once, and the real `htic` command run on it (in processes of
their own, with the umask and environment a test chooses)."""

from __future__ import annotations

import os
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
