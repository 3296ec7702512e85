"""report.html and report.pdf — the human report: per goal a headline figure with its interval, the
trend across cohorts (HTIC beside comparison for rearrest), breakdowns, suppressed cells shown as
such with a footnote, and definitions in plain words.

Charts are Vega-Lite specs built with Altair and rendered offline by vl-convert: inline SVG in the
HTML (no script, no network: the page's Content-Security-Policy forbids every fetch), PNG in the
PDF. The PDF is written by ReportLab with `invariant=1` (fixed dates and ids). Nothing here reads
the clock, so the same table gives the same bytes.
"""

from __future__ import annotations

import html
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipelines.snapshot import definitions_text as dt
from pipelines.snapshot.context import SnapshotContext

COLORS = {"HTIC": "#1f5fa8", "Comparison (unadjusted)": "#d17a00"}
POP_LABEL = {"htic": "HTIC", "comparison": "Comparison (unadjusted)"}
SUPPRESSED_MARK = "suppressed*"
FOOTNOTE = ("* suppressed: a count it would reveal is between 1 and 10, or it could be worked out from the "
            "total and the other groups; a suppressed figure shows no numbers.")
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
RATE_KINDS = {"rate", "survival"}


# ---------------------------------------------------------------- the report's content, as data


def fmt_value(v, kind: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if kind in RATE_KINDS:
        return f"{v * 100:.1f}%"
    if kind == "duration":
        return f"{v:.1f} days"
    if kind in ("mean", "ratio"):
        return f"{v:.2f}"
    return f"{v:.0f}"


def fmt_interval(lo, hi, kind: str) -> str:
    if lo is None or hi is None or any(isinstance(x, float) and math.isnan(x) for x in (lo, hi)):
        return ""
    if kind in RATE_KINDS:
        return f"{lo * 100:.1f}-{hi * 100:.1f}%"
    if kind == "duration":
        return f"{lo:.1f}-{hi:.1f} days"
    return f"{lo:.2f}-{hi:.2f}"


def fmt_count(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


@dataclass
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
    breakdown_rows: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    svgs: dict[str, str] = field(default_factory=dict)  # 'trend'/'breakdown' -> rendered SVG


@dataclass
class GoalSection:
    goal: dt.Goal
    metrics: list[MetricSection]


def _latest(cohorts) -> str | None:
    cs = sorted(set(cohorts))
    named = [c for c in cs if c != "all"]
    return (named or cs or [None])[-1]


def _is_num(v) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v))


def _headline(rows: pd.DataFrame, pop: str, kind: str) -> Headline | None:
    """The overall figure of the latest cohort that can be shown (a suppressed latest cohort gives
    way to the one before it); all cohorts suppressed -> a suppressed headline."""
    rows = rows[(rows["population"] == pop) & (rows["breakdown"] == "overall")]
    if rows.empty:
        return None
    shown = rows[~rows["suppressed"].astype(bool) & rows["value"].notna()]
    if shown.empty:
        return Headline(POP_LABEL.get(pop, pop), _latest(rows["cohort"]), SUPPRESSED_MARK, "", "", True)
    cohort = _latest(shown["cohort"])
    r = shown[shown["cohort"] == cohort].iloc[0]
    if cohort != _latest(rows["cohort"]):
        cohort = f"{cohort} (later cohorts suppressed)"
    return Headline(POP_LABEL.get(pop, pop), cohort, fmt_value(r["value"], kind),
                    fmt_interval(r["ci_low"], r["ci_high"], kind), fmt_count(r["denominator"]), False)


# the measure whose headline stands for the goal in the summary (default: the goal's first measure)
GOAL_HEADLINE = {"G4": "g4_rearrest_any_12m"}


def goal_headline(section: "GoalSection") -> "MetricSection | None":
    want = GOAL_HEADLINE.get(section.goal.goal)
    for m in section.metrics:
        if m.metric_id == want:
            return m
    return section.metrics[0] if section.metrics else None


