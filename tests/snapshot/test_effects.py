"""'Is the court helping?' in the funder report and workbook: the disclosure rule of evaluation.md
on the evaluation tables (group sizes, implied counts, survival curves, balance), the section in
HTML, PDF and workbook, the balance warning, and 'not available' on a warehouse without them."""

from __future__ import annotations

import itertools
import shutil
import subprocess
from datetime import date

import numpy as np
import openpyxl
import pandas as pd
import pytest

from pipelines.snapshot.effects import disclose, published_counts, read_funder_effects, thin_curve
from pipelines.snapshot.sections import BALANCE_FAILS, EFFECTS_NOT_AVAILABLE, effects_section
from tests.snapshot.conftest import QUARTER, make_warehouse
from tests.snapshot.fabricate_effects import fabricate_effects

AS_OF = date(2026, 9, 30)


def small(x) -> bool:
    return x is not None and x == x and 0 < float(x) < 11 - 1e-6


def pdf_text(path) -> str:
    assert shutil.which("pdftotext"), "poppler-utils' pdftotext is needed"
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def sheet_rows(path, name: str) -> list[tuple]:
    wb = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
    rows = list(wb[name].iter_rows(values_only=True))
    wb.close()
    return rows


def table_after(rows: list[tuple], title: str) -> pd.DataFrame:
    """A table of the effects sheet: the rows under its title and header, up to the blank row."""
    i = next(k for k, r in enumerate(rows) if r and r[0] and str(r[0]).startswith(title))
    header = [c for c in rows[i + 1] if c is not None]
    body = []
    for r in rows[i + 2:]:
        if not r or all(v is None for v in r):
            break
        body.append(list(r[:len(header)]))
    return pd.DataFrame(body, columns=header)


# --- the rule on hand-made tables --------------------------------------------------------------

def test_curve_shows_only_points_where_events_and_censorings_are_none_or_eleven_plus():
    # a group of 100: day 0 none; day 7: 3 events; day 14: 12 events; day 21: 5 censored;
    # day 28: 8 events and 6 censored; day 35: nothing; day 42: 20 events, 15 censored
    pts = pd.DataFrame({"day": [0, 7, 14, 21, 28, 35, 42],
                        "at_risk": [100, 97, 85, 80, 66, 66, 31],
                        "events": [0, 3, 12, 0, 8, 0, 20]}).assign(survival=1.0, ci_low=1.0, ci_high=1.0)
    shown = thin_curve(pts)
    # by hand: 0 (start); 7: 3 events -> no; 14: 15 events, 0 censored -> yes; 21: 0 ev, 5 cens -> no;
    # 28: 8 ev, 11 cens -> no; 35: same -> no; 42: 28 events, 26 censored -> yes
    assert shown["day"].tolist() == [0, 14, 42]


def _small_tables(seed: int) -> dict[str, pd.DataFrame]:
    """Small groups: every count near or below 10, curves from a few dozen cases."""
    return fabricate_effects(AS_OF, n_treated=24, n_control=31, seed=seed, n_treated_used=19)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_small_groups_show_no_count_1_to_10_and_no_derivable_curve_point(seed):
    tables = _small_tables(seed)
    fe = disclose(tables, AS_OF)
    est = fe.estimates
    counts = ["n_treated", "n_control", "n_treated_used", "n_control_used", "n_treated_unused"]
    for c in counts:
        assert not any(small(v) for v in est[c] if v is not None), c
    # no two counts shown of one side and time zero differ by 1-10 (a difference is a count too)
    for tz, g in est.groupby("time_zero"):
        for side in (["n_treated", "n_treated_used", "n_treated_unused"], ["n_control", "n_control_used"]):
            shown = sorted({float(v) for c in side for v in g[c] if v is not None})
            assert not any(small(abs(a - b)) for a, b in itertools.combinations(shown, 2)), (tz, side, shown)
    # every curve point shown: since the previous one shown, events and censorings 0 or >= 11,
    # recomputed from the raw table
    raw = tables["effect_survival"]
    assert not fe.survival.empty
    for (tz, group), shown in fe.survival.groupby(["time_zero", "group"]):
        r = raw[(raw.time_zero == tz) & (raw.group == group)].set_index("day").sort_index()
        days = shown["day"].tolist()
        start = r.index[0]
        prev_at_risk = r.at[start, "at_risk"] + r.at[start, "events"]
        prev_day = -1
        for d in days:
            ev = r.loc[(r.index > prev_day) & (r.index <= d), "events"].sum()
            cens = prev_at_risk - r.at[d, "at_risk"] - ev
            assert not small(ev) and not small(cens), (tz, group, d, ev, cens)
            prev_at_risk, prev_day = r.at[d, "at_risk"], d
        assert set(shown.columns) >= {"survival"} and "at_risk" not in shown.columns and "events" not in shown.columns
    # balance only per covariate, the largest |SMD| over its levels
    assert "level" not in fe.balance.columns
    b = tables["effect_balance"]
    for r in fe.balance.itertuples(index=False):
        lv = b[(b.outcome == r.outcome) & (b.time_zero == r.time_zero) & (b.method == r.method)
               & (b.covariate == r.covariate)]
        assert r.max_abs_smd_after == pytest.approx(lv.smd_after.abs().max())
        assert r.max_abs_smd_before == pytest.approx(lv.smd_before.abs().max())
    # what the audit gets is exactly what is shown
    pc = published_counts(fe)
    assert not any(small(v) for v in pc["value"])
    assert len(pc) == sum(v is not None for c in counts for v in est[c])


