"""A missing, unreadable or short secret stops `htic run` before anything is written, in one line;
a key is generated only when none is configured, and only on request."""

from __future__ import annotations

import pytest

from tests.stores.conftest import htic_env, run_htic


def _written(warehouse) -> list[str]:
    return sorted(str(p.relative_to(warehouse)) for p in warehouse.rglob("*")) if warehouse.exists() else []


@pytest.mark.parametrize("case", ["missing file", "unreadable file", "short file", "short variable"])
def test_a_bad_secret_stops_the_run_before_anything_is_written(tmp_path, tiny_landing, case):
    key = tmp_path / "pseudonym.key"
    if case == "short file":
        key.write_text("short\n")
    if case == "unreadable file":
        key.mkdir()  # a folder where the file should be (the tests run as root: modes would not stop a read)
    env = htic_env(HTIC_SECRET_FILE=str(key))
    del env["HTIC_PSEUDONYM_SECRET"]
    if case == "short variable":
        env["HTIC_PSEUDONYM_SECRET"] = "too-short"
    warehouse = tmp_path / "wh"
    done = run_htic("run", "--landing", str(tiny_landing), "--warehouse", str(warehouse), "--create", env=env,
                    timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "pseudonymisation secret" in lines[0] and "Traceback" not in done.stderr, done.stderr
    assert ("HTIC_PSEUDONYM_SECRET" if case == "short variable" else str(key)) in lines[0]
    assert _written(warehouse) == []  # no ingestion commit, not even the Dagster home
    assert key.exists() == (case in ("unreadable file", "short file"))  # a named file is never generated


def test_no_secret_configured_needs_a_request_to_generate_one(tmp_path, tiny_landing, monkeypatch):
    """Without either variable, `htic run` refuses (pointing at --create-secret); with the request it
    generates <repo>/.secrets/pseudonym.key — checked here in-process against a temporary default."""
    from pipelines import settings as st

    monkeypatch.delenv("HTIC_PSEUDONYM_SECRET", raising=False)
    monkeypatch.delenv("HTIC_SECRET_FILE", raising=False)
    default = tmp_path / "secrets" / "pseudonym.key"
    monkeypatch.setattr(st, "DEFAULT_SECRET_FILE", default)
    from pipelines.cli import main

    warehouse = tmp_path / "wh"
    args = ["run", "--landing", str(tiny_landing), "--warehouse", str(warehouse), "--create"]
    assert main(args) == 2 and not default.exists() and _written(warehouse) == []
    assert main([*args, "--ingest-only", "--create-secret"]) == 0
    assert default.exists() and len(default.read_text().strip()) == 64
