"""The metric catalogue: what each metric is called, measures and means — one place for each fact.

The catalogue is two dbt seeds beside the models (their columns are documented in
`dbt_project/seeds/_seeds.yml`):

- `goal_catalogue.csv`: one row per goal (`g1` … `g9`, in the report's order) with its title and
  the question it asks;
- `metric_catalogue.csv`: one row per `metric_id` of `analytics.metrics`, in the order of the
  metric specification (the report and the workbook follow it), with its goal, kind, unit, whether
  it counts people, its title and definition in plain words, whether the report's summary headlines
  it, and what `htic run` prints about it.

dbt loads both (a dbt test holds `metrics` to the catalogue); the report, the workbook, the run
summary and docs/metrics.md read them through this module. tests/test_catalogue.py fails when any
place that lists metrics disagrees with them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipelines.settings import DBT_PROJECT_DIR

SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
METRIC_CATALOGUE = SEEDS_DIR / "metric_catalogue.csv"
GOAL_CATALOGUE = SEEDS_DIR / "goal_catalogue.csv"

METRIC_COLUMNS = ["metric_id", "goal", "metric_kind", "unit", "counts_people", "title", "definition",
                  "report_headline", "run_summary", "shared_units", "pools", "funder_role"]
GOAL_COLUMNS = ["goal", "title", "question"]
METRIC_KINDS = {"rate", "duration", "mean", "survival", "count", "ratio"}
UNITS = {"share", "days", "score", "providers", "ratio", "survival", "count"}
POPULATIONS = {"htic", "comparison"}
_BOOLEANS = {"true": True, "false": False}
# settled: funders see a cohort only once its last day <= A - 365 (an event may still be pending);
# continuity / fitness_*: the first page's provider-exit line and its data-fitness line read it
FUNDER_ROLES = {"", "settled", "continuity", "fitness_linked", "fitness_timeliness", "fitness_rejected"}


class CatalogueError(ValueError):
    """A catalogue file breaks its own rules (the message names the file, row and column)."""


@dataclass(frozen=True)
class Goal:
    goal: str  # 'g1' … 'g9', as in analytics.metrics
    title: str
    question: str

    @property
    def label(self) -> str:
        """How the report, the workbook and metrics.csv name the goal: 'G1' … 'G9'."""
        return self.goal.upper()


@dataclass(frozen=True)
class SummaryLine:
    """One line of the figures `htic run` prints: the metric pooled over every reported cohort."""
    order: int
    metric_id: str
    population: str
    label: str


@dataclass(frozen=True)
class Metric:
    metric_id: str
    goal: str  # 'g1' … 'g9'
    metric_kind: str  # as analytics.metrics.metric_kind
    unit: str  # what a value is: share | days | score | providers | ratio | survival | count
    counts_people: bool
    title: str
    definition: str
    report_headline: bool  # the measure that stands for its goal in the report's summary
    run_summary: tuple[SummaryLine, ...]
    shared_units: str  # metrics with the same label count the same units: one denominator per cell ('' = none)
    pools: str  # a metric whose quarterly counts this one's yearly cohorts add up ('' = none)
    # what the funder snapshot does with it beyond the usual (FUNDER_ROLES; '' = nothing more)
    funder_role: str = ""


def _rows(path: Path, columns: list[str]) -> list[tuple[int, dict[str, str]]]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames != columns:
            raise CatalogueError(f"{path.name}: columns must be {columns}")
        return [(i, row) for i, row in enumerate(reader, start=2)]


def _bool(path: Path, line: int, column: str, text: str) -> bool:
    if text not in _BOOLEANS:
        raise CatalogueError(f"{path.name} line {line}, column {column}: write true or false")
    return _BOOLEANS[text]


def _summary_lines(path: Path, line: int, metric_id: str, text: str) -> tuple[SummaryLine, ...]:
    """`<order>:<population>:<label>` entries separated by `;` (empty: not in the summary)."""
    out = []
    for entry in filter(None, text.split(";")):
        order, population, label = (entry.split(":", 2) + ["", ""])[:3]
        if not order.isdigit() or population not in POPULATIONS or not label:
            raise CatalogueError(f"{path.name} line {line}, column run_summary: write "
                                 "<order>:<htic|comparison>:<label>, entries separated by ';'")
        out.append(SummaryLine(int(order), metric_id, population, label))
    return tuple(out)


@cache
def load_goals() -> tuple[Goal, ...]:
    """The goals, in the report's order."""
    goals = tuple(Goal(**row) for _, row in _rows(GOAL_CATALOGUE, GOAL_COLUMNS))
    if len({g.goal for g in goals}) != len(goals):
        raise CatalogueError(f"{GOAL_CATALOGUE.name}: a goal is listed twice")
    return goals


