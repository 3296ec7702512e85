"""`htic` refuses mistakes: exit status 2, one line on stderr (no traceback), and nothing created or
written — the directory tree is the same before and after."""

import subprocess
import sys

import pytest

from tests.ingestion import worlds as w
from tests.ops.conftest import tree


def htic(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


@pytest.fixture
def existing(tmp_path):
    """An initialised warehouse and a landing root with one delivery."""
    wh, land = tmp_path / "wh", tmp_path / "landing"
    w.write_delivery(land, "program", "2021-01-01", w.to_files(w.program_rows()))
    done = htic("init", "--warehouse", wh)
    assert done.returncode == 0 and wh.is_dir() and (wh / "dagster_home" / "dagster.yaml").exists()
    return wh, land


def _refused(result, *words):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    for word in words:
        assert word in lines[0]
    return lines[0]


@pytest.mark.parametrize("argv, words", [
    (["run", "--as-of", "2026-02-30"], ["--as-of", "2026-02-30"]),
    (["run", "--as-of", "last-quarter"], ["--as-of"]),
    (["status", "--since", "2026-13-01"], ["--since"]),
    (["run", "--no-such-flag"], ["--no-such-flag"]),
])
def test_arguments_that_do_not_parse_are_one_line(tmp_path, existing, argv, words):
    wh, land = existing
    before = tree(tmp_path)
    _refused(htic(*argv, "--warehouse", wh, "--landing", land), *words)
    assert tree(tmp_path) == before


def test_a_quarter_that_does_not_parse_is_one_line(tmp_path, existing):
    wh, _ = existing
    before = tree(tmp_path)
    _refused(htic("snapshot", "--quarter", "2026Q5", "--warehouse", wh), "2026Q5")
    assert tree(tmp_path) == before


def test_a_missing_landing_root_is_an_error_and_nothing_is_written(tmp_path, existing):
    wh, _ = existing
    before = tree(tmp_path)
    _refused(htic("run", "--warehouse", wh, "--landing", tmp_path / "no-such-landing"), "landing root", "no-such-landing")
    assert tree(tmp_path) == before


def test_a_missing_warehouse_is_an_error_unless_created_on_purpose(tmp_path, existing):
    _, land = existing
    new = tmp_path / "new-wh"
    before = tree(tmp_path)
    for argv in (["run", "--warehouse", new, "--landing", land], ["run", "--ingest-only", "--warehouse", new],
                 ["status", "--warehouse", new], ["snapshot", "--warehouse", new]):
        _refused(htic(*argv), str(new), "does not exist", "htic init")
    # --create lifts the warehouse's refusal, not the landing root's
    _refused(htic("run", "--create", "--warehouse", new, "--landing", tmp_path / "no-such-landing"), "landing root")
    assert tree(tmp_path) == before and not new.exists()


def test_status_of_no_such_warehouse_is_an_error(tmp_path):
    before = tree(tmp_path)
    _refused(htic("status", "--warehouse", "/no/such/dir"), "/no/such/dir")
    assert tree(tmp_path) == before


def test_init_creates_a_warehouse_once(tmp_path):
    wh = tmp_path / "a" / "wh"
    first = htic("init", "--warehouse", wh)
    assert first.returncode == 0 and "Created warehouse" in first.stdout and wh.is_dir()
    listing = tree(wh)
    second = htic("init", "--warehouse", wh)
    assert second.returncode == 0 and "already exists" in second.stdout and tree(wh) == listing