def test_small_groups_in_the_section_and_its_charts():
    tables = fabricate_effects(AS_OF, n_treated=14, n_control=19, seed=4, n_treated_used=12)
    sec = effects_section(disclose(tables, AS_OF))
    for ln in sec.lines:
        for text in (ln.treated_used, ln.comparison_used, ln.treated_left_out):
            assert text == "suppressed" or text == "0" or int(text.replace(",", "")) >= 11, (ln, text)
    assert "Referred cases eligible: 14" in sec.sizes  # 14 and 19 are shown; 19 - 14 = 5 is no count of one side
    # the curve drawn is the thinned one: its days are a subset of those the rule allows
    shown = disclose(tables, AS_OF).survival
    drawn = sec.specs["survival"]["data"]["values"] if "survival" in sec.specs else []
    allowed = {("HTIC" if g == "htic" else "Matched comparison", int(d))
               for g, d, tz in zip(shown.group, shown.day, shown.time_zero) if tz == "disposition"}
    assert {(p["group"], p["day"]) for p in drawn} == allowed


def test_estimates_that_imply_a_small_count_are_not_shown():
    tables = fabricate_effects(AS_OF, n_treated=300, n_control=400)
    eff = tables["effects"]
    # 12-month outcome, ipw, first disposition: treated risk 0.02 of 300 used -> 6 rearrested
    sel = (eff.outcome == "rearrest_any_12m") & (eff.time_zero == "disposition") & (eff.method == "ipw")
    used = float(eff.loc[sel & (eff.measure == "risk_difference"), "n_treated_used"].iloc[0])
    p_t, p_c = 6 / used, 0.1
    eff.loc[sel & (eff.measure == "risk_difference"), "estimate"] = p_t - p_c
    eff.loc[sel & (eff.measure == "risk_ratio"), "estimate"] = p_t / p_c
    fe = disclose(tables, AS_OF)
    rows = fe.estimates[(fe.estimates.outcome == "rearrest_any_12m") & (fe.estimates.time_zero == "disposition")]
    hidden = rows[rows.estimate_hidden]
    assert set(hidden.method) == {"ipw"} and hidden.estimate.isna().all() and hidden.ci_low.isna().all()
    assert rows[~rows.estimate_hidden].estimate.notna().all()


def test_not_available_without_the_tables(tmp_path, fabricated):
    settings = make_warehouse(tmp_path / "wh", fabricated, metrics=fabricated["current"][:10])
    assert read_funder_effects(settings.analytics_db, AS_OF) is None
    sec = effects_section(None)
    assert not sec.available and sec.specs == {} and "not available" in EFFECTS_NOT_AVAILABLE


# --- the section in what is published ---------------------------------------------------------

def _headline_text(tables) -> str:
    e = tables["effects"]
    r = e[(e.outcome == "rearrest_any_12m") & (e.time_zero == "disposition") & (e.method == "aipw")
          & (e.measure == "risk_difference")].iloc[0]
    return (f"{r.estimate * 100:+.1f} points "
            f"(95% interval {r.ci_low * 100:+.1f} points to {r.ci_high * 100:+.1f} points)")


