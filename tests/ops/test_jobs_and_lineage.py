"""Every run `htic` starts is a run of a named job the UI offers, and the graph runs from a delivery
to the metrics and the funder snapshot."""

import dagster as dg
import pytest

from tests.ingestion import worlds as w

DELIVERY = dg.AssetKey(["ingestion", "delivery"])
METRICS = dg.AssetKey(["metrics"])
SNAPSHOT = dg.AssetKey(["funder_snapshot"])


@pytest.fixture(scope="module")
def defs():
    from pipelines.definitions import defs

    return defs


def _downstream(graph, start) -> set:
    seen, todo = set(), [start]
    while todo:
        for child in graph.get(todo.pop()).child_keys:
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def test_a_delivery_partition_reaches_the_metrics_and_the_snapshot(defs):
    from pipelines.ingestion.assets import DELIVERIES

    graph = defs.resolve_asset_graph()
    assert graph.get(DELIVERY).partitions_def == DELIVERIES  # one partition per delivery folder
    assert {METRICS, SNAPSHOT} <= _downstream(graph, DELIVERY)


def test_the_named_jobs_are_offered_with_their_selections(defs):
    from pipelines.ingestion.spec import TABLE_SPECS

    jobs = {j.name: j for j in defs.get_repository_def().get_all_jobs()}
    assert {"ingest", "ingest_delivery", "build", "funder_snapshot_job"} <= set(jobs)
    build = jobs["build"].asset_layer.selected_asset_keys
    assert {dg.AssetKey(["raw", t]) for t in TABLE_SPECS} | {METRICS, dg.AssetKey(["analytics_warehouse"])} <= build
    assert DELIVERY not in build and SNAPSHOT not in build
    assert jobs["ingest"].asset_layer.selected_asset_keys == {k for k in build if k.path[0] == "raw"}
    checks = jobs["build"].asset_layer.asset_graph.asset_check_keys
    assert dg.AssetCheckKey(METRICS, "quarter_jump") in checks


def _job_names(instance) -> list[str]:
    return [r.job_name for r in instance.get_runs()]


def test_runs_are_runs_of_the_named_jobs(settings_for):
    from pipelines import runner
    from pipelines.defs.dbt import PUBLISH_ASSET_KEY

    s = settings_for()
    w.write_delivery(s.landing, "program", "2021-01-01", w.to_files(w.program_rows()))
    instance = dg.DagsterInstance.ephemeral()
    runner.ingest(s, instance=instance, log_level="ERROR")
    assert _job_names(instance) == ["ingest"]
    # the build job subset to the publish step (it fails: nothing was built) is still `build`
    with pytest.raises(runner.RunFailed):
        runner.materialize(s, dg.AssetSelection.assets(PUBLISH_ASSET_KEY), instance=instance,
                           log_level="CRITICAL", trigger="test")
    # the snapshot of a quarter, without a build (it fails: no analytics warehouse)
    with pytest.raises(runner.RunFailed):
        runner.snapshot(s, "2021Q1", build=False, instance=instance, log_level="CRITICAL")
    names = _job_names(instance)
    assert sorted(names) == ["build", "funder_snapshot_job", "ingest"]
    assert "__ephemeral_asset_job__" not in names
    [snap] = [r for r in instance.get_runs() if r.job_name == "funder_snapshot_job"]
    assert snap.tags["dagster/partition"] == "2021Q1"
