"""dbt's console output goes to a log file under the warehouse; the terminal gets the path on failure."""

import dagster as dg
import pytest


def _dbt_like(fail: bool):
    for i in range(3):
        print(f"dbt line {i}")  # what dagster-dbt echoes of dbt's console, on stdout
        yield i
    if fail:
        raise RuntimeError("dbt exited 1")


def test_the_console_goes_to_the_log_and_events_pass_through(tmp_path, capsys):
    from pipelines.defs.dbt import console_to_file

    log = tmp_path / "wh" / "dbt" / "build" / "console.log"
    assert list(console_to_file(_dbt_like(fail=False), log)) == [0, 1, 2]
    assert capsys.readouterr().out == ""
    assert log.read_text().splitlines() == ["dbt line 0", "dbt line 1", "dbt line 2"]


def test_a_failed_build_names_the_log(tmp_path, capsys):
    from pipelines.defs.dbt import console_to_file

    log = tmp_path / "console.log"
    with pytest.raises(dg.Failure) as failed:
        list(console_to_file(_dbt_like(fail=True), log))
    assert str(log) in failed.value.description and "\n" not in failed.value.description
    assert capsys.readouterr().out == "" and "dbt line 2" in log.read_text()
