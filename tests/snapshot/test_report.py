"""The report renders in a real headless browser (Debian's Chromium driven by Playwright), with no
console errors, no request leaving file:/data:, and every chart present; the PDF has the expected
pages (pdftotext). These tests FAIL, never skip, when chromium or pdftotext is missing."""

from __future__ import annotations

import csv
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from pipelines.catalogue import load_goals, metric

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync"]


def rows_of(folder: Path) -> list[dict[str, str]]:
    with open(folder / "metrics.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


EFFECT_CHARTS = {"effects forest", "effects hazard", "effects survival", "effects balance"}


def expected_charts(rows: list[dict[str, str]], with_effects: bool = True) -> set[str]:
    """From metrics.csv alone: a trend for every measure with an overall figure in two cohorts or
    more; a breakdown chart for every measure with HTIC breakdown rows (the 75th percentiles and the
    6- and 24-month windows are shown in the workbook only); and, when the warehouse holds the
    evaluation tables, the four charts of "Is the court helping?"."""
    cohorts = defaultdict(set)
    with_cells = set()
    for r in rows:
        if r["breakdown"] == "overall":
            cohorts[r["metric_id"]].add(r["cohort"])
        elif r["population"] == "htic":
            with_cells.add(r["metric_id"])
    out = {f"{m} trend" for m, c in cohorts.items() if len(c) >= 2}
    out |= {f"{m} breakdown" for m in with_cells
            if not (m.endswith("_p75") or m.endswith("_6m") or m.endswith("_24m"))}
    return out | (EFFECT_CHARTS if with_effects else set())


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed (apt-get install chromium; make test installs it)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


def test_report_renders_offline_with_every_chart(browser, published, artifacts):
    folder = published["current"]
    html_path = folder / "report.html"
    requests, blocked, console_errors, page_errors = [], [], [], []
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)

    def route(r):
        url = r.request.url
        if url.startswith("file:") or url.startswith("data:"):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("request", lambda req: requests.append(req.url))
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    page.goto(html_path.as_uri(), wait_until="load")
    page.wait_for_load_state("networkidle")

    assert console_errors == [] and page_errors == []
    assert blocked == []
    assert requests and all(u.startswith("file:") or u.startswith("data:") for u in requests), requests

    rows = rows_of(folder)
    want = expected_charts(rows)
    figures = page.locator("figure.chart")
    labels = [figures.nth(i).get_attribute("data-chart") for i in range(figures.count())]
    assert set(labels) == want and len(labels) == len(want)
    # every chart drawn: an SVG with a size and marks in it
    sizes = page.eval_on_selector_all(
        "figure.chart svg",
        "els => els.map(e => [e.getBoundingClientRect().width, e.getBoundingClientRect().height,"
        " e.querySelectorAll('path, line, text').length])")
    assert len(sizes) == len(want)
    assert all(w > 100 and h > 50 and marks > 5 for w, h, marks in sizes), sizes

    text = page.inner_text("body")
    for g in load_goals():
        assert f"{g.label} {g.title}" in text
    for m in {r["metric_id"] for r in rows}:
        assert metric(m).title in text
    assert "suppressed*" in text and "is between 1 and 10" in text  # suppressed cells shown, with the footnote
    assert "Comparison (unadjusted)" in text
    # the page forbids every fetch itself
    csp = page.locator("meta[http-equiv='Content-Security-Policy']").get_attribute("content")
    assert "default-src 'none'" in csp

    page.screenshot(path=str(artifacts / "report-top.png"))
    page.locator("section#G4").screenshot(path=str(artifacts / "report-g4.png"))
    assert page.locator("section#effects h2").inner_text() == "Is the court helping?"
    assert page.locator("section#effects figure.chart").count() == len(EFFECT_CHARTS)
    page.locator("section#effects").screenshot(path=str(artifacts / "report-effects.png"))
    assert (artifacts / "report-top.png").stat().st_size > 10_000
    context.close()


def _pdf_pages(pdf: Path) -> list[str]:
    assert shutil.which("pdftotext"), "poppler-utils' pdftotext is needed (apt-get install poppler-utils)"
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = out.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def test_pdf_has_the_expected_pages(published):
    folder = published["current"]
    pages = _pdf_pages(folder / "report.pdf")
    first_lines = [next((ln.strip() for ln in p.splitlines() if ln.strip()), "") for p in pages]
    assert "funder snapshot 2026Q3" in first_lines[0] and "Are we on track?" in pages[0]
    assert first_lines[1] == "Is the court helping?"  # the adjusted comparison right after the summary
    reading = [i for i, ln in enumerate(first_lines) if ln.startswith("How to read")]
    assert len(reading) == 1 and reading[0] >= 2
    starts = []
    for g in load_goals():
        hits = [i for i, ln in enumerate(first_lines) if ln == f"{g.label} {g.title}"]
        assert len(hits) == 1, (g.label, first_lines)
        starts.append(hits[0])
    assert starts == sorted(starts) and starts[0] == reading[0] + 1
    assert first_lines[starts[-1] + 1:].count("Definitions") >= 1
    for i, p in enumerate(pages, start=1):
        assert f"page {i}" in p and "as of 2026-09-30" in p
    text = "\n".join(pages)
    for m in {r["metric_id"] for r in rows_of(folder)}:
        assert metric(m).title.split(",")[0] in text
    assert "* suppressed: to protect the people counted" in text  # the footnote: the policy in general words
    assert "complementary" not in text.lower()  # never which rule hid a figure
    # the charts are in it: one image per chart of the HTML report
    from pypdf import PdfReader

    n_images = sum(len(p.images) for p in PdfReader(str(folder / "report.pdf")).pages)
    assert n_images == len(expected_charts(rows_of(folder)))
    info = subprocess.run(["pdfinfo", str(folder / "report.pdf")], capture_output=True, text=True, check=True).stdout
    assert f"Pages:          {len(pages)}" in info or f"Pages: {len(pages)}" in " ".join(info.split())


def test_pdf_images_are_the_html_charts_on_white(published):
    """Every image of the PDF shows, pixel for pixel, one chart of the HTML report: the report's inline
    SVG rasterised here (vl-convert at the PDF's scale) and laid on a white page with Pillow, and every
    chart of the HTML is in the PDF. The PDF's images are stored by pipelines/snapshot/pdf.py without
    ReportLab's own image code, so this reads them back with pypdf and compares the decoded pixels."""
    import hashlib
    import io
    import re

    import vl_convert as vlc
    from PIL import Image
    from pypdf import PdfReader

    from pipelines.snapshot.charts import PNG_SCALE

    folder = published["current"]
    html = (folder / "report.html").read_text(encoding="utf-8")
    svgs = re.findall(r'<figure class="chart" data-chart="[^"]*" role="img" aria-label="[^"]*">(.*?)</figure>', html, re.S)
    assert len(svgs) == len(expected_charts(rows_of(folder)))

    def digest(im: Image.Image) -> tuple[tuple[int, int], str]:
        return im.size, hashlib.sha256(im.tobytes()).hexdigest()

    want = set()
    for svg in svgs:
        rgba = Image.open(io.BytesIO(vlc.svg_to_png(svg, scale=PNG_SCALE))).convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        want.add(digest(Image.alpha_composite(white, rgba).convert("RGB")))
    got = []
    for page in PdfReader(str(folder / "report.pdf")).pages:
        for image in page.images:
            assert image.image.mode == "RGB"
            got.append(digest(image.image))
    assert len(got) == len(svgs) and set(got) == want
