"""The disclosure audit the publication runs (pipelines/snapshot/audit.py): it refuses an
under-protected publication and names the cells (never a count), it covers pooled periods by cohort
label (`<YYYY>` with breakdowns, `<YYYYQn>-R4` overall), and it is independent of the selection code."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pandas as pd
import pytest

from pipelines.snapshot import audit, disclosure
from pipelines.snapshot.table import DisclosureRefused

REPO = Path(__file__).resolve().parents[2]


def _row(metric, cohort, bd, bv, n, d, suppressed):
    return dict(metric_id=metric, goal="g4", population="htic", cohort=cohort, breakdown=bd, breakdown_value=bv,
                numerator=float(n), denominator=float(d), value=n / d if d else math.nan, ci_low=math.nan,
                ci_high=math.nan, as_of=pd.Timestamp("2026-09-30").date(), metric_kind="rate", counts_people=True,
                suppressed=suppressed)


def _quarters_and_year(year_label="2024", hide=("2024Q2",), year_cells=True):
    """A metric by quarter (overall + a court breakdown) and its calendar year = the quarters' sum."""
    cells = {"2024Q1": [(12, 40), (14, 50)], "2024Q2": [(3, 30), (15, 45)], "2024Q3": [(11, 35), (13, 60)],
             "2024Q4": [(16, 44), (12, 41)]}
    rows = []
    for q, parts in cells.items():
        n, d = sum(p[0] for p in parts), sum(p[1] for p in parts)
        rows.append(_row("g1_x", q, "overall", "all", n, d, False))
        for name, (x, y) in zip(("a", "b"), parts):
            small = 1 <= x <= 10 or 1 <= y - x <= 10
            rows.append(_row("g1_x", q, "court", name, x, y, small or (q in hide and name == "b")))
    n = sum(p[0] for v in cells.values() for p in v)
    d = sum(p[1] for v in cells.values() for p in v)
    rows.append(_row("g1_x", year_label, "overall", "all", n, d, False))
    if year_cells:
        for k, name in enumerate(("a", "b")):
            rows.append(_row("g1_x", year_label, "court", name, sum(v[k][0] for v in cells.values()),
                             sum(v[k][1] for v in cells.values()), False))
    return pd.DataFrame(rows)


def test_year_minus_quarters_is_caught_and_the_cells_are_named_without_counts():
    # within each quarter the small cell has a cover (never alone), but the calendar year's cells
    # minus the three other quarters give it back
    df = _quarters_and_year()
    result = audit.audit(df)
    assert not result.passed
    named = {(f.cohort, f.breakdown_value) for f in result.failures}
    assert ("2024Q2", "a") in named
    message = str(DisclosureRefused(result.failures))
    assert "g1_x / htic / 2024Q2 / court=a" in message
    # each cell is named by its key and the kind of count, never a value
    lines = message.split("Cells:\n  ")[1].split("\n  ")
    assert lines == [f"{f.metric_id} / {f.population} / {f.cohort} / {f.breakdown}={f.breakdown_value}: {f.count}"
                     for f in result.failures]
    assert {f.count.split(" ")[0] for f in result.failures} <= {"numerator", "denominator", "difference", "absent"}


def test_rolling_periods_overall_are_linked_to_their_quarters():
    df = _quarters_and_year(year_label="2024Q4-R4", year_cells=False, hide=())
    # the overall of Q2 hidden with its small cell (two hidden members in the quarter), but the R4
    # overall minus the other quarters' overalls gives Q2's overall, and then the cell
    df.loc[(df.cohort == "2024Q2") & (df.breakdown == "overall"), "suppressed"] = True
    result = audit.audit(df)
    assert not result.passed
    assert ("2024Q2", "a") in {(f.cohort, f.breakdown_value) for f in result.failures}


def test_protection_chosen_by_the_publication_passes_the_audit():
    df = _quarters_and_year().drop(columns="suppressed")
    table, result = disclosure.protect(df)
    assert result.passed and result.checked > 0
    assert audit.audit(table).passed  # audited again from scratch: same verdict
    # the small cell is hidden, and more than its own quarter's partner (the year would give it back)
    assert table.loc[(table.cohort == "2024Q2") & (table.breakdown_value == "a"), "suppressed"].all()
    assert table.loc[table.cohort != "2024Q2", "suppressed"].any()


def test_a_publication_that_is_under_protected_is_refused_and_nothing_is_written(tmp_path, fabricated, monkeypatch):
    from pipelines.snapshot.publish import publish_snapshot
    from tests.snapshot.conftest import QUARTER, make_warehouse

    def primary_only(df, earlier=()):  # the v1 flaw, deliberately: small cells hidden, nothing else
        df = df.reset_index(drop=True).copy()
        df["suppressed"] = disclosure.primary_mask(df)
        df["suppression_reason"] = pd.Series(["primary" if s else None for s in df["suppressed"]], dtype=object)
        return df, audit.audit(df, earlier)

    small = fabricated["current"][fabricated["current"]["goal"].isin(["g4"])]
    settings = make_warehouse(tmp_path / "wh", fabricated, metrics=small)
    monkeypatch.setattr(disclosure, "protect", primary_only)
    with pytest.raises(DisclosureRefused) as err:
        publish_snapshot(settings, QUARTER)
    # the cells are named (the message lists the first 50, in key order: g4_htic_return_12m first now
    # that years carry breakdowns), the rearrest cells among them
    assert any(f.metric_id.startswith("g4_rearrest") for f in err.value.findings)
    assert err.value.findings[0].describe() in str(err.value)
    assert [p for p in settings.snapshots_dir.iterdir() if not p.name.startswith(".")] == []
    assert not list(settings.snapshots_dir.glob(".*tmp*"))


