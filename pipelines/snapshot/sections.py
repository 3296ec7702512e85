"""The report as data: what report.html and report.pdf both show, built once from the funder table.

Per goal (goal_catalogue.csv's order) and measure (metric_catalogue.csv's order): title and
definition from the catalogue, the headline figure(s) of the latest -R4 period (HTIC and comparison
for the same period) with interval and n, the trend (last five years) and calendar-year breakdown
charts (Vega-Lite specs from charts.py), the breakdown table and the notes. Around them: the first
page ("are we on track?", firstpage.py), the reading notes and the definitions of every measure in
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
from pipelines.snapshot.disclosure import FUNDER_FOOTNOTE
from pipelines.snapshot.effects import HEADLINE, FunderEffects
from pipelines.snapshot.firstpage import SUPPRESSED_MARK, FirstPage, build_first_page, estimate_text, fmt_points

FOOTNOTE = FUNDER_FOOTNOTE  # the policy in general words; never which rule hid a figure


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
    rasters: dict[str, charts.Raster] = field(default_factory=dict)  # the same charts for the PDF


@dataclass(frozen=True)
class GoalSection:
    goal: catalogue.Goal
    metrics: list[MetricSection]
    points_to_effects: bool = False  # it shows HTIC beside comparison cases, unadjusted


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
    reading_notes: list[tuple[str, str]]
    goals: list[GoalSection]
    definitions: list[Definition]
    effects: EffectsSection
    first_page: FirstPage

    @property
    def title(self) -> str:
        return f"HTIC evaluation - funder snapshot {self.folder}"


def _period_order(cohort: str) -> tuple:
    """Later periods last: quarters and -R4 by their (end) quarter, -R4 after the quarter itself;
    years after their fourth quarter; anything else first."""
    if len(cohort) >= 6 and cohort[4] == "Q":
        return (int(cohort[:4]), int(cohort[5]), cohort.endswith("-R4"))
    if cohort.isdigit():
        return (int(cohort), 4, False)
    return (0, 0, False)


def headline_period(rows: pd.DataFrame) -> str | None:
    """The period a measure's headline shows: the latest -R4 period of HTIC where it can be shown
    (else the latest -R4, suppressed); measures without -R4 periods: the latest cohort likewise."""
    o = rows[(rows["population"] == "htic") & (rows["breakdown"] == "overall")]
    if o.empty:
        o = rows[rows["breakdown"] == "overall"]
    if o.empty:
        return None
    r4 = o[o["cohort"].str.endswith("-R4")]
    pool = r4 if len(r4) else o
    shown = pool[~pool["suppressed"].astype(bool) & pool["value"].notna()]
    return max((shown if len(shown) else pool)["cohort"], key=_period_order)


def _headline(rows: pd.DataFrame, pop: str, kind: str, period: str) -> Headline | None:
    """The overall figure of `period` (the same period for HTIC and comparison cases)."""
    rows = rows[(rows["population"] == pop) & (rows["breakdown"] == "overall")]
    if rows.empty:
        return None
    hit = rows[rows["cohort"] == period]
    label = charts.POP_LABEL.get(pop, pop)
    if hit.empty:
        return Headline(label, period, "no figure for this period", "", "", True)
    r = hit.iloc[0]
    if r["suppressed"] or _missing(r["value"]):
        return Headline(label, period, SUPPRESSED_MARK, "", "", True)
    return Headline(label, period, fmt_value(r["value"], kind), fmt_interval(r["ci_low"], r["ci_high"], kind),
                    fmt_count(r["denominator"]), False)


def breakdown_cells(rows: pd.DataFrame, kind: str) -> tuple[str | None, list[charts.BreakdownCell]]:
    """Each breakdown of one recent period (HTIC): figure and interval per group, suppressed groups
    written as such. Breakdowns of people are published for calendar years: the year is the recent
    one (of the last two) where most groups can be shown, ties to the latest; a measure without
    yearly cells (providers and data sources on A, or per quarter) takes the recent cohort of its own
    (of the last four) likewise."""
    cells = rows[(rows["breakdown"] != "overall") & (rows["population"] == "htic")]
    years = cells[cells["cohort"].str.isdigit()]
    cells = years if len(years) else cells
    if cells.empty:
        return None, []
    recent = sorted(set(cells["cohort"]))[-2 if len(years) else -4:]
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


def dominant_group_notes(rows: pd.DataFrame, cohort: str) -> list[str]:
    """Per breakdown of the year shown, when the group holding the most cases is one that needs
    explaining ('unknown', 'none', ...): why it is so large (denominators of shown cells only)."""
    cells = rows[(rows["population"] == "htic") & (rows["cohort"] == cohort) & (rows["breakdown"] != "overall")
                 & ~rows["suppressed"].astype(bool) & rows["denominator"].notna()]
    out = []
    for bd, g in sorted(cells.groupby("breakdown"), key=lambda x: x[0]):
        top = g.sort_values(["denominator", "breakdown_value"], ascending=[False, True]).iloc[0]
        why = dt.group_why(bd, str(top["breakdown_value"]))
        if why and top["denominator"] >= g["denominator"].sum() / 2:
            out.append(f"{dt.breakdown_label(bd)}: '{top['breakdown_value']}' holds the most cases in {cohort} - {why}.")
    return out


def _metric_section(mid: str, rows: pd.DataFrame, last_quarter: str | None = None) -> MetricSection:
    kind = str(rows["metric_kind"].iloc[0])
    entry = catalogue.metric(mid)
    period = headline_period(rows)
    heads = [h for h in (_headline(rows, p, kind, period) for p in ("htic", "comparison")) if h] if period else []
    sec = MetricSection(mid, entry.title, entry.definition, kind, heads)
    sec.trend = charts.trend_spec(rows, kind, f"{entry.title} - trend (last {charts.TREND_YEARS} years)", last_quarter)
    if _wants_breakdown(mid):
        sec.breakdown_cohort, sec.breakdown_cells = breakdown_cells(rows, kind)
        if sec.breakdown_cells:
            sec.breakdown = charts.breakdown_spec(sec.breakdown_cells, kind, entry.title, sec.breakdown_cohort)
            sec.notes += dominant_group_notes(rows, sec.breakdown_cohort)
    if (rows["population"] == "comparison").any():
        sec.notes.append("Comparison cases are not adjusted for differences between the groups: "
                         f"for the adjusted comparison, see '{EFFECTS_TITLE}'.")
    if rows["suppressed"].any():
        sec.notes.append(FOOTNOTE + (" In the trend chart, 's' marks a suppressed cohort." if sec.trend else ""))
    if not rows["counts_people"].any():
        sec.notes.append("Not a count of people: never suppressed.")
    return sec


def goal_sections(table: pd.DataFrame, last_quarter: str | None = None) -> list[GoalSection]:
    out = []
    for g in catalogue.load_goals():
        ids = sorted(table.loc[table["goal"] == g.label, "metric_id"].unique(), key=catalogue.metric_order)
        rows = table[table["goal"] == g.label]
        out.append(GoalSection(g, [_metric_section(mid, table[table["metric_id"] == mid], last_quarter) for mid in ids],
                               points_to_effects=bool((rows["population"] == "comparison").any())))
    return out


# --- "Is the court helping?": the adjusted comparison (evaluation.md) ---------------------------

EFFECTS_TITLE = "Is the court helping?"
EFFECTS_NOT_AVAILABLE = ("The adjusted comparison is not available for this snapshot: the analytics warehouse "
                         "holds no estimates of the evaluation for this as-of date.")
OUTCOME_LABEL = {"rearrest_any_6m": "Any rearrest within 6 months", "rearrest_any_12m": "Any rearrest within 12 months",
                 "rearrest_any_24m": "Any rearrest within 24 months",
                 "rearrest_prostitution_12m": "Prostitution-related rearrest within 12 months",
                 "time_to_rearrest_any": "Time to a first rearrest"}
METHOD_LABEL = {"unadjusted": "Unadjusted", "ps_matched": "Matched (propensity score)",
                "ipw": "Weighted (inverse probability)", "aipw": "Doubly robust (AIPW)"}
BALANCE_FAILS = "BALANCE FAILS: do not rely on this estimate"
SUPPRESSED_COUNT = "suppressed"
CAVEATS = [
    "Observational data: nobody was assigned to the HTIC at random. The comparison cases are cases of the same "
    "courts that were not referred; the adjusted estimates compare referred cases with comparison cases made to "
    "resemble them.",
    "Adjusted for what was known at arraignment: age, gender identity, race, ethnicity, prior arrests in the three "
    "years before (all charges and prostitution-related), court, year of arraignment and top charge.",
    "Not adjusted for what the data do not hold: motivation, trafficking history, and services received outside "
    "the court. If these differ between referred and comparison cases and also affect rearrest, the estimates are "
    "biased; the E-value (workbook) says how strong such a hidden difference would have to be to explain the "
    "estimate away.",
    "Every referred case counts, whether or not it completed its mandate (intention to treat). Time zero is the "
    "case's first disposition; rearrests are DCJS arrests after it, the case's own arrest excluded.",
]


@dataclass(frozen=True)
class EffectLine:
    """One method's estimate of the headline outcome, as text."""
    method: str
    estimate: str  # '-9.3 points' or 'suppressed*' or 'not estimable'
    interval: str
    risk_ratio: str
    treated_used: str
    comparison_used: str
    treated_left_out: str
    balance: str  # 'ok' or BALANCE_FAILS


