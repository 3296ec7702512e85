"""Disclosure control for the funder snapshot (metrics.md v2, "What funders receive").

Pure functions on a pandas DataFrame with the columns of the `metrics` relation (true counts).
Nothing here reads files or the clock. The choice is checked by `audit.py`, which shares no code
with this module: publication runs primary -> complementary -> audit until the audit passes.

1. **Primary.** A row is suppressed when a count it would reveal is between 1 and 10 (zero may show):

   - rate, survival: numerator, denominator and denominator - numerator;
   - duration, mean: the denominator (the n behind a median or mean);
   - ratio (clients per capacity): the numerator; count, anything else: every count present.

   Rows funders do not receive (a quarter's breakdown cells, unsettled cohorts: `funders.py`) come
   in with `published` false: hidden from the start, never printed, but part of every relation.
   Also suppressed: a row whose numerator, denominator or their difference moved by 1-10 since an
   earlier publication showed it (late records restating an old cohort), and a row an earlier
   publication suppressed (showing it now would complete that publication's relations).
2. **Complementary, over the linked tables** (`relations.py`): breakdown cells sum to their overall,
   quarters to the years and rolling periods containing them, survival years to the quarterly
   rearrest rows they pool, and metrics over the same units share their denominator. For every
   relation and count (numerator, denominator, difference) holding a small hidden member (or a small
   group absent from the table), the hidden members must carry a mass of at least 11 between them
   (so each can range from 0 to 11 or more); a restated member needs 11 in the others; and no
   relation may hold exactly one hidden non-zero member (it would be worked out by subtraction, so a
   cover hidden for one relation gets a partner in each of its other relations). Short of it, the smallest
   shown member that meets the need alone is hidden (else the largest, and again); rows known from an
   earlier publication (unchanged since it showed them) cannot cover; a cover for a denominator
   takes the rows sharing that denominator with it. Relations are visited in a fixed order, so the
   result does not depend on the order of the input rows.
3. **Audit.** `audit.audit` bounds every protected count by linear programming over everything a
   reader knows; each cell it finds under-protected gets more cover in each of its relations, and
   the loop repeats until the audit passes (or nothing more can be hidden: publication refuses).
4. **Headlines.** The first page's headline rows (`headline` column, `funders.headline_mask`) hidden
   only as cover are tried shown, the other rolling periods of their metric and population hidden
   instead; kept only if the whole publication passes the audit again.

Only rows with `counts_people` true are subject to it (provider counts and capacities are not about
people). The reason a row was suppressed stays with the team (`suppression_reason`, restricted):
funders see that a cell is suppressed, never why.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict

import numpy as np
import pandas as pd

from pipelines.snapshot import relations

SMALL_MIN, SMALL_MAX = 1, 10
PRIMARY = "primary"
RESTATED = "restated"
COMPLEMENTARY = "complementary"
UNPUBLISHED = "not published"
KEY = ["metric_id", "population", "cohort", "breakdown", "breakdown_value"]
FIGURES = ["numerator", "denominator", "value", "ci_low", "ci_high"]

# The report's footnote for funders: the policy in general words, never the reason of one cell.
FUNDER_FOOTNOTE = ("* suppressed: to protect the people counted, a figure is not shown when it, or anything that "
                   "could be worked out from it together with the other figures of this and earlier snapshots, "
                   "would reveal a count between 1 and 10. A suppressed figure shows no numbers.")


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


def _is_restated(new: float, old: float) -> bool:
    return _present(new) and _present(old) and _is_small(abs(new - old))


def earlier_shown(df: pd.DataFrame, earlier) -> tuple[np.ndarray, np.ndarray]:
    """(restated, known) per row of `df`, against the shown rows of earlier publications: restated =
    a count (numerator, denominator or their difference) moved by 1-10 since a publication showed it;
    known = every count equal to what an earlier publication showed (hiding it hides nothing)."""
    counts = relations.row_counts(df)
    index = {k: i for i, k in enumerate(df[KEY].astype(str).itertuples(index=False, name=None))}
    restated = np.zeros(len(df), bool)
    known = np.zeros(len(df), bool)
    for item in earlier:
        old = item[1]
        old = old[~old["suppressed"].astype(str).str.lower().isin(["true", "1"])]
        old_counts = relations.row_counts(old.reset_index(drop=True))
        for j, k in enumerate(old[KEY].astype(str).itertuples(index=False, name=None)):
            i = index.get(k)
            if i is None:
                continue
            pairs = [(counts[c][i], old_counts[c][j]) for c in relations.COUNTS]
            pairs = [(a, b) for a, b in pairs if _present(a) and _present(b)]
            if any(_is_restated(a, b) for a, b in pairs):
                restated[i] = True
            if pairs and all(abs(a - b) < 1e-9 for a, b in pairs):
                known[i] = True
    return restated, known


class _Choice:
    """The suppression pattern being chosen: flags, reasons, and what protects what."""

    def __init__(self, df: pd.DataFrame, earlier):
        self.df = df
        self.n = len(df)
        self.keys = list(df[KEY].astype(str).itertuples(index=False, name=None))
        self.index = {k: i for i, k in enumerate(self.keys)}
        self.counts = relations.row_counts(df)
        self.people = df["counts_people"].fillna(True).to_numpy(dtype=bool)
        self.size = cell_size(df)
        self.sup = primary_mask(df)
        self.reason = np.where(self.sup, PRIMARY, None).astype(object)
        # rows funders do not receive (funders.py) are never printed: hidden from the start, and
        # still counted in every relation a reader can imply them from
        unpublished = ~df["published"].to_numpy(dtype=bool) if "published" in df else np.zeros(self.n, bool)
        self.reason[unpublished & ~self.sup] = UNPUBLISHED
        self.sup |= unpublished
        self.restated, self.known = earlier_shown(df, earlier)
        self.restated &= self.people
        new = self.restated & ~self.sup
        self.sup |= new
        self.reason[new] = RESTATED
        # a row hidden in an earlier publication stays hidden: showing it now would hand a reader the
        # missing piece of that publication's relations (its partner, unchanged, hidden there)
        again = np.zeros(self.n, bool)
        for item in earlier:
            hidden = item[1][item[1]["suppressed"].astype(str).str.lower().isin(["true", "1"])]
            for k in hidden[KEY].astype(str).itertuples(index=False, name=None):
                i = self.index.get(k)
                if i is not None and self.people[i]:
                    again[i] = True
        again &= ~self.sup
        self.again = again
        self.sup |= again
        self.reason[again] = COMPLEMENTARY
        self.relations = relations.build_relations(df, self.counts)
        self.of_row: dict[int, list[int]] = defaultdict(list)
        for r, rel in enumerate(self.relations):
            for i in (rel.container, *rel.parts):
                self.of_row[i].append(r)
        self.cell: dict[tuple, list[int]] = defaultdict(list)  # rows of one cell across metrics
        for i, k in enumerate(self.keys):
            if self.people[i]:
                self.cell[k[1:]].append(i)
        self.asked: dict[int, int] = defaultdict(int)  # times the audit named a row
        self.twins: dict[int, list[int]] = {}
        for group in relations.twin_groups(df, self.counts):
            for i in group:
                self.twins[i] = [j for j in group if j != i]

    def hide(self, i: int, why: str = COMPLEMENTARY) -> None:
        """Hide row i; a cover for a shared denominator hides the rows sharing it too."""
        for j in [i, *self.twins.get(i, [])]:
            if not self.sup[j]:
                self.sup[j] = True
                self.reason[j] = why

    def hidden_in(self, rel: relations.Relation, c: str) -> list[int]:
        """Members whose count c a reader cannot read: hidden, not known from an earlier
        publication, and (denominators) not shown by a twin."""
        out = []
        for i in (rel.container, *rel.parts):
            if not self.sup[i] or self.known[i]:
                continue
            if c == "denominator" and any(not self.sup[j] for j in self.twins.get(i, [])):
                continue
            out.append(i)
        return out

    def need(self, rel: relations.Relation, c: str) -> float:
        """How much more hidden mass the relation needs in count c. A small hidden member (or a small
        absent group) can rise to the relation's whole hidden mass and, with the others rising in
        turn, fall to 0: so that mass must reach 11 (maximum >= 11, range >= 10). A restated member
        must be able to rise by 11 from others' mass alone. The audit checks the claim globally."""
        vals = self.counts[c]
        hidden = self.hidden_in(rel, c)
        gap = rel.gap.get(c, 0.0)
        total = sum(vals[i] for i in hidden) + gap
        worst = 0.0
        if _is_small(gap) or any(_is_small(vals[i]) for i in hidden):
            worst = SMALL_MAX + 1 - total
        for i in hidden:
            if self.restated[i] and not _is_small(vals[i]):
                worst = max(worst, SMALL_MAX + 1 - (total - vals[i]))
        # a hidden member alone in a relation is worked out by subtraction: a cover hidden in one
        # relation must not be given away by another (cells hide in rectangles, not in lines)
        if len([i for i in hidden if vals[i] > 0]) == 1 and gap == 0:
            worst = max(worst, 1.0)
        return worst

    def cover(self, rel: relations.Relation, c: str, need: float) -> bool:
        """Hide the smallest shown member that meets the need alone, else the largest one; False
        when no shown member can help."""
        vals = self.counts[c]
        cands = [i for i in (rel.container, *rel.parts)
                 if not self.sup[i] and not self.known[i] and _present(vals[i]) and vals[i] > 0]
        if not cands:
            return False
        cands.sort(key=lambda i: (vals[i], self.size[i], self.keys[i]))
        enough = [i for i in cands if vals[i] >= need]
        self.hide(enough[0] if enough else cands[-1])
        return True

    def local_pass(self) -> None:
        """Until nothing changes: every relation gets the hidden mass its small members need."""
        changed = True
        while changed:
            changed = False
            for rel in self.relations:
                for c in rel.gap:
                    need = self.need(rel, c)
                    if need > 1e-9 and self.cover(rel, c, need):
                        changed = True

    def answer(self, findings) -> int:
        """Hide more around each cell the audit found under-protected; returns rows newly hidden.

        A named row that shows is hidden. A hidden one gets, in each of its relations, one more
        cover; named again, every shown member of the relations within (times named - 1) steps of it
        (at most 3) is hidden; and every shown row of the same cell in another
        metric holding one of its counts is hidden (a count shared with a metric the spec does not
        list as a twin, e.g. completers in two G2 metrics)."""
        before = int(self.sup.sum())
        for f in sorted(findings, key=lambda f: (f.metric_id, f.population, f.cohort, f.breakdown,
                                                 f.breakdown_value, f.count)):
            i = self.index.get((f.metric_id, f.population, f.cohort, f.breakdown, f.breakdown_value))
            if i is None:
                continue
            if not self.sup[i]:
                self.hide(i, PRIMARY)
                continue
            self.asked[i] += 1
            mine = {self.counts[c][i] for c in ("numerator", "denominator") if _present(self.counts[c][i])}
            for j in self.cell[self.keys[i][1:]]:
                if not self.sup[j] and any(self.counts[c][j] in mine for c in ("numerator", "denominator")):
                    self.hide(j)
            c = next((c for c in relations.COUNTS if f.count.startswith(c)), None)
            if self.asked[i] == 1:
                for r in self.of_row.get(i, []):
                    rel = self.relations[r]
                    for cc in ([c] if c in rel.gap else list(rel.gap)):
                        self.cover(rel, cc, math.inf)
                continue
            # named again: every shown member of the relations within (times named - 1) steps
            rows, seen = {i}, set()
            for _ in range(min(self.asked[i] - 1, 3)):
                nxt = set()
                for j in rows:
                    for r in self.of_row.get(j, []):
                        if r in seen:
                            continue
                        seen.add(r)
                        rel = self.relations[r]
                        for m in (rel.container, *rel.parts):
                            if not self.sup[m] and not self.known[m]:
                                self.hide(m)
                            nxt.add(m)
                rows = nxt
        return int(self.sup.sum()) - before


