"""report.html and report.pdf — the human report, in four steps with a module each:

1. sections.py: the report as data (per goal its measures' headline figures, trend and breakdown,
   notes; the summary; "Is the court helping?" from the evaluation tables as effects.py discloses
   them; the definitions), from the funder table and the metric catalogue;
2. charts.py: the charts' Vega-Lite specs (built in step 1), rendered here once to SVG;
3. html.py with templates/report.html.j2: the page (inline SVG, no script, no request);
4. pdf.py: the PDF from the same model (the SVGs as PNG).

Nothing reads the clock, so the same table gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.snapshot import charts
from pipelines.snapshot.context import SnapshotContext
from pipelines.snapshot.html import render_html
from pipelines.snapshot.pdf import render_pdf
from pipelines.snapshot.sections import Report, build_report


def render_charts(report: Report) -> None:
    """Render every chart once to SVG and that SVG to PNG (for the PDF), all charts at once in
    parallel (charts.render_many)."""
    slots = []  # (holder of svgs/pngs, name, spec)
    for s in report.goals:
        for m in s.metrics:
            for name, spec in (("trend", m.trend), ("breakdown", m.breakdown)):
                if spec:
                    slots.append((m, name, spec))
    slots += [(report.effects, name, spec) for name, spec in report.effects.specs.items()]
    for (holder, name, _), (svg, png) in zip(slots, charts.render_many([spec for _, _, spec in slots])):
        holder.svgs[name] = svg
        holder.pngs[name] = png


def write_reports(ctx: SnapshotContext, html_path: Path, pdf_path: Path) -> None:
    report = build_report(ctx)
    render_charts(report)
    Path(html_path).write_bytes(render_html(report).encode("utf-8"))
    render_pdf(report, pdf_path)
