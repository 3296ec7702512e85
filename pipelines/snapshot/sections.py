"""The report as data: what report.html and report.pdf both show, built once from the funder table.

Per goal (goal_catalogue.csv's order) and measure (metric_catalogue.csv's order): title and
definition from the catalogue, the headline figure(s) with interval and n, the trend and breakdown
charts (Vega-Lite specs from charts.py), the breakdown table and the notes. Around them: the
summary (one headline measure per goal), the reading notes and the definitions of every measure in
the snapshot. Every figure is already text here; html.py and pdf.py only lay it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from pipelines import catalogue
from pipelines.snapshot import charts
from pipelines.snapshot import definitions_text as dt
from pipelines.snapshot.context import SnapshotContext

SUPPRESSED_MARK = "suppressed*"
FOOTNOTE = ("* suppressed: a count it would reveal is between 1 and 10, or it could be worked out from the "
            "total and the other groups; a suppressed figure shows no numbers.")


def _missing(v) -> bool:
    return charts.as_number(v) is None


def fmt_value(v, kind: str) -> str:
    if _missing(v):
        return "n/a"
    if kind in charts.RATE_KINDS:
        return f"{v * 100:.1f}%"
    if kind == "duration":
        return f"{v:.1f} days"
    if kind in ("mean", "ratio"):
        return f"{v:.2f}"
    return f"{v:.0f}"


def fmt_interval(lo, hi, kind: str) -> str:
    if _missing(lo) or _missing(hi):
        return ""
    if kind in charts.RATE_KINDS:
        return f"{lo * 100:.1f}-{hi * 100:.1f}%"
    if kind == "duration":
        return f"{lo:.1f}-{hi:.1f} days"
    return f"{lo:.2f}-{hi:.2f}"


def fmt_count(x) -> str:
    if _missing(x):
        return ""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


@dataclass(frozen=True)
class Headline:
    population: str
    cohort: str
    text: str  # "61.2%" or "suppressed*"
    interval: str
    n: str
    suppressed: bool


@dataclass
class MetricSection:
    metric_id: str
    title: str
    definition: str
    kind: str
    headlines: list[Headline]
    trend: dict | None = None  # Vega-Lite spec
    breakdown: dict | None = None
    breakdown_cohort: str | None = None
    breakdown_cells: list[charts.BreakdownCell] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    svgs: dict[str, str] = field(default_factory=dict)  # 'trend'/'breakdown' -> rendered SVG


@dataclass(frozen=True)
class GoalSection:
    goal: catalogue.Goal
    metrics: list[MetricSection]

    @property
    def headline_measure(self) -> MetricSection | None:
        """The measure that stands for the goal in the summary: the catalogue's report_headline,
        or the goal's first measure when the snapshot lacks it."""
        for m in self.metrics:
            if catalogue.metric(m.metric_id).report_headline:
                return m
        return self.metrics[0] if self.metrics else None


@dataclass(frozen=True)
class SummaryRow:
    goal: catalogue.Goal
    measure: MetricSection | None
    headline: Headline | None  # None: no figures


@dataclass(frozen=True)
class Definition:
    metric_id: str
    title: str
    goal_label: str
    definition: str


@dataclass(frozen=True)
class Report:
    folder: str
    as_of: date
    cutoff: date
    n_deliveries: int
    spec_version: str
    revision: int
    revises: str | None
    revision_reason: str | None
    summary: list[SummaryRow]
    reading_notes: list[tuple[str, str]]
    goals: list[GoalSection]
    definitions: list[Definition]

    @property
    def title(self) -> str:
        return f"HTIC evaluation - funder snapshot {self.folder}"


def _latest(cohorts) -> str | None:
    cs = sorted(set(cohorts))
    named = [c for c in cs if c != "all"]
    return (named or cs or [None])[-1]


def _headline(rows: pd.DataFrame, pop: str, kind: str) -> Headline | None:
    """The overall figure of the latest cohort that can be shown (a suppressed latest cohort gives
    way to the one before it); all cohorts suppressed -> a suppressed headline."""
    rows = rows[(rows["population"] == pop) & (rows["breakdown"] == "overall")]
    if rows.empty:
        return None
    shown = rows[~rows["suppressed"].astype(bool) & rows["value"].notna()]
    if shown.empty:
        return Headline(charts.POP_LABEL.get(pop, pop), _latest(rows["cohort"]), SUPPRESSED_MARK, "", "", True)
    cohort = _latest(shown["cohort"])
    r = shown[shown["cohort"] == cohort].iloc[0]
    if cohort != _latest(rows["cohort"]):
        cohort = f"{cohort} (later cohorts suppressed)"
    return Headline(charts.POP_LABEL.get(pop, pop), cohort, fmt_value(r["value"], kind),
                    fmt_interval(r["ci_low"], r["ci_high"], kind), fmt_count(r["denominator"]), False)