def _log(msg: str) -> None:
    logging.getLogger(__name__).debug(msg)


def hidden_truth(table: pd.DataFrame) -> pd.DataFrame:
    """The true counts and reason of every suppressed row (for the team's restricted file: the next
    publication's audit links an earlier hidden count to the same count now when it has not changed)."""
    hidden = table[table["suppressed"].astype(bool)]
    return hidden[KEY + ["numerator", "denominator", "suppression_reason"]].reset_index(drop=True)


def protect(df: pd.DataFrame, earlier=(), max_rounds: int = 12):
    """Choose the suppression pattern for `df` (true counts; rows in any order) given the earlier
    publications [(folder, metrics.csv rows[, true counts of its hidden rows])], then audit it; repeat primary -> complementary ->
    audit until the audit passes. Returns (df with `suppressed` and `suppression_reason`, figures
    intact; the final AuditResult)."""
    from pipelines.snapshot.audit import audit

    # one row order whatever the input's: the choice (and the programs' optimal points) depend on it
    order = np.lexsort([df[k].astype(str).to_numpy() for k in reversed(KEY)])
    df = df.iloc[order].reset_index(drop=True).copy()
    choice = _Choice(df, list(earlier))
    result, proven, in_block, narrowest = None, set(), set(), []
    for round_ in range(max_rounds):
        choice.local_pass()
        df["suppressed"] = choice.sup
        # between rounds the audit may stop early (it then lists every count not yet proven safe);
        # counts proven safe stay safe, since each round only hides more
        result = audit(df, list(earlier), exact=False, settled=frozenset(proven))
        proven |= result.proven
        in_block |= result.proven_in_block
        if result.narrowest_range is not None:
            narrowest.append(result.narrowest_range)
        _log(f"selection round {round_}: {int(choice.sup.sum())} suppressed, {len(result.failures)} not yet safe")
        if result.passed or round_ == max_rounds - 1 or choice.answer(result.failures) == 0:
            break
    # the local choice found nothing more to hide but the audit still names cells: widen the cover
    # around each, first its whole breakdown panel, then every breakdown and the overall of its
    # cohort, each time for the metric and the metrics sharing its units (hiding more only ever
    # narrows what a reader knows; the audit below still decides)
    for level in (1, 2, 3):
        if result.passed:
            break
        more = _widened(df, result.failures, level) & ~choice.sup
        if not more.any():
            continue
        choice.sup |= more
        choice.reason[more] = COMPLEMENTARY
        df["suppressed"] = choice.sup
        result = audit(df, list(earlier), exact=False, settled=frozenset(proven))
        proven |= result.proven
        in_block |= result.proven_in_block
        if result.narrowest_range is not None:
            narrowest.append(result.narrowest_range)
        _log(f"widened cover (level {level}): {int(choice.sup.sum())} suppressed, {len(result.failures)} not yet safe")
    if result.passed:
        result = _show_headlines(df, choice, list(earlier), result, in_block)
    else:
        result = audit(df, list(earlier), settled=frozenset(proven))  # exact bounds: name the failing cells
    result.narrowest_range = min(narrowest + ([result.narrowest_range] if result.narrowest_range is not None else []),
                                 default=None)
    df["suppressed"] = choice.sup
    df["suppression_reason"] = pd.Series(choice.reason, dtype=object).where(choice.sup, None)
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return df.iloc[back].reset_index(drop=True), result


