"""The Dagster face: definitions, the delivery sensor, per-delivery reruns, checks that cannot run,
run-failure alerts, and `htic status` / the sensor never needing the DuckDB lock."""

import http.server
import json
import subprocess
import sys
import threading

import dagster as dg
import pytest

from pipelines.ingestion.spec import TABLE_SPECS
from tests.ingestion import worlds as w
from tests.ingestion.conftest import raw_snapshot

AS_OF = "2021-06-30"


def _small_world(land):
    w.write_delivery(land, "program", "2021-01-01", w.to_files(w.program_rows()))
    w.write_delivery(land, "court-queens", AS_OF, w.to_files(w.court_rows(n=10)))


def test_definitions_load():
    from pipelines.definitions import defs

    repo = defs.get_repository_def()
    assert {j.name for j in repo.get_all_jobs()} >= {"ingest", "ingest_delivery"}
    keys = {k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()}
    assert {"raw/court__cases", "raw/dcjs__arrests", "raw/deliveries", "raw/rejected_rows", "ingestion/delivery"} <= keys
    checks = {k.to_user_string() for k in repo.asset_graph.asset_check_keys}
    assert "raw/provider__sessions:suite" in checks


def test_sensor_partitions_and_rerun_one_delivery(settings_for):
    from pipelines.defs.resources import HticSettings
    from pipelines.ingestion.assets import delivery
    from pipelines.ingestion.sensors import new_deliveries_sensor
    from pipelines.runner import ingest

    s = settings_for()
    _small_world(s.landing)
    w.write_delivery(s.landing, "dcjs", AS_OF, w.to_files(w.dcjs_rows()), control=False)  # in transit
    instance = dg.DagsterInstance.ephemeral()
    res = HticSettings.from_settings(s)

    ctx = dg.build_sensor_context(instance=instance, resources={"htic": res})
    result = new_deliveries_sensor(ctx)
    assert len(result.run_requests) == 1
    [req] = result.dynamic_partitions_requests
    assert sorted(req.partition_keys) == ["court-queens|2021-06-30", "program|2021-01-01"]

    summary = ingest(s, instance=instance, log_level="ERROR")
    assert summary["counts"]["accepted"] == 2
    assert set(instance.get_dynamic_partitions("deliveries")) == {"court-queens|2021-06-30", "program|2021-01-01"}
    mats = instance.fetch_materializations(dg.AssetKey(["ingestion", "delivery"]), limit=10).records
    assert {m.asset_materialization.partition for m in mats} == {"court-queens|2021-06-30", "program|2021-01-01"}
    # nothing new: the sensor skips (it read ledger.parquet, not the database)
    assert isinstance(new_deliveries_sensor(dg.build_sensor_context(instance=instance, resources={"htic": res})),
                      dg.SkipReason)

    # rerun one delivery from its partition: same version reloaded, tables unchanged
    before = raw_snapshot(s)
    r = dg.materialize([delivery], partition_key="court-queens|2021-06-30", instance=instance,
                       resources={"htic": res})
    assert r.success
    [mat] = [m for m in r.asset_materializations_for_node("ingestion__delivery")
             if m.asset_key == dg.AssetKey(["ingestion", "delivery"])]
    assert mat.partition == "court-queens|2021-06-30"
    md = mat.metadata
    assert md["status"].value == "accepted"
    after = raw_snapshot(s)
    assert {k: v for k, v in after.items() if k != "deliveries"} == {k: v for k, v in before.items() if k != "deliveries"}


