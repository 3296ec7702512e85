"""The disclosure audit a publication must pass (metrics.md, "What funders receive", *the rule*).

Independent of the code that chooses what to suppress (`disclosure.py`, `relations.py`): it imports
nothing from them and builds its own model of what a reader knows, so a relation forgotten by one
is not silently forgotten by the other. Input: the funder table with the true counts still in it
and its `suppressed` flags, and the earlier publications' metrics.csv (their shown figures).

What a reader knows, as linear relations over unknown counts (every count >= 0):
- every shown count (numerator, denominator) of this publication;
- every shown count of an earlier publication whose count has not changed since (a count unchanged
  between publications is one unknown — here, a known one);
- within a family (metric, population, cohort) each breakdown's cells sum to the overall; where the
  true cells do not add up (a group absent from the table) the gap is an unknown >= 0 of its own;
- pooled periods: a `<YYYY>` row sums its quarters `<YYYY>Q1..Q4`, a `<YYYYQn>-R4` row its four
  quarters, cell by cell; a metric with only yearly cohorts (survival) sums the quarters of the
  metric whose quarterly counts it pools (found from the data: exact in most cells, never below);
  the gap, where there is one, is again an unknown >= 0;
- counts that are the same count in two metrics (shared denominators, a numerator that is another
  metric's denominator): found from the data as metric pairs equal in at least 95% of their common
  non-zero cells, and merged into one unknown in every cell where they are equal;
- nesting: within a cell, a numerator never above another metric's numerator over the same
  denominator (6 <= 12 <= 24 months, prostitution-related <= any), found from the data the same way;
- numerator <= denominator for rates and survival.

Protected counts (checked when their true value is 1..10): every unknown numerator and denominator,
their difference, every absent group, and the change of every count since an earlier publication that
showed it. A count is known exactly (range 0) when shown or fixed by an earlier publication; a small
count fixed by an earlier publication alone is reported in `determined_by_earlier`, not as a failure.

The bounds come from linear programs (scipy's HiGHS); each program's optimum is a point consistent
with everything a reader knows, and a count passes once the points found give it a maximum >= 11 and
a range >= 10 (the true counts are a point too). Three stages, each on what the last left open:

1. Blocks: a breakdown's cells of one population and year (most protected counts are a quarter's
   never-printed cells). A block's program frees its own unknowns and holds every other unknown at
   its true value; the true values satisfy every relation, so each point it finds is a point of the
   whole model (sound), and the programs are small. Rounds push every open count of the block to what
   the rule asks at once (a capped sum), then each count still open gets its own maximum and
   minimum. Then the same rounds on every row of one population and year (overall rows free too).
   Blocks are shared out between worker processes when there are many.
2. The whole model: the unknowns split into connected components; independent components are solved
   together in one program per round (the objective is separable), pushing every open count at once.
3. exact=True: each count still open gets its own maximum and minimum, one count per component per
   program, so the failures named are exact.
"""

from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix, vstack

KEY = ["metric_id", "population", "cohort", "breakdown", "breakdown_value"]
SMALL_MAX = 10
NEED_MAX = 11       # the rule: maximum >= 11
NEED_RANGE = 10     # and range >= 10
UPPER = 1e7         # a bound no count reaches; keeps every program bounded
TOL = 1e-6
SHARED_SHARE = 0.95
MIN_COMMON = 2

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_ROLLING = re.compile(r"^(\d{4})Q([1-4])-R4$")


@dataclass(frozen=True)
class Finding:
    """A protected count that fails the rule: where it is and what kind of count it is (no value)."""
    metric_id: str
    population: str
    cohort: str
    breakdown: str
    breakdown_value: str
    count: str  # numerator | denominator | difference | absent group (...) | change since <publication> (...)

    def describe(self) -> str:
        return (f"{self.metric_id} / {self.population} / {self.cohort} / {self.breakdown}={self.breakdown_value}: "
                f"{self.count}")


@dataclass
class AuditResult:
    checked: int = 0                      # protected counts with a true value 1..10 that were checked
    failures: list[Finding] = field(default_factory=list)
    determined_by_earlier: list[Finding] = field(default_factory=list)
    narrowest_range: float | None = None  # smallest proven range (max - min) among the checked counts
    programs: int = 0
    components: int = 0
    seconds: float = 0.0
    proven: set = field(default_factory=set)  # targets shown to pass (carried between rounds)
    # targets shown to pass by a point of their own block (a breakdown's cells of one population and
    # year) with every count outside the block at its true value: still a point of the model after
    # any row is hidden, or any row outside the block is shown (its count then known at that value)
    proven_in_block: set = field(default_factory=set)

    @property
    def passed(self) -> bool:
        return not self.failures

    def summary(self) -> dict:
        return {"protected_counts_checked": self.checked, "failures": len(self.failures),
                "narrowest_range": None if self.narrowest_range is None else round(self.narrowest_range, 4),
                "linear_programs": self.programs, "components": self.components,
                "determined_by_earlier_publications": [f.describe() for f in self.determined_by_earlier]}


def _small(v: float) -> bool:
    return v is not None and not math.isnan(v) and TOL < abs(v) <= SMALL_MAX + TOL


