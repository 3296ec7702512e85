"""The disclosure audit of the adjusted comparison's counts (evaluation.md: "group sizes and the
used/unused counts enter the same audit"), by the rule of metrics.md: every protected count whose
true value is 1-10 must have, over all values consistent with what a reader knows, a maximum >= 11
and a range >= 10.

Independent of the choice in effects.py (it re-derives the implied counts itself), and separate
from the metrics audit (audit.py) because no linear relation ties these counts to metrics.csv: the
evaluation's populations (first disposition, TRANSFERRED and ABATED left out, a nysid) are not a
union of published metric cells. What a reader knows, as linear relations over counts >= 0:

- every count shown (n_treated, n_control, the used counts, the treated left out);
- the same count under several rows: the eligible counts of one time zero depend only on the
  outcome's window (6, 12, 24 months; a time-to-event outcome: every case), the used counts not on
  the measure — merged into one unknown wherever the true values agree;
- nesting: the eligible of a longer window are among those of a shorter one; used <= eligible;
- a binary outcome whose risk difference and risk ratio are shown gives the treated risk
  p_T = RD*RR/(RR-1), hence rearrested = p_T * used and not rearrested = (1 - p_T) * used (and,
  unadjusted, the comparison's); the audit uses the unrounded figures (a stronger reader);
- every count an earlier publication's effects.csv showed: equal now, it is known; changed, the
  change is protected. An earlier shown estimate with its used count shown fixes the outcome counts
  of then (from the restricted record), and their change is protected too.

Protected: every eligible and used count, the treated left out, the implied outcome counts, and
each change since an earlier publication. Bounds by linear programs (scipy's HiGHS), one target at
a time: the tables are small (at most 70 rows).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import linprog

SMALL_MAX = 10
NEED_MAX, NEED_RANGE = 11, 10
UPPER = 1e7
TOL = 1e-6
WINDOW = {"rearrest_any_6m": 182, "rearrest_any_12m": 365, "rearrest_any_24m": 730,
          "rearrest_prostitution_12m": 365, "time_to_rearrest_any": 0}
SIDES = {"treated": ("n_treated", "n_treated_used"), "control": ("n_control", "n_control_used")}


def _small(v: float) -> bool:
    return v is not None and not math.isnan(v) and TOL < abs(v) < SMALL_MAX + 1 - TOL


def _num(v) -> float | None:
    if v is None or (isinstance(v, str) and v.strip() in ("", "nan")):
        return None
    x = float(v)
    return None if math.isnan(x) else x


@dataclass(frozen=True)
class EffectFinding:
    """A protected count of the adjusted comparison that fails the rule (where and what, no value)."""
    time_zero: str
    outcome: str
    method: str
    count: str

    def describe(self) -> str:
        return f"effects / {self.time_zero} / {self.outcome} / {self.method}: {self.count}"


@dataclass
class EffectsAuditResult:
    checked: int = 0
    failures: list[EffectFinding] = field(default_factory=list)
    narrowest_range: float | None = None

    @property
    def passed(self) -> bool:
        return not self.failures

    def summary(self) -> dict:
        return {"protected_counts_checked": self.checked, "failures": len(self.failures),
                "narrowest_range": None if self.narrowest_range is None else round(self.narrowest_range, 4)}


class _Model:
    def __init__(self):
        self.truth: list[float] = []
        self.eq: list[tuple[dict[int, float], float]] = []   # sum(c*x) == rhs
        self.le: list[tuple[dict[int, float], float]] = []   # sum(c*x) <= rhs
        self.ids: dict[tuple, int] = {}

    def var(self, key: tuple, truth: float) -> int:
        if key not in self.ids:
            self.ids[key] = len(self.truth)
            self.truth.append(truth)
        return self.ids[key]

    def bounds(self, expr: dict[int, float], const: float = 0.0) -> tuple[float, float]:
        n = len(self.truth)
        c = np.zeros(n)
        for i, a in expr.items():
            c[i] += a

        def matrix(rows):
            if not rows:
                return None, None
            m = np.zeros((len(rows), n))
            for r, (coefs, _) in enumerate(rows):
                for i, a in coefs.items():
                    m[r, i] += a
            return m, np.array([rhs for _, rhs in rows])

        a_eq, b_eq = matrix(self.eq)
        a_ub, b_ub = matrix(self.le)
        out = []
        for sign in (1.0, -1.0):
            res = linprog(sign * c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=[(0, UPPER)] * n,
                          method="highs")
            if res.status != 0:
                raise RuntimeError(f"effects audit: linear program not solved ({res.message})")
            out.append(sign * res.fun + const)
        return out[0], out[1]  # min, max


def _implied(rows: pd.DataFrame) -> dict[tuple, tuple[float, float | None]]:
    """(outcome, time_zero, method) -> (treated risk p_T, comparison risk or None) from the risk
    difference and risk ratio of a binary outcome (unrounded)."""
    out = {}
    for key, g in rows[rows["measure"].isin(["risk_difference", "risk_ratio"])].groupby(
            ["outcome", "time_zero", "method"], sort=True):
        m = g.set_index("measure")
        if not {"risk_difference", "risk_ratio"} <= set(m.index):
            continue
        rd, rr = _num(m.at["risk_difference", "estimate"]), _num(m.at["risk_ratio", "estimate"])
        if rd is None or rr is None or abs(rr - 1) < 1e-12:
            continue
        p_t = rd * rr / (rr - 1)
        out[key] = (p_t, p_t - rd if key[2] == "unadjusted" else None)
    return out


def audit_effects(raw: pd.DataFrame, shown: pd.DataFrame, earlier: list[tuple] = ()) -> EffectsAuditResult:
    """`raw`: the effects rows with true counts and unrounded estimates; `shown`: the same rows as
    funders get them (counts None where hidden, `estimate_hidden`); `earlier`: [(folder, its
    effects.csv as text, its restricted record or None)]."""
    model = _Model()
    raw = raw.reset_index(drop=True)
    shown = shown.set_index(["time_zero", "outcome", "method", "measure"])
    count_var: dict[tuple, int] = {}  # (time_zero, outcome, method, measure, column) -> variable

    # one unknown per count, merged where the reader knows two rows carry the same count
    eligible: dict[tuple, int] = {}  # (column, time_zero, window) -> the merged eligible count
    for n_col, u_col in SIDES.values():
        for col, key_of in ((n_col, lambda r: (r.time_zero, WINDOW.get(r.outcome, -1))),
                            (u_col, lambda r: (r.time_zero, r.outcome, r.method))):
            groups: dict[tuple, list] = {}
            for r in raw.itertuples(index=False):
                v = _num(getattr(r, col))
                if v is not None:
                    groups.setdefault((col,) + key_of(r), []).append((r, v))
            for key, members in groups.items():
                same = len({v for _, v in members}) == 1
                for r, v in members:
                    k = key if same else key + (r.outcome, r.method, r.measure)
                    i = model.var(k, v)
                    count_var[(r.time_zero, r.outcome, r.method, r.measure, col)] = i
                    if same and col == n_col and key[-1] >= 0:
                        eligible[key] = i

    def var_of(r, col):
        return count_var.get((r.time_zero, r.outcome, r.method, r.measure, col))

    # relations: shown counts, used <= eligible, nesting of the eligible by window
    for r in raw.itertuples(index=False):
        s = shown.loc[(r.time_zero, r.outcome, r.method, r.measure)]
        for n_col, u_col in SIDES.values():
            n, u = var_of(r, n_col), var_of(r, u_col)
            if n is not None and u is not None:
                model.le.append(({u: 1.0, n: -1.0}, 0.0))
            for col, i in ((n_col, n), (u_col, u)):
                if i is not None and _num(s[col]) is not None:
                    model.eq.append(({i: 1.0}, _num(s[col])))
        if _num(s["n_treated_unused"]) is not None and var_of(r, "n_treated") is not None:
            model.eq.append(({var_of(r, "n_treated"): 1.0, var_of(r, "n_treated_used"): -1.0},
                             _num(s["n_treated_unused"])))
    for (col, tz, window), i in eligible.items():
        longer = sorted((w, j) for (c2, tz2, w), j in eligible.items() if c2 == col and tz2 == tz and w > window)
        if longer and model.truth[longer[0][1]] <= model.truth[i] + TOL:  # eligible(longer) <= eligible(shorter)
            model.le.append(({longer[0][1]: 1.0, i: -1.0}, 0.0))

    targets: list[tuple[str, tuple, dict[int, float], float, float]] = []  # label, where, expr, const, truth
    for r in raw.itertuples(index=False):
        where = (r.time_zero, r.outcome, r.method)
        for col in ("n_treated", "n_control", "n_treated_used", "n_control_used"):
            i = var_of(r, col)
            if i is not None:
                targets.append((col, where, {i: 1.0}, 0.0, model.truth[i]))
        n, u = var_of(r, "n_treated"), var_of(r, "n_treated_used")
        if n is not None and u is not None:
            targets.append(("treated left out", where, {n: 1.0, u: -1.0}, 0.0, model.truth[n] - model.truth[u]))

    # outcome counts implied by the estimates funders see
    shown_flat = shown.reset_index()
    visible = shown_flat[~shown_flat["estimate_hidden"].astype(bool)]
    true_risks = _implied(raw)
    implied_now: dict[tuple, dict[str, tuple[dict[int, float], float]]] = {}
    for key in _implied(visible):
        outcome, time_zero, method = key
        p_t, p_c = true_risks[key]
        rd_row = raw[(raw.outcome == outcome) & (raw.time_zero == time_zero) & (raw.method == method)
                     & (raw.measure == "risk_difference")].iloc[0]
        exprs = {}
        for side, p in (("treated", p_t), ("control", p_c)):
            u = None if p is None else var_of(rd_row, SIDES[side][1])
            if u is None:
                continue
            exprs[f"rearrested ({side})"] = ({u: p}, p * model.truth[u])
            exprs[f"not rearrested ({side})"] = ({u: 1 - p}, (1 - p) * model.truth[u])
        implied_now[key] = exprs
        for label, (expr, truth) in exprs.items():
            targets.append((label, (time_zero, outcome, method), expr, 0.0, truth))

    # earlier publications
    for folder, rows, record in earlier:
        rec = None if record is None else record.set_index(["time_zero", "outcome", "method", "measure"])
        for old in rows.to_dict("records"):
            k = (old["time_zero"], old["outcome"], old["method"], old["measure"])
            for col in ("n_treated", "n_control", "n_treated_used", "n_control_used"):
                v_old = _num(old.get(col))
                i = count_var.get(k + (col,))
                if v_old is None or i is None:
                    continue
                if abs(model.truth[i] - v_old) < TOL:
                    model.eq.append(({i: 1.0}, v_old))  # unchanged: one unknown, here a known one
                else:
                    targets.append((f"{col}: change since {folder}", k[:3], {i: 1.0}, -v_old,
                                    model.truth[i] - v_old))
            ik = (old["outcome"], old["time_zero"], old["method"])
            if (old["measure"] == "risk_difference" and str(old.get("estimate_suppressed")) == "false"
                    and rec is not None and k in rec.index and ik in implied_now):
                for side, (ev, nev) in (("treated", ("events_treated", "nonevents_treated")),
                                        ("control", ("events_control", "nonevents_control"))):
                    if _num(old.get(SIDES[side][1])) is None:
                        continue  # the reader could not count them then
                    for label, col in ((f"rearrested ({side})", ev), (f"not rearrested ({side})", nev)):
                        v_old = _num(rec.at[k, col])
                        if v_old is None or label not in implied_now[ik]:
                            continue
                        expr, truth = implied_now[ik][label]
                        targets.append((f"{label}: change since {folder}", k[:3], expr, -v_old, truth - v_old))

    result = EffectsAuditResult()
    seen = set()
    for label, where, expr, const, truth in targets:
        if not _small(truth):
            continue
        sig = (label, where, tuple(sorted(expr.items())), const)
        if sig in seen:
            continue
        seen.add(sig)
        result.checked += 1
        lo, hi = model.bounds(expr, const)
        width = hi - lo
        result.narrowest_range = width if result.narrowest_range is None else min(result.narrowest_range, width)
        if hi < NEED_MAX - TOL or width < NEED_RANGE - TOL:
            result.failures.append(EffectFinding(where[0], where[1], where[2], label))
    return result
