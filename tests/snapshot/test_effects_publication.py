"""The adjusted comparison in the snapshot's machine files, and its counts in a disclosure audit
(evaluation.md: group sizes and the used/unused counts enter the same audit; metrics.md: the change
of each count since every earlier publication that showed it is protected).

The audit is attacked with hand-made "publications" that leak: a treated-left-out count of 5 that
two shown counts give away, a group size that moved by 4 since the last publication, an outcome
count implied by shown estimates that moved by 3. The selection (effects.disclose) must hide each
of them, and the audit must catch each when it is not hidden."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipelines.snapshot.effects import COUNTS, disclose, implied_counts
from pipelines.snapshot.effects_audit import audit_effects
from pipelines.snapshot.effects_files import (FILES, earlier_effects, funder_rows, record_file, write_effects_files,
                                              write_record)
from tests.snapshot.fabricate_effects import fabricate_effects

AS_OF = date(2026, 9, 30)


def shown_as_is(raw: pd.DataFrame) -> pd.DataFrame:
    """A careless publication: every count and estimate of `raw` shown."""
    df = raw.copy()
    for c in ("n_treated", "n_control", "n_treated_used", "n_control_used"):
        df[c] = df[c].astype(float)
    df["n_treated_unused"] = df["n_treated"] - df["n_treated_used"]
    df["estimate_hidden"] = False
    return df


def published_folder(tmp_path, name: str, tables: dict, earlier=()) -> tuple:
    """Publish the effects part of a snapshot into tmp_path/snapshots/<name> and its restricted
    record; → (folder, restricted dir, FunderEffects)."""
    snaps, restricted = tmp_path / "snapshots", tmp_path / "restricted"
    folder = snaps / name
    folder.mkdir(parents=True)
    fe = disclose(tables, AS_OF, earlier)
    write_effects_files(fe, folder)
    write_record(restricted, name, fe)
    return folder, restricted, fe


# --- machine files ------------------------------------------------------------------------------

def test_machine_files_hold_what_the_report_shows_and_nothing_more(tmp_path):
    tables = fabricate_effects(AS_OF, n_treated=900, n_control=2400, n_treated_used=895)  # 5 left out: hidden
    folder, restricted, fe = published_folder(tmp_path, "2026Q3", tables)
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)
    est = pd.read_csv(folder / "effects.csv", dtype=str, keep_default_na=False)
    raw = tables["effects"]
    assert len(est) == len(raw)
    assert "note" not in est.columns and "at_risk" not in pd.read_csv(folder / "effect_survival.csv").columns
    # every count shown is 0 or >= 11, and the small one (5 treated left out) and the counts giving it away are blank
    for c in COUNTS:
        for v in est[c]:
            assert v == "" or float(v) == 0 or float(v) >= 11
    assert set(est["n_treated_unused"]) == {""} or not (est["n_treated_unused"].replace("", "0").astype(float)
                                                        .between(1, 10).any())
    # the figures are the unrounded estimates rounded to 4 decimals
    merged = est.merge(raw, on=["time_zero", "outcome", "method", "measure"], suffixes=("", "_raw"))
    for r in merged.itertuples(index=False):
        if r.estimate_suppressed == "false" and r.estimate != "":
            assert float(r.estimate) == pytest.approx(round(r.estimate_raw, 4), abs=1e-12)
    # Parquet carries the same rows and values as the CSV
    pqt = pq.read_table(folder / "effects.parquet").to_pandas()
    assert list(pqt.columns) == list(est.columns) and len(pqt) == len(est)
    for c in ("estimate", "n_treated", "n_control_used"):
        csv_vals = [None if v == "" else float(v) for v in est[c]]
        pq_vals = [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in pqt[c]]
        assert csv_vals == pq_vals
    # the survival points are those effects.py lets out; the restricted record is outside the folder
    assert len(pd.read_csv(folder / "effect_survival.csv")) == len(fe.survival)
    assert record_file(restricted, "2026Q3").exists() and not str(record_file(restricted, "2026Q3")).startswith(
        str(folder))


def test_machine_files_are_byte_reproducible(tmp_path):
    tables = fabricate_effects(AS_OF)
    a, _, _ = published_folder(tmp_path / "a", "2026Q3", tables)
    b, _, _ = published_folder(tmp_path / "b", "2026Q3", tables)
    assert {p.name: p.read_bytes() for p in a.iterdir()} == {p.name: p.read_bytes() for p in b.iterdir()}


# --- the audit, attacked ----------------------------------------------------------------------

def test_the_rule_passes_its_own_audit():
    tables = fabricate_effects(AS_OF, n_treated_used=895)
    fe = disclose(tables, AS_OF)
    result = audit_effects(tables["effects"], fe.estimates)
    assert result.passed, [f.describe() for f in result.failures]
    assert result.checked > 0  # the 5 treated left out is a protected count it looked at


def test_audit_catches_a_left_out_count_given_away_by_two_shown_counts():
    tables = fabricate_effects(AS_OF, n_treated_used=895)
    result = audit_effects(tables["effects"], shown_as_is(tables["effects"]))
    assert not result.passed
    assert any(f.count == "treated left out" for f in result.failures)


def test_audit_catches_a_left_out_count_shown_only_through_its_parts_even_when_the_difference_is_blank():
    tables = fabricate_effects(AS_OF, n_treated_used=895)
    leaky = shown_as_is(tables["effects"])
    leaky["n_treated_unused"] = None  # blank, but 900 and 895 are both shown
    result = audit_effects(tables["effects"], leaky)
    assert any(f.count == "treated left out" for f in result.failures)


def test_a_group_size_that_moved_by_a_few_since_the_last_publication_is_hidden_and_audited(tmp_path):
    first = fabricate_effects(AS_OF, n_treated=900, n_treated_used=873, seed=5)
    published_folder(tmp_path, "2026Q2", first)
    earlier = earlier_effects(tmp_path / "snapshots", tmp_path / "restricted", ["2026Q2"])
    assert earlier and earlier[0][2] is not None
    # a quarter later four more referred cases are eligible: 904 (and used 877): a change of 4
    second = fabricate_effects(AS_OF, n_treated=904, n_treated_used=877, seed=5)
    fe = disclose(second, AS_OF, earlier)
    assert all(v is None for v in fe.estimates["n_treated"])
    assert all(v is None for v in fe.estimates["n_treated_used"])
    assert audit_effects(second["effects"], fe.estimates, earlier).passed
    # the careless publication shows 904: the audit names the change
    result = audit_effects(second["effects"], shown_as_is(second["effects"]), earlier)
    assert any("change since 2026Q2" in f.count and f.count.startswith("n_treated") for f in result.failures)


def test_an_outcome_count_that_moved_by_a_few_behind_shown_estimates_is_caught(tmp_path):
    first = fabricate_effects(AS_OF, n_treated=900, n_treated_used=873, seed=5)
    published_folder(tmp_path, "2026Q2", first)
    earlier = earlier_effects(tmp_path / "snapshots", tmp_path / "restricted", ["2026Q2"])
    # same group sizes, three more rearrests among the treated of one outcome: p_T moves by 3/873
    second = {k: v.copy() for k, v in first.items()}
    eff = second["effects"]
    key = (eff.outcome == "rearrest_any_12m") & (eff.time_zero == "disposition") & (eff.method == "aipw")
    rd_i = eff.index[key & (eff.measure == "risk_difference")][0]
    rr_i = eff.index[key & (eff.measure == "risk_ratio")][0]
    rd, rr = eff.at[rd_i, "estimate"], eff.at[rr_i, "estimate"]
    p_t = rd * rr / (rr - 1)
    p_c = p_t - rd
    p_t2 = p_t + 3 / 873
    eff.at[rd_i, "estimate"], eff.at[rr_i, "estimate"] = p_t2 - p_c, p_t2 / p_c
    before = implied_counts(first["effects"])[("rearrest_any_12m", "disposition", "aipw")][0]
    after = implied_counts(eff)[("rearrest_any_12m", "disposition", "aipw")][0]
    assert after - before == pytest.approx(3, abs=1e-6)
    # the careless publication shows the new estimates beside the unchanged used count: caught
    result = audit_effects(eff, shown_as_is(eff), earlier)
    assert any(f.outcome == "rearrest_any_12m" and f.method == "aipw" and "rearrested (treated): change since 2026Q2"
               in f.count for f in result.failures)
    # the rule hides those estimates (and only the changed outcome's), and passes the audit
    fe = disclose(second, AS_OF, earlier)
    hidden = fe.estimates[fe.estimates["estimate_hidden"]]
    assert set(zip(hidden.outcome, hidden.method)) == {("rearrest_any_12m", "aipw")}
    assert audit_effects(eff, fe.estimates, earlier).passed


def test_rows_published_by_a_snapshot_are_read_back_as_the_reader_holds_them(tmp_path):
    tables = fabricate_effects(AS_OF)
    folder, restricted, fe = published_folder(tmp_path, "2026Q2", tables)
    (_, rows, record), = earlier_effects(tmp_path / "snapshots", restricted, ["2026Q2", "2026Q1"])
    shown = funder_rows(fe)["effects"]
    assert len(rows) == len(shown) and len(record) == len(tables["effects"])
    # the record keeps the true counts of every row (the reader's copy has blanks where the rule hid them)
    raw = tables["effects"].sort_values(["time_zero", "outcome", "method", "measure"]).reset_index(drop=True)
    assert record["n_treated"].astype(int).tolist() == raw["n_treated"].tolist()
    assert record["n_control_used"].astype(int).tolist() == raw["n_control_used"].tolist()