@dataclass
class EffectsSection:
    available: bool
    headline: str = ""  # the adjusted estimate beside the unadjusted one, in one sentence
    headline_warning: str | None = None
    balance_verdict: str = ""
    lines: list[EffectLine] = field(default_factory=list)
    sizes: str = ""  # group sizes of the headline sample
    logrank: str = ""
    warnings: list[str] = field(default_factory=list)  # every estimate whose balance fails
    caveats: list[str] = field(default_factory=list)
    specs: dict[str, dict] = field(default_factory=dict)  # 'forest', 'hazard', 'survival', 'balance'
    svgs: dict[str, str] = field(default_factory=dict)
    rasters: dict[str, charts.Raster] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def fmt_effect_count(x) -> str:
    return SUPPRESSED_COUNT if x is None else fmt_count(x)


def _effect_line(fe: FunderEffects, method: str) -> EffectLine | None:
    tz, outcome = HEADLINE["time_zero"], HEADLINE["outcome"]
    rd = fe.row(outcome, tz, method, "risk_difference")
    if rd is None:
        return None
    rr = fe.row(outcome, tz, method, "risk_ratio")
    est, interval = estimate_text(rd)
    ratio = "" if rr is None or rr.estimate_hidden or _missing(rr.estimate) else f"{rr.estimate:.2f}"
    return EffectLine(METHOD_LABEL[method], est, interval, ratio, fmt_effect_count(rd.n_treated_used),
                      fmt_effect_count(rd.n_control_used), fmt_effect_count(rd.n_treated_unused),
                      "ok" if rd.balance_ok else BALANCE_FAILS)