class _Model:
    """Unknowns, linear relations and targets; built from the table by `_build`."""

    def __init__(self):
        self.n_vars = 0
        self.truth: list[float] = []
        self.eq: list[tuple[dict[int, float], float]] = []   # sum coef*var = rhs
        self.le: list[tuple[dict[int, float], float]] = []   # sum coef*var <= rhs
        # targets: (coefs, constant, true value, finding); expression = coefs . x + constant
        self.targets: list[tuple[dict[int, float], float, float, Finding]] = []
        self.revealed: list[Finding] = []
        # each unknown's block (`_block_of`) and year (`_year_of`); None: overall row, or mixed
        self.home: list[tuple | None] = []
        self.year: list[tuple | None] = []

    def new_var(self, truth: float, keys: list[tuple] = ()) -> int:
        self.truth.append(float(truth))
        self.home.append(_common(_block_of, keys))
        self.year.append(_common(_year_of, keys))
        self.n_vars += 1
        return self.n_vars - 1


class _Terms:
    """A count as a linear expression: a known constant, or an unknown."""

    def __init__(self):
        self.coefs: dict[int, float] = {}
        self.const = 0.0

    def add(self, term: tuple[int | None, float], sign: float) -> None:
        var, value = term
        if var is None:
            self.const += sign * value
        else:
            self.coefs[var] = self.coefs.get(var, 0.0) + sign


