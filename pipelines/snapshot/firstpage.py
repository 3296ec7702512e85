"""The first page: "are we on track?" (metrics.md v2, "Pooled periods, headlines and targets" and
"What funders receive"), as data for the HTML, the PDF, the workbook's Dashboard sheet and the
terminal.

Every figure here is a copy of a published row (this snapshot's, or an earlier publication's for
"change since"): the page adds no information. A change is given only between two figures both
shown (not suppressed, at least MIN_UNITS units) — the difference of two shown figures.

Per goal, its headline (the catalogue's report_headline): the latest `-R4` period of the metric in the published rows
(G1's only settled cohorts are published, so its latest is the latest settled one); G4 beside the
comparison cases of the same period and the adjusted estimate (effects.py); G7 the active
providers on A, with the provider exits of the last four quarters and their continuity.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from pipelines import catalogue, dates
from pipelines.snapshot.effects import FunderEffects

MIN_UNITS = 30


SUPPRESSED_MARK = "suppressed*"


def _missing_number(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def fmt_points(x) -> str:
    return "n/a" if _missing_number(x) else f"{x * 100:+.1f} points"


def estimate_text(r) -> tuple[str, str]:
    """An effect row's estimate and interval as words (what effects.py let out)."""
    if r is None:
        return "not reported", ""
    if r.estimate_hidden:
        return SUPPRESSED_MARK, ""
    if _missing_number(r.estimate):
        return "not estimable", ""
    interval = "" if _missing_number(r.ci_low) else f"{fmt_points(r.ci_low)} to {fmt_points(r.ci_high)}"
    return fmt_points(r.estimate), interval


def _role(role: str) -> str:
    """The one metric the catalogue gives this funder_role (continuity, fitness_*)."""
    [metric_id] = catalogue.with_role(role)
    return metric_id


def headlines() -> dict[str, str]:
    """goal -> its headline metric (metrics.md v2's table), from the metric catalogue's report_headline."""
    return {m.goal: m.metric_id for m in catalogue.load_catalogue() if m.report_headline}


SETTLED_GOALS = {"g1"}
# verdicts: a word and a mark (readable in grey print), and a colour for the screen
VERDICT = {"met": ("met", "+"), "not_met": ("not met", "×"), "uncertain": ("uncertain", "?")}
VERDICT_COLOURS = {"met": "#1b7a3a", "not_met": "#b0281b", "uncertain": "#8a6200"}
POPULATION = {"htic": "HTIC", "comparison": "Comparison (unadjusted)"}
SUPPRESSED_WHY = "not shown: suppressed to protect the people counted"
SPARK_PERIODS = 8

_ROLLING = re.compile(r"^(\d{4}Q[1-4])-R4$")


@dataclass(frozen=True)
class Figure:
    """One headline figure as the first page shows it (every field already text)."""
    population: str
    period: str
    shown: bool
    text: str  # '81.2%', or why it is not shown
    interval: str
    n: str
    target: str  # '>= 75.0%' / '<= 150.0 days' / 'no target'
    verdict: str  # key of VERDICT, or ''
    change_quarter: str
    change_year: str
    spark: tuple[float | None, ...] = ()  # the last eight -R4 figures, None where not shown
    spark_periods: tuple[str, ...] = ()
    target_value: float | None = None

    @property
    def verdict_word(self) -> str:
        return VERDICT[self.verdict][0] if self.verdict else "no verdict"

    @property
    def verdict_mark(self) -> str:
        return VERDICT[self.verdict][1] if self.verdict else "-"

    @property
    def verdict_colour(self) -> str:
        return VERDICT_COLOURS.get(self.verdict, "#555555")


@dataclass(frozen=True)
class GoalLine:
    goal: catalogue.Goal
    metric_id: str
    title: str
    figures: tuple[Figure, ...]
    notes: tuple[str, ...] = ()  # G4's adjusted estimate, G7's exits and continuity


@dataclass(frozen=True)
class FirstPage:
    quarter: str
    as_of: date
    goals: tuple[GoalLine, ...]
    fitness: str
    comparisons: str  # which earlier reports the changes are measured against
    notes: tuple[str, ...] = field(default_factory=tuple)


# --- formatting ---------------------------------------------------------------------------------

def _num(v) -> float | None:
    if v is None or v == "":
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if f != f else f


def fmt(v: float | None, kind: str) -> str:
    if v is None:
        return "n/a"
    if kind in ("rate", "survival"):
        return f"{v * 100:.1f}%"
    if kind == "duration":
        return f"{v:.1f} days"
    if kind in ("mean", "ratio"):
        return f"{v:.2f}"
    return f"{v:,.0f}"


