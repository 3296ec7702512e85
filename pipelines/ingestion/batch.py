"""The objects one ingestion run passes from stage to stage.

`Run` holds what every stage of the run shares (settings, the restricted store's connection, the
ledger as it stood, progress and timings); a `Batch` is a group of pending deliveries read,
staged, validated and loaded together; each of its `Item`s is one delivery version with the
`Outcome` the run reports for it (no values: keys, counts, files, lines, columns, rules).
"""

from __future__ import annotations

import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

import duckdb

from pipelines.ingestion.deliveries import Checked, Delivery, SeenVersion
from pipelines.settings import Settings

Progress = Callable[[str], None]

# Progress lines ("read 150/479 deliveries") every this many deliveries, and after the last one.
PROGRESS_EVERY = 50


@dataclass
class Outcome:
    delivery_key: str            # <source>/<as_of>/v<version>
    source_id: str
    as_of: str
    version: int
    status: str                  # accepted | rejected | duplicate
    reason: str | None = None
    duplicate_of: str | None = None
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_held: int = 0
    superseded: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)   # structural/row faults, no values


def problem(d: Delivery, delivery_key: str, file: str | None, line: int | None, column: str | None, rule: str,
            message: str) -> dict:
    """One fault where it was found (never the value)."""
    return {"source": d.source_id, "delivery": delivery_key, "file": file, "line": line, "column": column,
            "rule": rule, "message": message}


@dataclass
class Item:
    """One delivery version in a batch: what intake read, and what the run decides for it."""

    checked: Checked
    outcome: Outcome
    stage_index: int | None = None   # `_d` of its rows in the stage; None when nothing of it is staged

    @property
    def delivery(self) -> Delivery:
        return self.checked.delivery


@dataclass
class Batch:
    deliveries: list[Delivery]
    done_before: int                 # deliveries of the run processed by earlier batches


@dataclass
class LedgerState:
    """The ledger as the run found it, plus the versions this run accepts as it goes."""

    seen: dict[str, list[SeenVersion]]   # folder key -> its versions, oldest first
    accepted: list[tuple]            # (source_id, as_of, content fingerprint, delivery key)


@dataclass
class Run:
    settings: Settings
    con: duckdb.DuckDBPyConnection   # the restricted store's connection (the one writer)
    ledger: LedgerState
    force: bool
    gx_enabled: bool
    say: Progress
    total: int                       # pending deliveries in the run
    timings: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    @contextmanager
    def timed(self, step: str):
        t = time.perf_counter()
        try:
            yield
        finally:
            self.timings[step] += time.perf_counter() - t

    def progress(self, verb: str, n: int) -> None:
        if n % PROGRESS_EVERY == 0 or n == self.total:
            self.say(f"{verb} {n}/{self.total} deliveries")
