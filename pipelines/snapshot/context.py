"""What every writer of a snapshot gets: the table and the facts about the snapshot.

Only facts that follow from the inputs are here (no generation time, no code version): they may
appear in the report and workbook, which must reproduce byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from pipelines.snapshot.effects import FunderEffects


@dataclass(frozen=True)
class SnapshotContext:
    quarter: str
    revision: int
    folder: str
    as_of: date
    cutoff: date
    table: pd.DataFrame
    n_deliveries: int
    revises: str | None = None
    revision_reason: str | None = None
    effects: FunderEffects | None = None  # the adjusted comparison, disclosure applied; None: not available
    earlier: tuple = ()  # earlier publications [(folder, metrics.csv rows, ...)]: "change since" on the first page

    @property
    def n_suppressed(self) -> int:
        return int(self.table["suppressed"].sum())