def fmt_change(d: float, kind: str) -> str:
    if kind in ("rate", "survival"):
        return f"{d * 100:+.1f} points"
    if kind == "duration":
        return f"{d:+.1f} days"
    if kind in ("mean", "ratio"):
        return f"{d:+.2f}"
    return f"{d:+,.0f}"


def fmt_target(target: float | None, direction: str | None, kind: str) -> str:
    if target is None or not direction:
        return "no target"
    return f"{'>=' if direction == 'HIGHER' else '<='} {fmt(target, kind)}"


def _shift(quarter: str, back: int) -> str:
    for _ in range(back):
        quarter = dates.previous_quarter(quarter)
    return quarter


# --- reading published rows ---------------------------------------------------------------------

def published_rows(df: pd.DataFrame) -> pd.DataFrame:
    """metrics.csv as read (text) or the in-memory table -> typed rows (figures as floats or NaN,
    `suppressed` bool)."""
    out = df.copy()
    for c in ("numerator", "denominator", "value", "ci_low", "ci_high", "target"):
        if c in out:
            out[c] = pd.to_numeric(out[c].replace("", None), errors="coerce").astype(float)
    out["suppressed"] = out["suppressed"].astype(str).str.lower().isin(["true", "1"])
    for c in ("direction", "verdict"):
        if c not in out:
            out[c] = None
        out[c] = out[c].where(out[c].notna() & (out[c].astype(str) != ""), None)
    out["goal"] = out["goal"].astype(str).str.lower()
    return out


def _overall(rows: pd.DataFrame, metric_id: str, population: str) -> pd.DataFrame:
    return rows[(rows["metric_id"] == metric_id) & (rows["population"] == population)
                & (rows["breakdown"] == "overall")]


def _row(rows: pd.DataFrame, metric_id: str, population: str, cohort: str):
    hit = _overall(rows, metric_id, population)
    hit = hit[hit["cohort"] == cohort]
    return None if hit.empty else hit.iloc[0]


def _is_shown(r) -> bool:
    """A figure the first page may show: published unsuppressed, with a value and >= MIN_UNITS units."""
    if r is None or r["suppressed"] or _num(r["value"]) is None:
        return False
    n = _num(r["denominator"])
    return n is not None and n >= MIN_UNITS


def latest_r4(rows: pd.DataFrame, metric_id: str, population: str = "htic") -> str | None:
    """The latest `<Q>-R4` period of the metric in the published rows (shown or not)."""
    periods = [c for c in _overall(rows, metric_id, population)["cohort"] if _ROLLING.match(c)]
    return max(periods, key=lambda c: dates.parse_quarter(c[:6])) if periods else None


# --- the page -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Earlier:
    """The publications a change is measured against: the latest revision of Q-1 and of Q-4."""
    quarter_before: tuple[str, pd.DataFrame] | None
    year_before: tuple[str, pd.DataFrame] | None


def earlier_for(quarter: str, earlier: list[tuple]) -> Earlier:
    """From [(folder, metrics.csv rows, ...)]: the latest revision of the quarter before and of the
    same quarter a year before, if published."""
    by_quarter: dict[str, tuple[str, pd.DataFrame]] = {}
    for item in sorted(earlier, key=lambda e: e[0]):
        name = item[0]
        q = name.split("-r")[0]
        by_quarter[q] = (name, published_rows(item[1]))  # later revisions sort after: they win
    return Earlier(by_quarter.get(_shift(quarter, 1)), by_quarter.get(_shift(quarter, 4)))


def _change(now, metric_id: str, population: str, period: str, back: int, against, quarter: str,
            kind: str) -> str:
    """The change of a shown figure since the figure of the period `back` quarters earlier, as the
    report of the quarter `back` quarters before this one published it."""
    then_quarter = _shift(quarter, back)
    if against is None:
        return f"no {then_quarter} report to compare with"
    folder, rows = against
    then_period = f"{_shift(period[:6], back)}-R4"
    old = _row(rows, metric_id, population, then_period)
    if not _is_shown(old):
        return f"not comparable: {then_period} was not shown in the {folder} report"
    if not _is_shown(now):
        return "not comparable"
    return f"{fmt_change(_num(now['value']) - _num(old['value']), kind)} since {then_period} ({folder} report: " \
           f"{fmt(_num(old['value']), kind)})"


