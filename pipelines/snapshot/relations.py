"""The linked tables of a publication, as the suppression choice sees them (`disclosure.py`).

A *relation* says a container row's count is the sum of its parts' counts, plus possibly a group
absent from the table (the true gap, when the parts do not add up). Built from the spec's structure
(metrics.md), by row keys and metric names — deliberately not the way the audit (`audit.py`) finds
them, which reads them off the data:

- breakdown partitions: a family (metric, population, cohort): overall = the cells of each breakdown;
- pooled periods, by cohort label: `<YYYY>` = its quarters `<YYYY>Q1..Q4`; `<YYYYQn>-R4` = the four
  quarters ending with Qn (same metric, population and cell);
- survival: `g4_rearrest_free_survival_<w>` for a disposition year = the quarterly
  `g4_rearrest_any_<w>` rows of that year, cell by cell (numerator: rearrested by t; denominator:
  cases), when the true counts bear it out (a year with immature quarters leaves a gap);
- shared counts (`twins()`, the catalogue's `shared_units`): metrics over the same units hold the same
  denominator in a cell.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd

from pipelines import catalogue

KEY = ["metric_id", "population", "cohort", "breakdown", "breakdown_value"]
COUNTS = ("numerator", "denominator", "difference")
TOL = 1e-6

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_ROLLING = re.compile(r"^(\d{4})Q([1-4])-R4$")


def twins() -> list[tuple[str, ...]]:
    """Metrics over the same units (metrics.md): in a cell, equal denominators are one count.
    From the metric catalogue's `shared_units` column."""
    groups: dict[str, list[str]] = {}
    for m in catalogue.load_catalogue():
        if m.shared_units:
            groups.setdefault(m.shared_units, []).append(m.metric_id)
    return [tuple(ids) for _, ids in sorted(groups.items())]


def pooled_source(metric_id: str) -> str:
    """The metric whose quarterly counts this one's yearly cohorts add up (the catalogue's `pools`),
    else the metric itself (a pooled period of its own quarters)."""
    m = catalogue.metrics_by_id().get(metric_id)
    return m.pools if m and m.pools else metric_id


@dataclass(frozen=True)
class Relation:
    container: int            # row index
    parts: tuple[int, ...]    # row indices
    gap: dict                 # count -> true value of the absent group (0 when the parts add up)
    label: str


def quarters_of(cohort: str) -> list[str] | None:
    """The quarters a pooled cohort label covers; None for a quarter or any other label."""
    if m := _YEAR.match(cohort):
        return [f"{m.group(1)}Q{q}" for q in range(1, 5)]
    if m := _ROLLING.match(cohort):
        y, q = int(m.group(1)), int(m.group(2))
        out = []
        for _ in range(4):
            out.append(f"{y}Q{q}")
            y, q = (y - 1, 4) if q == 1 else (y, q - 1)
        return out[::-1]
    return None


def row_counts(df: pd.DataFrame) -> dict[str, list[float]]:
    """numerator, denominator, difference per row, NaN where the row holds no such count of people."""
    kinds = df["metric_kind"].astype(str).tolist()
    num = pd.to_numeric(df["numerator"], errors="coerce").astype(float).tolist()
    den = pd.to_numeric(df["denominator"], errors="coerce").astype(float).tolist()
    out = {c: [math.nan] * len(df) for c in COUNTS}
    for i, k in enumerate(kinds):
        if k in ("rate", "survival", "count"):
            out["numerator"][i], out["denominator"][i] = num[i], den[i]
            if k != "count" and not (math.isnan(num[i]) or math.isnan(den[i])):
                out["difference"][i] = den[i] - num[i]
        elif k in ("duration", "mean"):
            out["denominator"][i] = den[i]
        elif k == "ratio":
            out["numerator"][i] = num[i]
    return out


def build_relations(df: pd.DataFrame, counts: dict[str, list[float]]) -> list[Relation]:
    """Every relation among the rows of `df` (rows about people only; index = position)."""
    keys = list(df[KEY].astype(str).itertuples(index=False, name=None))
    people = df["counts_people"].fillna(True).astype(bool).tolist()
    index = {k: i for i, k in enumerate(keys) if people[i]}
    out: list[Relation] = []

    def add(container: int, parts: list[int], label: str) -> None:
        gap = {}
        for c in COUNTS:
            vals = [counts[c][container]] + [counts[c][p] for p in parts]
            if any(math.isnan(v) for v in vals):
                continue
            g = vals[0] - sum(vals[1:])
            if g < -TOL:
                return  # the parts exceed the container: not a sum a reader can use
            gap[c] = 0.0 if abs(g) < TOL else g
        if gap:
            out.append(Relation(container, tuple(parts), gap, label))

    families: dict[tuple, dict[str, list[int]]] = {}
    for k, i in index.items():
        families.setdefault(k[:3], {}).setdefault(k[3], []).append(i)
    for fam in sorted(families):
        groups = families[fam]
        if "overall" not in groups:
            continue
        o = groups["overall"][0]
        for bd in sorted(b for b in groups if b != "overall"):
            add(o, sorted(groups[bd], key=lambda i: keys[i]), f"{fam[0]} {fam[2]} breakdown {bd}")

    for k, i in sorted(index.items()):
        qs = quarters_of(k[2])
        if not qs:
            continue
        source = pooled_source(k[0])
        parts = [j for q in qs if (j := index.get((source, k[1], q, k[3], k[4]))) is not None]
        if parts:
            add(i, parts, f"{k[0]} {k[2]} over quarters of {source}")
    return out


def twin_groups(df: pd.DataFrame, counts: dict[str, list[float]]) -> list[list[int]]:
    """Rows of one cell whose metrics share units and whose denominators are equal."""
    keys = list(df[KEY].astype(str).itertuples(index=False, name=None))
    people = df["counts_people"].fillna(True).astype(bool).tolist()
    member = {m: g for g, group in enumerate(twins()) for m in group}
    cells: dict[tuple, dict[float, list[int]]] = {}
    for i, k in enumerate(keys):
        g = member.get(k[0])
        d = counts["denominator"][i]
        if g is None or not people[i] or math.isnan(d):
            continue
        cells.setdefault((g,) + k[1:], {}).setdefault(d, []).append(i)
    return [sorted(rows) for cell in sorted(cells) for _, rows in sorted(cells[cell].items()) if len(rows) > 1]