def _forest_rows(fe: FunderEffects, measure: str) -> list[charts.ForestRow]:
    e = fe.estimates
    e = e[(e.time_zero == HEADLINE["time_zero"]) & (e.measure == measure) & ~e.estimate_hidden & e.estimate.notna()]
    order = {m: i for i, m in enumerate(METHOD_LABEL)}
    outcomes = list(OUTCOME_LABEL)
    e = e.assign(o=e.outcome.map(outcomes.index), m=e.method.map(order)).sort_values(["o", "m"])
    return [charts.ForestRow(OUTCOME_LABEL[r.outcome], METHOD_LABEL[r.method], float(r.estimate),
                             charts.as_number(r.ci_low), charts.as_number(r.ci_high), not r.balance_ok)
            for r in e.itertuples(index=False)]


def _survival_points(fe: FunderEffects) -> list[dict]:
    names = {"htic": "HTIC", "comparison_matched": "Matched comparison"}
    s = fe.survival[fe.survival.time_zero == HEADLINE["time_zero"]]
    return [{"group": names[r.group], "day": int(r.day), "survival": float(r.survival),
             "lo": charts.as_number(r.ci_low), "hi": charts.as_number(r.ci_high)}
            for r in s.sort_values(["group", "day"]).itertuples(index=False)]


BALANCE_STAGES = {"ps_matched": "After matching", "ipw": "After weighting"}
COVARIATE_LABEL = {"age_band": "Age at arraignment", "gender_identity": "Gender identity", "race": "Race",
                   "ethnicity": "Ethnicity", "prior_arrests": "Prior arrests (3 years)",
                   "prior_prostitution_arrests": "Prior prostitution arrests (3 years)", "court": "Court",
                   "arraignment_year": "Year of arraignment", "top_charge": "Top charge"}


def covariate_label(name: str) -> str:
    return COVARIATE_LABEL.get(name, name.replace("_", " ").capitalize())
SMD_CAP = 1.0  # the Love plot's axis ends here; larger (and infinite) values are drawn at it


def _balance_points(fe: FunderEffects) -> list[dict]:
    b = fe.balance[(fe.balance.outcome == HEADLINE["outcome"]) & (fe.balance.time_zero == HEADLINE["time_zero"])]
    points = []
    before = b[b.method == "ps_matched"] if (b.method == "ps_matched").any() else b[b.method == "ipw"]
    for r in before.itertuples(index=False):
        points.append({"covariate": covariate_label(r.covariate), "stage": "Before adjustment",
                       "shown": r.max_abs_smd_before})
    for method, stage in BALANCE_STAGES.items():
        for r in b[b.method == method].itertuples(index=False):
            points.append({"covariate": covariate_label(r.covariate), "stage": stage, "shown": r.max_abs_smd_after})
    # no SMD (a covariate without levels) is left out; infinite ones are drawn at the cap
    return [dict(p, shown=min(float(p["shown"]), SMD_CAP)) for p in points if not _missing(p["shown"])]