def test_section_in_html_pdf_and_workbook(published, fabricated):
    folder = published["current"]
    html = (folder / "report.html").read_text(encoding="utf-8")
    want = _headline_text(fabricated["effects"])
    assert '<section id="effects"><h2>Is the court helping?</h2>' in html
    assert want in html
    # after the summary, before the goal sections; G4 points to it
    assert html.index('id="summary"') < html.index('id="effects"') < html.index('<section id="G1">')
    g4 = html[html.index('<section id="G4">'):html.index('<section id="G5">')]
    assert 'see <a href="#effects">Is the court helping?</a>' in g4
    for words in ("Observational data", "motivation, trafficking history, and services received outside the court",
                  "Balance: every covariate within 0.1", "Log-rank test, HTIC vs matched comparison"):
        assert words in html, words
    # the notes of the effects table carry counts in words: never published
    for note in set(fabricated["effects"]["effects"]["note"]):
        assert note not in html
    text = pdf_text(folder / "report.pdf")
    assert "Is the court helping?" in text and " ".join(want.split()) in " ".join(text.split())
    rows = sheet_rows(folder / "workbook.xlsx", "Is the court helping")
    est = table_after(rows, "Every estimate")
    raw = fabricated["effects"]["effects"]
    assert len(est) == len(raw)
    merged = est.merge(raw, left_on=["Outcome", "Time zero", "Method", "Measure"],
                       right_on=["outcome", "time_zero", "method", "measure"])
    assert len(merged) == len(raw)
    assert np.allclose(merged["Estimate"].astype(float), merged["estimate"])
    curves = table_after(rows, "Kaplan-Meier curves")
    assert set(curves["Group"]) == {"htic", "comparison_matched"} and len(curves) > 10


def test_older_snapshot_without_effects_says_not_available(published):
    html = (published["previous"] / "report.html").read_text(encoding="utf-8")
    assert EFFECTS_NOT_AVAILABLE in html and 'data-chart="effects' not in html
    rows = sheet_rows(published["previous"] / "workbook.xlsx", "Is the court helping")
    assert any(r and r[0] == EFFECTS_NOT_AVAILABLE for r in rows)
    # the first page's G4 line and the section itself say so
    assert "is not available for this snapshot" in " ".join(pdf_text(published["previous"] / "report.pdf").split())


def test_unbalanced_estimates_are_flagged_everywhere(tmp_path, fabricated):
    from pipelines.snapshot.publish import publish_snapshot

    frames = dict(fabricated, effects=fabricate_effects(AS_OF, unbalanced=True))
    small_metrics = fabricated["current"][fabricated["current"]["goal"] == "g4"]
    settings = make_warehouse(tmp_path / "wh", frames, metrics=small_metrics, with_effects=True)
    folder = publish_snapshot(settings, QUARTER)
    assert not frames["effects"]["effects"].query("method != 'unadjusted'").balance_ok.any()
    html = (folder / "report.html").read_text(encoding="utf-8")
    section = html[html.index('<section id="effects">'):html.index('<h2 id="reading">')]
    assert f'<p class="warn"><b>{BALANCE_FAILS}.' in section  # under the headline
    assert section.count(f"<td class=\"warn\">{BALANCE_FAILS}</td>") == 4  # every method's line
    n_adjusted = int((frames["effects"]["effects"].method != "unadjusted").sum())
    assert section.count(f": {BALANCE_FAILS}.</li>") == n_adjusted  # the list of every failing estimate
    assert "Balance: FAILS after adjustment" in section
    summary = html[:html.index('<section id="effects">')]
    assert BALANCE_FAILS in summary
    text = " ".join(pdf_text(folder / "report.pdf").split())
    assert f"{BALANCE_FAILS}. After adjustment" in text
    est = table_after(sheet_rows(folder / "workbook.xlsx", "Is the court helping"), "Every estimate")
    adjusted = est[est["Method"] != "unadjusted"]
    assert (adjusted["Balance ok"] == "no").all() and (adjusted["Warning"] == BALANCE_FAILS).all()


# --- the run summary (htic run, make demo) ----------------------------------------------------

def test_run_summary_prints_the_adjusted_estimate_beside_the_unadjusted(tmp_path, fabricated):
    from pipelines.evaluation.summary import effect_lines

    e = fabricated["effects"]["effects"]
    pick = e[(e.outcome == "rearrest_any_12m") & (e.time_zero == "disposition") & (e.measure == "risk_difference")]
    a, u = (pick[pick.method == m].iloc[0] for m in ("aipw", "unadjusted"))
    settings = make_warehouse(tmp_path / "wh", fabricated, metrics=fabricated["current"][:10], with_effects=True)
    lines = effect_lines(settings.analytics_db, AS_OF)
    assert len(lines) == 2
    assert f"adjusted (AIPW) {a.estimate * 100:+.1f} points (95% CI {a.ci_low * 100:+.1f} to {a.ci_high * 100:+.1f})" \
        in lines[0]
    assert f"unadjusted {u.estimate * 100:+.1f} points (95% CI {u.ci_low * 100:+.1f} to {u.ci_high * 100:+.1f})" \
        in lines[1]
    assert lines[1].endswith("balance ok after adjustment")
    bare = make_warehouse(tmp_path / "old", fabricated, metrics=fabricated["current"][:10])
    assert effect_lines(bare.analytics_db, AS_OF)[0].startswith("Adjusted comparison: not available")
