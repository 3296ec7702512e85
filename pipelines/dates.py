"""Dates of the evaluation, pure: quarters, the 45-day grace, and which quarter the data complete.

Every figure is "as of A" (metrics.md, Terms): it uses the deliveries with as-of <= A + GRACE_DAYS.
This module is the only place the grace is set; dbt receives it as the var `grace_days`
(`dbt_vars`). No clock, no files: callers pass the dates they have.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date, timedelta

GRACE_DAYS = 45  # metrics.md: deliveries with as-of <= A + 45 count; the snapshot is made on or after A + 45

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


def parse_quarter(label: str) -> tuple[int, int]:
    """'2026Q3' -> (2026, 3); anything else raises ValueError."""
    m = _QUARTER.match(label or "")
    if not m:
        raise ValueError(f"not a quarter label (YYYYQn): {label!r}")
    return int(m.group(1)), int(m.group(2))


def quarter_start(label: str) -> date:
    year, q = parse_quarter(label)
    return date(year, 3 * q - 2, 1)


def quarter_end(label: str) -> date:
    """A, the as-of date of the quarter's snapshot: the last day of the quarter."""
    year, q = parse_quarter(label)
    first_of_next = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    return first_of_next - timedelta(days=1)


def quarter_of(d: date) -> str:
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


def previous_quarter(label: str) -> str:
    year, q = parse_quarter(label)
    return f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}"


def next_quarter(label: str) -> str:
    year, q = parse_quarter(label)
    return f"{year + 1}Q1" if q == 4 else f"{year}Q{q + 1}"


def all_quarters_between(first: str, last: str) -> list[str]:
    """Every quarter label from `first` to `last`, both included."""
    out, cur = [], first
    while parse_quarter(cur) <= parse_quarter(last):
        out.append(cur)
        cur = next_quarter(cur)
    return out


def cutoff(as_of: date) -> date:
    """A + 45: the latest delivery as-of date a figure as of A may use."""
    return as_of + timedelta(days=GRACE_DAYS)


def data_cutoff(label: str) -> date:
    """A + 45 for A the quarter's end."""
    return cutoff(quarter_end(label))


def publishable_on(label: str) -> date:
    """The first calendar day the quarter's snapshot is made automatically: the day after A + 45.

    metrics.md allows "on or after A + 45"; waiting until that day has passed lets deliveries
    dated A + 45 arrive during their own day (the schedule: "once its 45-day grace has passed")."""
    return data_cutoff(label) + timedelta(days=1)


def last_publishable_quarter(today: date) -> str:
    """By the calendar: the latest quarter whose grace has passed on `today`."""
    label = previous_quarter(quarter_of(today))
    while publishable_on(label) > today:
        label = previous_quarter(label)
    return label


def latest_complete_quarter(delivery_dates: Iterable[date]) -> str | None:
    """By the data: the last quarter whose A + 45 the received deliveries cover (the newest
    delivery is dated on or after A + 45), or None when there are none. The one rule behind the
    default as-of of `htic run` and the "latest" quarter of `htic snapshot`."""
    newest = max(delivery_dates, default=None)
    if newest is None:
        return None
    label = quarter_of(newest)
    while data_cutoff(label) > newest:
        label = previous_quarter(label)
    return label


def default_as_of(delivery_dates: Iterable[date]) -> date | None:
    """A when none is given: the end of the latest complete quarter (from the data, never the clock)."""
    label = latest_complete_quarter(delivery_dates)
    return None if label is None else quarter_end(label)


def as_of_date(value: str | date) -> date:
    """An ISO date string (or a date) as a date; anything else raises ValueError."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def dbt_vars(as_of: str | date) -> str:
    """The dbt `--vars` of a build as of A: the date and the grace (dbt_project.yml sets neither)."""
    return json.dumps({"as_of": as_of_date(as_of).isoformat(), "grace_days": GRACE_DAYS})
