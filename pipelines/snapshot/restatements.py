"""restatements.csv — every figure of the previous snapshot that changed, old and new.

Compared as the texts published in metrics.csv (after rounding and suppression), keyed by metric,
population, cohort, breakdown and breakdown value. A row of the previous snapshot missing from this
one is listed as `removed`; rows new in this snapshot (new cohorts) are not restatements.
"""

from __future__ import annotations

import csv
from pathlib import Path

from pipelines.snapshot.table import KEY, csv_bytes

COMPARED = ["value", "ci_low", "ci_high", "numerator", "denominator", "suppressed"]
COLUMNS = KEY + ["change"] + [f"{side}_{c}" for c in COMPARED for side in ("old", "new")]


def read_published(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def restatement_rows(previous: list[dict[str, str]], current: list[dict[str, str]]) -> list[dict[str, str]]:
    now = {tuple(r[k] for k in KEY): r for r in current}
    out = []
    for old in previous:
        key = tuple(old[k] for k in KEY)
        new = now.get(key)
        if new is not None and all(old.get(c, "") == new.get(c, "") for c in COMPARED):
            continue
        row = dict(zip(KEY, key))
        row["change"] = "removed" if new is None else "changed"
        for c in COMPARED:
            row[f"old_{c}"] = old.get(c, "")
            row[f"new_{c}"] = "" if new is None else new.get(c, "")
        out.append(row)
    out.sort(key=lambda r: tuple(r[k] for k in KEY))
    return out


def write_restatements(previous_csv: Path | None, current: list[dict[str, str]], path: Path) -> int:
    rows = restatement_rows(read_published(previous_csv), current) if previous_csv else []
    Path(path).write_bytes(csv_bytes(rows, COLUMNS))
    return len(rows)
