"""The published report and workbook say what the metric catalogue says: goal titles and questions,
metric titles, definitions, units, and the summary's headline measure per goal."""

from __future__ import annotations

import csv
import html
import re

from pipelines import catalogue


def _metrics_csv(folder) -> list[dict[str, str]]:
    with open(folder / "metrics.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_workbook_definitions_and_goal_sheets_come_from_the_catalogue(published):
    import openpyxl

    wb = openpyxl.load_workbook(published["current"] / "workbook.xlsx", read_only=True, data_only=True)
    rows = list(wb["Definitions"].iter_rows(values_only=True))
    assert rows[0] == ("Metric id", "Goal", "Metric", "Definition", "Unit")
    want = [(m.metric_id, m.goal.upper(), m.title, m.definition, m.unit) for m in catalogue.load_catalogue()]
    assert rows[1:] == want
    for g in catalogue.load_goals():
        head = list(wb[g.label].iter_rows(max_row=2, max_col=1, values_only=True))
        assert head == [(f"{g.label} {g.title}",), (g.question,)]
    wb.close()


# metrics.md v2, "Pooled periods, headlines and targets": one headline per goal
SPEC_HEADLINES = {"G1": "g1_noncriminal_disposition", "G2": "g2_service_start_30d", "G3": "g3_need_referred_60d",
                  "G4": "g4_rearrest_any_12m", "G5": "g5_voluntary_continuation",
                  "G6": "g6_trafficking_screened_30d", "G7": "g7_active_providers", "G8": "g8_would_recommend",
                  "G9": "g9_cases_linked"}


def test_report_definitions_and_summary_come_from_the_catalogue(published):
    folder = published["current"]
    page = (folder / "report.html").read_text(encoding="utf-8")
    in_snapshot = {r["metric_id"] for r in _metrics_csv(folder)}
    # the definitions table: every measure of the snapshot, in the catalogue's order, in its words
    table = page.split('<h2 id="definitions">', 1)[1]
    found = re.findall(r"<tr><td>(.*?)<br><code>(.*?)</code></td><td>(.*?)</td><td>(.*?)</td></tr>", table)
    want = [(m.title, m.metric_id, m.goal.upper(), m.definition) for m in catalogue.load_catalogue()
            if m.metric_id in in_snapshot]
    assert [tuple(html.unescape(x) for x in row) for row in found] == want
    # the first page: per goal the headline measure of metrics.md v2's table, titled as the catalogue
    first = page.split('<section id="first-page">', 1)[1].split("</section>", 1)[0]
    cards = re.findall(r'<div class="card" data-goal="(G\d)"><div class="g">.*?</div><div class="m">(.*?)</div>', first)
    titles = {g: catalogue.metric(m).title for g, m in SPEC_HEADLINES.items()}
    assert {g: html.unescape(t).removesuffix(" (settled cohorts)") for g, t in cards} == titles
    for g in catalogue.load_goals():
        assert f'<section id="{g.label}"><h2>{html.escape(g.label + " " + g.title)}</h2>' in page
        assert f'<p class="goal-q">{html.escape(g.question)}</p>' in page
