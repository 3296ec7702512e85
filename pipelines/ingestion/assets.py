"""Dagster assets of the ingestion area.

* `raw_tables` (multi-asset): one asset per raw table (`raw/<table>`, the keys dbt sources use) and
  the ledger tables. A run processes every pending delivery and validates each table **once** over
  all of them; its asset checks (`raw/<table>:suite`) carry the Great Expectations results. A suite
  with no new rows to judge yields no result: the run shows the check as not executed (never as
  passed), and the run's log names the tables left unjudged.
* `ingestion/delivery` (dynamic partitions `deliveries`, one per `<source>|<as-of>` folder): every
  run records each processed delivery as a materialization of its partition, so the UI lists the
  deliveries one by one; materializing a partition reprocesses that delivery alone (a rerun or a
  backfill after a fix), replacing its earlier load of the same version.

Lineage: `ingestion/delivery` -> `raw/*` (a delivery's files become rows of the raw tables) -> the
dbt staging models, which read the raw tables as sources with the same keys.

Runs are serialised twice: the instance's run queue has one slot (dagster.yaml from settings.py),
and `run_ingestion` holds an exclusive file lock, because DuckDB allows one writer per file.
"""


import json
import os
import tempfile

import dagster as dg

from pipelines.defs.resources import HticSettings
from pipelines.ingestion.spec import SOURCE_TABLES, TABLE_SPECS

DELIVERIES = dg.DynamicPartitionsDefinition(name="deliveries")
DELIVERY_KEY = dg.AssetKey(["ingestion", "delivery"])
LEDGER_TABLES = ["deliveries", "delivery_files", "rejected_rows"]


class IngestConfig(dg.Config):
    force: bool = False  # reprocess deliveries already in the ledger (only with `deliveries`)
    deliveries: list[str] = []  # folder keys `<source>/<as-of>`; empty = every pending delivery


def partition_key(delivery_key: str) -> str:
    """`court-queens/2024-01-31[/v2]` -> `court-queens|2024-01-31` (one partition per folder)."""
    src, as_of = delivery_key.split("/")[:2]
    return f"{src}|{as_of}"


def folder_key(pkey: str) -> str:
    return pkey.replace("|", "/")


def _write_summary(settings, run_id: str, summary: dict) -> None:
    d = settings.runs_dir
    settings.ensure_dirs()  # runs/ is owner-only (settings.py)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".summary-")
    with os.fdopen(fd, "w") as fh:
        json.dump(dict(summary, run_id=run_id), fh, indent=1, default=str)
    os.replace(tmp, d / f"ingest-{run_id}.json")


def _ingest(context, htic: HticSettings, only=None, force=False, record_partitions=True) -> dict:
    from pipelines.ingestion.pipeline import run_ingestion

    settings = htic.get()
    summary = run_ingestion(settings, only=only, force=force, progress=context.log.info)
    for w in summary["warnings"]:
        context.log.warning(w)
    # one log line per rejected delivery (each log line is an event in Dagster's store: the many
    # accepted deliveries of a first load are summarised, their outcomes are in the partitions)
    by_status: dict = {}
    for o in summary["deliveries"]:
        by_status[o["status"]] = by_status.get(o["status"], 0) + 1
        if o["status"] != "rejected":
            continue
        lines = [f"{o['delivery_key']}: rejected — {o['reason']}"]
        lines += [f"  {p['source']} {p['delivery']} {p.get('file')} line {p.get('line')} column {p.get('column')}: "
                  f"{p['rule']}" for p in o["problems"][:5]]
        context.log.warning("\n".join(lines))
    context.log.info("deliveries: " + (", ".join(f"{n} {k}" for k, n in sorted(by_status.items())) or "none new"))
    keys = sorted({partition_key(o["delivery_key"]) for o in summary["deliveries"]})
    if keys:
        context.instance.add_dynamic_partitions(DELIVERIES.name, keys)
    for o in summary["deliveries"] if record_partitions else []:
        yield_md = {"status": o["status"], "delivery_key": o["delivery_key"], "reason": o["reason"] or "",
                    "rows_loaded": o["rows_loaded"], "rows_rejected": o["rows_rejected"],
                    "rows_held": o["rows_held"], "duplicate_of": o["duplicate_of"] or "",
                    "problems": dg.MetadataValue.json(o["problems"][:20])}
        context.log_event(dg.AssetMaterialization(asset_key=DELIVERY_KEY,
                                                  partition=partition_key(o["delivery_key"]),
                                                  metadata=yield_md))
    _write_summary(settings, context.run_id, summary)
    return summary