def _axis(kind: str) -> tuple[dict, dict]:
    """Axis and scale of a figure of this kind (Vega-Lite JSON)."""
    if kind in RATE_KINDS:
        return {"format": "%", "title": None}, {"domain": [0, 1]}
    title = {"duration": "days", "mean": "score (1-5)", "ratio": "clients per place", "count": None}.get(kind)
    return {"title": title}, {"zero": True}


def _num(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def _config() -> dict:
    return {"font": FONT, "view": {"stroke": None}, "axis": {"labelFontSize": 10, "titleFontSize": 10},
            "legend": {"labelFontSize": 10}}


def trend_spec(rows: pd.DataFrame, kind: str, title: str) -> dict | None:
    """Overall figure per cohort, HTIC (and comparison where there is one), with 95% intervals;
    suppressed cohorts marked 's' at the foot of the chart. Plain Vega-Lite JSON (Altair's object
    model costs seconds per report and adds nothing here)."""
    o = rows[rows["breakdown"] == "overall"].sort_values(["population", "cohort"])
    if o["cohort"].nunique() < 2:
        return None
    values = [{"cohort": r.cohort, "population": POP_LABEL.get(r.population, r.population), "value": _num(r.value),
               "lo": _num(r.ci_low), "hi": _num(r.ci_high), "suppressed": bool(r.suppressed)}
              for r in o.itertuples(index=False)]
    pops = [p for p in COLORS if any(v["population"] == p for v in values)]
    color = {"field": "population", "type": "nominal", "scale": {"domain": pops, "range": [COLORS[p] for p in pops]},
             "legend": {"title": None, "orient": "top"} if len(pops) > 1 else None}
    axis, scale = _axis(kind)
    cohorts = sorted({v["cohort"] for v in values})
    x_axis = {"labelAngle": -45}
    if len(cohorts) > 16:  # many quarters: label the first quarter of each year only
        x_axis["values"] = [c for c in cohorts if not c[4:] or c.endswith("Q1")] or cohorts[::4]
    x = {"field": "cohort", "type": "ordinal", "title": None, "sort": cohorts, "axis": x_axis}
    layers = []
    if any(v["lo"] is not None for v in values):
        layers.append({"transform": [{"filter": "!datum.suppressed && isValid(datum.lo) && isValid(datum.hi)"}],
                       "mark": {"type": "rule", "strokeWidth": 2, "opacity": 0.5},
                       "encoding": {"x": x, "y": {"field": "lo", "type": "quantitative", "axis": axis, "scale": scale},
                                    "y2": {"field": "hi"}, "color": color}})
    layers.append({"transform": [{"filter": "!datum.suppressed && isValid(datum.value)"}],
                   "mark": {"type": "line", "point": True, "strokeWidth": 1.5},
                   "encoding": {"x": x, "y": {"field": "value", "type": "quantitative", "axis": axis, "scale": scale},
                                "color": color}})
    if any(v["suppressed"] for v in values):
        layers.append({"transform": [{"filter": "datum.suppressed"}],
                       "mark": {"type": "text", "baseline": "bottom", "dy": -2, "fontSize": 10},
                       "encoding": {"x": x, "y": {"datum": 0, "type": "quantitative", "scale": scale},
                                    "text": {"value": "s"}, "color": color}})
    return {"width": 560, "height": 170, "title": {"text": title, "anchor": "start", "fontSize": 12},
            "data": {"values": values}, "layer": layers, "config": _config()}


def breakdown_spec(rows: pd.DataFrame, kind: str, title: str) -> tuple[dict | None, str | None, list]:
    """Each breakdown of one recent cohort (HTIC): figure and interval per group, suppressed groups
    written as such."""
    cells = rows[(rows["breakdown"] != "overall") & (rows["population"] == "htic")]
    if cells.empty:
        return None, None, []
    # the recent cohort (of the last four) where most groups can be shown; ties to the latest
    recent = sorted(set(cells["cohort"]))[-4:]
    shown = cells[~cells["suppressed"]].groupby("cohort").size()
    cohort = max(recent, key=lambda c: (int(shown.get(c, 0)), c))
    cells = cells[cells["cohort"] == cohort].copy()
    cells["blabel"] = cells["breakdown"].map(dt.breakdown_label)
    cells = cells.sort_values(["blabel", "breakdown_value"])
    values, table_rows = [], []
    for r in cells.itertuples(index=False):
        v = _num(r.value)
        label = SUPPRESSED_MARK if r.suppressed else (fmt_value(v, kind) if v is not None else "no cases")
        values.append({"breakdown": r.blabel, "group": f"{r.blabel}|{r.breakdown_value}", "value": v,
                       "lo": _num(r.ci_low),
                       "hi": _num(r.ci_high), "hidden": bool(r.suppressed) or v is None, "label": label})
        table_rows.append((r.blabel, r.breakdown_value, label,
                           "" if r.suppressed else fmt_interval(r.ci_low, r.ci_high, kind),
                           "" if r.suppressed else fmt_count(r.denominator)))
    axis, scale = _axis(kind)
    # groups keyed by breakdown, so each panel keeps its own breakdown-value order ('UNKNOWN' is in several)
    order = [v["group"] for v in values]
    y = {"field": "group", "type": "nominal", "title": None, "sort": order,
         "axis": {"labelExpr": "slice(datum.label, indexof(datum.label, '|') + 1)"}}
    xv = {"field": "value", "type": "quantitative", "axis": axis, "scale": scale}
    layers = []
    if any(v["lo"] is not None for v in values):
        layers.append({"transform": [{"filter": "!datum.hidden && isValid(datum.lo) && isValid(datum.hi)"}],
                       "mark": {"type": "rule", "color": "#1f5fa8", "opacity": 0.5, "strokeWidth": 2},
                       "encoding": {"y": y, "x": {"field": "lo", "type": "quantitative", "axis": axis, "scale": scale},
                                    "x2": {"field": "hi"}}})
    mark = ({"type": "point", "filled": True, "color": "#1f5fa8", "size": 40}
            if kind in RATE_KINDS or kind in ("duration", "mean") else {"type": "bar", "color": "#1f5fa8"})
    layers.append({"transform": [{"filter": "!datum.hidden"}], "mark": mark, "encoding": {"y": y, "x": xv}})
    if any(v["hidden"] for v in values):
        layers.append({"transform": [{"filter": "datum.hidden"}],
                       "mark": {"type": "text", "align": "left", "dx": 2, "fontSize": 10, "color": "#7a7a7a",
                                "fontStyle": "italic"},
                       "encoding": {"y": y, "x": {"datum": 0, "type": "quantitative", "scale": scale},
                                    "text": {"field": "label"}}})
    spec = {"title": {"text": f"{title} - by group, cohort {cohort} (HTIC)", "anchor": "start", "fontSize": 12},
            "data": {"values": values},
            "facet": {"row": {"field": "breakdown", "type": "nominal", "title": None, "sort": None,
                              "header": {"labelAngle": 0, "labelAlign": "left", "labelAnchor": "start",
                                         "labelOrient": "top", "labelFontWeight": "bold", "labelFontSize": 11}}},
            "spec": {"width": 460, "height": {"step": 14}, "layer": layers},
            "resolve": {"scale": {"y": "independent"}}, "spacing": 6, "config": _config()}
    return spec, cohort, table_rows


def _wants_breakdown(metric_id: str) -> bool:
    """Breakdown charts for the main measures: not for 75th percentiles, and for windowed measures
    only at 12 months (every breakdown of every measure is in the workbook and metrics.csv)."""
    if metric_id.endswith("_p75"):
        return False
    return not (metric_id.endswith("_6m") or metric_id.endswith("_24m"))


def build_sections(ctx: SnapshotContext) -> list[GoalSection]:
    table = ctx.table
    out = []
    for g in dt.GOALS:
        metrics = []
        ids = sorted(table.loc[table["goal"] == g.goal, "metric_id"].unique(), key=dt.metric_order)
        for mid in ids:
            rows = table[table["metric_id"] == mid]
            kind = str(rows["metric_kind"].iloc[0])
            text = dt.metric_text(mid)
            heads = [h for h in (_headline(rows, p, kind) for p in ("htic", "comparison")) if h]
            sec = MetricSection(mid, text.title, text.definition, kind, heads)
            sec.trend = trend_spec(rows, kind, f"{text.title} - trend across cohorts")
            if _wants_breakdown(mid):
                sec.breakdown, sec.breakdown_cohort, sec.breakdown_rows = breakdown_spec(rows, kind, text.title)
            if (rows["population"] == "comparison").any():
                sec.notes.append("Comparison cases are not adjusted for differences between the groups.")
            if rows["suppressed"].any():
                sec.notes.append(FOOTNOTE + (" In the trend chart, 's' marks a suppressed cohort." if sec.trend else ""))
            if not rows["counts_people"].any():
                sec.notes.append("Not a count of people: never suppressed.")
            metrics.append(sec)
        out.append(GoalSection(g, metrics))
    return out


# ---------------------------------------------------------------------------------------- HTML

CSS = """
body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;color:#1d1d1d;max-width:980px;margin:0 auto;padding:24px;line-height:1.45}
h1{font-size:26px;margin-bottom:4px} h2{font-size:21px;border-bottom:2px solid #1f5fa8;padding-bottom:4px;margin-top:42px}
h3{font-size:16px;margin:26px 0 4px} .sub{color:#555} .def{color:#333;font-size:14px;margin:2px 0 8px}
.headline{display:flex;gap:16px;flex-wrap:wrap;margin:8px 0}
.fig{border:1px solid #c9d3e0;border-radius:6px;padding:8px 14px;min-width:200px;background:#f6f8fb}
.fig .v{font-size:24px;font-weight:bold;color:#1f5fa8} .fig.sup .v{color:#7a7a7a;font-style:italic}
.fig .l{font-size:12px;color:#555}
table{border-collapse:collapse;font-size:13px;margin:6px 0} th,td{border:1px solid #d4d9e1;padding:3px 8px;text-align:left}
th{background:#e8edf4} td.num{text-align:right} .note{font-size:12px;color:#555;margin:2px 0}
.chart{margin:8px 0} .chart svg{max-width:100%;height:auto} details{margin:4px 0 10px} summary{cursor:pointer;font-size:13px}
nav ul{columns:2;font-size:14px} .goal-q{font-style:italic;color:#444}
"""


def render_charts(sections: list[GoalSection]) -> None:
    """Render every chart once to SVG (vl-convert, offline); the PDF reuses the SVG as PNG."""
    import vl_convert as vlc

    for s in sections:
        for m in s.metrics:
            for name in ("trend", "breakdown"):
                spec = getattr(m, name)
                if spec:
                    svg = vlc.vegalite_to_svg(spec)
                    if svg.startswith("<?xml"):  # drop a prolog; the xmlns stays (a namespace name, not a request)
                        svg = svg[svg.index("?>") + 2:]
                    m.svgs[name] = svg


def _svg(svg: str, label: str) -> str:
    return f'<figure class="chart" data-chart="{html.escape(label)}" role="img" aria-label="{html.escape(label)}">{svg}</figure>'


def render_html(ctx: SnapshotContext, sections: list[GoalSection]) -> str:
    e = html.escape
    p = []
    p.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
    p.append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
             "img-src data:\">")
    p.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
    p.append(f"<title>HTIC evaluation - funder snapshot {e(ctx.folder)}</title><style>{CSS}</style></head><body>")
    p.append(f"<h1>HTIC evaluation - funder snapshot {e(ctx.folder)}</h1>")
    p.append(f"<p class=\"sub\">Human Trafficking Intervention Courts, New York. Figures as of "
             f"<b>{ctx.as_of.isoformat()}</b>, from the complete data deliveries dated up to {ctx.cutoff.isoformat()} "
             f"({ctx.n_deliveries} deliveries). Metric definitions: {e(dt.METRICS_SPEC_VERSION)}.</p>")
    if ctx.revises:
        p.append(f"<p><b>Revision {ctx.revision}</b> of {e(ctx.revises)}, correcting: {e(ctx.revision_reason or '')}. "
                 "The earlier version stays published unchanged.</p>")
    # summary: one headline per goal
    p.append("<h2 id=\"summary\">Summary</h2><table><tr><th>Goal</th><th>Headline measure</th><th>Cohort</th>"
             "<th>Figure</th><th>95% interval</th><th>n</th></tr>")
    for s in sections:
        m = goal_headline(s)
        h = m.headlines[0] if m and m.headlines else None
        if h:
            p.append(f"<tr><td>{e(s.goal.goal)} {e(s.goal.title)}</td><td>{e(m.title)}</td><td>{e(h.cohort)}</td>"
                     f"<td class=\"num\">{e(h.text)}</td><td>{e(h.interval)}</td><td class=\"num\">{e(h.n)}</td></tr>")
        else:
            p.append(f"<tr><td>{e(s.goal.goal)} {e(s.goal.title)}</td><td colspan=\"5\">no figures</td></tr>")
    p.append(f"</table><p class=\"note\">{e(FOOTNOTE)}</p>")
    p.append("<nav><ul>" + "".join(f"<li><a href=\"#{s.goal.goal}\">{e(s.goal.goal)} {e(s.goal.title)}</a></li>"
                                   for s in sections)
             + "<li><a href=\"#reading\">How to read</a></li><li><a href=\"#definitions\">Definitions</a></li></ul></nav>")
    p.append("<h2 id=\"reading\">How to read these figures</h2>")
    for k, v in dt.READING_NOTES:
        p.append(f"<p><b>{e(k)}.</b> {e(v)}</p>")
    for s in sections:
        p.append(f"<section id=\"{e(s.goal.goal)}\"><h2>{e(s.goal.goal)} {e(s.goal.title)}</h2>"
                 f"<p class=\"goal-q\">{e(s.goal.question)}</p>")
        if not s.metrics:
            p.append("<p>No figures for this goal as of this date.</p>")
        for m in s.metrics:
            p.append(f"<h3 id=\"{e(m.metric_id)}\">{e(m.title)}</h3><p class=\"def\">{e(m.definition)}</p>")
            if m.headlines:
                p.append("<div class=\"headline\">")
                for h in m.headlines:
                    cls = "fig sup" if h.suppressed else "fig"
                    extra = (f"95% interval {e(h.interval)}" if h.interval else "") + (f"; n = {e(h.n)}" if h.n else "")
                    p.append(f"<div class=\"{cls}\"><div class=\"l\">{e(h.population)}, cohort {e(h.cohort)}</div>"
                             f"<div class=\"v\">{e(h.text)}</div><div class=\"l\">{extra}</div></div>")
                p.append("</div>")
            if "trend" in m.svgs:
                p.append(_svg(m.svgs["trend"], f"{m.metric_id} trend"))
            if "breakdown" in m.svgs:
                p.append(_svg(m.svgs["breakdown"], f"{m.metric_id} breakdown"))
                p.append(f"<details><summary>Table: {e(m.title)} by group, cohort {e(m.breakdown_cohort or '')}"
                         "</summary><table><tr><th>Breakdown</th><th>Group</th><th>Figure</th><th>95% interval</th>"
                         "<th>n</th></tr>")
                for b, g, v, ci, n in m.breakdown_rows:
                    p.append(f"<tr><td>{e(b)}</td><td>{e(g)}</td><td class=\"num\">{e(v)}</td><td>{e(ci)}</td>"
                             f"<td class=\"num\">{e(n)}</td></tr>")
                p.append("</table></details>")
            for n in m.notes:
                p.append(f"<p class=\"note\">{e(n)}</p>")
        p.append("</section>")
    p.append("<h2 id=\"definitions\">Definitions</h2><table><tr><th>Measure</th><th>Goal</th><th>In plain words</th></tr>")
    ids = sorted(set(ctx.table["metric_id"]), key=dt.metric_order)
    for mid in ids:
        t = dt.metric_text(mid)
        p.append(f"<tr><td>{e(t.title)}<br><code>{e(mid)}</code></td><td>{e(t.goal)}</td><td>{e(t.definition)}</td></tr>")
    p.append("</table>")
    p.append("<p class=\"note\">Machine-readable figures: metrics.csv, metrics.parquet, workbook.xlsx. Inputs, "
             "checksums and versions: manifest.json. Figures of the previous snapshot that changed: restatements.csv."
             "</p></body></html>\n")
    return "\n".join(p)


