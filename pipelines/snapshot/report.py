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
    """Render every chart once to SVG; the PDF converts the same SVG to PNG."""
    for s in report.goals:
        for m in s.metrics:
            for name, spec in (("trend", m.trend), ("breakdown", m.breakdown)):
                if spec:
                    m.svgs[name] = charts.to_svg(spec)
    for name, spec in report.effects.specs.items():
        report.effects.svgs[name] = charts.to_svg(spec)


def write_reports(ctx: SnapshotContext, html_path: Path, pdf_path: Path) -> None:
    report = build_report(ctx)
    render_charts(report)
    Path(html_path).write_bytes(render_html(report).encode("utf-8"))
    render_pdf(report, pdf_path)