@cache
def load_catalogue() -> tuple[Metric, ...]:
    """Every metric, in the order of the metric specification."""
    goals = {g.goal for g in load_goals()}
    out = []
    path = METRIC_CATALOGUE
    for line, row in _rows(path, METRIC_COLUMNS):
        for column, allowed in (("goal", goals), ("metric_kind", METRIC_KINDS), ("unit", UNITS),
                                ("funder_role", FUNDER_ROLES)):
            if row[column] not in allowed:
                raise CatalogueError(f"{path.name} line {line}, column {column}: not one of {sorted(allowed)}")
        out.append(Metric(
            metric_id=row["metric_id"], goal=row["goal"], metric_kind=row["metric_kind"], unit=row["unit"],
            counts_people=_bool(path, line, "counts_people", row["counts_people"]),
            title=row["title"], definition=row["definition"],
            report_headline=_bool(path, line, "report_headline", row["report_headline"]),
            run_summary=_summary_lines(path, line, row["metric_id"], row["run_summary"]),
            shared_units=row["shared_units"], pools=row["pools"], funder_role=row["funder_role"]))
    ids = [m.metric_id for m in out]
    if len(set(ids)) != len(ids):
        raise CatalogueError(f"{path.name}: a metric_id is listed twice")
    for line, m in enumerate(out, start=2):
        if m.pools and m.pools not in ids:
            raise CatalogueError(f"{path.name} line {line}, column pools: not a metric_id of the catalogue")
    for g in goals:
        if sum(m.report_headline for m in out if m.goal == g) > 1:
            raise CatalogueError(f"{path.name}: goal {g} has more than one report_headline")
    orders = sorted(s.order for m in out for s in m.run_summary)
    if orders != list(range(1, len(orders) + 1)):
        raise CatalogueError(f"{path.name}: run_summary orders must be 1, 2, … without gaps or repeats")
    return tuple(out)


def with_role(role: str) -> list[str]:
    """The metric ids the catalogue gives this funder_role, in catalogue order."""
    return [m.metric_id for m in load_catalogue() if m.funder_role == role]


@cache
def metrics_by_id() -> dict[str, Metric]:
    """Catalogue rows by metric id, in the specification's order."""
    return {m.metric_id: m for m in load_catalogue()}


def metric(metric_id: str) -> Metric:
    """The catalogue row of a metric id; an id the catalogue lacks is an error (add it there)."""
    try:
        return metrics_by_id()[metric_id]
    except KeyError:
        raise CatalogueError(f"metric {metric_id!r} is not in {METRIC_CATALOGUE.name}") from None


@cache
def _positions() -> dict[str, int]:
    return {mid: i for i, mid in enumerate(metrics_by_id())}


def metric_order(metric_id: str) -> int:
    """A metric's place in the specification's order (its catalogue row); a sort key."""
    metric(metric_id)
    return _positions()[metric_id]


def run_summary() -> list[SummaryLine]:
    """The lines `htic run` prints, in order."""
    return sorted((s for m in load_catalogue() for s in m.run_summary), key=lambda s: s.order)


def markdown_table() -> str:
    """docs/metrics.md's catalogue table (tests/test_catalogue.py checks the page holds it)."""
    goals = {g.goal: g for g in load_goals()}
    lines = ["| metric_id | goal | kind | unit | counts people | title |", "|---|---|---|---|---|---|"]
    for m in load_catalogue():
        lines.append(f"| `{m.metric_id}` | {goals[m.goal].label} | {m.metric_kind} | {m.unit} | "
                     f"{'yes' if m.counts_people else 'no'} | {m.title} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # docs/metrics.md's table: python -m pipelines.catalogue
    print(markdown_table(), end="")
