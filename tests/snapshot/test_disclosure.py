"""Disclosure control: property-based tests over random tables, and a few hand-made cases.

(The rule over linked tables and successive publications is attacked in test_attacks.py; these are
the within-family invariants, still true under v2.)

The checks are computed here, independently of pipelines/snapshot/disclosure.py:
- nothing from 1 to 10 is revealed: for every shown row about people, the numerator, denominator
  and their difference (rates, survival), the n (durations, means) or the clients (ratios);
- no suppressed count of 1..10 is recoverable by subtraction: for each family (metric, population, cohort)
  the published rows give one linear equation per breakdown, overall = sum of cells, for each of
  numerator, denominator and difference; a suppressed row is recoverable when its unit vector lies
  in the row space of those equations restricted to the unknowns (rank test, all breakdowns at once).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.snapshot.disclosure import suppress

FAMILY = ["metric_id", "population", "cohort"]


def _small(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x)) and 1 <= x <= 10


def revealed(row) -> list[float]:
    n, d = row["numerator"], row["denominator"]
    ok = lambda v: v is not None and not (isinstance(v, float) and math.isnan(v))  # noqa: E731
    if row["metric_kind"] in ("rate", "survival"):
        return [v for v in (n, d, (d - n) if ok(n) and ok(d) else None) if ok(v)]
    if row["metric_kind"] in ("duration", "mean"):
        return [d] if ok(d) else []
    if row["metric_kind"] == "ratio":
        return [n] if ok(n) else []
    return [v for v in (n, d, row["value"]) if ok(v)]


def assert_nothing_small_revealed(original: pd.DataFrame, out: pd.DataFrame) -> None:
    for (_, o), (_, r) in zip(original.iterrows(), out.iterrows()):
        if r["suppressed"] or not o["counts_people"]:
            continue
        bad = [c for c in revealed(o) if _small(c)]
        assert not bad, f"shown row reveals {bad}: {o.to_dict()}"


def recoverable(original: pd.DataFrame, out: pd.DataFrame) -> list:
    """What the published rows give away by subtraction: suppressed rows with a count of 1..10
    determined exactly, and groups absent from the table whose determined counts are small. Per family, one equation per
    breakdown and count (overall = sum of its cells + the absent groups' part, when the original
    cells do not add up to the overall); unknowns: the suppressed rows and those absent parts. An
    unknown is determined when its unit vector lies in the row space of the equations (rank test,
    all breakdowns of the family at once)."""
    found = []
    people = original[original["counts_people"].astype(bool)]
    for _, fam in people.groupby(FAMILY, sort=False):
        overall = fam[fam["breakdown"] == "overall"]
        if overall.empty:
            continue
        o = overall.index[0]
        by_b = {b: cells for b, cells in fam[fam["breakdown"] != "overall"].groupby("breakdown", sort=False)}
        residual = {}
        for b, cells in by_b.items():
            rn = fam.at[o, "numerator"] - np.nansum(cells["numerator"]) if not pd.isna(fam.at[o, "numerator"]) else np.nan
            rd = fam.at[o, "denominator"] - np.nansum(cells["denominator"]) if not pd.isna(fam.at[o, "denominator"]) else np.nan
            if (not pd.isna(rn) and abs(rn) > 1e-9) or (not pd.isna(rd) and abs(rd) > 1e-9):
                residual[b] = (rn, rd)
        unknown = [i for i in fam.index if out.at[i, "suppressed"]] + [("absent", b) for b in residual]
        if not unknown:
            continue
        pos = {u: k for k, u in enumerate(unknown)}
        eqs = []
        for b, cells in by_b.items():
            row = np.zeros(len(unknown))
            if o in pos:
                row[pos[o]] += 1
            for i in cells.index:
                if i in pos:
                    row[pos[i]] -= 1
            if ("absent", b) in pos:
                row[pos[("absent", b)]] -= 1
            if row.any():
                eqs.append(row)
        if not eqs:
            continue
        a = np.array(eqs)
        rank = np.linalg.matrix_rank(a)
        for u, k in pos.items():
            e = np.zeros(len(unknown))
            e[k] = 1
            if np.linalg.matrix_rank(np.vstack([a, e])) != rank:
                continue
            if isinstance(u, tuple):  # an absent group's counts are known: fine unless small
                rn, rd = residual[u[1]]
                fake = dict(numerator=rn, denominator=rd, value=np.nan, metric_kind=fam.at[o, "metric_kind"])
                if any(_small(c) for c in revealed(fake)):
                    found.append(u)
            elif any(_small(c) for c in revealed(fam.loc[u])):
                # v2: a hidden row determined exactly is a breach when it holds a count of 1..10
                # (a large cover cell worked out by subtraction reveals nobody)
                found.append(u)
    return found


def recoverable_rows(out: pd.DataFrame) -> list:
    return recoverable(out, out)


# ------------------------------------------------------------------------- random tables


@st.composite
def families(draw):
    """One family: an overall row and 1-4 breakdowns partitioning it (successes and failures split
    at random, so cells can be 0, tiny or large), of a random kind."""
    kind = draw(st.sampled_from(["rate", "rate", "survival", "duration", "mean", "ratio"]))
    total = draw(st.integers(0, 120))
    succ = draw(st.integers(0, total))
    rows = []

    def row(bd, bv, x, n):
        if kind in ("rate", "survival"):
            return dict(breakdown=bd, breakdown_value=bv, numerator=float(x), denominator=float(n),
                        value=(x / n if n else math.nan))
        if kind == "ratio":  # clients over capacity
            return dict(breakdown=bd, breakdown_value=bv, numerator=float(n), denominator=float(n + 20),
                        value=n / (n + 20))
        return dict(breakdown=bd, breakdown_value=bv, numerator=math.nan if kind == "duration" else 4.0 * n,
                    denominator=float(n), value=(40.0 if n else math.nan))

    rows.append(row("overall", "all", succ, total))
    for b in range(draw(st.integers(1, 4))):
        k = draw(st.integers(2, 6))
        cuts_s = sorted(draw(st.lists(st.integers(0, succ), min_size=k - 1, max_size=k - 1)))
        cuts_f = sorted(draw(st.lists(st.integers(0, total - succ), min_size=k - 1, max_size=k - 1)))
        s_parts = np.diff([0, *cuts_s, succ])
        f_parts = np.diff([0, *cuts_f, total - succ])
        absent = draw(st.sampled_from([None, None, *range(k)]))  # a group not reported at all
        for j in range(k):
            if j != absent:
                rows.append(row(f"b{b}", f"v{j}", int(s_parts[j]), int(s_parts[j] + f_parts[j])))
    return kind, rows


@st.composite
def tables(draw):
    out = []
    for f in range(draw(st.integers(1, 4))):
        kind, rows = draw(families())
        people = draw(st.sampled_from([True, True, True, False]))
        for r in rows:
            out.append(dict(metric_id=f"m{f}", goal="g1", population="htic", cohort="2024Q1", ci_low=math.nan,
                            ci_high=math.nan, metric_kind=kind, counts_people=people, **r))
    df = pd.DataFrame(out)
    # shuffle rows: the result must not depend on input order
    perm = draw(st.permutations(list(range(len(df)))))
    return df.iloc[list(perm)].reset_index(drop=True)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_nothing_from_1_to_10_is_revealed(df):
    out = suppress(df)
    assert_nothing_small_revealed(df, out)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_no_suppressed_value_is_recoverable_by_subtraction(df):
    out = suppress(df)
    assert recoverable(df, out) == []


@settings(max_examples=150, deadline=None)
@given(tables())
def test_suppressed_rows_carry_nothing_and_providers_are_never_suppressed(df):
    out = suppress(df)
    hidden = out[out["suppressed"]]
    assert hidden[["numerator", "denominator", "value", "ci_low", "ci_high"]].isna().all().all()
    assert not out.loc[~out["counts_people"], "suppressed"].any()
    assert set(out["suppression_reason"].dropna()) <= {"primary", "restated", "complementary"}
    assert (out["suppression_reason"].notna() == out["suppressed"]).all()
    shown = out[~out["suppressed"]]
    orig = df.loc[shown.index]
    pd.testing.assert_frame_equal(shown[["numerator", "denominator", "value"]], orig[["numerator", "denominator", "value"]])


@settings(max_examples=100, deadline=None)
@given(tables())
def test_result_does_not_depend_on_row_order(df):
    key = ["metric_id", "breakdown", "breakdown_value"]
    a = suppress(df).sort_values(key).reset_index(drop=True)
    b = suppress(df.iloc[::-1].reset_index(drop=True)).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


# ------------------------------------------------------------------------- hand-made cases


def _rate_family(cells: dict[str, tuple[int, int]], bd: str = "court") -> pd.DataFrame:
    n = sum(x for x, _ in cells.values())
    d = sum(y for _, y in cells.values())
    rows = [dict(breakdown="overall", breakdown_value="all", numerator=n, denominator=d)]
    rows += [dict(breakdown=bd, breakdown_value=k, numerator=x, denominator=y) for k, (x, y) in cells.items()]
    df = pd.DataFrame(rows)
    df["value"] = df["numerator"] / df["denominator"]
    for c, v in dict(metric_id="g1_x", goal="g1", population="htic", cohort="2024Q1", ci_low=np.nan, ci_high=np.nan,
                     metric_kind="rate", counts_people=True).items():
        df[c] = v
    return df.astype({"numerator": float, "denominator": float})


def test_one_small_cell_takes_the_smallest_other_cell_ties_in_value_order():
    df = _rate_family({"a": (30, 50), "b": (2, 30), "c": (10, 20), "d": (11, 25), "e": (20, 40)})
    out = suppress(df).set_index("breakdown_value")
    assert out.at["b", "suppression_reason"] == "primary"  # numerator 2
    assert out.at["c", "suppression_reason"] == "primary"  # 20 - 10 = 10 without the event
    assert not out.at["d", "suppressed"]  # two hidden already: nothing more needed
    df = _rate_family({"a": (30, 50), "b": (2, 30), "c": (15, 26), "d": (15, 26), "e": (20, 40)})
    out = suppress(df).set_index("breakdown_value")
    assert out.at["b", "suppression_reason"] == "primary"
    assert out.at["c", "suppression_reason"] == "complementary"  # 26 ties 26: 'c' before 'd'
    assert not out.at["d", "suppressed"] and not out.at["all", "suppressed"]


def test_zero_shows_and_a_cover_must_carry_the_count_it_protects():
    df = _rate_family({"a": (0, 40), "b": (0, 0), "c": (3, 30), "d": (20, 60)})
    out = suppress(df).set_index("breakdown_value")
    assert out.at["c", "suppression_reason"] == "primary"
    assert not out.at["b", "suppressed"]  # empty cell: hiding it would protect nobody
    # 0 of 40 cannot hide a numerator of 3 (nothing to trade with it); 20 of 60 can: 3 may be 0..23
    assert not out.at["a", "suppressed"]
    assert out.at["d", "suppression_reason"] == "complementary"
    assert not out.at["all", "suppressed"]


def test_a_suppressed_overall_needs_a_hidden_cell_in_every_breakdown():
    a = _rate_family({"x": (0, 4), "y": (0, 0)}, bd="court")  # overall 0 of 4: primary
    b = _rate_family({"p": (0, 2), "q": (0, 2)}, bd="race").iloc[1:]
    df = pd.concat([a, b], ignore_index=True)
    out = suppress(df)
    assert out.loc[out["breakdown"] == "overall", "suppressed"].all()
    for bd in ("court", "race"):
        assert out.loc[out["breakdown"] == bd, "suppressed"].any()
    assert recoverable(df, out) == []


def test_an_unreported_group_revealed_by_subtraction_is_protected():
    # survival: a group with nobody at risk at t is not reported, but the overall counts it
    df = _rate_family({"a": (20, 60), "b": (3, 4), "c": (30, 80), "d": (25, 70)})
    df = df[df["breakdown_value"] != "b"].reset_index(drop=True)  # 'b' absent: overall - a - c - d = (3, 4)
    out = suppress(df).set_index("breakdown_value")
    assert out.at["a", "suppression_reason"] == "complementary"  # the smallest shown cell (60)
    assert not out.at["all", "suppressed"]
    assert recoverable(df, suppress(df)) == []


def test_provider_counts_are_not_about_people():
    df = _rate_family({"a": (3, 5), "b": (4, 6)})
    df["counts_people"] = False
    df["metric_kind"] = "count"
    assert not suppress(df)["suppressed"].any()
