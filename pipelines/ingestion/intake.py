"""Intake: archive, control-check and read each delivery of a batch; set aside exact repeats.

Every delivery becomes an `Item`: rejected (a structural fault, with where it was found),
duplicate (bytes already received), or accepted so far with its rows read (to be staged)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from pipelines.ingestion.batch import Batch, Item, Outcome, Run, problem
from pipelines.ingestion.deliveries import Checked, Delivery, check_delivery
from pipelines.ingestion.plan import find_duplicate, version_of

READERS = 2  # deliveries read at once


def take_in(run: Run, batch: Batch) -> list[Item]:
    """The batch's deliveries, archived, checked and read by READERS threads at once (hashing, file
    writes and Arrow's CSV parser release the GIL), then judged one after the other, in order: a
    delivery's version and whether it repeats an earlier one depend on those before it."""
    items: list[Item] = []
    staged = 0
    with run.timed("read"), ThreadPoolExecutor(READERS) as pool:
        checked = pool.map(lambda d: check_delivery(d, run.settings.archive_dir), batch.deliveries)
        for i, (d, chk) in enumerate(zip(batch.deliveries, checked), 1):
            item = _take_in_one(run, d, chk, staged)
            if item.stage_index is not None:
                staged += 1
            items.append(item)
            run.progress("read", batch.done_before + i)
    return items


def _take_in_one(run: Run, d: Delivery, chk: Checked, next_stage_index: int) -> Item:
    version = version_of(d, run.ledger.seen, run.force)
    dkey = f"{d.key}/v{version}"
    out = Outcome(dkey, d.source_id, d.as_of.isoformat(), version, "accepted", warnings=list(chk.warnings))
    if chk.error is not None:
        e = chk.error
        out.status, out.reason = "rejected", f"{e.rule}: {e}"
        out.problems.append(problem(d, dkey, e.file, e.line, e.column, e.rule, str(e)))
        return Item(chk, out)
    fp = chk.fingerprint
    dup = find_duplicate(d, fp, [k for k in run.ledger.accepted if k[3] != dkey])
    if dup:
        out.status, out.duplicate_of = "duplicate", dup
        out.reason = "identical bytes were already received"
        return Item(chk, out)
    run.ledger.accepted.append((d.source_id, d.as_of, fp, dkey))
    return Item(chk, out, stage_index=next_stage_index)
