"""report.pdf from the report model (the same one report.html shows), written by ReportLab.

Page 1: title and the first page ("are we on track?", firstpage.py); page 2: "Is the court helping?" (the adjusted comparison); then how to
read; then each goal from a new page; then the definitions. Charts are the HTML's SVGs as rasters
(`charts.Raster`, made in the chart workers: this module copies their bytes, see `_draw_raster`).
`invariant=1` fixes the creation date and document id, so the same model gives the same bytes.
"""

from __future__ import annotations

import html
from pathlib import Path

from pipelines.snapshot import charts
from pipelines.snapshot.sections import EFFECTS_NOT_AVAILABLE, EFFECTS_TITLE, FOOTNOTE, EffectsSection, Report


def _draw_raster(canvas, raster: charts.Raster, width: float, height: float) -> None:
    """Draw the raster at the canvas origin, width x height points: what ReportLab's drawImage does
    for an RGB image (one image XObject per distinct chart, shown with `Do`), without decoding and
    re-compressing in this process what the chart workers already deflated. Uses the canvas's
    internals (`_doc`, `_setXObjects`, `_code`, `_formsinuse`), as drawImage does, on the pinned
    ReportLab; tests/snapshot/test_report.py decodes every image of the PDF against its chart."""
    from reportlab.pdfbase import pdfdoc

    doc = canvas._doc
    reg = doc.getXObjectName(raster.key)
    if not doc.idToObject.get(reg):
        obj = pdfdoc.PDFImageXObject(raster.key)
        obj.width, obj.height, obj.bitsPerComponent, obj.colorSpace = raster.width, raster.height, 8, "DeviceRGB"
        obj.streamContent, obj._filters, obj.mask = raster.deflated, ("FlateDecode",), None
        canvas._setXObjects(obj)
        doc.Reference(obj, reg)
        doc.addForm(raster.key, obj)
    canvas._currentPageHasImages = 1
    canvas.saveState()
    canvas.scale(width, height)
    canvas._code.append(f"/{reg} Do")
    canvas.restoreState()
    canvas._formsinuse.append(raster.key)


def render_pdf(report: Report, path: Path) -> int:
    """Write the PDF; return its page count."""
    from reportlab import rl_config
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (Flowable, KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table,
                                    TableStyle)

    e = html.escape  # Paragraph text is ReportLab's XML-like markup
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

    class Chart(Flowable):
        """A chart's raster, centred, drawn at width x height points."""

        def __init__(self, raster: charts.Raster, width: float, height: float):
            super().__init__()
            self.raster, self.width, self.height, self.hAlign = raster, width, height, "CENTER"

        def wrap(self, avail_width, avail_height):
            return self.width, self.height

        def draw(self):
            _draw_raster(self.canv, self.raster, self.width, self.height)

    def image(raster: charts.Raster, max_w: float):
        w_px, h_px = raster.width, raster.height
        w = min(max_w, w_px / charts.PNG_SCALE * 0.75)
        h = w * h_px / w_px
        max_h = A4[1] - 70 * mm
        if h > max_h:
            w, h = w * max_h / h, max_h
        return Chart(raster, w, h)

    r = report
    story = []
    story.append(Paragraph(e(r.title), h1))
    story.append(Paragraph(f"Human Trafficking Intervention Courts, New York. Figures as of "
                           f"<b>{r.as_of.isoformat()}</b>, from the complete data deliveries dated up to "
                           f"{r.cutoff.isoformat()} ({r.n_deliveries} deliveries). Metric definitions: "
                           f"{e(r.spec_version)}.", body))
    if r.revises:
        story.append(Paragraph(f"<b>Revision {r.revision}</b> of {e(r.revises)}, correcting: "
                               f"{e(r.revision_reason or '')}. The earlier version stays published unchanged.", body))
    story += _first_page_story(r.first_page, body, small, h2, width, FOOTNOTE + f" Contents: {EFFECTS_TITLE} (page 2); "
                               "how to read these figures; one section per goal, G1 to G9, each from a new page; "
                               "definitions of every measure at the end.")
    ef = r.effects
    story.append(PageBreak())
    story += _effects_story(ef, body, small, h2, h3, big, grid, width, image)
    story.append(PageBreak())
    story.append(Paragraph("How to read these figures", h2))
    for k, v in r.reading_notes:
        story.append(Paragraph(f"<b>{e(k)}.</b> {e(v)}", body))
        story.append(Spacer(1, 2 * mm))
    for s in r.goals:
        story.append(PageBreak())
        story.append(Paragraph(f"{s.goal.label} {e(s.goal.title)}", h2))
        story.append(Paragraph(f"<i>{e(s.goal.question)}</i>", body))
        if s.points_to_effects:
            story.append(Paragraph(f"HTIC and comparison figures here are unadjusted: see '{e(EFFECTS_TITLE)}' "
                                   "(page 2) for the adjusted comparison.", small))
        if not s.metrics:
            story.append(Paragraph("No figures for this goal as of this date.", body))
        for m in s.metrics:
            head = [Paragraph(e(m.title), h3), Paragraph(e(m.definition), small)]
            for h in m.headlines:
                extra = (f"  95% interval {h.interval}" if h.interval else "") + (f"; n = {h.n}" if h.n else "")
                head.append(Paragraph(f"{e(h.population)}, cohort {e(h.cohort)}: {e(h.text)}"
                                      f"<font size=8 color='#555555'>{e(extra)}</font>", big))
            if "trend" in m.svgs:
                head.append(image(m.rasters["trend"], width))
            story.append(KeepTogether(head))
            if "breakdown" in m.svgs:
                story.append(image(m.rasters["breakdown"], width * 0.85))
            for n in m.notes:
                story.append(Paragraph(e(n), small))
    story.append(PageBreak())
    story.append(Paragraph("Definitions", h2))
    rows = [["Measure", "Goal", "In plain words"]]
    for d in r.definitions:
        rows.append([Paragraph(f"{e(d.title)}<br/><font size=7>{e(d.metric_id)}</font>", small), d.goal_label,
                     Paragraph(e(d.definition), small)])
    t = Table(rows, colWidths=[50 * mm, 12 * mm, width - 62 * mm], repeatRows=1)
    t.setStyle(grid)
    story.append(t)

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(18 * mm, 10 * mm, f"{r.title} - as of {r.as_of.isoformat()}")
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"page {doc.page}")
        canvas.restoreState()

    rl_config.useA85 = 0  # binary streams: smaller and much faster than ASCII85 in pure Python
    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=18 * mm, title=r.title, author="htic-eval",
                            subject=f"Figures as of {r.as_of.isoformat()}", creator="htic-eval",
                            producer="htic-eval (ReportLab)", invariant=1)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return doc.page


