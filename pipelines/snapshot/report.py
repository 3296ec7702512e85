"""report.html and report.pdf — the human report, in four steps with a module each:

1. sections.py: the report as data (per goal its measures' headline figures, trend and breakdown,
   notes; the summary; "Is the court helping?" from the evaluation tables as effects.py discloses
   them; the definitions), from the funder table and the metric catalogue;
2. charts.py: the charts' Vega-Lite specs (built in step 1), rendered once each to SVG (and the
   PDF's raster of it), in worker processes while the snapshot's workbook is written (Reports);
3. html.py with templates/report.html.j2: the page (inline SVG, no script, no request);
4. pdf.py: the PDF from the same model (the charts as those rasters).

Nothing reads the clock, so the same table gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.snapshot import charts
from pipelines.snapshot.context import SnapshotContext
from pipelines.snapshot.html import render_html
from pipelines.snapshot.pdf import render_pdf
from pipelines.snapshot.sections import Report, build_report


def chart_slots(report: Report) -> list[tuple[object, str, dict]]:
    """Every chart of the report: (the holder of its svgs/rasters, its name, its spec)."""
    slots = []
    for s in report.goals:
        for m in s.metrics:
            for name, spec in (("trend", m.trend), ("breakdown", m.breakdown)):
                if spec:
                    slots.append((m, name, spec))
    slots += [(report.effects, name, spec) for name, spec in report.effects.specs.items()]
    return slots


class Reports:
    """report.html and report.pdf in the making. When this is made, the chart workers start
    (charts.Rendering), the report model is built meanwhile and its charts are handed to the
    workers, so the caller can write the workbook while they draw; `write` waits for the charts and
    writes both files. A context manager: leaving it stops the workers."""

    def __init__(self, ctx: SnapshotContext):
        self._rendering = charts.Rendering()  # the workers start while the model is built
        try:
            self.report = build_report(ctx)
            self._slots = chart_slots(self.report)
            self._rendering.draw([spec for _, _, spec in self._slots])
        except BaseException:
            self._rendering.close()
            raise

    def write(self, html_path: Path, pdf_path: Path) -> None:
        for (holder, name, _), (svg, raster) in zip(self._slots, self._rendering.result()):
            holder.svgs[name] = svg
            holder.rasters[name] = raster
        Path(html_path).write_bytes(render_html(self.report).encode("utf-8"))
        render_pdf(self.report, pdf_path)

    def __enter__(self) -> "Reports":
        return self

    def __exit__(self, *exc) -> None:
        self._rendering.close()