def breakdown_cells(rows: pd.DataFrame, kind: str) -> tuple[str | None, list[charts.BreakdownCell]]:
    """Each breakdown of one recent cohort (HTIC): figure and interval per group, suppressed groups
    written as such. The cohort is the recent one (of the last four) where most groups can be
    shown; ties go to the latest."""
    cells = rows[(rows["breakdown"] != "overall") & (rows["population"] == "htic")]
    if cells.empty:
        return None, []
    recent = sorted(set(cells["cohort"]))[-4:]
    shown = cells[~cells["suppressed"]].groupby("cohort").size()
    cohort = max(recent, key=lambda c: (int(shown.get(c, 0)), c))
    cells = cells[cells["cohort"] == cohort].copy()
    cells["blabel"] = cells["breakdown"].map(dt.breakdown_label)
    cells = cells.sort_values(["blabel", "breakdown_value"])
    out = []
    for r in cells.itertuples(index=False):
        v = charts.as_number(r.value)
        text = SUPPRESSED_MARK if r.suppressed else (fmt_value(v, kind) if v is not None else "no cases")
        out.append(charts.BreakdownCell(
            breakdown=r.blabel, group=r.breakdown_value, value=v,
            lo=charts.as_number(r.ci_low), hi=charts.as_number(r.ci_high),
            hidden=bool(r.suppressed) or v is None, text=text,
            interval="" if r.suppressed else fmt_interval(r.ci_low, r.ci_high, kind),
            n="" if r.suppressed else fmt_count(r.denominator)))
    return cohort, out


def _wants_breakdown(metric_id: str) -> bool:
    """Breakdown charts for the main measures: not for 75th percentiles, and for windowed measures
    only at 12 months (every breakdown of every measure is in the workbook and metrics.csv)."""
    if metric_id.endswith("_p75"):
        return False
    return not (metric_id.endswith("_6m") or metric_id.endswith("_24m"))


def _metric_section(mid: str, rows: pd.DataFrame) -> MetricSection:
    kind = str(rows["metric_kind"].iloc[0])
    entry = catalogue.metric(mid)
    heads = [h for h in (_headline(rows, p, kind) for p in ("htic", "comparison")) if h]
    sec = MetricSection(mid, entry.title, entry.definition, kind, heads)
    sec.trend = charts.trend_spec(rows, kind, f"{entry.title} - trend across cohorts")
    if _wants_breakdown(mid):
        sec.breakdown_cohort, sec.breakdown_cells = breakdown_cells(rows, kind)
        if sec.breakdown_cells:
            sec.breakdown = charts.breakdown_spec(sec.breakdown_cells, kind, entry.title, sec.breakdown_cohort)
    if (rows["population"] == "comparison").any():
        sec.notes.append("Comparison cases are not adjusted for differences between the groups.")
    if rows["suppressed"].any():
        sec.notes.append(FOOTNOTE + (" In the trend chart, 's' marks a suppressed cohort." if sec.trend else ""))
    if not rows["counts_people"].any():
        sec.notes.append("Not a count of people: never suppressed.")
    return sec


def goal_sections(table: pd.DataFrame) -> list[GoalSection]:
    out = []
    for g in catalogue.load_goals():
        ids = sorted(table.loc[table["goal"] == g.label, "metric_id"].unique(), key=catalogue.metric_order)
        out.append(GoalSection(g, [_metric_section(mid, table[table["metric_id"] == mid]) for mid in ids]))
    return out


def build_report(ctx: SnapshotContext) -> Report:
    goals = goal_sections(ctx.table)
    summary = []
    for s in goals:
        m = s.headline_measure
        summary.append(SummaryRow(s.goal, m, m.headlines[0] if m and m.headlines else None))
    definitions = []
    for mid in sorted(set(ctx.table["metric_id"]), key=catalogue.metric_order):
        entry = catalogue.metric(mid)
        definitions.append(Definition(mid, entry.title, entry.goal.upper(), entry.definition))
    return Report(folder=ctx.folder, as_of=ctx.as_of, cutoff=ctx.cutoff, n_deliveries=ctx.n_deliveries,
                  spec_version=dt.METRICS_SPEC_VERSION, revision=ctx.revision, revises=ctx.revises,
                  revision_reason=ctx.revision_reason, summary=summary, reading_notes=dt.READING_NOTES,
                  goals=goals, definitions=definitions)
