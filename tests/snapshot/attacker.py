"""An attacker for the disclosure tests, written apart from the publication's code (it imports
nothing from pipelines.snapshot): small worlds of cases, the tables published about them, and a
linear-programming attack on what was published.

A world is a list of cases, each with a disposition quarter, a value for each breakdown and an
outcome (none, rearrested for another charge, rearrested on a prostitution-related charge). The
published tables, all from these cases:
- `g4_rearrest_any_12m` and `g4_rearrest_prostitution_12m` by quarter, overall and by breakdown: the
  same cases (one denominator), prostitution-related rearrests a subset of any rearrest;
- `g4_rearrest_free_survival_12m` by year: the year's cases and rearrests, cell by cell (it pools
  the quarterly rows: year minus three quarters gives the fourth);
- rows of groups nobody reports may be absent (a group absent from a breakdown);
- with `periods` (metrics.md v2): also `<Q>-R4` (overall) and calendar years (overall and by
  breakdown) of both rearrest metrics; funders then get quarters overall only, so a quarter's
  breakdown cells are never shown but still protected (a reader can imply them by subtracting).

The attack knows the structure (which cases each row counts, by their atoms: quarter x breakdown
values x outcome) and every shown figure; the unknowns are the atoms' counts, all >= 0. With an
earlier publication of an earlier world, a count unchanged between the two is one unknown. For every
protected count of 1..10 it solves for the maximum and minimum (scipy HiGHS).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog

ANY, PROST = "g4_rearrest_any_12m", "g4_rearrest_prostitution_12m"
SURV = "g4_rearrest_free_survival_12m"
OUTCOMES = ("none", "other", "prostitution")  # other = rearrested, not prostitution-related
BREAKDOWN_VALUES = {"court": ["bronx", "kings", "queens"], "age_band": ["18-24", "25-34", "35+"]}


@dataclass
class World:
    quarters: list[str]
    breakdowns: dict[str, list[str]]
    cases: pd.DataFrame  # quarter, <breakdown columns>, outcome
    absent: set           # (metric, cohort, breakdown, value) rows nobody reports


def quarters_from(first: str, n: int) -> list[str]:
    y, q = int(first[:4]), int(first[5])
    out = []
    for _ in range(n):
        out.append(f"{y}Q{q}")
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return out


def make_world(rng: np.random.Generator, n_quarters: int, n_breakdowns: int, n_values: int, mean_cases: float,
               p_absent: float, first_quarter: str = "2025Q1") -> World:
    quarters = quarters_from(first_quarter, n_quarters)
    bds = {b: BREAKDOWN_VALUES[b][:n_values] for b in list(BREAKDOWN_VALUES)[:n_breakdowns]}
    rows = []
    for q in quarters:
        for _ in range(int(rng.poisson(mean_cases))):
            r = {"quarter": q, "outcome": OUTCOMES[int(rng.choice(3, p=[0.6, 0.25, 0.15]))]}
            for b, vals in bds.items():
                r[b] = vals[int(rng.choice(len(vals), p=np.linspace(2, 1, len(vals)) / np.linspace(2, 1, len(vals)).sum()))]
            rows.append(r)
    cases = pd.DataFrame(rows, columns=["quarter", "outcome", *bds])
    absent = set()
    for metric, cohorts in ((ANY, quarters), (PROST, quarters), (SURV, survival_years(quarters))):
        for c in cohorts:
            for b, vals in bds.items():
                for v in vals:
                    if rng.random() < p_absent:
                        absent.add((metric, c, b, v))
    return World(quarters, bds, cases, absent)


def late_records(rng: np.random.Generator, world: World, n_late: int) -> World:
    """The earlier world: the same, without a few late-recorded cases and outcomes."""
    cases = world.cases.copy()
    if len(cases):
        late = rng.choice(len(cases), size=min(n_late, len(cases)), replace=False)
        drop = [i for k, i in enumerate(late) if k % 2 == 0]
        cases.loc[[i for k, i in enumerate(late) if k % 2 == 1], "outcome"] = "none"  # rearrest recorded late
        cases = cases.drop(index=drop)
    return World(world.quarters, world.breakdowns, cases.reset_index(drop=True), world.absent)


def full_years(quarters: list[str]) -> list[str]:
    return sorted({q[:4] for q in quarters if all(f"{q[:4]}Q{k}" in quarters for k in range(1, 5))})


def survival_years(quarters: list[str]) -> list[str]:
    """Survival is per disposition year, whatever quarters of it the world holds."""
    return sorted({q[:4] for q in quarters})


def rolling(quarters: list[str]) -> list[str]:
    """`<Q>-R4` labels of the quarters with their three predecessors in the world."""
    return [f"{q}-R4" for i, q in enumerate(quarters) if i >= 3]


def cohort_quarters(cohort: str) -> set[str]:
    """The quarters a cohort label covers: itself, a year's four, or an -R4's four."""
    if cohort.endswith("-R4"):
        last = cohort[:6]
        y, q = int(last[:4]), int(last[5])
        out = set()
        for _ in range(4):
            out.add(f"{y}Q{q}")
            y, q = (y - 1, 4) if q == 1 else (y, q - 1)
        return out
    if cohort.isdigit():
        return {f"{cohort}Q{k}" for k in range(1, 5)}
    return {cohort}


def _row_cases(world: World, metric: str, cohort: str, breakdown: str, value: str) -> pd.Series:
    c = world.cases
    mask = c["quarter"].isin(cohort_quarters(cohort))
    if breakdown != "overall":
        mask &= c[breakdown] == value
    return mask


def _events(metric: str) -> tuple[str, ...]:
    return ("prostitution",) if metric == PROST else ("other", "prostitution")


def row_keys(world: World, periods: bool = False) -> list[tuple[str, str, str, str]]:
    out = []
    years = full_years(world.quarters)
    for metric, cohorts in ((ANY, world.quarters), (PROST, world.quarters), (SURV, survival_years(world.quarters))):
        for c in cohorts:
            out.append((metric, c, "overall", "all"))
            out += [(metric, c, b, v) for b, vals in world.breakdowns.items() for v in vals]
    if periods:
        for metric in (ANY, PROST):
            out += [(metric, c, "overall", "all") for c in rolling(world.quarters)]
            for y in years:
                out.append((metric, y, "overall", "all"))
                out += [(metric, y, b, v) for b, vals in world.breakdowns.items() for v in vals]
    return out


def funders_receive(key: tuple[str, str, str, str]) -> bool:
    """metrics.md v2: a quarter's breakdown cells are never published (years and -R4 are)."""
    return key[2] == "overall" or not (len(key[1]) == 6 and key[1][4] == "Q")


