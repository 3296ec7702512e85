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
    # the summary: per goal the catalogue's headline measure (every one is in the fabricated snapshot)
    summary = page.split('<h2 id="summary">', 1)[1].split("</table>", 1)[0]
    cells = re.findall(r"<tr><td>(G\d) .*?</td><td>(.*?)</td>", summary)
    headline = {m.goal.upper(): m.title for m in catalogue.load_catalogue() if m.report_headline}
    assert {g: html.unescape(t) for g, t in cells} == headline
    for g in catalogue.load_goals():
        assert f'<section id="{g.label}"><h2>{html.escape(g.label + " " + g.title)}</h2>' in page
        assert f'<p class="goal-q">{html.escape(g.question)}</p>' in page