def _table_results(summary: dict, tables: list[str]):
    """MaterializeResults and AssetCheckResults for the raw tables (metadata: counts, no values)."""
    by_kind_rejected: dict[str, list[dict]] = {}
    for o in summary["deliveries"]:
        if o["status"] == "rejected":
            kind = o["source_id"].split("-")[0]
            by_kind_rejected.setdefault(kind, []).append(
                {"delivery": o["delivery_key"], "reason": o["reason"],
                 "problems": [{k: p.get(k) for k in ("file", "line", "column", "rule")} for p in o["problems"][:10]]})
    for t in tables:
        spec = TABLE_SPECS[t]
        loaded = [o for o in summary["deliveries"] if o["status"] == "accepted"
                  and o["source_id"].split("-")[0] == spec.source_kind]
        yield dg.MaterializeResult(asset_key=["raw", t], metadata={
            "deliveries_loaded": len(loaded),
            "delivery_keys": dg.MetadataValue.json([o["delivery_key"] for o in loaded][:200]),
        })
    for t in tables:
        spec = TABLE_SPECS[t]
        res = summary["checks"].get(t) or {"passed": False, "evaluated": True, "severity": "ERROR",
                                           "error": "no result", "failing": [], "rows_validated": None}
        rejected = by_kind_rejected.get(spec.source_kind, [])
        if not res.get("evaluated", True) and not rejected:
            continue  # no rows to judge: no verdict, and Dagster shows the check as not executed in this run
        passed = bool(res["passed"]) and not rejected
        severity = dg.AssetCheckSeverity.ERROR if (res["severity"] == "ERROR" or rejected) else dg.AssetCheckSeverity.WARN
        failing = [{k: f.get(k) for k in ("rule", "column", "action", "unexpected_rows", "rows")} for f in res["failing"]]
        md = {"rows_validated": res.get("rows_validated") or 0,
              "expectations": res.get("expectations") or 0,
              "failing_expectations": dg.MetadataValue.json(failing),
              "deliveries_rejected": dg.MetadataValue.json(rejected)}
        if res.get("error"):
            md["error"] = res["error"]
        yield dg.AssetCheckResult(asset_key=["raw", t], check_name="suite", passed=passed, severity=severity,
                                  metadata=md)


RAW_SPECS = [dg.AssetSpec(["raw", t], group_name="raw", kinds={"duckdb"}, deps=[DELIVERY_KEY],
                          description=f"Every accepted delivery version of `{TABLE_SPECS[t].name}` "
                                      f"({t.split('__')[0]}), typed, with lineage columns.")
             for t in TABLE_SPECS]
LEDGER_SPECS = [dg.AssetSpec(["raw", t], group_name="raw", kinds={"duckdb"}, deps=[DELIVERY_KEY],
                             description={"deliveries": "Ledger: one row per delivery version seen.",
                                          "delivery_files": "Ledger: the files of each delivery version.",
                                          "rejected_rows": "Rows rejected by row-level rules (file, line, rule)."}[t])
                for t in LEDGER_TABLES]
CHECK_SPECS = [dg.AssetCheckSpec("suite", asset=["raw", t],
                                 description=f"Great Expectations suite raw.{t} over the run's new deliveries "
                                             "(not executed in a run that brings no new rows of the table)")
               for t in TABLE_SPECS]
