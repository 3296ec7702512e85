"""Which deliveries a run processes, under which version, in which batches — and which repeat bytes
already received. Reads the ledger; writes nothing."""

from __future__ import annotations

from collections import defaultdict

from pipelines.ingestion.batch import Batch, LedgerState
from pipelines.ingestion.deliveries import Delivery, SeenVersion, is_pending


def read_ledger(con) -> LedgerState:
    """The ledger's versions per folder (with their files' hashes), and the content fingerprint of
    every accepted version."""
    seen: dict[str, list[SeenVersion]] = defaultdict(list)
    for dk, src, as_of, ver, csha, status, files in con.execute("""
            SELECT d.delivery_key, d.source_id, d.as_of, d.version, d.control_sha256, d.status,
                   coalesce((SELECT map(list(f.file_name), list(f.sha256)) FROM raw.delivery_files f
                             WHERE f.delivery_key = d.delivery_key), MAP {})
            FROM raw.deliveries d ORDER BY d.as_of, d.source_id, d.version""").fetchall():
        seen[f"{src}/{as_of.isoformat()}"].append(SeenVersion(ver, csha, status, dk, dict(files)))
    accepted = [(src, as_of, fp, dk) for src, as_of, fp, dk in con.execute("""
        SELECT d.source_id, d.as_of,
               sha256(string_agg(f.file_name || chr(9) || f.sha256, chr(10) ORDER BY f.file_name)), d.delivery_key
        FROM raw.deliveries d JOIN raw.delivery_files f USING (delivery_key)
        WHERE d.status = 'accepted' AND f.file_name <> '_control.csv'
        GROUP BY d.delivery_key, d.source_id, d.as_of""").fetchall()]
    return LedgerState(seen, accepted)


def pending_deliveries(found: list[Delivery], seen: dict[str, list[SeenVersion]], only: set[str] | None = None,
                       force: bool = False) -> list[Delivery]:
    """Complete deliveries pending by `is_pending` (or, with force, every complete one of `only`)."""
    return [d for d in found if d.complete and (only is None or d.key in only)
            and (force or is_pending(d, seen.get(d.key, [])))]


def version_of(d: Delivery, seen: dict[str, list[SeenVersion]], force: bool) -> int:
    """The next version number of the folder; with force, a rerun of its latest version keeps it."""
    prev = seen.get(d.key, [])
    if force and prev and prev[-1].control_sha256 == d.control_sha256:
        return prev[-1].version
    return (max(v.version for v in prev) + 1) if prev else 1


def find_duplicate(d: Delivery, fp: str, known: list[tuple]) -> str | None:
    """The delivery whose bytes this one repeats, if any (`known`: accepted (source, as_of, fp, key)).

    Changes-only sources (providers): any earlier delivery of the source with the same bytes.
    Snapshots (program, courts, dcjs): the same folder, or the source's latest snapshot before this
    as-of — an unchanged snapshot re-sent under a new date. A snapshot that returns to the bytes of
    an older one, with different snapshots between, is a real state and is loaded."""
    same = [k for k in known if k[0] == d.source_id]
    for src, as_of, kfp, key in same:
        if as_of == d.as_of and kfp == fp:
            return key
    if d.kind == "provider":
        return next((key for src, as_of, kfp, key in same if kfp == fp), None)
    earlier = [k for k in same if k[1] < d.as_of]
    if earlier:
        latest = max(earlier, key=lambda k: k[1])
        if latest[2] == fp:
            return latest[3]
    return None


def batches(pending: list[Delivery], budget_bytes: int) -> list[Batch]:
    """Consecutive groups of pending deliveries whose files total at most `budget_bytes` (at least
    one delivery each): memory stays bounded on a first load of years of deliveries, and a normal
    incremental run is one batch, validated once."""
    groups: list[list[Delivery]] = []
    size = 0
    for d in pending:
        n = sum(p.lstat().st_size for p in d.path.iterdir())  # lstat: a link is not followed
        if not groups or size + n > budget_bytes:
            groups.append([])
            size = 0
        groups[-1].append(d)
        size += n
    out, done = [], 0
    for g in groups:
        out.append(Batch(g, done))
        done += len(g)
    return out
