"""The run lock: one `htic run` / `htic snapshot` at a time on a warehouse (pipelines.runner).

An flock on `settings.run_lock` (the OS drops it when its process dies, even by kill -9). Its file
records the owner: pid and a token that the owner's children (dbt) inherit in their environment as
$HTIC_RUN_TOKEN. A run that takes the lock and finds an owner recorded there (the owner was killed
before it could clear it) first stops the processes still carrying that token — a dbt child of the
killed run would otherwise keep the DuckDB file locked.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import signal
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path


RUN_TOKEN_VAR = "HTIC_RUN_TOKEN"


@contextmanager
def run_lock(settings, say):
    """Hold the warehouse for one run: wait (saying so once) while another run holds it; stop the
    leftover children of a killed earlier run; record this run as the owner, and its token in
    os.environ (children started from now on inherit it); clear the record on the way out."""
    settings.ensure_dirs()
    fd = os.open(settings.run_lock, os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _owner(fh)
            who = f" (pid {holder['pid']}, since {holder['started']})" if holder else ""
            say(f"another htic run{who} is using the warehouse {settings.warehouse}; waiting for it to finish")
            fcntl.flock(fh, fcntl.LOCK_EX)
        stale = _owner(fh)
        if stale:
            stopped = stop_processes_with_token(stale["token"])
            say(f"an earlier run (pid {stale['pid']}) was killed; stopped {len(stopped)} of its "
                "processes still running" if stopped else
                f"an earlier run (pid {stale['pid']}) was killed; none of its processes is left")
        token = f"{os.getpid()}-{secrets.token_hex(8)}"
        _record_owner(fh, {"pid": os.getpid(), "token": token,
                           "started": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        previous = os.environ.get(RUN_TOKEN_VAR)
        os.environ[RUN_TOKEN_VAR] = token
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop(RUN_TOKEN_VAR, None)
            else:
                os.environ[RUN_TOKEN_VAR] = previous
            _record_owner(fh, None)


def _owner(fh) -> dict | None:
    fh.seek(0)
    text = fh.read().strip()
    try:
        owner = json.loads(text) if text else None
    except json.JSONDecodeError:
        return None
    return owner if isinstance(owner, dict) and owner.get("token") else None


def _record_owner(fh, owner: dict | None) -> None:
    fh.seek(0)
    fh.truncate()
    if owner:
        fh.write(json.dumps(owner))
    fh.flush()
    os.fsync(fh.fileno())


def processes_with_token(token: str) -> list[int]:
    """PIDs of this user's live processes whose environment has $HTIC_RUN_TOKEN = token."""
    wanted = f"{RUN_TOKEN_VAR}={token}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if wanted in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:  # gone, or another user's
            continue
    return found


def stop_processes_with_token(token: str, grace_s: float = 10.0) -> list[int]:
    """SIGTERM the processes carrying the token, SIGKILL those still there after grace_s; returns
    once they are gone (a process that has exited has an empty environment)."""
    pids = processes_with_token(token)
    for sig, wait in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while processes_with_token(token) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not processes_with_token(token):
            break
    return pids
