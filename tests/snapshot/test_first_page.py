"""The first page ("are we on track?", metrics.md v2): in real Chromium at 1280x800, the PDF's page 1
(pdftotext), the workbook's Dashboard sheet (openpyxl) and the terminal text carry the same figures,
each a copy of a published row: per goal its headline for the latest -R4 (G1: latest settled), no
headline with fewer than 30 units or suppressed, changes only between figures both shown.

The warehouse: 2026Q2 and 2026Q3 as of their ends, 2026Q2's rows those of 2026Q3 whose cohort had
ended by then (late records change nothing), so the figures of the quarter before are shown in both.
The screenshot is kept in test-artifacts/snapshot/first-page-1280x800.png."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from pipelines.catalogue import load_goals
from tests.snapshot import fabricate as fab
from tests.snapshot import fabricate_effects as fab_effects
from tests.snapshot.test_report import CHROMIUM, FLAGS

A = date(2026, 9, 30)
# metrics.md v2's headline table
SPEC = {"G1": "g1_noncriminal_disposition", "G2": "g2_service_start_30d", "G3": "g3_need_referred_60d",
        "G4": "g4_rearrest_any_12m", "G5": "g5_voluntary_continuation", "G6": "g6_trafficking_screened_30d",
        "G8": "g8_would_recommend", "G9": "g9_cases_linked"}


def _last_day(cohort: str) -> date | None:
    c = cohort.removesuffix("-R4")
    if len(c) == 6 and c[4] == "Q":
        q = int(c[5])
        return date(int(c[:4]) + (q == 4), (q * 3) % 12 + 1, 1) - timedelta(days=1)
    return date(int(c), 12, 31) if c.isdigit() else None


@pytest.fixture(scope="module")
def first_page_world(tmp_path_factory):
    from pipelines.settings import get_settings
    from pipelines.snapshot.publish import publish_snapshot

    cur = fab.fabricate_metrics(A, scale=4, first_cohort="2022Q1", seed=31)
    prev_as_of = date(2026, 6, 30)
    ended = cur["cohort"].map(lambda c: (d := _last_day(c)) is None or d <= prev_as_of)
    prev = cur[ended].assign(as_of=prev_as_of)
    deliveries, files = fab.fabricate_ledger(A)
    settings = get_settings(tmp_path_factory.mktemp("firstpage"))
    fab.write_analytics(settings.analytics_db, pd.concat([prev, cur], ignore_index=True), deliveries, files)
    fab_effects.add_effects(settings.analytics_db, fab_effects.fabricate_effects(A))
    before = publish_snapshot(settings, "2026Q2")
    now = publish_snapshot(settings, "2026Q3")
    return {"settings": settings, "previous": before, "current": now}


def _csv(folder: Path) -> pd.DataFrame:
    with open(folder / "metrics.csv", newline="", encoding="utf-8") as fh:
        return pd.DataFrame(list(csv.DictReader(fh)))


def _pct(x: str) -> str:
    return f"{float(x) * 100:.1f}%"


def expected_headlines(rows: pd.DataFrame, as_of: date) -> dict[str, tuple[str, str | None]]:
    """Per goal (not G7): the latest -R4 period of its headline metric in metrics.csv (G1: settled,
    last day <= A - 365) and the figure as the page must write it, or None when it may not be
    shown (suppressed, or n < 30)."""
    out = {}
    for goal, metric in SPEC.items():
        r4 = rows[(rows.metric_id == metric) & (rows.population == "htic") & (rows.breakdown == "overall")
                  & rows.cohort.str.endswith("-R4")]
        if goal == "G1":
            r4 = r4[r4.cohort.map(lambda c: _last_day(c) <= as_of - timedelta(days=365))]
        latest = max(r4.cohort, key=lambda c: (int(c[:4]), int(c[5])))
        r = r4[r4.cohort == latest].iloc[0]
        shown = r.suppressed == "false" and r.denominator != "" and float(r.denominator) >= 30
        out[goal] = (latest, _pct(r.value) if shown else None)
    return out


def _cards(page) -> dict[str, list[dict]]:
    return page.eval_on_selector_all(
        "section#first-page .card",
        """cards => Object.fromEntries(cards.map(c => [c.dataset.goal, Array.from(c.querySelectorAll('.f')).map(f => ({
            population: f.dataset.population, head: f.querySelector('.p').innerText,
            figure: f.querySelector('[data-figure]').innerText,
            verdict: f.querySelector('[data-verdict]') ? f.querySelector('[data-verdict]').innerText : null,
            text: f.innerText, size: parseFloat(getComputedStyle(f.querySelector('[data-figure]')).fontSize)}))]))""")


def test_first_page_in_chromium_pdf_workbook_and_terminal(first_page_world):
    from playwright.sync_api import sync_playwright

    from pipelines.snapshot.firstpage import first_page_text
    from pipelines.snapshot.publish import first_page_of

    folder = first_page_world["current"]
    rows = _csv(folder)
    want = expected_headlines(rows, A)
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed (apt-get install chromium)"
    artifacts = Path(__file__).resolve().parents[2] / "test-artifacts" / "snapshot"
    artifacts.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto((folder / "report.html").as_uri(), wait_until="load")
        cards = _cards(page)
        # readable at 1280x800: no sideways scrolling, the first page starts in the first screen
        # and every figure is written at 12px or more
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        assert page.evaluate("document.querySelector('section#first-page').getBoundingClientRect().top") < 800
        page.screenshot(path=str(artifacts / "first-page-1280x800.png"))
        browser.close()
    assert (artifacts / "first-page-1280x800.png").stat().st_size > 10_000
    assert sorted(cards) == sorted(g.label for g in load_goals())  # every goal present
    for goal, (period, figure) in want.items():
        htic = cards[goal][0]
        assert htic["population"] == "HTIC" and period in htic["head"], (goal, htic)
        if figure is None:
            assert htic["figure"].startswith("not shown:") and htic["verdict"] is None, (goal, htic)
        else:
            assert htic["figure"] == figure, (goal, htic)
            assert htic["verdict"] in ("+ met", "× not met", "? uncertain", "- no verdict")
    for goal, figs in cards.items():
        for f in figs:
            assert f["size"] >= 12, (goal, f)
            n = re.search(r"n = ([\d,]+)", f["text"])
            if f["verdict"] is not None and n:  # a figure shown: n >= 30
                assert int(n.group(1).replace(",", "")) >= 30, (goal, f)
    # G4: HTIC beside comparison cases of the same period, and the adjusted estimate (or "not available")
    assert [f["population"] for f in cards["G4"]] == ["HTIC", "Comparison (unadjusted)"]
    assert cards["G4"][0]["head"].split(", ")[1] == cards["G4"][1]["head"].split(", ")[1]
    shown = [f["figure"] for g in cards.values() for f in g if f["verdict"] is not None]
    assert len(shown) >= 5, "the fabricated world must show most headlines for the test to mean anything"

    # the PDF's first page carries the same figures and verdicts
    assert shutil.which("pdftotext")
    pdf1 = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(folder / "report.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "Are we on track?" in pdf1
    for g in cards.values():
        for f in g:
            if f["verdict"] is not None:
                assert f["figure"] in pdf1 and f["verdict"].split(" ", 1)[1].split()[0] in pdf1, f
    # the workbook's first sheet, the same figures in the same order
    import openpyxl

    wb = openpyxl.load_workbook(folder / "workbook.xlsx", read_only=True)
    assert wb.sheetnames[0] == "Dashboard"
    dash = list(wb["Dashboard"].iter_rows(min_row=4, values_only=True))
    header = list(dash[0])
    end = next(i for i, r in enumerate(dash) if not any(r))  # the figures' rows end at the first empty row
    body = [r for r in dash[1:end] if r[0]]  # (a goal's notes take a row with no goal)
    col = header.index("Figure")
    assert [r[col] for r in body] == [f["figure"] for g in sorted(cards) for f in cards[g]]
    wb.close()
    # the terminal: the same figures
    text = first_page_text(first_page_of(first_page_world["settings"], folder))
    for g in cards.values():
        for f in g:
            assert f["figure"] in text


def test_change_since_compares_only_figures_shown_in_both_reports(first_page_world):
    from pipelines.snapshot.publish import first_page_of

    folder, before = first_page_world["current"], first_page_world["previous"]
    now, then = _csv(folder), _csv(before)
    page = first_page_of(first_page_world["settings"], folder)
    checked = 0
    for gl in page.goals:
        if gl.goal.label not in SPEC:
            continue
        f = gl.figures[0]
        if not f.shown:
            assert f.change_quarter == "" and f.change_year == ""
            continue
        assert f.change_year == "no 2025Q3 report to compare with"  # never invented
        q = f.period[:6]
        y, k = int(q[:4]), int(q[5])
        earlier_period = f"{y - (k == 1)}Q{4 if k == 1 else k - 1}-R4"
        old = then[(then.metric_id == SPEC[gl.goal.label]) & (then.population == "htic")
                   & (then.breakdown == "overall") & (then.cohort == earlier_period)]
        new = now[(now.metric_id == SPEC[gl.goal.label]) & (now.population == "htic")
                  & (now.breakdown == "overall") & (now.cohort == f.period)].iloc[0]
        if old.empty or old.iloc[0].suppressed == "true" or float(old.iloc[0].denominator or 0) < 30:
            assert f.change_quarter.startswith("not comparable"), f
            continue
        diff = (float(new.value) - float(old.iloc[0].value)) * 100
        assert f.change_quarter.startswith(f"{diff:+.1f} points since {earlier_period} (2026Q2 report"), f
        checked += 1
    assert checked >= 3


def _rows(**over) -> pd.DataFrame:
    base = dict(metric_id="g2_service_start_30d", goal="G2", population="htic", breakdown="overall",
                breakdown_value="all", metric_kind="rate", numerator="40", denominator="50", value="0.8000",
                ci_low="0.6700", ci_high="0.8900", target="0.7000", direction="HIGHER", verdict="uncertain",
                suppressed="false", as_of="2026-09-30")
    out = []
    for c in ("2026Q1-R4", "2026Q2-R4"):
        out.append({**base, "cohort": c, **over.get(c, {})})
    return pd.DataFrame(out)


def test_small_or_suppressed_headlines_are_not_shown_and_say_why():
    from pipelines.snapshot.firstpage import SUPPRESSED_WHY, build_first_page

    small = build_first_page(_rows(**{"2026Q2-R4": {"numerator": "20", "denominator": "25", "value": "0.8000"}}),
                             "2026Q2", date(2026, 6, 30))
    g2 = next(g for g in small.goals if g.goal.label == "G2").figures[0]
    assert not g2.shown and g2.text == "not shown: fewer than 30 cases (n = 25)" and g2.verdict == ""
    hidden = build_first_page(_rows(**{"2026Q2-R4": {"numerator": "", "denominator": "", "value": "", "ci_low": "",
                                                      "ci_high": "", "verdict": "", "suppressed": "true"}}),
                              "2026Q2", date(2026, 6, 30))
    g2 = next(g for g in hidden.goals if g.goal.label == "G2").figures[0]
    assert not g2.shown and g2.text == SUPPRESSED_WHY
    # the earlier report showed the earlier period suppressed: no change is given
    earlier = _rows(**{"2026Q1-R4": {"numerator": "", "denominator": "", "value": "", "suppressed": "true"}})
    page = build_first_page(_rows(), "2026Q2", date(2026, 6, 30), [("2026Q1", earlier)])
    g2 = next(g for g in page.goals if g.goal.label == "G2").figures[0]
    assert g2.shown and g2.change_quarter == "not comparable: 2026Q1-R4 was not shown in the 2026Q1 report"
    assert g2.change_year == "no 2025Q2 report to compare with"
    # goals whose headline metric has no rows say so rather than show anything
    g3 = next(g for g in page.goals if g.goal.label == "G3").figures[0]
    assert not g3.shown and "no four-quarter period" in g3.text