def _find(parent: dict, x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def _union(parent: dict, a, b) -> None:
    ra, rb = _find(parent, a), _find(parent, b)
    if ra != rb:
        parent[max(ra, rb)] = min(ra, rb)


_YEAR_PREFIX = re.compile(r"^(\d{4})")


def _block_of(key: tuple) -> tuple | None:
    """The block of a row's counts: (population, year of its cohort, breakdown) for a breakdown cell,
    None for an overall row. Given the overall rows, the blocks are independent (see `_block_phase`)."""
    _metric, population, cohort, breakdown, _value = key
    if breakdown == "overall":
        return None
    m = _YEAR_PREFIX.match(cohort)
    return (population.split("@", 1)[0], m.group(1) if m else cohort, breakdown)


def _year_of(key: tuple) -> tuple | None:
    """(population, year) of a row: every row of the cohorts of one year (`<YYYY>Qn`, `<YYYY>`,
    `<YYYY>Qn-R4`), overall and breakdowns."""
    m = _YEAR_PREFIX.match(key[2])
    return (key[1].split("@", 1)[0], m.group(1)) if m else None


def _common(of, keys) -> tuple | None:
    found = {of(k) for k in keys}
    return found.pop() if len(found) == 1 else None


def _finding(key: tuple, count: str) -> Finding:
    return Finding(*key, count)


def _people_rows(table: pd.DataFrame) -> pd.DataFrame:
    people = table["counts_people"].fillna(True).astype(bool)
    df = table[people].copy()
    for c in ("numerator", "denominator"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    # the counts a row holds, by kind: durations and means count people in the denominator only
    # (a mean's numerator is a sum of scores); ratios in the numerator only (capacity is not people)
    kind = df["metric_kind"].astype(str)
    df.loc[kind.isin(["duration", "mean"]), "numerator"] = np.nan
    df.loc[kind == "ratio", "denominator"] = np.nan
    return df.reset_index(drop=True)


def _equal_count_pairs(df: pd.DataFrame) -> tuple[list[tuple], list[tuple]]:
    """Metric-count pairs that are the same count (>= 95% equal over common non-zero cells), and
    numerator pairs ordered within cells over equal denominators (never above).

    Per population, one matrix: a row per cell (population, cohort, breakdown, value), a column per
    (metric, count) in sorted order, NaN where the metric has no such count there (df holds a row per
    KEY at most). Pairs are compared a column against every later one at once."""
    equal, ordered = [], []
    cell = ["population", "cohort", "breakdown", "breakdown_value"]
    cell_id = df.groupby(cell, dropna=False, sort=False).ngroup().to_numpy()
    metric_all = df["metric_id"].to_numpy(dtype=object)
    counts = {c: df[c].to_numpy(dtype=float) for c in ("denominator", "numerator")}
    by_pop = df.groupby("population", sort=True).indices
    for pop in sorted(by_pop):
        rows = by_pop[pop]
        cells, at = np.unique(cell_id[rows], return_inverse=True)
        metrics, mcode = np.unique(metric_all[rows], return_inverse=True)
        m = np.full((len(cells), 2 * len(metrics)), np.nan)
        for offset, c in enumerate(("denominator", "numerator")):  # (metric, count) in sorted order
            m[at, 2 * mcode + offset] = counts[c][rows]
        valid = ~np.isnan(m)
        keep = np.flatnonzero(valid.any(axis=0))  # a count the metric has somewhere
        m, valid = m[:, keep], valid[:, keep]
        names = [(metrics[k // 2], ("denominator", "numerator")[k % 2]) for k in keep.tolist()]
        zero = (m == 0).astype(float)  # NaN == 0 is False
        v = valid.astype(float)
        common = v.T @ v - zero.T @ zero  # cells where both are present and not both zero (exact: < 2^53)
        for i, a in enumerate(names):
            later = np.arange(i + 1, len(names))
            later = later[[names[j][0] != a[0] for j in later.tolist()]]
            if not len(later):
                continue
            same = ((m[:, later] == m[:, [i]]) & (m[:, [i]] != 0)).sum(axis=0)  # equal, so both present
            for j, n, eq in zip(later.tolist(), common[i, later].tolist(), same.tolist()):
                if n >= MIN_COMMON and eq / n >= SHARED_SHARE:
                    equal.append((pop, a, names[j]))
        col = {name: k for k, name in enumerate(names)}
        for a in names:
            for b in names:
                if a[0] >= b[0] or a[1] != "numerator" or b[1] != "numerator":
                    continue
                da, db = (a[0], "denominator"), (b[0], "denominator")
                if da not in col or db not in col:
                    continue
                both = valid[:, col[a]] & valid[:, col[b]] & (m[:, col[da]] == m[:, col[db]])
                if both.sum() < MIN_COMMON:
                    continue
                na, nb = m[both, col[a]], m[both, col[b]]
                if (na == nb).all():
                    continue
                if (na <= nb).all():
                    ordered.append((pop, a[0], b[0]))
                elif (nb <= na).all():
                    ordered.append((pop, b[0], a[0]))
    return equal, ordered


def _flag(series: pd.Series) -> pd.Series:
    return series.astype(str).str.lower().isin(["true", "1"])


def _earlier_rows(earlier) -> pd.DataFrame:
    """Earlier publications' rows, each in a population of its own (`<population>@<folder>`), with
    the shown figures as published and, where the team's restricted file gives them, the true counts
    of the hidden rows (NaN otherwise: a hidden count nobody can link is simply unknown)."""
    frames = []
    for item in earlier:
        label, published = item[0], item[1]
        truth = item[2] if len(item) > 2 else None
        df = published[KEY + ["metric_kind", "counts_people", "numerator", "denominator", "suppressed"]].copy()
        df = df.astype({k: str for k in KEY})
        df["suppressed"] = _flag(df["suppressed"])
        df["counts_people"] = _flag(df["counts_people"]) if df["counts_people"].dtype == object else df["counts_people"]
        for c in ("numerator", "denominator"):
            df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
        if truth is not None and len(truth):
            t = truth[KEY + ["numerator", "denominator"]].astype({k: str for k in KEY}).set_index(KEY)
            idx = df.set_index(KEY).index
            hidden = df["suppressed"].to_numpy()
            for c in ("numerator", "denominator"):
                known = pd.to_numeric(t[c], errors="coerce").reindex(idx).to_numpy(dtype=float)
                df.loc[hidden, c] = known[hidden]
        df["population"] = df["population"] + "@" + label
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else None


def _build(table: pd.DataFrame, earlier) -> tuple[_Model, list[Finding]]:
    current = _people_rows(table)
    n_current = len(current)
    old_rows = _earlier_rows(earlier)
    df = current if old_rows is None else pd.concat([current, _people_rows(old_rows)], ignore_index=True)
    model = _Model()
    determined: list[Finding] = []
    determined_rows: set[int] = set()
    shown = ~df["suppressed"].astype(bool).to_numpy()
    keys = list(df[KEY].astype(str).itertuples(index=False, name=None))
    index = {k: i for i, k in enumerate(keys)}
    counts = {"numerator": df["numerator"].to_numpy(), "denominator": df["denominator"].to_numpy()}

    # nodes: (row, count) -> class; classes merge counts that are the same count
    nodes = [(i, c) for c in counts for i in range(len(df)) if not math.isnan(counts[c][i])]
    parent = {n: n for n in nodes}
    equal, ordered = _equal_count_pairs(df)
    cellkey = [k[1:] for k in keys]
    by_metric_cell = {(k[0],) + ck: i for i, (k, ck) in enumerate(zip(keys, cellkey))}
    rows_of: dict[tuple[str, str], list[int]] = {}
    for i, k in enumerate(keys):
        rows_of.setdefault((k[0], k[1]), []).append(i)
    for pop, (ma, ca), (mb, cb) in equal:
        for i in rows_of.get((ma, pop), []):
            j = by_metric_cell.get((mb,) + cellkey[i])
            if j is None:
                continue
            a, b = (i, ca), (j, cb)
            if a in parent and b in parent and counts[ca][i] == counts[cb][j]:
                _union(parent, a, b)

    # an earlier publication's count unchanged since is the same unknown (or known, if shown there);
    # an unchanged difference (numerator and denominator moved together) is an equation
    same_difference: list[tuple[int, int]] = []
    for j in range(n_current, len(df)):
        k = keys[j]
        i = index.get((k[0], k[1].rsplit("@", 1)[0]) + k[2:])
        if i is None or i >= n_current:
            continue
        diffs = [counts["denominator"][x] - counts["numerator"][x] for x in (i, j)]
        if not any(math.isnan(v) for v in diffs) and abs(diffs[0] - diffs[1]) < TOL:
            same_difference.append((i, j))
        for c in counts:
            a, b = (i, c), (j, c)
            if a in parent and b in parent and abs(counts[c][i] - counts[c][j]) < TOL:
                _union(parent, a, b)

    # knowledge from earlier publications: an unchanged shown count is known; a changed one is a change
    known_earlier: dict[tuple, str] = {}
    changes: list[tuple[tuple, float, float, str]] = []  # (node, old value, sign-free true change, label)
    for item in earlier:
        label, old = item[0], item[1]
        old = old[~_flag(old["suppressed"])]
        for r in old.itertuples(index=False):
            i = index.get(tuple(str(getattr(r, k)) for k in KEY))
            if i is None:
                continue
            olds = {}
            for c in counts:
                v = pd.to_numeric(getattr(r, c), errors="coerce")
                if v is None or math.isnan(v) or math.isnan(counts[c][i]):
                    continue
                olds[c] = float(v)
                if abs(counts[c][i] - v) < TOL:
                    known_earlier.setdefault((i, c), label)
                else:
                    changes.append(((i, c), float(v), counts[c][i] - float(v), f"{c} change since {label}"))
            if len(olds) == 2 and df["metric_kind"].iat[i] in ("rate", "survival"):
                diff_old = olds["denominator"] - olds["numerator"]
                diff_new = counts["denominator"][i] - counts["numerator"][i]
                if abs(diff_new - diff_old) > TOL:
                    changes.append(((i, "difference"), diff_old, diff_new - diff_old, f"difference change since {label}"))

    # classes -> a constant (shown somewhere, or unchanged since an earlier publication) or an unknown
    classes: dict[tuple, list[tuple]] = {}
    for n in nodes:
        classes.setdefault(_find(parent, n), []).append(n)
    term: dict[tuple, tuple[int | None, float]] = {}
    for root in sorted(classes):
        members = classes[root]
        value = counts[members[0][1]][members[0][0]]
        fixed = any(shown[i] for i, _ in members) or any(m in known_earlier for m in members)
        var = None if fixed else model.new_var(value, [keys[i] for i, _ in members])
        for m in members:
            term[m] = (var, value)
        if fixed and not any(shown[i] and i < n_current for i, _ in members) and _small(value) and \
                any(i < n_current for i, _ in members):
            i, c = next(m for m in members if m[0] < n_current)
            determined.append(_finding(keys[i], f"{c} (shown in {known_earlier.get(members[0], 'an earlier publication')})"))

    def expr(i: int, c: str) -> _Terms:
        t = _Terms()
        if c == "difference":
            t.add(term[(i, "denominator")], 1.0)
            t.add(term[(i, "numerator")], -1.0)
        else:
            t.add(term[(i, c)], 1.0)
        return t

    def relation(container: int, parts: list[int], c: str, label: str) -> None:
        """container = sum(parts) (+ an absent group >= 0 when the true counts leave a gap)."""
        if (container, c) not in term or any((p, c) not in term for p in parts):
            return
        gap = counts[c][container] - sum(counts[c][p] for p in parts)
        if gap < -TOL:
            return  # not a partition: nothing a reader could subtract
        t = _Terms()
        t.add(term[(container, c)], 1.0)
        for p in parts:
            t.add(term[(p, c)], -1.0)
        if gap > TOL:
            g = model.new_var(gap, [keys[p] for p in parts])
            t.coefs[g] = t.coefs.get(g, 0.0) - 1.0
            if _small(gap):
                model.targets.append(({g: 1.0}, 0.0, gap, _finding(keys[container], f"absent group in {label}")))
        coefs = {v: a for v, a in t.coefs.items() if a != 0.0}
        if coefs:
            model.eq.append((coefs, -t.const))

    for i, j in same_difference:
        t = expr(i, "difference")
        u = expr(j, "difference")
        coefs = dict(t.coefs)
        for v, a in u.coefs.items():
            coefs[v] = coefs.get(v, 0.0) - a
        coefs = {v: a for v, a in coefs.items() if a != 0.0}
        if coefs:
            model.eq.append((coefs, u.const - t.const))

    # breakdown partitions
    fam = df.groupby(["metric_id", "population", "cohort"], sort=True).indices
    for (_m, _p, _c), idx in fam.items():
        idx = sorted(idx)
        overall = [i for i in idx if keys[i][3] == "overall"]
        if not overall:
            continue
        by_bd: dict[str, list[int]] = {}
        for i in idx:
            if keys[i][3] != "overall":
                by_bd.setdefault(keys[i][3], []).append(i)
        for bd in sorted(by_bd):
            for c in counts:
                relation(overall[0], by_bd[bd], c, f"breakdown {bd}")

    # pooled periods: <YYYY> and <YYYYQn>-R4 rows over their quarters; yearly-only metrics over the
    # quarterly metric they pool
    metrics_with_quarters = {k[0] for k in keys if _QUARTER.match(k[2])}

    def quarters_of(label: str) -> list[str] | None:
        if m := _YEAR.match(label):
            return [f"{m.group(1)}Q{q}" for q in range(1, 5)]
        if m := _ROLLING.match(label):
            y, q = int(m.group(1)), int(m.group(2))
            out = []
            for _ in range(4):
                out.append(f"{y}Q{q}")
                y, q = (y - 1, 4) if q == 1 else (y, q - 1)
            return out[::-1]
        return None

    def parts_of(i: int, source_metric: str) -> list[int]:
        k = keys[i]
        qs = quarters_of(k[2]) or []
        return [j for q in qs if (j := index.get((source_metric, k[1], q, k[3], k[4]))) is not None]

    pooled_rows = [i for i, k in enumerate(keys) if quarters_of(k[2])]
    sources: dict[tuple[str, str], str] = {}
    for metric, pop in sorted({(keys[i][0], keys[i][1]) for i in pooled_rows}):
        if metric in metrics_with_quarters:
            sources[(metric, pop)] = metric
            continue
        mine = [i for i in pooled_rows if keys[i][0] == metric and keys[i][1] == pop and keys[i][3] == "overall"]
        best = None
        for cand in sorted(metrics_with_quarters):
            exact = below = 0
            for i in mine:
                parts = parts_of(i, cand)
                if not parts:
                    continue
                for c in counts:
                    if math.isnan(counts[c][i]) or any(math.isnan(counts[c][p]) for p in parts):
                        continue
                    gap = counts[c][i] - sum(counts[c][p] for p in parts)
                    exact += abs(gap) < TOL
                    below += gap < -TOL
            if exact and not below and exact >= len(mine):
                best = cand
                break
        if best:
            sources[(metric, pop)] = best
    for i in pooled_rows:
        src = sources.get((keys[i][0], keys[i][1]))
        if src:
            parts = parts_of(i, src)
            if parts:
                for c in counts:
                    relation(i, parts, c, f"period {keys[i][2]} over its quarters of {src}")

    # nesting and numerator <= denominator
    for pop, ma, mb in ordered:
        for i in rows_of.get((ma, pop), []):
            j = by_metric_cell.get((mb,) + cellkey[i])
            if j is None or counts["denominator"][i] != counts["denominator"][j]:
                continue
            t = _Terms()
            t.add(term[(i, "numerator")], 1.0)
            t.add(term[(j, "numerator")], -1.0)
            if t.coefs:
                model.le.append((t.coefs, -t.const))
    kinds = df["metric_kind"].astype(str).to_numpy()
    for i in range(len(df)):
        if kinds[i] in ("rate", "survival") and (i, "numerator") in term and (i, "denominator") in term:
            t = expr(i, "difference")
            if t.coefs:
                model.le.append(({v: -a for v, a in t.coefs.items()}, t.const))

    # targets: every count of 1..10 that a reader does not see directly
    for i in range(n_current):
        names = [c for c in counts if (i, c) in term]
        if kinds[i] in ("rate", "survival") and len(names) == 2:
            names.append("difference")
        for c in names:
            t = expr(i, c)
            true = counts[c][i] if c != "difference" else counts["denominator"][i] - counts["numerator"][i]
            if not _small(true):
                continue
            if shown[i]:
                model.revealed.append(_finding(keys[i], c))
            elif t.coefs:
                model.targets.append((t.coefs, t.const, true, _finding(keys[i], c)))
            elif i in determined_rows:
                determined.append(_finding(keys[i], f"{c} (from counts shown in earlier publications)"))
            else:
                model.revealed.append(_finding(keys[i], c))
    for (i, c), old, change, label in changes:
        if not _small(change):
            continue
        t = expr(i, c)
        # the change is (expression - old); a fall is protected like a rise: use its negation
        sign = 1.0 if change > 0 else -1.0
        coefs = {v: sign * a for v, a in t.coefs.items()}
        const = sign * (t.const - old)
        if not coefs:
            model.revealed.append(_finding(keys[i], label))
        else:
            model.targets.append((coefs, const, abs(change), _finding(keys[i], label)))
    return model, determined


def _components(model: _Model) -> np.ndarray:
    parent = list(range(model.n_vars))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for coefs, _ in model.eq + model.le:
        vs = list(coefs)
        r0 = find(vs[0])
        for v in vs[1:]:
            r = find(v)
            if r != r0:
                parent[max(r, r0)] = min(r, r0)
                r0 = min(r, r0)
    return np.array([find(v) for v in range(model.n_vars)], dtype=np.int64)


def _highs_core():
    """The HiGHS binding scipy's own `linprog(method="highs")` calls (scipy pins its version)."""
    from scipy.optimize._highspy import _core

    return _core


def _highs_model(a_eq, b_eq, a_le, b_le, n: int):
    """A HiGHS model of the relations over n unknowns in [0, UPPER], costs 0, quiet."""
    core = _highs_core()
    h = core._Highs()
    h.setOptionValue("output_flag", False)
    h.addVars(n, np.zeros(n), np.full(n, UPPER))
    mats, lower, upper = [], [], []
    if a_eq is not None:
        mats.append(a_eq)
        lower.append(np.asarray(b_eq, dtype=float))
        upper.append(np.asarray(b_eq, dtype=float))
    if a_le is not None:
        mats.append(a_le)
        lower.append(np.full(a_le.shape[0], -core.kHighsInf))
        upper.append(np.asarray(b_le, dtype=float))
    if mats:
        a = vstack(mats).tocsr()
        h.addRows(a.shape[0], np.concatenate(lower), np.concatenate(upper), a.nnz,
                  a.indptr[:-1].astype(np.int32), a.indices.astype(np.int32), a.data.astype(float))
    return h


def _run(h) -> np.ndarray:
    """Solve; the optimal point's columns."""
    h.run()
    status = h.getModelStatus()
    if status != _highs_core().HighsModelStatus.kOptimal:
        raise RuntimeError(f"disclosure audit: a linear program failed ({h.modelStatusToString(status)}); the "
                           "model of what a reader knows is inconsistent with the true counts")
    return np.asarray(h.getSolution().col_value, dtype=float)


class _Program:
    """The reader's relations over some unknowns (`vars_`, of `n_total`); every other unknown is held at
    `rest` (NaN: not evaluated). Any point it returns satisfies every relation of the model."""

    def __init__(self, n_total: int, vars_: np.ndarray, a_eq, b_eq, a_le, b_le, rest: np.ndarray):
        self.vars_ = vars_
        self.local = np.full(n_total, -1, dtype=np.int64)
        self.local[vars_] = np.arange(len(vars_))
        self.a_eq, self.b_eq, self.a_le, self.b_le = a_eq, b_eq, a_le, b_le
        self.rest = rest
        self.solved = 0
        self._highs = None  # the HiGHS model of `optimum`, kept between calls
        self._capped = None  # that of `capped`, and its rows before the targets'
        self._capped_rows = 0

    def _point(self, x: np.ndarray) -> np.ndarray:
        self.solved += 1
        out = self.rest.copy()
        out[self.vars_] = x[:len(self.vars_)]
        return out

    def optimum(self, objective: dict[int, float], maximise: bool) -> np.ndarray:
        """An optimal point of the objective. One HiGHS model per program, kept between calls: only
        the costs change, so the last optimal basis stays feasible and each call after the first
        re-optimises from it with the primal simplex (a block's targets one by one: ~4x faster than
        a program solved afresh each time)."""
        n = len(self.vars_)
        c = np.zeros(n)
        for v, a in objective.items():
            c[self.local[v]] += -a if maximise else a
        h = self._highs
        if h is None:
            h = self._highs = _highs_model(self.a_eq, self.b_eq, self.a_le, self.b_le, n)
        else:
            h.setOptionValue("simplex_strategy", 4)  # primal: the basis is primal feasible
        h.changeColsCost(n, np.arange(n, dtype=np.int32), c)
        return self._point(_run(h))

    def capped(self, targets: list[tuple[dict[int, float], float, float]]) -> np.ndarray:
        """A point maximising sum(min(expression_k, cap_k)) over the targets (coefs, const, cap): each
        target is pushed up to its cap and no further, so one target's slack is not spent on another
        beyond what the rule asks. A column z_k in [0, cap_k] and a row z_k - expression_k <= const_k
        per target, maximising sum(z_k). Like `optimum`, one HiGHS model per program: the last call's
        targets are taken out and this call's put in, and HiGHS re-optimises from the last basis (the
        new rows' slacks enter it)."""
        nv, nz = len(self.vars_), len(targets)
        h = self._capped
        if h is None:
            h = self._capped = _highs_model(self.a_eq, self.b_eq, self.a_le, self.b_le, nv)
            self._capped_rows = h.getNumRow()
        else:
            last = h.getNumCol() - nv
            if last:
                h.deleteRows(last, np.arange(self._capped_rows, self._capped_rows + last, dtype=np.int32))
                h.deleteCols(last, np.arange(nv, nv + last, dtype=np.int32))
            h.setOptionValue("simplex_strategy", 4)
        caps = np.array([cap for _, _, cap in targets], dtype=float)
        h.addCols(nz, -np.ones(nz), np.zeros(nz), caps, 0, np.zeros(nz, dtype=np.int32), np.zeros(0, dtype=np.int32),
                  np.zeros(0))
        starts, index, value, upper = [], [], [], []
        for k, (coefs, const, _cap) in enumerate(targets):
            starts.append(len(index))
            index.append(nv + k)
            value.append(1.0)
            for v, a in coefs.items():
                index.append(self.local[v])
                value.append(-a)
            upper.append(const)
        h.addRows(nz, np.full(nz, -_highs_core().kHighsInf), np.array(upper, dtype=float), len(index),
                  np.array(starts, dtype=np.int32), np.array(index, dtype=np.int32), np.array(value, dtype=float))
        return self._point(_run(h)[:nv])


def _passed(hi: np.ndarray, lo: np.ndarray, k: int) -> bool:
    return hi[k] >= NEED_MAX - TOL and hi[k] - lo[k] >= NEED_RANGE - TOL


def _record(x: np.ndarray, targets, hi: np.ndarray, lo: np.ndarray, ks) -> None:
    """Widen each target's [lo, hi] by its value at the point x (NaN: x does not reach it)."""
    for k in ks:
        v = _value(targets[k][0], targets[k][1], x)
        if not math.isnan(v):
            hi[k] = max(hi[k], v)
            lo[k] = min(lo[k], v)


def _rounds(program_for, targets, hi, lo, open_: list[int], name: str = "", progress: float = 0.95) -> list[int]:
    """Rounds pushing every open target up to what the rule asks (max >= 11, range >= 10) at once,
    then those high enough down by 10 from the highest point found; returns what stays open (once a
    round leaves more than `progress` of what it started with). `program_for(ks)`: the program
    holding targets ks."""
    while open_:
        before = len(open_)
        caps = [(targets[k][0], targets[k][1], max(NEED_MAX, lo[k] + NEED_RANGE)) for k in open_]
        _record(program_for(open_).capped(caps), targets, hi, lo, open_)
        down = [k for k in open_ if hi[k] >= NEED_MAX - TOL and not _passed(hi, lo, k)]
        if down:
            caps = [({v: -a for v, a in targets[k][0].items()}, hi[k] - targets[k][1], NEED_RANGE) for k in down]
            _record(program_for(down).capped(caps), targets, hi, lo, down)
        open_ = [k for k in open_ if not _passed(hi, lo, k)]
        if name:
            _log(f"{name} round: {before} -> {len(open_)} open")
        if len(open_) > progress * before:
            break  # little progress: what is left needs its own programs (or more cover)
    return open_


def _block_job(job) -> tuple[np.ndarray, np.ndarray, int]:
    """One block's bounds (run in a worker process when there are many): the joint rounds, then (own)
    each target still open alone, its maximum and, where that reaches 11, its minimum. job = (n, a_eq,
    b_eq, a_le, b_le, targets [(coefs over the block's unknowns 0..n-1, constant)], hi, lo, own: each
    target still open alone)."""
    n, a_eq, b_eq, a_le, b_le, targets, hi, lo, own = job
    program = _Program(n, np.arange(n), a_eq, b_eq, a_le, b_le, np.full(n, np.nan))
    left = _rounds(lambda _ks: program, targets, hi, lo, list(range(len(targets))))
    for k in left if own else ():
        if _passed(hi, lo, k):
            continue
        _record(program.optimum(targets[k][0], True), targets, hi, lo, left)
        if not _passed(hi, lo, k) and hi[k] >= NEED_MAX - TOL:
            _record(program.optimum(targets[k][0], False), targets, hi, lo, left)
    return hi, lo, program.solved


PARALLEL_MIN = 4000  # in-block targets from which blocks are shared out between worker processes


def _run_blocks(jobs: list, workers: int | None = None) -> list:
    """_block_job of every job, in order; in worker processes when the work is large (the results do
    not depend on which process computed them)."""
    import os

    workers = workers or min(len(os.sched_getaffinity(0)), 4)
    if workers <= 1 or len(jobs) < 2 or sum(len(j[5]) for j in jobs) < PARALLEL_MIN:
        return [_block_job(j) for j in jobs]
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    order = sorted(range(len(jobs)), key=lambda i: -len(jobs[i][5]))  # largest first: even shares
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        done = dict(zip(order, pool.map(_block_job, [jobs[i] for i in order])))
    return [done[i] for i in range(len(jobs))]


class _Solver:
    """Programs over sets of components (their unknowns and relations only), or over one block with
    every unknown outside it at its true value."""

    def __init__(self, model: _Model, comp: np.ndarray):
        self.model = model
        self.comp = comp
        self.a_eq, self.b_eq, self.eq_comp = self._matrix(model.eq)
        self.a_le, self.b_le, self.le_comp = self._matrix(model.le)
        self.truth = np.asarray(model.truth, dtype=float)
        self.programs = 0
        self._csc = None

    def _matrix(self, rows):
        r, col, val = [], [], []
        for k, (coefs, _) in enumerate(rows):
            for v, a in coefs.items():
                r.append(k)
                col.append(v)
                val.append(a)
        a = coo_matrix((val, (r, col)), shape=(len(rows), self.model.n_vars)).tocsr()
        b = np.array([rhs for _, rhs in rows], dtype=float)
        comp = np.array([self.comp[next(iter(c))] for c, _ in rows], dtype=np.int64)
        return a, b, comp

    def components(self, comps: set[int]) -> _Program:
        wanted = np.array(sorted(comps), dtype=np.int64)
        vars_ = np.flatnonzero(np.isin(self.comp, wanted))
        eq = np.flatnonzero(np.isin(self.eq_comp, wanted))
        le = np.flatnonzero(np.isin(self.le_comp, wanted))
        return _Program(self.model.n_vars, vars_,
                        self.a_eq[eq][:, vars_] if len(eq) else None, self.b_eq[eq] if len(eq) else None,
                        self.a_le[le][:, vars_] if len(le) else None, self.b_le[le] if len(le) else None,
                        np.full(self.model.n_vars, np.nan))

    def block(self, vars_: np.ndarray) -> tuple:
        """The relations touching `vars_` over those unknowns alone (columns 0..len-1), every other
        unknown at its true value (which satisfies every relation): a point of this program is a point
        of the model. Returns (n, a_eq, b_eq, a_le, b_le)."""
        if self._csc is None:
            self._csc = (self.a_eq.tocsc(), self.a_le.tocsc())
        fixed = self.truth.copy()
        fixed[vars_] = 0.0
        parts = []
        for a, csc, b in ((self.a_eq, self._csc[0], self.b_eq), (self.a_le, self._csc[1], self.b_le)):
            rows = np.unique(csc[:, vars_].nonzero()[0])
            if not len(rows):
                parts += [None, None]
                continue
            sub = a[rows]
            parts += [sub[:, vars_].tocsr(), b[rows] - sub @ fixed]
        return (len(vars_), *parts)

    def solve(self, comps: set[int], objective: dict[int, float], maximise: bool) -> np.ndarray:
        """Optimal point (full-length vector, NaN outside the components), from a program built afresh.
        (Keeping the first joint round's program for later rounds, warm-started like a block's, left
        the default world's snapshot still running after 1,100 s; the whole snapshot takes 640 s
        without it.)"""
        x = self.components(comps).optimum(objective, maximise)
        self.programs += 1
        return x


def _narrowest(targets, hi, lo, settled, model, done) -> float | None:
    """The narrowest range shown (max - min over the points found: a lower bound of the true range)
    among the counts settled in this call (passed, or bounded exactly). Counts revealed outright are
    failures and not counted here (a later round hides them)."""
    ranges = [hi[k] - lo[k] for k in range(len(targets)) if targets[k][3] not in settled and done(k)]
    return float(min(ranges)) if ranges else None


def _log(msg: str) -> None:
    logging.getLogger(__name__).debug(msg)


def _value(coefs: dict[int, float], const: float, x: np.ndarray) -> float:
    return const + sum(a * x[v] for v, a in coefs.items())


def audit(table: pd.DataFrame, earlier: list[tuple[str, pd.DataFrame]] = (), exact: bool = True,
          settled: frozenset = frozenset(), max_programs: int = 400, levels: tuple = (1, 2)) -> AuditResult:
    """Check the rule for every protected count of `table` (true counts + `suppressed`), given the
    earlier publications `earlier` = [(folder name, its metrics.csv as read)].

    exact=False stops after the joint rounds and reports every count not yet shown to pass (a
    superset of the failures: what the suppression loop needs between rounds). `settled`: targets
    proven in an earlier round on a pattern this one only adds suppressions to (hiding more only widens
    what a reader cannot rule out, so they still pass). Past `max_programs` programs, targets not yet
    proven are reported as failures: the audit never passes what it has not shown. `levels`: the block
    stages to run (a caller that only changed overall rows since the last audit skips level 1, whose
    programs hold every overall count at its true value and would give the same points)."""
    start = time.perf_counter()
    model, determined = _build(table, list(earlier))
    result = AuditResult(determined_by_earlier=determined)
    result.failures = list(model.revealed)
    comp = _components(model)
    solver = _Solver(model, comp)
    targets = model.targets
    result.checked = len(targets) + len(model.revealed)
    result.components = len({comp[next(iter(c))] for c, _, _, _ in targets}) if targets else 0
    hi = np.array([t[2] for t in targets], dtype=float)  # best value reached (the truth is feasible)
    lo = hi.copy()
    exact_hi = np.zeros(len(targets), bool)
    exact_lo = np.zeros(len(targets), bool)
    tcomp = np.array([comp[next(iter(t[0]))] for t in targets], dtype=np.int64)

    def passed(k: int) -> bool:
        return _passed(hi, lo, k)

    for k, t in enumerate(targets):
        if t[3] in settled:
            hi[k] = max(hi[k], max(NEED_MAX, t[2] + NEED_RANGE))
    open_ = [k for k in range(len(targets)) if not passed(k)]
    # first block by block, every unknown outside the block at its true value: small programs, each
    # of whose points is a point of the model; blocks are shared out between processes when there are
    # many. Level 1: a breakdown's cells of one population and year (most protected counts), each
    # target then alone; level 2: every row of one population and year (its overall rows free too)
    block_programs = 0
    for level, homes, own in ((1, model.home, True), (2, model.year, False)):
        if level not in levels:
            continue
        vars_of: dict[tuple, list[int]] = {}
        for v, h in enumerate(homes):
            if h is not None:
                vars_of.setdefault(h, []).append(v)
        in_block: dict[tuple, list[int]] = {}
        for k in open_:
            found = {homes[v] for v in targets[k][0]}
            if len(found) == 1 and (h := found.pop()) is not None:
                in_block.setdefault(h, []).append(k)
        jobs = []
        for h in sorted(in_block):
            vars_ = np.array(vars_of[h], dtype=np.int64)
            local = {v: i for i, v in enumerate(vars_.tolist())}
            ks = in_block[h]
            mine = [({local[v]: a for v, a in targets[k][0].items()}, targets[k][1]) for k in ks]
            jobs.append((*solver.block(vars_), mine, hi[ks].copy(), lo[ks].copy(), own))
        for h, (bhi, blo, solved) in zip(sorted(in_block), _run_blocks(jobs)):
            hi[in_block[h]], lo[in_block[h]] = bhi, blo
            block_programs += solved
            if level == 1:
                result.proven_in_block |= {targets[k][3] for k in in_block[h] if passed(k)}
        before = len(open_)
        open_ = [k for k in open_ if not passed(k)]
        _log(f"blocks (level {level}): {len(in_block)} blocks, {before} -> {len(open_)} open, "
             f"{block_programs} programs, {time.perf_counter() - start:.1f}s")
    solver.programs += block_programs
    block_programs = solver.programs

    # then the whole model for what is left (overall rows, counts across blocks)
    def joint(ks: list[int]) -> _Program:
        solver.programs += 1
        return solver.components(set(tcomp[ks].tolist()))

    # (a program of the whole model costs ~100 block programs: stop once a round clears under a fifth)
    open_ = _rounds(joint, targets, hi, lo, open_, "joint", progress=0.8)
    _log(f"joint rounds: {len(open_)} open, {time.perf_counter() - start:.1f}s")
    if not exact:
        result.proven = {targets[k][3] for k in range(len(targets)) if passed(k)}
        result.failures += [targets[k][3] for k in open_]
        result.narrowest_range = _narrowest(targets, hi, lo, settled, model, passed)
        result.programs = solver.programs
        result.seconds = time.perf_counter() - start
        return result
    # then each remaining target's own maximum and, where needed, minimum: one per component per program
    for maximise, exact in ((True, exact_hi), (False, exact_lo)):
        while True:
            todo = [k for k in open_ if not exact[k] and not passed(k)]
            if solver.programs - block_programs >= max_programs:
                break
            if not maximise:
                todo = [k for k in todo if hi[k] >= NEED_MAX - TOL]  # a maximum below 11 fails anyway
            if not todo:
                break
            pick: dict[int, int] = {}
            for k in todo:
                pick.setdefault(int(tcomp[k]), k)
            objective = {}
            for k in pick.values():
                for v, a in targets[k][0].items():
                    objective[v] = objective.get(v, 0.0) + a
            _log(f"{'max' if maximise else 'min'} round: {len(todo)} open in {len(pick)} components, "
                 f"{time.perf_counter() - start:.1f}s")
            x = solver.solve(set(pick), objective, maximise)
            _record(x, targets, hi, lo, todo)
            for k in pick.values():
                exact[k] = True
    for k in range(len(targets)):
        if not passed(k):
            result.failures.append(targets[k][3])
    result.proven = {targets[k][3] for k in range(len(targets)) if passed(k)}
    result.narrowest_range = _narrowest(targets, hi, lo, settled, model,
                                        lambda k: passed(k) or (exact_hi[k] and exact_lo[k]))
    result.programs = solver.programs
    result.seconds = time.perf_counter() - start
    return result