def _show_headlines(df: pd.DataFrame, choice: _Choice, earlier: list, result, in_block: set):
    """The first page's headline rows (`headline` column) hidden only as cover are tried shown, the
    other rolling periods of their metric and population hidden instead (overlapping periods subtract
    down to quarters: a chain of them is what a headline's quarters need cut). Kept only if the whole
    publication passes the audit again; the counts proven within their own block stay proven (their
    points hold every count outside the block at its true value, and a headline is an overall row).
    Returns the audit result of the pattern kept."""
    from pipelines.snapshot.audit import audit

    if "headline" not in df:
        return result
    heads = np.flatnonzero(df["headline"].to_numpy(dtype=bool) & choice.sup & (choice.reason == COMPLEMENTARY)
                           & ~choice.again & ~choice.known & choice.people)
    if not len(heads):
        return result
    trial = choice.sup.copy()
    trial[heads] = False
    owners = {(choice.keys[i][0], choice.keys[i][1]) for i in heads}
    cohort = df["cohort"].astype(str)
    others = (pd.Series([(k[0], k[1]) in owners for k in choice.keys]).to_numpy()
              & cohort.str.fullmatch(r"\d{4}Q[1-4]-R4").to_numpy() & ~trial & choice.people)
    others[heads] = False
    trial |= others
    df["suppressed"] = trial
    # only overall rows changed: the block stage's first level would find the same points again
    tried = audit(df, earlier, exact=False, settled=frozenset(in_block), levels=(2,))
    _log(f"headlines tried shown: {len(heads)} shown, {int(others.sum())} other periods hidden, "
         f"{'kept' if tried.passed else 'not kept'}")
    if not tried.passed:
        df["suppressed"] = choice.sup
        return result
    shown = choice.sup & ~trial
    choice.reason[shown] = None
    choice.reason[others] = COMPLEMENTARY
    choice.sup = trial
    return tried