def test_status_and_sensor_work_while_a_writer_holds_the_database(settings_for, capsys):
    from pipelines import status
    from pipelines.defs.resources import HticSettings
    from pipelines.ingestion.pipeline import run_ingestion
    from pipelines.ingestion.sensors import new_deliveries_sensor

    s = settings_for()
    _small_world(s.landing)
    run_ingestion(s, gx_enabled=False)
    holder = subprocess.Popen([sys.executable, "-c",
                               f"import duckdb,time; c=duckdb.connect({str(s.restricted_db)!r}); "
                               "print('locked', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        args = type("A", (), {"warehouse": str(s.warehouse), "landing": str(s.landing), "json": False, "all": True,
                              "source": None, "since": None})()
        assert status.run(args) == 1  # 2021's deliveries: every source is overdue today
        out = capsys.readouterr().out
        assert any(ln.split()[:4] == ["court-queens", "2021-06-30", "v1", "accepted"] for ln in out.splitlines())
        res = HticSettings.from_settings(s)
        assert isinstance(new_deliveries_sensor(dg.build_sensor_context(resources={"htic": res})), dg.SkipReason)
    finally:
        holder.kill()
        holder.wait()


class _Hook(http.server.BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802
        _Hook.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


@pytest.fixture
def webhook(monkeypatch):
    srv = http.server.HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    _Hook.received = []
    monkeypatch.setenv("HTIC_ALERT_WEBHOOK", f"http://127.0.0.1:{srv.server_port}/alert")
    yield _Hook.received
    srv.shutdown()


def test_failed_run_raises_an_alert(settings_for, monkeypatch, webhook):
    from pipelines.ingestion import validate
    from pipelines.defs.resources import HticSettings
    from pipelines.ingestion.sensors import run_failure_alert
    from pipelines.runner import IngestionFailed, ingest

    s = settings_for()
    _small_world(s.landing)

    def broken():
        raise FileNotFoundError("suite file missing")

    monkeypatch.setattr(validate, "load_suites", broken)
    instance = dg.DagsterInstance.ephemeral()
    with pytest.raises(IngestionFailed):
        ingest(s, instance=instance, log_level="CRITICAL")
    alerts = [json.loads(x) for x in (s.warehouse / "alerts.jsonl").read_text().splitlines()]
    assert alerts[-1]["kind"] == "run_failure" and webhook and webhook[-1]["run_id"] == alerts[-1]["run_id"]
    # nothing half-loaded
    assert raw_snapshot(s)["deliveries"] == []

    # the sensor the daemon runs does the same for any failed run of the code location
    [run] = instance.get_runs()
    failure = [e for e in instance.all_logs(run.run_id) if e.dagster_event and e.dagster_event.event_type_value == "PIPELINE_FAILURE"
               or (e.dagster_event and e.dagster_event.event_type_value == "RUN_FAILURE")][-1]
    ctx = dg.build_run_status_sensor_context(sensor_name="run_failure_alert", dagster_instance=instance,
                                             dagster_run=run, dagster_event=failure.dagster_event,
                                             resources={"htic": HticSettings.from_settings(s)}).for_run_failure()
    n = len(webhook)
    run_failure_alert(ctx)
    assert len(webhook) == n + 1 and webhook[-1]["run_id"] == run.run_id


def test_a_check_that_cannot_run_fails(settings_for, monkeypatch):
    from pipelines.ingestion import validate
    from pipelines.runner import ingest

    s = settings_for()
    _small_world(s.landing)

    def no_gx():
        raise ImportError("great_expectations unavailable")

    monkeypatch.setattr(validate, "_gx", no_gx)
    instance = dg.DagsterInstance.ephemeral()
    ingest(s, instance=instance, log_level="ERROR")
    evals = [r.event_log_entry.dagster_event.event_specific_data for r in instance.get_event_records(
        dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION), limit=100)]
    suites = [e for e in evals if e.check_name == "suite"]
    assert len(suites) == len(TABLE_SPECS)  # one suite per raw table
    assert all(not e.passed and e.severity == dg.AssetCheckSeverity.ERROR for e in suites)
    assert "could not start" in suites[0].metadata["error"].value


def test_suites_are_never_rewritten(settings_for):
    import hashlib

    from pipelines.ingestion.pipeline import run_ingestion
    from pipelines.settings import EXPECTATIONS_DIR

    def digest():
        return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(EXPECTATIONS_DIR.rglob("*"))
                if p.is_file() and "uncommitted" not in p.parts}

    before = digest()
    s = settings_for()
    _small_world(s.landing)
    run_ingestion(s)
    assert digest() == before