def effects_section(fe: FunderEffects | None) -> EffectsSection:
    """The section "Is the court helping?" from the disclosure-filtered evaluation tables; 'not
    available' when the warehouse has none."""
    if fe is None or fe.headline is None:
        return EffectsSection(available=False, caveats=CAVEATS)
    sec = EffectsSection(available=True, caveats=CAVEATS)
    head, unadj = fe.headline, fe.row(HEADLINE["outcome"], HEADLINE["time_zero"], "unadjusted", "risk_difference")
    est, interval = estimate_text(head)
    u_est, u_interval = estimate_text(unadj)
    sec.headline = (f"Adjusted difference in 12-month rearrest, HTIC minus comparison (doubly robust): {est}"
                    + (f" (95% interval {interval})" if interval else "")
                    + f"; unadjusted: {u_est}" + (f" ({u_interval})" if u_interval else "")
                    + ". Negative means fewer rearrests with the HTIC.")
    if not head.balance_ok:
        sec.headline_warning = (f"{BALANCE_FAILS}. After adjustment the referred and comparison cases still differ "
                                "by more than 0.1 standard deviations on some covariate, so the adjusted estimate "
                                "may reflect who is referred rather than what the court does.")
    sec.balance_verdict = ("Balance: every covariate within 0.1 standard deviations after adjustment."
                           if head.balance_ok else "Balance: FAILS after adjustment (some |SMD| above 0.1).")
    sec.lines = [ln for ln in (_effect_line(fe, m) for m in METHOD_LABEL) if ln]
    sec.sizes = (f"Referred cases eligible: {fmt_effect_count(head.n_treated)}; comparison cases eligible: "
                 f"{fmt_effect_count(head.n_control)}. Cohorts (quarter of first disposition) {head.cohort_first} "
                 f"to {head.cohort_last}.")
    e = fe.estimates
    for r in e[~e.balance_ok & (e.method != "unadjusted")].itertuples(index=False):
        sec.warnings.append(f"{OUTCOME_LABEL[r.outcome]}, {METHOD_LABEL[r.method]}, {r.measure.replace('_', ' ')}, "
                            f"time zero {r.time_zero}: {BALANCE_FAILS}.")
    hr = fe.row("time_to_rearrest_any", HEADLINE["time_zero"], "ps_matched", "hazard_ratio")
    if hr is not None and not _missing(hr.logrank_p):
        sec.logrank = f"Log-rank test, HTIC vs matched comparison: p {_fmt_p(hr.logrank_p)}."
    forest = _forest_rows(fe, "risk_difference")
    if forest:
        sec.specs["forest"] = charts.forest_spec(forest, "Risk difference by outcome and method (time zero: first "
                                                 "disposition)", "risk_difference")
    hazards = _forest_rows(fe, "hazard_ratio")
    if hazards:
        sec.specs["hazard"] = charts.forest_spec(hazards, "Hazard ratio of a first rearrest by method", "hazard_ratio")
    points = _survival_points(fe)
    if points:
        sec.specs["survival"] = charts.survival_spec(points, "Share not rearrested since the first disposition")
    bal = _balance_points(fe)
    if bal:
        sec.specs["balance"] = charts.balance_spec(bal, "Balance of the covariates (12-month rearrest sample)", SMD_CAP)
    sec.notes = [
        "Curves are drawn only at days where, since the previous day drawn, each group had no rearrest or "
        "censoring, or at least 11 of each; group sizes between 1 and 10, or that would reveal such a number, are "
        "shown as 'suppressed'. Balance is shown per covariate as its largest |SMD| over its levels; values above "
        f"{SMD_CAP:.0f} (a level present in one group only) are drawn at {SMD_CAP:.0f}.",
        "Every estimate, both time zeros and the E-values are in the workbook (sheet 'Is the court helping').",
    ]
    return sec


def _fmt_p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def first_page(ctx: SnapshotContext) -> FirstPage:
    """The first page of this snapshot: copies of its published rows and of earlier publications'."""
    return build_first_page(ctx.table, ctx.quarter, ctx.as_of, list(ctx.earlier), ctx.effects)


def build_report(ctx: SnapshotContext) -> Report:
    goals = goal_sections(ctx.table, ctx.quarter)
    definitions = []
    for mid in sorted(set(ctx.table["metric_id"]), key=catalogue.metric_order):
        entry = catalogue.metric(mid)
        definitions.append(Definition(mid, entry.title, entry.goal.upper(), entry.definition))
    return Report(folder=ctx.folder, as_of=ctx.as_of, cutoff=ctx.cutoff, n_deliveries=ctx.n_deliveries,
                  spec_version=dt.METRICS_SPEC_VERSION, revision=ctx.revision, revises=ctx.revises,
                  revision_reason=ctx.revision_reason, reading_notes=dt.READING_NOTES,
                  goals=goals, definitions=definitions, effects=effects_section(ctx.effects),
                  first_page=first_page(ctx))
