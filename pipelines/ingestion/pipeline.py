"""One ingestion pass: every pending delivery, read, validated once per table, loaded atomically.

    discover (deliveries.py) -> plan: pending versions, batches (plan.py)
    -> per batch: intake — archive, control check, read, duplicates (intake.py)
                  stage — every new row typed in an in-memory DuckDB `stg` (stage.py)
                  validate — row rules + Great Expectations, each suite once; verdicts (validate.py)
                  load — one transaction per batch, quarantine reports (load.py, summary.py)
    -> ledger export (warehouse.py) and the run summary (summary.py)

The stages pass a `Run` (what the run shares) and each batch's `Item`s (batch.py). Nothing here
prints identifiers: reports name source, delivery, file, line, column and rule.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

from pipelines.ingestion import load, stage, validate
from pipelines.ingestion.batch import Batch, Outcome, Progress, Run
from pipelines.ingestion.deliveries import awaiting_correction, discover, versions_from_export
from pipelines.ingestion.intake import take_in
from pipelines.ingestion.plan import batches, pending_deliveries, read_ledger
from pipelines.ingestion.summary import (merge_checks, needs_quarantine_report, no_new_deliveries_checks,
                                         summarise, write_quarantine_report)
from pipelines.ingestion.warehouse import exclusive_lock, export_ledger, open_store, read_ledger_export


@dataclass
class BatchResult:
    outcomes: list[Outcome]
    checks: dict[str, dict]
    rows_staged: int


def run_ingestion(settings, *, only: set[str] | None = None, force: bool = False, today: date | None = None,
                  progress: Progress | None = None, gx_enabled: bool = True) -> dict:
    """Ingest every pending delivery of `settings.landing` into `settings.restricted_db`.

    `only`: folder keys (`<source>/<as-of>`) to consider; `force`: reprocess them even if already
    in the ledger. The reject threshold, batch size and DuckDB limits come from `settings`.
    Returns a summary (no identifiers): outcomes per delivery, in-transit deliveries (and which are
    overdue), deliveries waiting for a correction (only rejected versions so far), rows per source,
    validation results per table."""
    say = progress or (lambda m: None)
    t0 = time.perf_counter()
    settings.ensure_dirs()
    today = today or date.today()
    found, warnings = discover(settings.landing)
    in_transit = [{"delivery": d.key, "overdue": d.overdue(today)} for d in found if not d.complete]
    warnings += [f"{it['delivery']}: still in transit (no control file) and overdue" for it in in_transit
                 if it["overdue"]]

    with exclusive_lock(settings.restricted_dir / ".ingest.lock", say), open_store(settings) as con:
        ledger = read_ledger(con)
        pending = pending_deliveries(found, ledger.seen, only, force)
        say(f"{len(found)} delivery folders, {len(pending)} pending, {len(in_transit)} in transit")
        run = Run(settings, con, ledger, force, gx_enabled, say, total=len(pending))
        planned = batches(pending, settings.batch_mb * 1024 * 1024)
        results = []
        for n, batch in enumerate(planned, 1):
            if len(planned) > 1:
                say(f"batch {n}/{len(planned)}: {len(batch.deliveries)} deliveries")
            results.append(process_batch(run, batch))
        con.execute("CHECKPOINT")
        export_ledger(con, settings.ledger_export)

    checks = merge_checks([r.checks for r in results]) if pending else no_new_deliveries_checks()
    waiting = awaiting_correction(versions_from_export(read_ledger_export(settings.ledger_export)))
    timings = dict(run.timings) | {"total": time.perf_counter() - t0}
    return summarise(settings.landing, [o for r in results for o in r.outcomes], in_transit, waiting,
                     sum(r.rows_staged for r in results), checks, warnings, timings)


def process_batch(run: Run, batch: Batch) -> BatchResult:
    """Intake, stage, validate (each table once over the batch) and load a batch of deliveries."""
    items = take_in(run, batch)
    with stage.attached(run.con):
        with run.timed("stage"):
            rows_staged = stage.stage_batch(run.con, items)
        validation = validate.validate_batch(run)
        run.say(f"validated {rows_staged} new rows")
        with run.timed("load"):
            load.make_archive_durable()
            for item in items:
                if item.stage_index is not None:
                    validate.judge(item, validation, run.settings.reject_threshold)
            load.load_batch(run, items)
            for n, item in enumerate(items, 1):
                if needs_quarantine_report(item.outcome):
                    write_quarantine_report(run.settings.quarantine_dir, item.outcome)
                run.progress("loaded", batch.done_before + n)
    return BatchResult([it.outcome for it in items], validation.checks, rows_staged)