def _spark(rows: pd.DataFrame, metric_id: str, population: str, period: str) -> tuple[tuple, tuple]:
    last = period[:6]
    periods = tuple(f"{_shift(last, k)}-R4" for k in range(SPARK_PERIODS - 1, -1, -1))
    values = []
    for p in periods:
        r = _row(rows, metric_id, population, p)
        values.append(_num(r["value"]) if r is not None and not r["suppressed"] else None)
    return tuple(values), periods


def _figure(rows: pd.DataFrame, metric_id: str, population: str, period: str | None, quarter: str,
            earlier: Earlier, kind: str) -> Figure:
    pop = POPULATION.get(population, population)
    if period is None:
        return Figure(pop, "", False, "not shown: no four-quarter period is reportable yet", "", "", "no target",
                      "", "", "")
    r = _row(rows, metric_id, population, period)
    target = _num(r["target"]) if r is not None else None
    direction = r["direction"] if r is not None else None
    spark, spark_periods = _spark(rows, metric_id, population, period)
    common = dict(population=pop, period=period, target=fmt_target(target, direction, kind),
                  spark=spark, spark_periods=spark_periods, target_value=target)
    if r is None:
        return Figure(shown=False, text=f"not shown: no figure for {period}", interval="", n="", verdict="",
                      change_quarter="", change_year="", **common)
    if r["suppressed"]:
        return Figure(shown=False, text=SUPPRESSED_WHY, interval="", n="", verdict="", change_quarter="",
                      change_year="", **common)
    n = _num(r["denominator"])
    if n is None or n < MIN_UNITS:
        return Figure(shown=False, text=f"not shown: fewer than {MIN_UNITS} cases (n = {fmt(n, 'count')})",
                      interval="", n=fmt(n, "count"), verdict="", change_quarter="", change_year="", **common)
    lo, hi = _num(r["ci_low"]), _num(r["ci_high"])
    interval = f"{fmt(lo, kind)} to {fmt(hi, kind)}" if lo is not None and hi is not None else ""
    return Figure(shown=True, text=fmt(_num(r["value"]), kind), interval=interval, n=fmt(n, "count"),
                  verdict=r["verdict"] or "",
                  change_quarter=_change(r, metric_id, population, period, 1, earlier.quarter_before, quarter, kind),
                  change_year=_change(r, metric_id, population, period, 4, earlier.year_before, quarter, kind),
                  **common)


def _g7(rows: pd.DataFrame, quarter: str) -> tuple[tuple[Figure, ...], tuple[str, ...]]:
    r = _row(rows, headlines()["g7"], "htic", "all")
    value = _num(r["value"]) if r is not None else None
    fig = Figure("All courts", "on the as-of date", value is not None, fmt(value, "count") if value is not None
                 else "not shown: no figure", "", "", fmt_target(_num(r["target"]) if r is not None else None,
                                                                  r["direction"] if r is not None else None, "count"),
                 (r["verdict"] or "") if r is not None else "", "", "")
    last_four = {_shift(quarter, k) for k in range(4)}
    exits = _overall(rows, _role("continuity"), "htic")
    exits = exits[exits["cohort"].isin(last_four)].sort_values("cohort")
    if exits.empty:
        return (fig,), ("No provider contract ended in the last four quarters.",)
    parts = []
    for e in exits.itertuples(index=False):
        n = _num(e.denominator)
        if e.suppressed:
            parts.append(f"{e.cohort}: suppressed")
        elif n is None or n < MIN_UNITS:
            parts.append(f"{e.cohort}: fewer than {MIN_UNITS} clients (n = {fmt(n, 'count')})")
        else:
            parts.append(f"{e.cohort}: {fmt(_num(e.value), 'rate')} (n = {fmt(n, 'count')})")
    return (fig,), ("Provider contracts ended in the last four quarters; clients who continued at another "
                    "provider within 60 days: " + "; ".join(parts) + ".",)


def _adjusted(effects: FunderEffects | None) -> str:

    if effects is None or effects.headline is None:
        return "Is it helping? The adjusted comparison (evaluation) is not available for this snapshot."
    est, interval = estimate_text(effects.headline)
    warn = "" if effects.headline.balance_ok else " Balance fails: do not rely on this estimate."
    return (f"Is it helping? Adjusted difference in 12-month rearrest, HTIC minus comparison (doubly robust): {est}"
            + (f" (95% interval {interval})" if interval else "") + "; negative means fewer rearrests." + warn)