def test_the_audit_shares_no_code_with_the_selection():
    tree = ast.parse((REPO / "pipelines" / "snapshot" / "audit.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
            imported.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
    assert not [m for m in imported if m.startswith("pipelines")], imported


def test_a_program_kept_between_objectives_finds_what_each_program_solved_afresh_finds():
    """audit._Program.optimum and .capped keep one HiGHS model each per program and re-optimise from
    the last basis (optimum: only the objective changes; capped: the last call's target columns and
    rows are swapped for this call's). Against scipy's linprog solving each program from scratch, on
    random programs shaped like the audit's (counts >= 0, sums, differences, inequalities, a feasible
    integer point): the same optimal value every time (for capped, sum(min(expression, cap)) at the
    point returned), and every point returned satisfies every relation."""
    import numpy as np
    from scipy.optimize import linprog
    from scipy.sparse import random as sparse_random

    rng = np.random.default_rng(11)
    for _ in range(6):
        n = int(rng.integers(20, 80))
        truth = rng.integers(0, 30, n).astype(float)
        a_eq = sparse_random(n // 3, n, density=0.15, random_state=rng, data_rvs=lambda k: rng.choice([-1.0, 1.0], k)).tocsr()
        a_le = sparse_random(n // 2, n, density=0.1, random_state=rng, data_rvs=lambda k: rng.choice([-1.0, 1.0], k)).tocsr()
        b_eq = a_eq @ truth
        b_le = a_le @ truth + rng.integers(0, 5, a_le.shape[0])
        program = audit._Program(n, np.arange(n), a_eq, b_eq, a_le, b_le, np.full(n, np.nan))
        for _ in range(25):
            objective = {int(v): float(rng.choice([-1.0, 1.0])) for v in rng.choice(n, int(rng.integers(1, 4)), replace=False)}
            maximise = bool(rng.integers(0, 2))
            x = program.optimum(objective, maximise)
            c = np.zeros(n)
            for v, a in objective.items():
                c[v] += -a if maximise else a
            fresh = linprog(c, A_ub=a_le, b_ub=b_le, A_eq=a_eq, b_eq=b_eq, bounds=(0, audit.UPPER), method="highs")
            assert fresh.status == 0
            assert c @ x == pytest.approx(fresh.fun, abs=1e-6)
            assert np.all(x >= -1e-7) and np.all(x <= audit.UPPER)
            assert np.allclose(a_eq @ x, b_eq, atol=1e-6) and np.all(a_le @ x <= b_le + 1e-6)
            # and the capped program (kept too, its targets swapped each call): max sum(min(e_k, cap_k))
            targets = []
            for _ in range(int(rng.integers(1, 6))):
                coefs = {int(v): float(rng.choice([-1.0, 1.0])) for v in rng.choice(n, int(rng.integers(1, 4)), replace=False)}
                const = float(rng.integers(0, 5)) - sum(a * truth[v] for v, a in coefs.items())  # >= 0 at the truth
                targets.append((coefs, const, float(rng.integers(5, 40))))
            x = program.capped(targets)
            assert np.all(x >= -1e-7) and np.allclose(a_eq @ x, b_eq, atol=1e-6) and np.all(a_le @ x <= b_le + 1e-6)
            reached = sum(min(const + sum(a * x[v] for v, a in coefs.items()), cap) for coefs, const, cap in targets)
            nz = len(targets)
            link = np.zeros((nz, n + nz))
            for k, (coefs, const, _cap) in enumerate(targets):  # z_k - expression_k <= 0
                link[k, n + k] = 1.0
                for v, a in coefs.items():
                    link[k, v] -= a
            fresh = linprog(np.concatenate([np.zeros(n), -np.ones(nz)]),
                            A_ub=np.vstack([np.hstack([a_le.toarray(), np.zeros((a_le.shape[0], nz))]), link]),
                            b_ub=np.concatenate([b_le, [const for _, const, _ in targets]]),
                            A_eq=np.hstack([a_eq.toarray(), np.zeros((a_eq.shape[0], nz))]), b_eq=b_eq,
                            bounds=[(0, audit.UPPER)] * n + [(None, cap) for _, _, cap in targets], method="highs")
            assert fresh.status == 0
            assert reached == pytest.approx(-fresh.fun, abs=1e-6)
    assert program.solved == 50


def _pairs_by_alignment(df: pd.DataFrame) -> tuple[list[tuple], list[tuple]]:
    """The reference for `audit._equal_count_pairs`: each pair of count series aligned on their cells
    by pandas, one pair at a time (the audit's own code until it compared a matrix's columns)."""
    equal, ordered = [], []
    cell = ["population", "cohort", "breakdown", "breakdown_value"]
    for pop, sub in df.groupby("population", sort=True):
        cols = {}
        long = sub.melt(id_vars=cell + ["metric_id"], value_vars=["numerator", "denominator"], var_name="count",
                        value_name="count_value").dropna(subset=["count_value"])
        for (metric, count), s in long.groupby(["metric_id", "count"], sort=True):
            cols[(metric, count)] = s.set_index(cell)["count_value"]
        names = sorted(cols)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                if a[0] == b[0]:
                    continue
                x, y = cols[a].align(cols[b], join="inner")
                nz = (x != 0) | (y != 0)
                if nz.sum() >= audit.MIN_COMMON and (x[nz] == y[nz]).mean() >= audit.SHARED_SHARE:
                    equal.append((pop, a, b))
        numerators = [a for a in names if a[1] == "numerator" and (a[0], "denominator") in cols]
        for a in numerators:
            for b in numerators:
                if a[0] >= b[0]:
                    continue
                frame = pd.concat([cols[a], cols[b], cols[(a[0], "denominator")], cols[(b[0], "denominator")]],
                                  axis=1, join="inner")
                frame = frame[frame.iloc[:, 2] == frame.iloc[:, 3]]
                if len(frame) < audit.MIN_COMMON:
                    continue
                below = bool((frame.iloc[:, 0] <= frame.iloc[:, 1]).all())
                above = bool((frame.iloc[:, 0] >= frame.iloc[:, 1]).all())
                if below != above:  # one never above the other, and not the same count throughout
                    ordered.append((pop, a[0], b[0]) if below else (pop, b[0], a[0]))
    return equal, ordered


def test_equal_and_ordered_counts_are_those_pandas_alignment_finds():
    """The pairs the model merges (the same count under two metrics) and orders (one numerator never
    above another over equal denominators), found from one matrix per population, are exactly those
    found by aligning each pair of count series, over a fabricated publication with an earlier one
    beside it (its own populations), zeros, missing counts, counts made equal on purpose and one
    almost-equal pair either side of the 95% share."""
    import numpy as np

    from tests.snapshot import fabricate as fab

    rng = np.random.default_rng(5)
    cur = fab.fabricate_metrics(fab.quarter_end("2026Q3"), scale=0.5, first_cohort="2025Q1", seed=21)
    cur["counts_people"] = True
    cur["suppressed"] = rng.random(len(cur)) < 0.3
    cur.loc[rng.random(len(cur)) < 0.05, "numerator"] = 0.0
    cur.loc[rng.random(len(cur)) < 0.05, "denominator"] = np.nan
    # a metric whose counts are another's (half its numerator) in all but a share of cells: 96%, 90%
    cell = ["population", "cohort", "breakdown", "breakdown_value"]
    for base, metric, share in (("g4_rearrest_any_6m", "g4_rearrest_prostitution_6m", 0.96),
                                ("g4_rearrest_any_12m", "g4_rearrest_prostitution_12m", 0.90)):
        mine = (cur["metric_id"] == metric).to_numpy()
        theirs = cur.loc[mine, cell].merge(cur[cur["metric_id"] == base][cell + ["numerator", "denominator"]],
                                           on=cell, how="left")
        same = theirs["denominator"].to_numpy()
        off = rng.random(len(same)) > share
        same[off] = same[off] + 1
        cur.loc[mine, "denominator"] = same
        cur.loc[mine, "numerator"] = np.floor(theirs["numerator"].to_numpy() / 2)
    prev = fab.fabricate_metrics(fab.quarter_end("2026Q2"), scale=0.5, first_cohort="2025Q1", seed=22)
    published = prev.assign(counts_people="true", suppressed=np.where(rng.random(len(prev)) < 0.3, "true", "false"))
    published["numerator"] = published["numerator"].map(lambda v: "" if v != v else str(v))  # as read from the CSV
    earlier = audit._earlier_rows([("2026Q2", published)])
    df = pd.concat([audit._people_rows(cur), audit._people_rows(earlier)], ignore_index=True)
    assert df["population"].str.contains("@").any()

    equal, ordered = audit._equal_count_pairs(df)
    want_equal, want_ordered = _pairs_by_alignment(df)
    assert equal == want_equal and ordered == want_ordered
    # the comparison is not of two empty lists: the planted pairs are found, the 90% one is not equal
    found = {(a, b) for _, a, b in want_equal}
    assert (("g4_rearrest_any_6m", "denominator"), ("g4_rearrest_prostitution_6m", "denominator")) in found
    assert (("g4_rearrest_any_12m", "denominator"), ("g4_rearrest_prostitution_12m", "denominator")) not in found
    assert ("htic", "g4_rearrest_prostitution_6m", "g4_rearrest_any_6m") in want_ordered