# ----------------------------------------------------------------------------------------- PDF


def render_pdf(ctx: SnapshotContext, sections: list[GoalSection], path: Path) -> int:
    """Write the PDF; return its page count. Page 1: title and summary; page 2: how to read; then
    each goal from a new page; then the definitions."""
    import vl_convert as vlc
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (Image, KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table,
                                    TableStyle)

    e = html.escape
    ss = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=ss["BodyText"], fontName="Helvetica", fontSize=9.5, leading=12.5)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10, textColor=colors.HexColor("#555555"))
    h1 = ParagraphStyle("h1", parent=ss["Title"], fontName="Helvetica-Bold", fontSize=20, leading=24, alignment=0)
    h2 = ParagraphStyle("h2", parent=ss["Heading2"], fontName="Helvetica-Bold", fontSize=15, leading=18,
                        textColor=colors.HexColor("#1f5fa8"))
    h3 = ParagraphStyle("h3", parent=ss["Heading3"], fontName="Helvetica-Bold", fontSize=11, leading=14,
                        spaceBefore=8, spaceAfter=2)
    big = ParagraphStyle("big", parent=body, fontName="Helvetica-Bold", fontSize=13, leading=16,
                         textColor=colors.HexColor("#1f5fa8"))
    width = A4[0] - 36 * mm
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#c9d3e0")),
                       ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf4")),
                       ("FONT", (0, 0), (-1, -1), "Helvetica", 8.5), ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8.5),
                       ("VALIGN", (0, 0), (-1, -1), "TOP")])

    def image(svg: str, max_w: float):
        png = vlc.svg_to_png(svg, scale=1.5)
        import struct

        w_px, h_px = struct.unpack(">II", png[16:24])
        w = min(max_w, w_px / 1.5 * 0.75)
        h = w * h_px / w_px
        max_h = A4[1] - 70 * mm
        if h > max_h:
            w, h = w * max_h / h, max_h
        return Image(io.BytesIO(png), width=w, height=h)

    story = []
    story.append(Paragraph(f"HTIC evaluation - funder snapshot {e(ctx.folder)}", h1))
    story.append(Paragraph(f"Human Trafficking Intervention Courts, New York. Figures as of <b>{ctx.as_of.isoformat()}</b>, "
                           f"from the complete data deliveries dated up to {ctx.cutoff.isoformat()} ({ctx.n_deliveries} "
                           f"deliveries). Metric definitions: {e(dt.METRICS_SPEC_VERSION)}.", body))
    if ctx.revises:
        story.append(Paragraph(f"<b>Revision {ctx.revision}</b> of {e(ctx.revises)}, correcting: "
                               f"{e(ctx.revision_reason or '')}. The earlier version stays published unchanged.", body))
    story.append(Spacer(1, 6 * mm))
    story.append(Paragraph("Summary", h2))
    rows = [["Goal", "Headline measure", "Cohort", "Figure", "95% interval", "n"]]
    for s in sections:
        m = goal_headline(s)
        h = m.headlines[0] if m and m.headlines else None
        rows.append([Paragraph(f"{s.goal.goal} {e(s.goal.title)}", small), Paragraph(e(m.title) if m else "", small),
                     Paragraph(e(h.cohort), small) if h else "", h.text if h else "no figures", h.interval if h else "", h.n if h else ""])
    t = Table(rows, colWidths=[44 * mm, 48 * mm, 26 * mm, 18 * mm, 24 * mm, 14 * mm], repeatRows=1)
    t.setStyle(grid)
    story += [t, Spacer(1, 3 * mm), Paragraph(e(FOOTNOTE), small)]
    story.append(Spacer(1, 6 * mm))
    story.append(Paragraph("Contents: how to read these figures (page 2); one section per goal, G1 to G9, each starting "
                           "on a new page; definitions of every measure at the end.", body))
    story.append(PageBreak())
    story.append(Paragraph("How to read these figures", h2))
    for k, v in dt.READING_NOTES:
        story.append(Paragraph(f"<b>{e(k)}.</b> {e(v)}", body))
        story.append(Spacer(1, 2 * mm))
    for s in sections:
        story.append(PageBreak())
        story.append(Paragraph(f"{s.goal.goal} {e(s.goal.title)}", h2))
        story.append(Paragraph(f"<i>{e(s.goal.question)}</i>", body))
        if not s.metrics:
            story.append(Paragraph("No figures for this goal as of this date.", body))
        for m in s.metrics:
            head = [Paragraph(e(m.title), h3), Paragraph(e(m.definition), small)]
            for h in m.headlines:
                extra = (f"  95% interval {h.interval}" if h.interval else "") + (f"; n = {h.n}" if h.n else "")
                head.append(Paragraph(f"{e(h.population)}, cohort {e(h.cohort)}: {e(h.text)}"
                                      f"<font size=8 color='#555555'>{e(extra)}</font>", big))
            if "trend" in m.svgs:
                head.append(image(m.svgs["trend"], width))
            story.append(KeepTogether(head))
            if "breakdown" in m.svgs:
                story.append(image(m.svgs["breakdown"], width * 0.85))
            for n in m.notes:
                story.append(Paragraph(e(n), small))
    story.append(PageBreak())
    story.append(Paragraph("Definitions", h2))
    rows = [["Measure", "Goal", "In plain words"]]
    for mid in sorted(set(ctx.table["metric_id"]), key=dt.metric_order):
        tx = dt.metric_text(mid)
        rows.append([Paragraph(f"{e(tx.title)}<br/><font size=7>{e(mid)}</font>", small), tx.goal,
                     Paragraph(e(tx.definition), small)])
    t = Table(rows, colWidths=[50 * mm, 12 * mm, width - 62 * mm], repeatRows=1)
    t.setStyle(grid)
    story.append(t)

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(18 * mm, 10 * mm, f"HTIC evaluation - funder snapshot {ctx.folder} - as of {ctx.as_of.isoformat()}")
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"page {doc.page}")
        canvas.restoreState()

    from reportlab import rl_config

    rl_config.useA85 = 0  # binary streams: smaller and much faster than ASCII85 in pure Python
    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=18 * mm, title=f"HTIC evaluation - funder snapshot {ctx.folder}",
                            author="htic-eval", subject=f"Figures as of {ctx.as_of.isoformat()}",
                            creator="htic-eval", producer="htic-eval (ReportLab)", invariant=1)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return doc.page


def write_reports(ctx: SnapshotContext, html_path: Path, pdf_path: Path) -> None:
    sections = build_sections(ctx)
    render_charts(sections)
    Path(html_path).write_bytes(render_html(ctx, sections).encode("utf-8"))
    render_pdf(ctx, sections, pdf_path)
