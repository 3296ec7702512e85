"""One writer, cleanly: a second run waits for the first with one line; a run after a `kill -9`
stops the killed run's dbt child and removes its half-written analytics file; a failure after
ingestion (dbt, publish) raises the alert like any other failed run."""

from __future__ import annotations

import json
import os

import pytest

from tests.stores.conftest import live, run_owner

LOCK_TRACES = ("Could not set lock", "Conflicting lock", "Traceback")


def test_a_second_run_waits_for_the_first_with_one_line(concurrent_runs):
    (rc1, out1, err1), (rc2, out2, err2) = concurrent_runs["first"], concurrent_runs["second"]
    assert rc1 == 0, err1[-3000:]
    assert rc2 == 0, err2[-3000:]
    for text in (out1, err1, out2, err2):
        assert not any(t in text for t in LOCK_TRACES), text[-3000:]
    waiting = [line for line in err2.splitlines() if "is using the warehouse" in line]
    assert len(waiting) == 1 and "waiting for it to finish" in waiting[0]
    # the second run found everything already loaded by the first: it ran after it, not beside it
    assert "0 accepted" in out2 and "Deliveries processed by this run: 0 accepted" not in out1
    assert run_owner(concurrent_runs["warehouse"]) is None  # both cleared their record


def test_the_run_after_a_kill_stops_its_dbt_child_and_cleans_up(killed_then_rerun):
    k = killed_then_rerun
    rerun = k["rerun"]
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert not any(t in rerun.stdout + rerun.stderr for t in LOCK_TRACES), rerun.stderr[-3000:]
    assert not any(live(p) for p in k["dbt"])  # no child of the killed run outlives the next run's start
    notice = [line for line in rerun.stderr.splitlines() if f"(pid {k['victim_pid']}) was killed" in line]
    print("dbt children of the killed run:", k["dbt"], "alive after the kill:", k["alive_after_kill"], notice)
    assert len(notice) == 1
    if k["alive_after_kill"]:  # the dbt child was still running when the next run started: it was stopped
        assert "stopped" in notice[0]
    assert not any(p.exists() for p in k["leftovers"])
    assert (k["warehouse"] / "analytics.duckdb").exists()
    assert sorted(p.name for p in k["warehouse"].glob("analytics.duckdb*")) == ["analytics.duckdb"]


# --- a failure after ingestion raises the alert ------------------------------------------------

@pytest.fixture
def webhook(monkeypatch):
    import http.server
    import threading

    received: list = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    monkeypatch.setenv("HTIC_ALERT_WEBHOOK", f"http://127.0.0.1:{srv.server_port}/alert")
    yield received
    srv.shutdown()


def _alerts(settings) -> list[dict]:
    return [json.loads(line) for line in settings.alerts_log.read_text().splitlines()]


def test_a_failure_after_ingestion_raises_the_alert(tmp_path, monkeypatch, webhook):
    import dagster as dg

    from pipelines import runner
    from pipelines.defs import dbt as dbt_defs
    from pipelines.defs.dbt import PUBLISH_ASSET_KEY
    from pipelines.settings import get_settings
    from tests.ingestion import worlds as w

    os.umask(0o000)  # the runner makes what it writes private whatever the caller's umask
    settings = get_settings(tmp_path / "wh", landing=tmp_path / "landing")
    w.write_delivery(settings.landing, "program", "2021-01-01", w.to_files(w.program_rows()))
    w.write_delivery(settings.landing, "court-queens", "2021-06-30", w.to_files(w.court_rows(n=10)))

    # dbt fails (its --vars do not parse) after ingestion committed
    monkeypatch.setattr(dbt_defs, "dbt_build_args", lambda as_of: ["build", "--vars", "{not: [yaml"])
    with pytest.raises(runner.RunFailed) as failed:
        runner.build(settings, log_level="CRITICAL")
    assert not isinstance(failed.value, runner.IngestionFailed)
    [alert] = _alerts(settings)
    assert alert["kind"] == "run_failure" and alert["job"] == "htic run"
    assert webhook == [alert]
    summaries = list(settings.runs_dir.glob("ingest-*.json"))
    assert len(summaries) == 1 and json.loads(summaries[0].read_text())["counts"]["accepted"] == 2

    # the publish fails (schema `analytics` was never built)
    with pytest.raises(runner.RunFailed, match="schema `analytics`"):
        runner.materialize(settings, dg.AssetSelection.assets(PUBLISH_ASSET_KEY), log_level="CRITICAL",
                           trigger="htic run")
    assert len(_alerts(settings)) == 2 and webhook[-1]["run_id"] == _alerts(settings)[-1]["run_id"]
    assert oct(os.stat(settings.alerts_log).st_mode & 0o777) == oct(0o600)
    assert not settings.analytics_db.exists()


def test_an_unreachable_webhook_is_one_line_and_the_alert_is_kept(tmp_path, monkeypatch, capsys):
    from pipelines.ingestion.sensors import record_alert
    from pipelines.settings import get_settings

    monkeypatch.setenv("HTIC_ALERT_WEBHOOK", "http://127.0.0.1:9/alert")  # discard port: refused
    settings = get_settings(tmp_path / "wh")
    record_alert(settings, {"kind": "run_failure", "run_id": "r1"})
    assert _alerts(settings) == [{"kind": "run_failure", "run_id": "r1"}]
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "alert webhook not reached" in err[0]