def metrics_frame(world: World, periods: bool = False) -> pd.DataFrame:
    """The world's rows in the `metrics` contract (absent rows left out); with `periods`, also the
    pooled periods and a `published` column saying which rows funders receive."""
    rows = []
    for metric, cohort, b, v in row_keys(world, periods):
        if (metric, cohort, b, v) in world.absent:
            continue
        mask = _row_cases(world, metric, cohort, b, v)
        d = int(mask.sum())
        n = int((mask & world.cases["outcome"].isin(_events(metric))).sum())
        value = (1 - n / d if metric == SURV else n / d) if d else math.nan
        rows.append({"metric_id": metric, "goal": "g4", "population": "htic", "cohort": cohort, "breakdown": b,
                     "breakdown_value": v, "numerator": float(n), "denominator": float(d), "value": value,
                     "ci_low": math.nan, "ci_high": math.nan, "as_of": pd.Timestamp("2026-09-30").date(),
                     "metric_kind": "survival" if metric == SURV else "rate", "counts_people": True})
        if periods:
            rows[-1]["published"] = funders_receive((metric, cohort, b, v))
    return pd.DataFrame(rows)


class Attack:
    """Atoms (quarter x breakdown values x outcome) of one or two worlds; constraints from shown
    figures and unchanged counts; bounds on any count by linear programming."""

    def __init__(self, world: World):
        self.world = world
        values = [world.quarters] + [world.breakdowns[b] for b in world.breakdowns] + [list(OUTCOMES)]
        self.atoms = list(itertools.product(*values))
        self.offsets: list[int] = []
        self.n = 0
        self.eq_rows: list[np.ndarray] = []
        self.eq_rhs: list[float] = []

    def add_world(self) -> int:
        """A block of atom unknowns (one per publication's world); returns its offset."""
        self.offsets.append(self.n)
        self.n += len(self.atoms)
        return self.offsets[-1]

    def vector(self, block: int, metric: str, cohort: str, b: str, v: str, count: str) -> np.ndarray:
        names = ["quarter", *self.world.breakdowns, "outcome"]
        vec = np.zeros(self.n_total)
        for k, atom in enumerate(self.atoms):
            a = dict(zip(names, atom))
            in_row = a["quarter"] in cohort_quarters(cohort)
            if b != "overall":
                in_row &= a[b] == v
            if not in_row:
                continue
            event = a["outcome"] in _events(metric)
            if count == "denominator" or (count == "numerator" and event) or (count == "difference" and not event):
                vec[block + k] = 1.0
        return vec

    @property
    def n_total(self) -> int:
        return self.n

    def know(self, vec: np.ndarray, value: float) -> None:
        self.eq_rows.append(vec)
        self.eq_rhs.append(value)

    def extreme(self, vec: np.ndarray, sign: float) -> float:
        """min (sign 1) or max (sign -1) of vec . atoms over what the reader knows."""
        a_eq = np.array(self.eq_rows) if self.eq_rows else None
        b_eq = np.array(self.eq_rhs) if self.eq_rows else None
        res = linprog(sign * vec, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        if res.status == 3:
            return -sign * math.inf
        assert res.status == 0, res.message
        return sign * res.fun


def true_count(world: World, metric, cohort, b, v, count) -> float:
    mask = _row_cases(world, metric, cohort, b, v)
    event = world.cases["outcome"].isin(_events(metric))
    return float({"denominator": mask, "numerator": mask & event, "difference": mask & ~event}[count].sum())


def breaches(current: World, published: pd.DataFrame, earlier: World | None = None,
             earlier_published: pd.DataFrame | None = None, periods: bool = False) -> list[str]:
    """Protected counts of 1..10 a reader can pin to a maximum below 11 or a range below 10.
    `published`: the rows funders got (key columns, numerator, denominator, suppressed); with
    `periods`, every row of the world's periods is protected, printed or not."""
    attack = Attack(current)
    now = attack.add_world()
    old = attack.add_world() if earlier is not None else None
    counts = ("numerator", "denominator", "difference")

    def shown(table: pd.DataFrame):
        for r in table.itertuples(index=False):
            if str(r.suppressed).lower() in ("true", "1"):
                continue
            n, d = float(r.numerator), float(r.denominator)
            yield (r.metric_id, r.cohort, r.breakdown, r.breakdown_value), {"numerator": n, "denominator": d,
                                                                            "difference": d - n}

    for key, vals in shown(published):
        for c in ("numerator", "denominator"):
            attack.know(attack.vector(now, *key, c), vals[c])
    earlier_shown = {}
    if earlier is not None:
        for key, vals in shown(earlier_published):
            earlier_shown[key] = vals
            for c in ("numerator", "denominator"):
                attack.know(attack.vector(old, *key, c), vals[c])
        for key in row_keys(current, periods):  # a count unchanged between the publications is one unknown
            if not cohort_quarters(key[1]) <= set(earlier.quarters):
                continue
            for c in counts:
                if true_count(current, *key, c) == true_count(earlier, *key, c):
                    attack.know(attack.vector(now, *key, c) - attack.vector(old, *key, c), 0.0)
    out = []
    for key in row_keys(current, periods):
        for c in counts:
            t = true_count(current, *key, c)
            targets = []
            if 1 <= t <= 10:
                targets.append((attack.vector(now, *key, c), t, 0.0, c))
            if key in earlier_shown:
                change = t - earlier_shown[key][c]
                if 1 <= abs(change) <= 10:
                    sign = 1.0 if change > 0 else -1.0
                    targets.append((sign * attack.vector(now, *key, c), abs(change), sign * earlier_shown[key][c],
                                    f"{c} change"))
            for vec, true, offset, what in targets:
                hi = attack.extreme(vec, -1.0) - offset
                # the true value is feasible, so min <= true: a maximum >= true + 10 settles the range
                lo = true if hi >= true + 10 - 1e-6 else attack.extreme(vec, 1.0) - offset
                assert lo <= true + 1e-6 <= hi + 2e-6
                if hi < 11 - 1e-6 or hi - lo < 10 - 1e-6:
                    out.append(f"{key} {what}: true {true}, range [{lo:g}, {hi:g}]")
    return out