def _effects_story(ef: EffectsSection, body, small, h2, h3, big, grid, width, image) -> list:
    """The section "Is the court helping?" as ReportLab flowables (the HTML's content, same order)."""
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer, Table

    e = html.escape
    warn = ParagraphStyle("warn", parent=body, textColor=colors.HexColor("#a0281b"))
    out = [Paragraph(e(EFFECTS_TITLE), h2)]
    if not ef.available:
        return out + [Paragraph(e(EFFECTS_NOT_AVAILABLE), body)]
    out.append(Paragraph(e(ef.headline), big))
    if ef.headline_warning:
        out.append(Paragraph(f"<b>{e(ef.headline_warning)}</b>", warn))
    out.append(Paragraph(e(f"{ef.balance_verdict} {ef.sizes}"), body))
    rows = [[Paragraph(f"<b>{h}</b>", small) for h in ("Method (12-month rearrest)", "Difference", "95% interval",
                                                        "Risk ratio", "Referred used", "Comparison used",
                                                        "Referred left out", "Balance")]]
    for ln in ef.lines:
        rows.append([Paragraph(e(ln.method), small), ln.estimate, Paragraph(e(ln.interval), small), ln.risk_ratio,
                     ln.treated_used, ln.comparison_used, ln.treated_left_out,
                     Paragraph(e(ln.balance), small if ln.balance == "ok" else warn)])
    t = Table(rows, colWidths=[34 * mm, 20 * mm, 30 * mm, 14 * mm, 17 * mm, 19 * mm, 17 * mm, width - 151 * mm],
              repeatRows=1)
    t.setStyle(grid)
    out += [Spacer(1, 2 * mm), t, Spacer(1, 2 * mm)]
    for name in ("forest", "hazard", "survival", "balance"):
        if name in ef.svgs:
            out.append(image(ef.rasters[name], width * 0.9))
            if name == "survival" and ef.logrank:
                out.append(Paragraph(e(ef.logrank), small))
    if ef.warnings:
        out.append(Paragraph("<b>Estimates whose balance fails (do not rely on them):</b>", warn))
        out += [Paragraph(e(w), warn) for w in ef.warnings]
    out.append(Paragraph("What this can and cannot say", h3))
    out += [Paragraph(e(c), body) for c in ef.caveats]
    out.append(Paragraph(e(ef.balance_verdict), body))
    out += [Paragraph(e(n), small) for n in ef.notes]
    return out