def _fitness(rows: pd.DataFrame, quarter: str) -> str:
    parts = []
    period = latest_r4(rows, _role("fitness_linked"))
    linked = _row(rows, _role("fitness_linked"), "htic", period) if period else None
    if _is_shown(linked):
        parts.append(f"{fmt(_num(linked['value']), 'rate')} of mandated cases linked to a provider ({period})")
    else:
        parts.append("share of mandated cases linked to a provider: not shown")
    t = rows[(rows["metric_id"] == _role("fitness_timeliness")) & (rows["breakdown"] == "source")]
    if len(t):
        late = sorted(r.breakdown_value for r in t.itertuples(index=False)
                      if _num(r.numerator) is not None and _num(r.denominator) is not None
                      and _num(r.numerator) > _num(r.denominator))
        parts.append(f"{len(late)} of {len(t)} data sources late (" + (", ".join(late) if late else "none") + ")")
    rej = rows[(rows["metric_id"] == _role("fitness_rejected")) & rows["cohort"].isin({_shift(quarter, k) for k in range(4)})]
    if len(rej):
        bad, total = rej["numerator"].sum(), rej["denominator"].sum()
        share = f" ({bad / total * 100:.1f}%)" if total else ""
        parts.append(f"{fmt(bad, 'count')} of {fmt(total, 'count')} rows rejected by validation in the last four "
                     f"quarters{share}")
    return "Data fitness: " + "; ".join(parts) + "."


def build_first_page(rows: pd.DataFrame, quarter: str, as_of: date, earlier: list[tuple] = (),
                     effects: FunderEffects | None = None) -> FirstPage:
    """The first page from the published rows (metrics.csv as read, or the funder table), the
    earlier publications [(folder, metrics.csv rows, ...)] and the disclosed evaluation tables."""
    rows = published_rows(rows)
    prior = earlier_for(quarter, list(earlier))
    goals = []
    for g in catalogue.load_goals():
        mid = headlines()[g.goal]
        entry = catalogue.metric(mid)
        notes: tuple[str, ...] = ()
        if g.goal == "g7":
            figures, notes = _g7(rows, quarter)
        else:
            period = latest_r4(rows, mid)
            figures = (_figure(rows, mid, "htic", period, quarter, prior, entry.metric_kind),)
            if g.goal == "g4":
                figures += (_figure(rows, mid, "comparison", period, quarter, prior, entry.metric_kind),)
                notes = (_adjusted(effects),)
        goals.append(GoalLine(g, mid, entry.title + (" (settled cohorts)" if g.goal in SETTLED_GOALS else ""),
                              figures, notes))
    compared = [f"{label}: {'the ' + e[0] + ' report' if e else 'no report published'}"
                for label, e in (("previous quarter", prior.quarter_before), ("a year before", prior.year_before))]
    return FirstPage(quarter, as_of, tuple(goals), _fitness(rows, quarter),
                     "Changes are measured against the figures as published then (" + "; ".join(compared) + ").",
                     (f"Each figure pools the four cohort quarters ending with the quarter named (-R4). A figure "
                      f"with fewer than {MIN_UNITS} cases, or suppressed, is not shown.",
                      "Verdict: met (+) when the whole 95% interval is on the good side of the target, not met (×) "
                      "when it is wholly on the other side, uncertain (?) otherwise."))


# --- the terminal ----------------------------------------------------------------------------

def first_page_text(page: FirstPage) -> str:
    """The first page as plain text (the terminal)."""
    lines = [f"== Are we on track? Funder snapshot {page.quarter}, figures as of {page.as_of.isoformat()} =="]
    for gl in page.goals:
        lines.append(f"{gl.goal.label} {gl.goal.title} - {gl.title}")
        for f in gl.figures:
            head = f"  {f.population}, {f.period}: {f.text}"
            if f.shown:
                head += (f" (95% {f.interval})" if f.interval else "") + (f", n = {f.n}" if f.n else "")
                head += f"; target {f.target}; verdict {f.verdict_mark} {f.verdict_word}"
            lines.append(head)
            for label, change in (("since previous quarter", f.change_quarter), ("since a year before", f.change_year)):
                # "no <Q> report to compare with" is said once, by the last line (page.comparisons)
                if change and not (change.startswith("no ") and change.endswith("report to compare with")):
                    lines.append(f"      {label}: {change}")
        for n in gl.notes:
            lines.append(f"  {n}")
    lines.append(page.fitness)
    lines.append(page.comparisons)
    return "\n".join(lines)
