"""The report's charts: plain Vega-Lite specs, rendered offline by vl-convert.

SVG for the HTML (inline: no script, no request) and, for the PDF, a raster of the same SVG (PNG
at PNG_SCALE, flattened onto the white page, deflated as the PDF stores it: `Raster`), made in the
worker processes so the PDF only copies bytes. The specs are JSON built by hand: Altair's object
model cost seconds per report and added nothing here.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the chart workers import this module: pandas would cost each ~0.6 CPU-s to load
    import pandas as pd

COLORS = {"HTIC": "#1f5fa8", "Comparison (unadjusted)": "#d17a00"}
POP_LABEL = {"htic": "HTIC", "comparison": "Comparison (unadjusted)"}
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
RATE_KINDS = {"rate", "survival"}
PNG_SCALE = 1.5


@dataclass(frozen=True)
class Raster:
    """A chart as the PDF stores it: width x height RGB pixels, deflated (a PDF image stream with
    /FlateDecode), and a key naming it (the same chart drawn twice is stored once)."""
    width: int
    height: int
    deflated: bytes
    key: str


@dataclass(frozen=True)
class BreakdownCell:
    """One group of a breakdown of the chosen cohort, as the chart and the table show it."""
    breakdown: str  # the breakdown's label ('Court')
    group: str  # the breakdown value ('bronx')
    value: float | None
    lo: float | None
    hi: float | None
    hidden: bool  # suppressed, or no cases: no mark, the text instead
    text: str  # the figure as written ('61.2%', 'suppressed*', 'no cases')
    interval: str
    n: str


def _axis(kind: str) -> tuple[dict, dict]:
    """Axis and scale of a figure of this kind (Vega-Lite JSON)."""
    if kind in RATE_KINDS:
        return {"format": "%", "title": None}, {"domain": [0, 1]}
    title = {"duration": "days", "mean": "score (1-5)", "ratio": "clients per place", "count": None}.get(kind)
    return {"title": title}, {"zero": True}


def as_number(v) -> float | None:
    """A figure as a float; None for a missing one (None or NaN)."""
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def _config() -> dict:
    return {"font": FONT, "view": {"stroke": None}, "axis": {"labelFontSize": 10, "titleFontSize": 10},
            "legend": {"labelFontSize": 10}}


TREND_YEARS = 5  # the report's trends span the last five years; the full history is in the workbook


def _quarter_index(label: str) -> int:
    return int(label[:4]) * 4 + int(label[5]) - 1


def _segments(points: list[dict]) -> None:
    """Number the runs of consecutive shown points per population (a suppressed or missing period
    breaks the line: no line is drawn across it)."""
    last: dict[str, tuple[int, int]] = {}
    for p in sorted(points, key=lambda p: (p["population"], p["at"])):
        if not p["shown"]:
            continue
        prev = last.get(p["population"])
        seg = prev[1] if prev and prev[0] == p["at"] - 1 else (prev[1] + 1 if prev else 0)
        p["segment"] = f"{p['population']}|{seg}"
        last[p["population"]] = (p["at"], seg)


def trend_spec(rows: pd.DataFrame, kind: str, title: str, last_quarter: str | None = None) -> dict | None:
    """The overall figure over the last TREND_YEARS years: the pooled four-quarter (-R4) line
    prominent, each quarter's own figure as a faint point, HTIC and comparison on the same periods;
    gaps where a period is suppressed; 's' marks a suppressed period. Metrics with yearly cohorts
    only (survival) get one line over the years. None with fewer than two periods."""
    o = rows[rows["breakdown"] == "overall"]
    cohort = o["cohort"].astype(str)
    quarterly = o[cohort.str.fullmatch(r"\d{4}Q[1-4](-R4)?")]
    if len(quarterly):
        last = last_quarter or max(c[:6] for c in quarterly["cohort"])
        first = _quarter_index(last) - 4 * TREND_YEARS + 1
        points = []
        for r in quarterly.itertuples(index=False):
            at = _quarter_index(r.cohort[:6])
            if not first <= at <= _quarter_index(last):
                continue
            points.append({"at": at, "cohort": r.cohort[:6], "series": "R4" if r.cohort.endswith("-R4") else "quarter",
                           "population": POP_LABEL.get(r.population, r.population), "value": as_number(r.value),
                           "lo": as_number(r.ci_low), "hi": as_number(r.ci_high), "suppressed": bool(r.suppressed),
                           "shown": not r.suppressed and as_number(r.value) is not None, "segment": ""})
        if len({p["cohort"] for p in points}) < 2:
            return None
        r4 = [p for p in points if p["series"] == "R4"]
        _segments(r4)
        axis_values = sorted({p["cohort"] for p in points if p["cohort"].endswith("Q1")})
        note = "line: four quarters pooled (-R4); dots: single quarters"
    else:
        points = [{"at": int(r.cohort), "cohort": r.cohort, "series": "R4",
                   "population": POP_LABEL.get(r.population, r.population), "value": as_number(r.value),
                   "lo": as_number(r.ci_low), "hi": as_number(r.ci_high), "suppressed": bool(r.suppressed),
                   "shown": not r.suppressed and as_number(r.value) is not None, "segment": ""}
                  for r in o.itertuples(index=False) if str(r.cohort).isdigit()]
        if len(points) and max(p["at"] for p in points) - TREND_YEARS >= min(p["at"] for p in points):
            points = [p for p in points if p["at"] > max(q["at"] for q in points) - TREND_YEARS]
        if len({p["cohort"] for p in points}) < 2:
            return None
        _segments(points)
        axis_values = None
        note = "by year"
    points.sort(key=lambda p: (p["population"], p["series"], p["at"]))
    pops = [p for p in COLORS if any(v["population"] == p for v in points)]
    color = {"field": "population", "type": "nominal", "scale": {"domain": pops, "range": [COLORS[p] for p in pops]},
             "legend": {"title": None, "orient": "top"} if len(pops) > 1 else None}
    axis, scale = _axis(kind)
    cohorts = sorted({p["cohort"] for p in points})
    x_axis = {"labelAngle": 0, "labelExpr": "slice(datum.label, 0, 4)"} if axis_values else {"labelAngle": 0}
    if axis_values:
        x_axis["values"] = axis_values
    x = {"field": "cohort", "type": "ordinal", "title": None, "sort": cohorts, "axis": x_axis}
    y = {"field": "value", "type": "quantitative", "axis": axis, "scale": scale}
    layers = []
    if any(p["series"] == "quarter" for p in points):
        layers.append({"transform": [{"filter": "datum.series == 'quarter' && datum.shown"}],
                       "mark": {"type": "point", "filled": True, "size": 14, "opacity": 0.3},
                       "encoding": {"x": x, "y": y, "color": color}})
    if any(p["lo"] is not None for p in points if p["series"] == "R4"):
        layers.append({"transform": [{"filter": "datum.series == 'R4' && datum.shown && isValid(datum.lo)"}],
                       "mark": {"type": "area", "opacity": 0.12},
                       "encoding": {"x": x, "y": {"field": "lo", "type": "quantitative", "axis": axis, "scale": scale},
                                    "y2": {"field": "hi"}, "color": color, "detail": {"field": "segment"}}})
    layers.append({"transform": [{"filter": "datum.series == 'R4' && datum.shown"}],
                   "mark": {"type": "line", "point": {"size": 22, "filled": True}, "strokeWidth": 2.4},
                   "encoding": {"x": x, "y": y, "color": color, "detail": {"field": "segment"}}})
    if any(p["suppressed"] and p["series"] == "R4" for p in points):
        layers.append({"transform": [{"filter": "datum.series == 'R4' && datum.suppressed"}],
                       "mark": {"type": "text", "baseline": "bottom", "dy": -2, "fontSize": 10},
                       "encoding": {"x": x, "y": {"datum": 0, "type": "quantitative", "scale": scale},
                                    "text": {"value": "s"}, "color": color}})
    for p in points:
        del p["at"]
    return {"width": 560, "height": 170,
            "title": {"text": title, "anchor": "start", "fontSize": 12, "subtitle": note, "subtitleFontSize": 10},
            "data": {"values": points}, "layer": layers, "config": _config()}


def sparkline_svg(values: tuple, target: float | None = None, width: int = 120, height: int = 28) -> str:
    """A small trend drawn by hand (no script, no request): a line through the shown values, broken
    where a value is missing; the last value marked; the target as a dashed line."""
    shown = [v for v in values if v is not None]
    if not shown:
        return ""
    lo, hi = min(shown + ([target] if target is not None else [])), max(shown + ([target] if target is not None else []))
    span = hi - lo or 1.0
    pad = 3
    step = (width - 2 * pad) / max(len(values) - 1, 1)

    def xy(i: int, v: float) -> tuple[str, str]:
        return f"{pad + i * step:.1f}", f"{height - pad - (v - lo) / span * (height - 2 * pad):.1f}"

    parts, run = [], []
    for i, v in enumerate(list(values) + [None]):
        if v is None:
            if len(run) > 1:
                parts.append(f'<polyline fill="none" stroke="#1f5fa8" stroke-width="1.6" points="{" ".join(run)}"/>')
            elif run:
                x, y = run[0].split(",")
                parts.append(f'<circle cx="{x}" cy="{y}" r="1.6" fill="#1f5fa8"/>')
            run = []
        else:
            run.append(",".join(xy(i, v)))
    last = next(((i, v) for i, v in reversed(list(enumerate(values))) if v is not None))
    x, y = xy(*last)
    parts.append(f'<circle cx="{x}" cy="{y}" r="2.4" fill="#1f5fa8"/>')
    if target is not None:
        _, ty = xy(0, target)
        parts.insert(0, f'<line x1="0" x2="{width}" y1="{ty}" y2="{ty}" stroke="#777777" stroke-dasharray="3,2" '
                        'stroke-width="1"/>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'class="spark">' + "".join(parts) + "</svg>")


def breakdown_spec(cells: list[BreakdownCell], kind: str, title: str, cohort: str) -> dict:
    """One panel per breakdown: figure and interval per group; hidden groups written as such."""
    values = [{"breakdown": c.breakdown, "group": f"{c.breakdown}|{c.group}", "value": c.value, "lo": c.lo,
               "hi": c.hi, "hidden": c.hidden, "label": c.text} for c in cells]
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
    return {"title": {"text": f"{title} - by group, {cohort} (HTIC)", "anchor": "start", "fontSize": 12},
            "data": {"values": values},
            "facet": {"row": {"field": "breakdown", "type": "nominal", "title": None, "sort": None,
                              "header": {"labelAngle": 0, "labelAlign": "left", "labelAnchor": "start",
                                         "labelOrient": "top", "labelFontWeight": "bold", "labelFontSize": 11}}},
            "spec": {"width": 460, "height": {"step": 14}, "layer": layers},
            "resolve": {"scale": {"y": "independent"}}, "spacing": 6, "config": _config()}


EFFECT_COLORS = {"ok": "#1f5fa8", "fails": "#c0392b"}
CURVE_COLORS = {"HTIC": "#1f5fa8", "Matched comparison": "#d17a00"}
BALANCE_COLORS = {"Before adjustment": "#7a7a7a", "After matching": "#d17a00", "After weighting": "#1f5fa8"}


@dataclass(frozen=True)
class ForestRow:
    """One estimate of the forest plots: label, figure, interval, and whether balance failed."""
    outcome: str
    method: str
    estimate: float
    lo: float | None
    hi: float | None
    balance_fails: bool


def forest_spec(rows: list[ForestRow], title: str, measure: str) -> dict:
    """Estimates and 95% intervals per outcome (facet rows) and method; estimates whose balance
    fails drawn in red and labelled. Risk differences on a linear axis around 0, hazard ratios on a
    log axis around 1."""
    ratio = measure == "hazard_ratio"
    outcomes = list(dict.fromkeys(r.outcome for r in rows))
    values = [{"outcome": r.outcome, "method": f"{r.outcome}|{r.method}", "estimate": r.estimate, "lo": r.lo,
               "hi": r.hi, "verdict": "fails" if r.balance_fails else "ok",
               "flag": "balance fails" if r.balance_fails else ""} for r in rows]
    order = [v["method"] for v in values]
    y = {"field": "method", "type": "nominal", "title": None, "sort": order,
         "axis": {"labelExpr": "slice(datum.label, indexof(datum.label, '|') + 1)"}}
    x_axis = {"title": "hazard ratio (below 1: rearrest later or less often with the HTIC)" if ratio else
              "risk difference (below 0: fewer rearrests with the HTIC)", "format": ".2f" if ratio else "+.0%"}
    if ratio:  # a log axis around 1, spanning every interval
        figures = [x for r in rows for x in (r.estimate, r.lo, r.hi) if x is not None] + [1.0]
        lo, hi = min(figures) / 1.15, max(figures) * 1.15
        scale = {"type": "log", "domain": [lo, hi]}
        x_axis["values"] = [v for v in (0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 10) if lo <= v <= hi]
    else:
        scale = {"zero": True}
    color = {"field": "verdict", "type": "nominal", "legend": None,
             "scale": {"domain": list(EFFECT_COLORS), "range": list(EFFECT_COLORS.values())}}
    layers = [
        {"mark": {"type": "rule", "color": "#555555", "strokeDash": [4, 3]},
         "encoding": {"x": {"datum": 1 if ratio else 0, "type": "quantitative", "scale": scale}}},
        {"transform": [{"filter": "isValid(datum.lo) && isValid(datum.hi)"}],
         "mark": {"type": "rule", "strokeWidth": 2, "opacity": 0.6},
         "encoding": {"y": y, "x": {"field": "lo", "type": "quantitative", "scale": scale, "axis": x_axis},
                      "x2": {"field": "hi"}, "color": color}},
        {"mark": {"type": "point", "filled": True, "size": 50},
         "encoding": {"y": y, "x": {"field": "estimate", "type": "quantitative", "scale": scale, "axis": x_axis},
                      "color": color}},
        {"transform": [{"filter": "datum.flag != ''"}, {"calculate": "isValid(datum.hi) ? datum.hi : datum.estimate",
                                                        "as": "label_at"}],
         "mark": {"type": "text", "align": "left", "dx": 6, "fontSize": 10, "color": EFFECT_COLORS["fails"]},
         "encoding": {"y": y, "x": {"field": "label_at", "type": "quantitative", "scale": scale},
                      "text": {"field": "flag"}}},
    ]
    return {"title": {"text": title, "anchor": "start", "fontSize": 12}, "data": {"values": values},
            "facet": {"row": {"field": "outcome", "type": "nominal", "title": None, "sort": outcomes,
                              "header": {"labelAngle": 0, "labelAlign": "left", "labelAnchor": "start",
                                         "labelOrient": "top", "labelFontWeight": "bold", "labelFontSize": 11}}},
            "spec": {"width": 440, "height": {"step": 16}, "layer": layers},
            "resolve": {"scale": {"y": "independent"}}, "spacing": 6, "config": _config()}


def survival_spec(points: list[dict], title: str) -> dict:
    """Kaplan-Meier curves (step lines) with their 95% bands; points: group, day, survival, lo, hi."""
    groups = [g for g in CURVE_COLORS if any(p["group"] == g for p in points)]
    color = {"field": "group", "type": "nominal", "legend": {"title": None, "orient": "top"},
             "scale": {"domain": groups, "range": [CURVE_COLORS[g] for g in groups]}}
    x = {"field": "day", "type": "quantitative", "title": "days since time zero", "scale": {"zero": True}}
    axis = {"format": "%", "title": "not rearrested"}
    return {"width": 520, "height": 220, "title": {"text": title, "anchor": "start", "fontSize": 12},
            "data": {"values": points},
            "layer": [
                {"mark": {"type": "area", "opacity": 0.15, "interpolate": "step-after"},
                 "encoding": {"x": x, "y": {"field": "lo", "type": "quantitative", "axis": axis},
                              "y2": {"field": "hi"}, "color": color}},
                {"mark": {"type": "line", "interpolate": "step-after", "strokeWidth": 1.8},
                 "encoding": {"x": x, "y": {"field": "survival", "type": "quantitative", "axis": axis},
                              "color": color}},
            ], "config": _config()}


def balance_spec(points: list[dict], title: str, cap: float) -> dict:
    """Love plot: per covariate the largest |SMD| over its levels, before and after adjustment;
    the 0.1 threshold drawn; values beyond `cap` (a level in one group only: infinite) drawn at it."""
    stages = [s for s in BALANCE_COLORS if any(p["stage"] == s for p in points)]
    y = {"field": "covariate", "type": "nominal", "title": None, "sort": None}
    x = {"field": "shown", "type": "quantitative", "title": "largest |SMD| over the covariate's levels",
         "scale": {"domain": [0, cap]}}
    return {"width": 480, "height": {"step": 18}, "title": {"text": title, "anchor": "start", "fontSize": 12},
            "data": {"values": points},
            "layer": [
                {"mark": {"type": "rule", "color": "#c0392b", "strokeDash": [4, 3]},
                 "encoding": {"x": {"datum": 0.1, "type": "quantitative", "scale": {"domain": [0, cap]}}}},
                {"mark": {"type": "point", "filled": True, "size": 60},
                 "encoding": {"y": y, "x": x,
                              "shape": {"field": "stage", "type": "nominal", "scale": {"domain": stages},
                                        "legend": {"title": None, "orient": "top"}},
                              "color": {"field": "stage", "type": "nominal", "legend": {"title": None, "orient": "top"},
                                        "scale": {"domain": stages, "range": [BALANCE_COLORS[s] for s in stages]}}}},
            ], "config": _config()}


def to_svg(spec: dict) -> str:
    """The chart as SVG without an XML prolog (the xmlns stays: a namespace name, not a request)."""
    import vl_convert as vlc

    svg = vlc.vegalite_to_svg(spec)
    if svg.startswith("<?xml"):
        svg = svg[svg.index("?>") + 2:]
    return svg


def _render(spec_json: str) -> tuple[str, Raster]:
    """One chart: its SVG and the PDF's raster of that SVG (a worker's task)."""
    import json

    svg = to_svg(json.loads(spec_json))
    return svg, to_raster(svg)


class Rendering:
    """Charts being drawn in worker processes while the caller does other work (the workbook).

    The workers start when this is made, each loading vl-convert and drawing a small chart (its
    first call costs ~0.8 s), so that start-up overlaps the caller building the report; `draw(specs)`
    hands them the charts, `result()` waits for them. Each distinct spec is rendered once (equal
    figure sets reuse it); vl-convert draws one chart at a time per process, so the work is shared
    between processes. The bytes do not depend on which process drew them. A context manager:
    leaving it stops the workers."""

    def __init__(self, workers: int | None = None):
        import os

        self._workers = min(workers or os.cpu_count() or 1, 4)
        self._pool, self._parts, self._texts, self._distinct = None, None, [], []
        if self._workers > 1:
            from concurrent.futures import ProcessPoolExecutor
            from multiprocessing import get_context

            self._pool = ProcessPoolExecutor(max_workers=self._workers, mp_context=get_context("spawn"),
                                             initializer=_warm_up)
            for _ in range(self._workers):  # a spawn pool starts a process per task submitted
                self._pool.submit(int)

    def draw(self, specs: list[dict]) -> "Rendering":
        import json

        self._texts = [json.dumps(s, sort_keys=True, separators=(",", ":")) for s in specs]
        self._distinct = distinct = sorted(set(self._texts))
        if self._pool is not None and distinct:
            n = min(self._workers, max(1, len(distinct) // 8))
            # interleaved shares, one task per worker: an even load
            self._parts = [self._pool.submit(_render_all, distinct[k::n]) for k in range(n)]
        return self

    def result(self) -> list[tuple[str, Raster]]:
        if self._parts is None:
            drawn = _render_all(self._distinct)
        else:
            n = len(self._parts)
            drawn = [None] * len(self._distinct)
            for k, part in enumerate(self._parts):
                drawn[k::n] = part.result()
        done = dict(zip(self._distinct, drawn))
        return [done[t] for t in self._texts]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> "Rendering":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _render_all(spec_jsons: list[str]) -> list[tuple[str, Raster]]:
    return [_render(s) for s in spec_jsons]


def _warm_up() -> None:
    """A worker's start: vl-convert's first chart loads its JavaScript engine and Vega-Lite."""
    to_svg({"data": {"values": [{"x": 1}]}, "mark": "point", "encoding": {"x": {"field": "x", "type": "quantitative"}}})


def to_png(svg: str) -> tuple[bytes, int, int]:
    """The SVG as PNG at PNG_SCALE (RGBA, transparent where nothing is drawn), with its width and
    height in pixels."""
    import vl_convert as vlc

    png = vlc.svg_to_png(svg, scale=PNG_SCALE)
    width, height = struct.unpack(">II", png[16:24])
    return png, width, height


def to_raster(svg: str) -> Raster:
    """The SVG's PNG flattened onto white (the page's colour: the PDF needs no soft mask) and
    deflated, as the PDF stores an image. zlib at a fixed level: the same chart gives the same bytes."""
    import hashlib
    import io
    import zlib

    from PIL import Image

    png, width, height = to_png(svg)
    with Image.open(io.BytesIO(png)) as im:
        rgba = im.convert("RGBA")
    page = Image.new("RGB", rgba.size, (255, 255, 255))
    page.paste(rgba, mask=rgba)  # alpha over white
    deflated = zlib.compress(page.tobytes(), 6)
    return Raster(width, height, deflated, hashlib.sha256(deflated).hexdigest())