CHECK_SPECS.append(dg.AssetCheckSpec("deliveries_on_time", asset=["raw", "deliveries"],
                                     description="No delivery in transit beyond its cadence + 7 days"))


def _ledger_results(summary: dict):
    for t in LEDGER_TABLES:
        md = {}
        if t == "deliveries":
            md = {k: v for k, v in summary["counts"].items()} | {"in_transit": len(summary["in_transit"])}
        yield dg.MaterializeResult(asset_key=["raw", t], metadata=md)
    overdue = [it["delivery"] for it in summary["in_transit"] if it["overdue"]]
    yield dg.AssetCheckResult(asset_key=["raw", "deliveries"], check_name="deliveries_on_time",
                              passed=not overdue, severity=dg.AssetCheckSeverity.WARN,
                              metadata={"overdue_in_transit": dg.MetadataValue.json(overdue),
                                        "in_transit": len(summary["in_transit"])})


# can_subset: a suite with no rows to judge yields no result (its output must be optional); the
# ingestion itself is never partial: a run that selects some raw tables still ingests every
# pending delivery, and reports the selected tables and checks.
@dg.multi_asset(name="raw_tables", specs=RAW_SPECS + LEDGER_SPECS, check_specs=CHECK_SPECS, can_subset=True,
                description="Find, archive, control-check, validate and load every pending delivery.")
def raw_tables(context: dg.AssetExecutionContext, config: IngestConfig, htic: HticSettings):
    only = {d.strip().rstrip("/") for d in config.deliveries} or None
    summary = _ingest(context, htic, only=only, force=config.force and bool(only))
    unjudged = sorted(t for t, r in summary["checks"].items() if not r.get("evaluated", True))
    if unjudged:
        context.log.info(f"suites not evaluated (no new rows): {', '.join(unjudged)}")
    assets, checks = context.selected_asset_keys, context.selected_asset_check_keys
    for result in [*_table_results(summary, list(TABLE_SPECS)), *_ledger_results(summary)]:
        if isinstance(result, dg.AssetCheckResult):
            if dg.AssetCheckKey(result.asset_key, result.check_name) in checks:
                yield result
        elif result.asset_key in assets:
            yield result


@dg.asset(key=DELIVERY_KEY, partitions_def=DELIVERIES, group_name="ingestion",
          description="One delivery folder (<source>|<as-of>). Materialize a partition to reprocess that "
                      "delivery alone; normal runs record each delivery they process here.")
def delivery(context: dg.AssetExecutionContext, htic: HticSettings):
    key = folder_key(context.partition_key)
    summary = _ingest(context, htic, only={key}, force=True, record_partitions=False)
    kinds = {o["source_id"].split("-")[0] for o in summary["deliveries"]}
    for kind in kinds:
        for t in SOURCE_TABLES[kind]:
            context.log_event(dg.AssetMaterialization(asset_key=["raw", t],
                                                      metadata={"reloaded_delivery": key}))
    outs = [o for o in summary["deliveries"] if o["delivery_key"].startswith(key + "/")]
    o = outs[-1] if outs else None
    return dg.MaterializeResult(metadata={
        "status": o["status"] if o else "not found (in transit or absent)",
        "reason": (o["reason"] or "") if o else "",
        "rows_loaded": o["rows_loaded"] if o else 0, "rows_rejected": o["rows_rejected"] if o else 0})


ingest_job = dg.define_asset_job("ingest", selection=dg.AssetSelection.assets(raw_tables),
                                 description="Ingest every pending delivery (what the sensor and `htic run` start).")
ingest_delivery_job = dg.define_asset_job("ingest_delivery", selection=dg.AssetSelection.assets(delivery),
                                          partitions_def=DELIVERIES,
                                          description="Reprocess one delivery (a partition of ingestion/delivery).")
