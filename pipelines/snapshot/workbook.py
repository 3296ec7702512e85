"""workbook.xlsx — what a funder opens: the Dashboard (the first page), a notes sheet, the adjusted
comparison, a sheet per goal (newest period first, frozen headers, filters), every figure as one long
table for loading ("All figures", metrics.csv's columns), and a definitions sheet.

Goals, metric titles, definitions and units come from the metric catalogue (`pipelines.catalogue`);
the Definitions sheet lists every metric of the catalogue, in its order.

Written with xlsxwriter, which stamps its zip members with a fixed date; the document's creation
time is set to the as-of date, so the same table gives the same bytes.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from pipelines import catalogue
from pipelines.snapshot import definitions_text as dt
from pipelines.snapshot import sections
from pipelines.snapshot.context import SnapshotContext
from pipelines.snapshot.effects import FunderEffects
from pipelines.snapshot.firstpage import VERDICT_COLOURS
from pipelines.snapshot.table import COLUMNS, DECIMALS

GOAL_COLUMNS = ["Metric id", "Metric", "Population", "Cohort", "Breakdown", "Breakdown value", "Value",
                "95% CI low", "95% CI high", "Numerator", "Denominator", "Target", "Direction", "Verdict", "Suppressed"]
DASHBOARD = "Dashboard"
DASHBOARD_COLUMNS = ["Goal", "Headline", "Population", "Period", "Figure", "95% interval", "n", "Target", "Verdict",
                     "Change since previous quarter", "Change since a year before", "Last eight -R4 figures"]
ALL_FIGURES = "All figures"
SUPPRESSED_TEXT = "suppressed"
EFFECTS_SHEET = "Is the court helping"  # a sheet name may not hold '?'
EFFECT_COLUMNS = ["Outcome", "Time zero", "Method", "Measure", "Estimate", "95% CI low", "95% CI high", "p",
                  "Referred cases eligible", "Comparison cases eligible", "Referred cases used",
                  "Comparison cases used", "Referred cases left out", "Balance ok", "Warning", "E-value",
                  "E-value (CI limit)", "PH test p", "Log-rank p", "Cohort first", "Cohort last"]
BALANCE_COLUMNS = ["Outcome", "Time zero", "Method", "Covariate", "Largest |SMD| before", "Largest |SMD| after",
                   "Balance ok"]
SURVIVAL_COLUMNS = ["Time zero", "Group", "Day", "Not rearrested", "95% CI low", "95% CI high"]


def _fmt(kind: str) -> str:
    places = DECIMALS.get(kind, 4)
    return "0" if places == 0 else "0." + "0" * places


def write_workbook(ctx: SnapshotContext, path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                         "strings_to_urls": False, "nan_inf_to_errors": False})
    created = datetime(ctx.as_of.year, ctx.as_of.month, ctx.as_of.day)
    wb.set_properties({
        "title": f"HTIC evaluation - funder snapshot {ctx.folder}",
        "subject": f"Figures as of {ctx.as_of.isoformat()}",
        "author": "htic-eval", "company": "htic-eval", "manager": "", "category": "programme evaluation",
        "keywords": "HTIC, evaluation, snapshot", "comments": dt.METRICS_SPEC_VERSION,
        "created": created,
    })
    bold = wb.add_format({"bold": True})
    head = wb.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1, "text_wrap": True, "valign": "top"})
    title = wb.add_format({"bold": True, "font_size": 14})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    grey = wb.add_format({"font_color": "#7A7A7A", "italic": True})
    num_formats = {k: wb.add_format({"num_format": _fmt(k)}) for k in DECIMALS}
    int_fmt = wb.add_format({"num_format": "0"})
    _dashboard_sheet(wb, ctx, {"bold": bold, "head": head, "title": title, "wrap": wrap, "grey": grey})

    # --- Notes --------------------------------------------------------------------------------
    ws = wb.add_worksheet("Notes")
    ws.set_column(0, 0, 26)
    ws.set_column(1, 1, 110)
    ws.write(0, 0, f"HTIC evaluation - funder snapshot {ctx.folder}", title)
    facts = [
        ("Quarter", ctx.quarter),
        ("Revision", str(ctx.revision) + (f" (corrects {ctx.revises}: {ctx.revision_reason})" if ctx.revises else "")),
        ("As-of date", ctx.as_of.isoformat()),
        ("Data deliveries used", f"complete deliveries dated up to {ctx.cutoff.isoformat()} (as-of + 45 days); "
                                 f"{ctx.n_deliveries} deliveries, listed in manifest.json"),
        ("Metric definitions", dt.METRICS_SPEC_VERSION),
        ("Rows", f"{len(ctx.table)} figures, {ctx.n_suppressed} suppressed"),
        ("Files", "metrics.csv / metrics.parquet: every figure (machine-readable); report.html / report.pdf: "
                  "the report with charts; restatements.csv: figures of the previous snapshot that changed; "
                  "manifest.json: inputs, checksums, versions"),
    ]
    r = 2
    for k, v in facts:
        ws.write(r, 0, k, bold)
        ws.write(r, 1, v, wrap)
        r += 1
    r += 1
    ws.write(r, 0, "How to read the figures", title)
    r += 1
    for k, v in dt.READING_NOTES:
        ws.write(r, 0, k, bold)
        ws.write(r, 1, v, wrap)
        r += 1
    r += 1
    ws.write(r, 0, "Sheets", title)
    r += 1
    ws.write(r, 0, EFFECTS_SHEET, bold)
    ws.write(r, 1, "The adjusted comparison of HTIC and comparison cases: every estimate, balance and the "
                   "survival curves.", wrap)
    r += 1
    for g in catalogue.load_goals():
        ws.write(r, 0, g.label, bold)
        ws.write(r, 1, f"{g.title}. {g.question}", wrap)
        r += 1
    ws.write(r, 0, "Definitions", bold)
    ws.write(r, 1, "Every metric in plain words.", wrap)

    _effects_sheet(wb, ctx.effects, {"bold": bold, "head": head, "title": title, "wrap": wrap, "grey": grey})

    # --- one sheet per goal -------------------------------------------------------------------
    table = ctx.table
    for g in catalogue.load_goals():
        ws = wb.add_worksheet(g.label)
        ws.write(0, 0, f"{g.label} {g.title}", title)
        ws.write(1, 0, g.question, grey)
        ws.set_row(3, 30)
        for c, name in enumerate(GOAL_COLUMNS):
            ws.write(3, c, name, head)
        widths = [30, 44, 12, 10, 22, 20, 11, 11, 11, 11, 12, 10, 10, 10, 11]
        for c, w in enumerate(widths):
            ws.set_column(c, c, w)
        rows = table[table["goal"] == g.label]
        # for reading: measures in the spec's order, HTIC before comparison, newest period first, the
        # overall row first
        keys = [(catalogue.metric_order(m), p != "htic", p, _newest_first(c), b != "overall", b, v)
                for m, p, c, b, v in zip(*(rows[k].tolist() for k in
                                           ("metric_id", "population", "cohort", "breakdown", "breakdown_value")))]
        rows = rows.iloc[sorted(range(len(rows)), key=keys.__getitem__)]
        r = 4
        for row in rows.itertuples(index=False):
            kind = row.metric_kind
            ws.write_string(r, 0, row.metric_id)
            ws.write_string(r, 1, catalogue.metric(row.metric_id).title)
            ws.write_string(r, 2, row.population)
            ws.write_string(r, 3, row.cohort)
            ws.write_string(r, 4, dt.breakdown_label(row.breakdown))
            ws.write_string(r, 5, row.breakdown_value)
            if row.suppressed:
                ws.write_string(r, 6, SUPPRESSED_TEXT)
            else:
                for c, col in ((6, "value"), (7, "ci_low"), (8, "ci_high")):
                    v = getattr(row, col)
                    if v is not None and v == v:
                        ws.write_number(r, c, v, num_formats.get(kind))
                for c, col in ((9, "numerator"), (10, "denominator")):
                    v = getattr(row, col)
                    if v is not None and v == v:
                        ws.write_number(r, c, v, int_fmt if float(v).is_integer() else None)
            if row.target is not None and row.target == row.target:
                ws.write_number(r, 11, row.target, num_formats.get(kind))
            ws.write_string(r, 12, row.direction or "")
            ws.write_string(r, 13, (row.verdict or "").replace("_", " "))
            ws.write_string(r, 14, "yes" if row.suppressed else "no")
            r += 1
        if r == 4:
            ws.write_string(4, 0, "No figures for this goal as of this date.")
        else:
            ws.autofilter(3, 0, r - 1, len(GOAL_COLUMNS) - 1)
        ws.freeze_panes(4, 2)

    _all_figures_sheet(wb, ctx.table, head)

    # --- definitions --------------------------------------------------------------------------
    ws = wb.add_worksheet("Definitions")
    for c, (name, w) in enumerate([("Metric id", 32), ("Goal", 6), ("Metric", 44), ("Definition", 110), ("Unit", 10)]):
        ws.write(0, c, name, head)
        ws.set_column(c, c, w, wrap if name == "Definition" else None)
    for r, m in enumerate(catalogue.load_catalogue(), start=1):
        ws.write_string(r, 0, m.metric_id)
        ws.write_string(r, 1, m.goal.upper())
        ws.write_string(r, 2, m.title)
        ws.write_string(r, 3, m.definition)
        ws.write_string(r, 4, m.unit)
    ws.freeze_panes(1, 1)
    wb.close()


def _newest_first(cohort: str) -> tuple:
    """Sort key: later periods first (a quarter's -R4 beside the quarter; a year after its Q4)."""
    order = sections._period_order(cohort)
    return tuple(-x for x in order)


def _dashboard_sheet(wb, ctx: SnapshotContext, f: dict) -> None:
    """The first page as a sheet: one row per headline figure, the fitness line and the notes."""
    page = sections.first_page(ctx)
    ws = wb.add_worksheet(DASHBOARD)
    ws.write(0, 0, f"Are we on track? Funder snapshot {ctx.folder}, figures as of {ctx.as_of.isoformat()}", f["title"])
    ws.write(1, 0, page.comparisons, f["grey"])
    for c, (name, w) in enumerate(zip(DASHBOARD_COLUMNS, [30, 34, 22, 14, 18, 26, 9, 14, 14, 46, 46, 18])):
        ws.write(3, c, name, f["head"])
        ws.set_column(c, c, w)
    verdicts = {k: wb.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": colour, "border": 1})
                for k, colour in VERDICT_COLOURS.items()}
    data_col = len(DASHBOARD_COLUMNS) + 1  # the sparklines' figures, to the right
    ws.write(3, data_col, "-R4 figures for the sparklines (oldest to newest)", f["grey"])
    r = 4
    for gl in page.goals:
        for f_ in gl.figures:
            ws.write_string(r, 0, f"{gl.goal.label} {gl.goal.title}")
            ws.write_string(r, 1, gl.title)
            ws.write_string(r, 2, f_.population)
            ws.write_string(r, 3, f_.period)
            ws.write_string(r, 4, f_.text)
            if f_.shown:
                ws.write_string(r, 5, f_.interval)
                ws.write_string(r, 6, f_.n)
                ws.write_string(r, 7, f_.target)
                ws.write_string(r, 8, f"{f_.verdict_mark} {f_.verdict_word}", verdicts.get(f_.verdict))
                ws.write_string(r, 9, f_.change_quarter)
                ws.write_string(r, 10, f_.change_year)
            if any(v is not None for v in f_.spark):
                for k, v in enumerate(f_.spark):
                    if v is not None:
                        ws.write_number(r, data_col + k, v)
                ws.add_sparkline(r, 11, {"range": f"'{DASHBOARD}'!{_cell(r, data_col)}:{_cell(r, data_col + 7)}",
                                         "markers": True, "empty_cells": "gaps"})
            r += 1
        for n in gl.notes:
            ws.write_string(r, 1, n, f["wrap"])
            r += 1
    r += 1
    for text in (page.fitness, *page.notes, sections.FOOTNOTE):
        ws.write_string(r, 0, text)
        r += 1
    ws.freeze_panes(4, 1)


def _cell(row: int, col: int) -> str:
    from xlsxwriter.utility import xl_rowcol_to_cell

    return xl_rowcol_to_cell(row, col, row_abs=True, col_abs=True)


def _all_figures_sheet(wb, table: pd.DataFrame, head) -> None:
    """Every figure of metrics.csv, its columns and order, one header row: for loading."""
    ws = wb.add_worksheet(ALL_FIGURES)
    for c, name in enumerate(COLUMNS):
        ws.write_string(0, c, name, head)
    numeric = {"numerator", "denominator", "value", "ci_low", "ci_high", "target"}
    cols = [table[c].tolist() for c in COLUMNS]
    for r in range(len(table)):
        for c, name in enumerate(COLUMNS):
            v = cols[c][r]
            if name in numeric:
                if v is not None and v == v:
                    ws.write_number(r + 1, c, v)
            elif name == "suppressed":
                ws.write_boolean(r + 1, c, bool(v))
            elif name == "as_of":
                ws.write_string(r + 1, c, v.isoformat())
            elif v is not None:
                ws.write_string(r + 1, c, str(v))
    ws.autofilter(0, 0, max(len(table), 1), len(COLUMNS) - 1)
    ws.freeze_panes(1, 0)


def _present(v) -> bool:
    return v is not None and v == v


def _effects_sheet(wb, fe: FunderEffects | None, f: dict) -> None:
    """The sheet "Is the court helping": the section's words, then every estimate, the balance per
    covariate and the survival curves, as effects.py discloses them."""
    ws = wb.add_worksheet(EFFECTS_SHEET)
    ws.set_column(0, 0, 30)
    ws.set_column(1, len(EFFECT_COLUMNS) - 1, 15)
    ws.write(0, 0, sections.EFFECTS_TITLE, f["title"])
    sec = sections.effects_section(fe)
    if not sec.available:
        ws.write_string(2, 0, sections.EFFECTS_NOT_AVAILABLE)
        return
    r = 2
    for text in [sec.headline, sec.headline_warning, sec.balance_verdict, sec.sizes, sec.logrank, *sec.caveats,
                 *sec.notes[:1]]:
        if text:
            ws.write_string(r, 0, text, f["bold"] if text == sec.headline_warning else None)
            r += 1
    r += 1

    def table(r: int, name: str, columns: list[str], rows: list[list]) -> int:
        ws.write(r, 0, name, f["bold"])
        for c, col in enumerate(columns):
            ws.write(r + 1, c, col, f["head"])
        for i, values in enumerate(rows, start=r + 2):
            for c, v in enumerate(values):
                if isinstance(v, bool):
                    ws.write_string(i, c, "yes" if v else "no")
                elif isinstance(v, (int, float)) and _present(v):
                    if v in (float("inf"), float("-inf")):
                        ws.write_string(i, c, "infinite")
                    else:
                        ws.write_number(i, c, v)
                elif isinstance(v, str):
                    ws.write_string(i, c, v)
        return r + 3 + len(rows)

    est = []
    for e in fe.estimates.itertuples(index=False):
        figures = ([sections.SUPPRESSED_COUNT, "", "", ""] if e.estimate_hidden
                   else [e.estimate, e.ci_low, e.ci_high, e.p_value])
        counts = [sections.SUPPRESSED_COUNT if getattr(e, c) is None else getattr(e, c)
                  for c in ("n_treated", "n_control", "n_treated_used", "n_control_used", "n_treated_unused")]
        est.append([e.outcome, e.time_zero, e.method, e.measure, *figures, *counts, bool(e.balance_ok),
                    "" if e.balance_ok else sections.BALANCE_FAILS, e.e_value, e.e_value_ci, e.ph_test_p,
                    e.logrank_p, e.cohort_first or "", e.cohort_last or ""])
    r = table(r, "Every estimate (risk differences as shares: -0.09 = 9 points fewer)", EFFECT_COLUMNS, est)
    bal = [[b.outcome, b.time_zero, b.method, b.covariate, b.max_abs_smd_before, b.max_abs_smd_after, bool(b.ok)]
           for b in fe.balance.itertuples(index=False)]
    r = table(r, "Balance per covariate (largest |SMD| over its levels)", BALANCE_COLUMNS, bal)
    surv = [[p.time_zero, p.group, int(p.day), p.survival, p.ci_low, p.ci_high]
            for p in fe.survival.itertuples(index=False)]
    table(r, "Kaplan-Meier curves (only the days the disclosure rule allows)", SURVIVAL_COLUMNS, surv)


def read_goal_sheets(path: Path) -> pd.DataFrame:
    """The goal sheets back as one table (tests and checks)."""
    import openpyxl

    wb = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
    frames = []
    for g in catalogue.load_goals():
        rows = list(wb[g.label].iter_rows(min_row=4, values_only=True))
        if len(rows) > 1 and rows[0][0] == GOAL_COLUMNS[0]:
            frames.append(pd.DataFrame(rows[1:], columns=rows[0]))
    wb.close()
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=GOAL_COLUMNS)
