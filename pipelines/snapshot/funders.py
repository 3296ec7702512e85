"""Which rows of the warehouse's `metrics` funders receive (metrics.md v2, "What funders receive").

The warehouse keeps every cohort and breakdown for evaluators; a funder snapshot shows:

- every metric by cohort quarter, overall only (a quarter's breakdown cells are never printed:
  breakdowns are published for calendar years only);
- every `<Q>-R4` row (overall only, as the warehouse builds them);
- every calendar year `<YYYY>`, overall and by breakdown (survival's disposition years included);
- rows that describe no cohort of people (`all`: G7, delivery timeliness) as they are, and the
  per-source rows of files and rows rejected (a source is the metric's own unit, not a breakdown of
  people; they count no people);
- for the metrics that count events that may still be pending (the catalogue's funder_role `settled`), only cohorts whose last
  day is at least a year before A (a settled cohort).

The rows left out are not thrown away before disclosure control: a reader can imply them (a
quarter's cells from the year's cells and the quarter's overall), so disclosure.protect sees them
as never printed (hidden from the start) and only then are they dropped (`publish_mask`).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import numpy as np
import pandas as pd

from pipelines import catalogue, dates

SETTLED_DAYS = 365
PER_SOURCE = "source"  # files and rows rejected, per data source: the metric's unit, not a breakdown of people

_QUARTER = re.compile(r"^\d{4}Q[1-4]$")
_YEAR = re.compile(r"^\d{4}$")
_ROLLING = re.compile(r"^(\d{4}Q[1-4])-R4$")


def cohort_last_day(cohort: str) -> date | None:
    """Last day of a cohort label: a quarter, `<Q>-R4` (Q's last day) or a year; None otherwise."""
    if _QUARTER.match(cohort):
        return dates.quarter_end(cohort)
    if m := _ROLLING.match(cohort):
        return dates.quarter_end(m.group(1))
    if _YEAR.match(cohort):
        return date(int(cohort), 12, 31)
    return None


def is_settled(cohort: str, as_of: date) -> bool:
    """A cohort whose last day is at least SETTLED_DAYS before A (labels without a date are not)."""
    last = cohort_last_day(cohort)
    return last is not None and last <= as_of - timedelta(days=SETTLED_DAYS)


def publish_mask(df: pd.DataFrame, as_of: date) -> np.ndarray:
    """True for the rows funders receive (see module docstring)."""
    cohort = df["cohort"].astype(str)
    breakdown = df["breakdown"].astype(str)
    quarterly = cohort.str.match(_QUARTER.pattern).to_numpy()
    keep = ~quarterly | (breakdown == "overall").to_numpy() | (breakdown == PER_SOURCE).to_numpy()
    pending = df["metric_id"].astype(str).isin(catalogue.with_role("settled")).to_numpy()
    settled = np.array([is_settled(c, as_of) for c in cohort], dtype=bool)
    return keep & (~pending | settled)


def headline_mask(df: pd.DataFrame, published: np.ndarray) -> np.ndarray:
    """True for the first page's headline rows (metrics.md v2, "Headlines"): per goal its headline
    metric (the catalogue's report_headline), overall, its latest `<Q>-R4` among the rows funders
    receive, for HTIC and for the comparison (shown beside HTIC for G4). Disclosure control keeps them
    shown where it can (`disclosure.protect`, its `headline` column)."""
    heads = {m.metric_id for m in catalogue.load_catalogue() if m.report_headline}
    metric, cohort = df["metric_id"].astype(str), df["cohort"].astype(str)
    rolling = cohort.str.match(_ROLLING.pattern).to_numpy()
    candidate = (metric.isin(heads).to_numpy() & (df["breakdown"].astype(str) == "overall").to_numpy()
                 & rolling & published)
    mask = np.zeros(len(df), dtype=bool)
    if not candidate.any():
        return mask
    sub = df[candidate]
    last = {key: max(group, key=lambda c: (int(c[:4]), int(c[5])))
            for key, group in sub.groupby([sub["metric_id"].astype(str), sub["population"].astype(str)])["cohort"]}
    for i in np.flatnonzero(candidate):
        mask[i] = last[(str(df["metric_id"].iat[i]), str(df["population"].iat[i]))] == str(df["cohort"].iat[i])
    return mask
