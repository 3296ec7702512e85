"""Quarter arithmetic for the funder snapshot: labels, as-of dates, the 45-day grace."""

from __future__ import annotations

import re
from datetime import date, timedelta

GRACE_DAYS = 45  # metrics.md: deliveries with as-of <= A + 45 count; the snapshot is made on or after A + 45

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_REVISION = re.compile(r"^(\d{4}Q[1-4])(?:-r(\d+))?$")


def parse_quarter(label: str) -> tuple[int, int]:
    m = _QUARTER.match(label or "")
    if not m:
        raise ValueError(f"not a quarter label (YYYYQn): {label!r}")
    return int(m.group(1)), int(m.group(2))


def quarter_end(label: str) -> date:
    """A, the as-of date of the quarter's snapshot: the last day of the quarter."""
    year, q = parse_quarter(label)
    first_of_next = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    return first_of_next - timedelta(days=1)


def quarter_start(label: str) -> date:
    year, q = parse_quarter(label)
    return date(year, 3 * q - 2, 1)


def quarter_of(d: date) -> str:
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


def previous_quarter(label: str) -> str:
    year, q = parse_quarter(label)
    return f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}"


def data_cutoff(label: str) -> date:
    """A + 45: the latest delivery as-of date a snapshot of the quarter may use."""
    return quarter_end(label) + timedelta(days=GRACE_DAYS)


def publishable_on(label: str) -> date:
    """The first day the quarter's snapshot is made automatically: the day after A + 45.

    metrics.md allows "on or after A + 45"; waiting until that day has passed lets deliveries
    dated A + 45 arrive during their own day (the issue: "once its 45-day grace has passed")."""
    return data_cutoff(label) + timedelta(days=1)


def last_publishable_quarter(today: date) -> str:
    """The latest quarter whose grace period has passed on `today`."""
    label = previous_quarter(quarter_of(today))
    while publishable_on(label) > today:
        label = previous_quarter(label)
    return label


def all_quarters_between(first: str, last: str) -> list[str]:
    out, cur = [], first
    while parse_quarter(cur) <= parse_quarter(last):
        out.append(cur)
        y, q = parse_quarter(cur)
        cur = f"{y + 1}Q1" if q == 4 else f"{y}Q{q + 1}"
    return out


def split_revision(folder_name: str) -> tuple[str, int] | None:
    """'2026Q3' -> ('2026Q3', 1); '2026Q3-r2' -> ('2026Q3', 2); anything else -> None."""
    m = _REVISION.match(folder_name)
    if not m:
        return None
    return m.group(1), int(m.group(2) or 1)


def folder_name(quarter: str, revision: int) -> str:
    return quarter if revision == 1 else f"{quarter}-r{revision}"
