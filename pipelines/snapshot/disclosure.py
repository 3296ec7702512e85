"""Disclosure control for the funder snapshot (metrics.md, "What funders receive").

Pure functions on a pandas DataFrame with the columns of the `metrics` relation. Nothing here reads
files or the clock.

Rule, in the spec's words: a cell is suppressed when any count it would reveal — numerator,
denominator, or their difference — is between 1 and 10 (zero may show). Within each breakdown, also
suppress the smallest shown cells (ties: in breakdown-value order) until no suppressed value can be
recovered from the overall figure and the other cells. A suppressed row carries no counts, value or
interval. Only rows with `counts_people` true are subject to it (provider counts and capacities are
not about people).

What each kind of row reveals (see docs/snapshot.md):
- rate, survival: numerator, denominator and denominator - numerator (the people without the event);
- duration, mean: the denominator (the n behind a median/mean); their numerator, if any, is not a
  count of people (a sum of scores) and is not checked, but a suppressed row loses it too;
- ratio (clients per capacity): the numerator; the denominator is a capacity;
- count, and any kind not listed: numerator, denominator and value, whichever are present.

Complementary suppression works on groups. A *family* is one (metric_id, population, cohort); its
`overall` row holds the total and each breakdown's cells partition it (every breakdown has an
unknown/other value), so for every additive count c (numerator, denominator, their difference):
overall.c = sum of cells.c. Within one breakdown the unknowns are the suppressed members of
{overall} + cells, bound by that one equation: a member is recoverable exactly when it is the only
suppressed member. So the rule is applied until, in every breakdown of every family, the number of
suppressed members is 0 or at least 2:

- one suppressed cell and a shown overall -> suppress the smallest shown cell of that breakdown
  whose size (denominator, else numerator, else value) is above zero; ties in breakdown-value order.
  A cell of size zero is skipped: hiding an empty cell protects nobody in practice;
- a suppressed overall (primary, or complementary) and no suppressed cell in a breakdown -> the
  same: suppress that breakdown's smallest non-empty shown cell, so the overall cannot be summed;
- if no non-empty shown cell is left, suppress the overall row (its other cells are all zero, so
  it would equal the hidden cell), and failing that a zero cell.

A group absent from the table (a cell not reported, e.g. survival where nobody is at risk at t) is
in the overall but in no cell, so subtraction reveals it: when what it would reveal is small it counts
as a hidden member of its breakdown (so a shown overall gets the smallest shown cell suppressed).

Suppressing an overall row can make other breakdowns of the family need a cell, so the pass repeats
until nothing changes. The numerator, the denominator and their difference are all additive with the
same pattern of unknowns, so one pattern protects all three (checked by tests/snapshot with a rank
test over every family and all its breakdowns at once).
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pandas as pd

SMALL_MIN, SMALL_MAX = 1, 10
PRIMARY = "primary"
COMPLEMENTARY = "complementary"
FAMILY = ["metric_id", "population", "cohort"]
FIGURES = ["numerator", "denominator", "value", "ci_low", "ci_high"]


def _is_small(x) -> bool:
    """A revealed count between 1 and 10. Conservative for non-integers: any 0 < x <= 10."""
    return x is not None and not (isinstance(x, float) and math.isnan(x)) and 0 < x <= SMALL_MAX


def _present(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def revealed_counts(kind: str, numerator, denominator, value) -> list[float]:
    """The counts of people or cases a row would reveal, by metric kind (see module docstring)."""
    n = numerator if _present(numerator) else None
    d = denominator if _present(denominator) else None
    v = value if _present(value) else None
    if kind in ("rate", "survival"):
        out = [x for x in (n, d) if x is not None]
        if n is not None and d is not None:
            out.append(d - n)
        return out
    if kind in ("duration", "mean"):
        return [d] if d is not None else []
    if kind == "ratio":
        return [n] if n is not None else []
    return [x for x in (n, d, v) if x is not None]


def primary_mask(df: pd.DataFrame) -> np.ndarray:
    kinds = df["metric_kind"].to_numpy()
    nums = df["numerator"].to_numpy(dtype=float)
    dens = df["denominator"].to_numpy(dtype=float)
    vals = df["value"].to_numpy(dtype=float)
    people = df["counts_people"].fillna(True).to_numpy(dtype=bool)  # unknown -> protect
    out = np.zeros(len(df), dtype=bool)
    for i in range(len(df)):
        if people[i]:
            out[i] = any(_is_small(c) for c in revealed_counts(kinds[i], nums[i], dens[i], vals[i]))
    return out


def cell_size(df: pd.DataFrame) -> np.ndarray:
    """Size of a cell for 'smallest shown cells': the people it counts — the denominator (rate,
    survival, duration, mean), the numerator (ratio: clients; capacity is not people), else the
    first count present."""
    kinds = df["metric_kind"].astype(str).to_numpy()
    num = df["numerator"].to_numpy(dtype=float)
    den = df["denominator"].to_numpy(dtype=float)
    val = df["value"].to_numpy(dtype=float)
    first, second, third = np.where(kinds == "ratio", num, den), np.where(kinds == "ratio", den, num), val
    size = np.where(np.isnan(first), np.where(np.isnan(second), third, second), first)
    return np.where(np.isnan(size), 0.0, size)


def suppress(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy with `suppressed` (bool) and `suppression_reason` ('primary'|'complementary'|None)
    columns, and the figures of suppressed rows set to null. Row order is kept."""
    df = df.reset_index(drop=True).copy()
    sup = primary_mask(df)
    reason = np.where(sup, PRIMARY, None).astype(object)
    size = cell_size(df)
    people = df["counts_people"].fillna(True).to_numpy(dtype=bool)

    # families -> overall row index, and breakdown -> cell indices in breakdown-value order
    overall: dict[tuple, int] = {}
    cells: dict[tuple, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    keys = df[FAMILY].astype(str).itertuples(index=False, name=None)
    breakdowns = df["breakdown"].astype(str).to_numpy()
    for i, key in enumerate(keys):
        if not people[i]:
            continue
        if breakdowns[i] == "overall":
            overall[key] = i
        else:
            cells[key][breakdowns[i]].append(i)
    bvalues = df["breakdown_value"].astype(str).to_numpy()
    for fam in cells.values():
        for b in fam:
            fam[b].sort(key=lambda i: bvalues[i])

    # Groups absent from the table (e.g. a survival cell not reported because nobody is at risk at t)
    # are in the overall figure but in no cell: subtracting the shown cells from the overall reveals
    # them. Such a residual counts as a hidden member of its breakdown when what it would reveal is
    # small (as if it were a primary-suppressed cell); a large residual is as good as a shown cell.
    kinds = df["metric_kind"].astype(str).to_numpy()
    nums = df["numerator"].to_numpy(dtype=float)
    dens = df["denominator"].to_numpy(dtype=float)
    absent_small: set[tuple] = set()
    for key, fam in cells.items():
        o = overall.get(key)
        if o is None:
            continue
        for b, members in fam.items():
            res = []
            for arr in (nums, dens):
                if math.isnan(arr[o]):
                    res.append(float("nan"))
                else:
                    r = arr[o] - float(np.nansum(arr[members]))
                    res.append(0.0 if abs(r) < 1e-6 else r)
            revealed = revealed_counts(kinds[o], res[0], res[1], float("nan"))
            if any(c < 0 for c in revealed):
                continue  # cells exceed the total: not a partition, nothing to subtract
            if any(_is_small(c) for c in revealed):
                absent_small.add((key, b))

    def suppress_one(idx: int) -> None:
        sup[idx] = True
        reason[idx] = COMPLEMENTARY

    changed = True
    while changed:
        changed = False
        for key in sorted(cells):  # a fixed order: the result must not depend on the input's row order
            fam = cells[key]
            o = overall.get(key)
            if o is None:
                continue  # no total shown: nothing to subtract from
            for b in sorted(fam):
                members = fam[b]
                n_sup = int(sup[o]) + sum(1 for i in members if sup[i]) + int((key, b) in absent_small)
                if n_sup != 1:
                    continue
                shown = [i for i in members if not sup[i]]
                nonempty = sorted((i for i in shown if size[i] > 0), key=lambda i: (size[i], bvalues[i]))
                if nonempty:
                    suppress_one(nonempty[0])
                elif not sup[o]:
                    suppress_one(o)
                elif shown:
                    suppress_one(sorted(shown, key=lambda i: bvalues[i])[0])
                else:
                    continue
                changed = True

    df["suppressed"] = sup
    df["suppression_reason"] = pd.Series(reason, dtype=object).where(sup, None)
    for col in FIGURES:
        df[col] = df[col].astype(float).where(~sup, np.nan)
    return df