def _spark_drawing(values: tuple, target: float | None, w: float = 70, h: float = 14):
    """The HTML's sparkline drawn with ReportLab's vector graphics (no image)."""
    from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine
    from reportlab.lib import colors

    d = Drawing(w, h)
    shown = [v for v in values if v is not None]
    if not shown:
        return d
    lo, hi = min(shown + ([target] if target is not None else [])), max(shown + ([target] if target is not None else []))
    span, pad = (hi - lo) or 1.0, 2
    step = (w - 2 * pad) / max(len(values) - 1, 1)

    def xy(i, v):
        return pad + i * step, pad + (v - lo) / span * (h - 2 * pad)

    if target is not None:
        d.add(Line(0, xy(0, target)[1], w, xy(0, target)[1], strokeColor=colors.HexColor("#777777"),
                   strokeDashArray=[2, 2], strokeWidth=0.6))
    run = []
    blue = colors.HexColor("#1f5fa8")
    for i, v in enumerate(list(values) + [None]):
        if v is None:
            if len(run) > 1:
                d.add(PolyLine([c for p in run for c in p], strokeColor=blue, strokeWidth=1.1))
            run = []
        else:
            run.append(xy(i, v))
    i, v = next((i, v) for i, v in reversed(list(enumerate(values))) if v is not None)
    x, y = xy(i, v)
    d.add(Circle(x, y, 1.6, fillColor=blue, strokeColor=blue))
    return d


def _first_page_story(fp, body, small, h2, width, footnote: str) -> list:
    """The first page's table: one row per headline figure (the HTML's cards, same texts)."""
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    from pipelines.snapshot.firstpage import VERDICT_COLOURS

    e = html.escape
    tiny = ParagraphStyle("tiny", parent=small, fontSize=6.8, leading=7.9, textColor=colors.HexColor("#222222"))
    note = ParagraphStyle("note", parent=small, fontSize=7, leading=8.4)
    fig = ParagraphStyle("fig", parent=small, fontName="Helvetica-Bold", fontSize=11, leading=13,
                         textColor=colors.HexColor("#1f5fa8"))
    verdict = ParagraphStyle("verdict", parent=small, fontName="Helvetica-Bold", fontSize=7.5, leading=9,
                             textColor=colors.white, alignment=1)
    rows = [[Paragraph(f"<b>{h}</b>", tiny) for h in ("Goal and headline", "Period", "Figure", "95% interval, n, target",
                                                      "Verdict", "Change since")]]
    style = [("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#c9d3e0")),
             ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf4")), ("VALIGN", (0, 0), (-1, -1), "TOP")]
    for gl in fp.goals:
        for k, f in enumerate(gl.figures):
            goal = f"<b>{e(gl.goal.label)} {e(gl.goal.title)}</b><br/>{e(gl.title)}" if k == 0 else ""
            goal += ("<br/>" if goal else "") + e(f.population)
            extra = "".join(f"<br/>{e(n)}" for n in gl.notes) if k == len(gl.figures) - 1 else ""
            if f.shown:
                cells = [Paragraph(goal + extra, tiny), Paragraph(e(f.period), tiny),
                         [Paragraph(e(f.text), fig), _spark_drawing(f.spark, f.target_value)] if f.spark
                         else Paragraph(e(f.text), fig),
                         Paragraph(e(("95% " + f.interval + "; " if f.interval else "")
                                     + (f"n = {f.n}; " if f.n else "") + f"target {f.target}"), tiny),
                         Paragraph(e(f"{f.verdict_mark} {f.verdict_word}"), verdict),
                         Paragraph(e(f"quarter: {f.change_quarter}") + "<br/>" + e(f"year: {f.change_year}")
                                   if f.change_quarter else "", tiny)]
                style.append(("BACKGROUND", (4, len(rows)), (4, len(rows)),
                              colors.HexColor(VERDICT_COLOURS.get(f.verdict, "#555555"))))
            else:
                cells = [Paragraph(goal + extra, tiny), Paragraph(e(f.period), tiny),
                         Paragraph(e(f.text), tiny), "", "", ""]
            rows.append(cells)
    t = Table(rows, colWidths=[44 * mm, 18 * mm, 24 * mm, 32 * mm, 19 * mm, width - 137 * mm], repeatRows=1)
    t.setStyle(TableStyle(style))
    return [Paragraph("Are we on track?", h2), t, Spacer(1, 1.5 * mm), Paragraph(e(fp.fitness), small),
            Paragraph(e(" ".join((fp.comparisons, *fp.notes, footnote))), note)]
