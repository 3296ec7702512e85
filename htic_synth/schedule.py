"""The delivery calendar: the DSA window's month ends, and which of them carry which deliveries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


def month_end(y: int, m: int) -> date:
    return date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)


def month_ends(start: date, end: date) -> list[date]:
    out = []
    y, m = start.year, start.month
    while True:
        d = month_end(y, m)
        if d > end:
            return out
        if d >= start:
            out.append(d)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def default_dsa_start(end: date) -> date:
    """23 month ends before the last month end on or before `end` → 24 monthly deliveries."""
    y, m = end.year, end.month
    if month_end(y, m) > end:
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    k = y * 12 + (m - 1) - 23
    return month_end(k // 12, k % 12 + 1)


@dataclass(frozen=True)
class Schedule:
    """Every delivery date of the window (dates, and as ordinals where the simulation needs them)."""

    end_date: date  # the last as-of date
    end: int  # end_date as an ordinal
    dsa_start: date
    court_dates: list[date]  # a court snapshot (and a provider delivery) at every month end
    court_ords: list[int]
    dcjs_dates: list[date]  # quarter ends
    program_dates: list[date]
    close_idx: int  # the month end at which the closing provider's contract ends
    expand_idx: int  # the month end after which a provider serves a further court
    removed_idx: int  # the first snapshot without the docket removed upstream

    @classmethod
    def build(cls, end: date, dsa_start: date | None) -> Schedule:
        dsa_start = dsa_start or default_dsa_start(end)
        cdates = month_ends(dsa_start, end)
        if len(cdates) < 3:
            raise ValueError("the DSA window must hold at least three monthly deliveries")
        n = len(cdates)
        close_idx = max(1, min(n - 2, round(0.45 * (n - 1))))
        expand_idx = max(close_idx + 1, min(n - 1, round(0.7 * (n - 1))))
        return cls(end_date=end, end=end.toordinal(), dsa_start=dsa_start,
                   court_dates=cdates, court_ords=[d.toordinal() for d in cdates],
                   dcjs_dates=[d for d in cdates if d.month % 3 == 0] or [cdates[-1]],
                   program_dates=sorted({cdates[0], cdates[close_idx], cdates[expand_idx]}),
                   close_idx=close_idx, expand_idx=expand_idx, removed_idx=max(1, n // 2))