def _widened(df: pd.DataFrame, failures, level: int) -> np.ndarray:
    """Rows around the failing cells: level 1 their breakdown panel (metric, population, cohort,
    breakdown), level 2 every row of their (metric, population, cohort) — for the failing metric
    and every metric that shares its units (the catalogue's `shared_units`); level 3 the same for
    every metric of the failing metric's goal."""
    family = {m: group for group in relations.twins() for m in group}
    goal_of = dict(zip(df["metric_id"].astype(str), df["goal"].astype(str))) if "goal" in df else {}
    mask = np.zeros(len(df), dtype=bool)
    metric, pop = df["metric_id"].astype(str), df["population"].astype(str)
    cohort, breakdown = df["cohort"].astype(str), df["breakdown"].astype(str)
    for f in failures:
        metrics = set(family.get(f.metric_id, (f.metric_id,)))
        if level == 3:  # every metric of its goal, and theirs
            same_goal = {m for m, g in goal_of.items() if g == goal_of.get(f.metric_id)}
            metrics |= same_goal | {t for m in same_goal for t in family.get(m, ())}
        near = metric.isin(metrics) & (pop == f.population) & (cohort == f.cohort)
        if level == 1:
            near &= breakdown == f.breakdown
        mask |= near.to_numpy()
    return mask


def blank_suppressed(df: pd.DataFrame) -> pd.DataFrame:
    """A suppressed row carries no counts, value, interval or verdict."""
    df = df.copy()
    sup = df["suppressed"].to_numpy(dtype=bool)
    for col in FIGURES:
        if col in df:
            df[col] = df[col].astype(float).where(~sup, np.nan)
    if "verdict" in df:
        df["verdict"] = df["verdict"].astype(object).where(~sup, None)
    return df


class UnderProtected(RuntimeError):
    """No suppression pattern passed the audit (the message names the cells, never a count)."""


def suppress(df: pd.DataFrame, earlier=()) -> pd.DataFrame:
    """`protect`, refused when the audit fails, with the figures of suppressed rows blanked."""
    table, result = protect(df, earlier)
    if not result.passed:
        raise UnderProtected("disclosure audit failed for: " + "; ".join(f.describe() for f in result.failures))
    return blank_suppressed(table)
