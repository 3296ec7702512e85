"""The true effect of referral on the referred (ATT), from the hazards the simulation draws from.

A case's next arrest after its first disposition t0 comes from a proportional-hazards model with a
Gompertz baseline, h(t) = a·exp(−b·t)·exp(lp) (world.py), so the risk of a rearrest within N days
is exactly 1 − exp(−exp(lp)·H0(N)) with H0(N) = a/b·(1 − exp(−b·N)). (The simulation rounds the
drawn time T up to whole days, w = ⌊T⌋ + 1, and w ≤ N exactly when T < N: no rounding error.)

For a referred case, lp includes log(0.8) for referral and log(0.6) if the mandate was completed.
Its two potential risks: **referred**, with the lp it was simulated with; **not referred**, without
both terms (completion follows referral; without referral there is no mandate to complete). Both
from the same t0, as evaluation.md defines the truth. A case after which the simulation drew no
arrest (a person's last simulated arrest, `Case.followed`) has risk 0 both ways.

`truth/potential_risks.csv` holds both risks per referred case with a first disposition;
`true_att(truth, as_of)` averages their difference over the cases evaluation.md makes eligible on A.
"""

from __future__ import annotations

import csv
import math
import os
from datetime import date, timedelta

from . import world as W

WINDOWS = {"6m": 182, "12m": 365, "24m": 730}  # evaluation.md: rearrest_any_<label>
FILE = "potential_risks.csv"
COLUMNS = ["court_id", "docket_id", "first_disposition_date"] + [
    f"risk_{label}_{arm}" for label in WINDOWS for arm in ("referred", "not_referred")]
NOT_POOLED = ("TRANSFERRED", "ABATED")  # evaluation.md: left out of both pools


def risk(lp: float, days: int) -> float:
    """P(next arrest within `days` of time zero) under hazard a·exp(−b·t)·exp(lp)."""
    cumulative = W.HAZARD_A / W.HAZARD_B * (1.0 - math.exp(-W.HAZARD_B * days))
    return -math.expm1(-math.exp(lp) * cumulative)


def lp_not_referred(lp: float, completed: bool) -> float:
    """The case's linear predictor without referral (and so without completion)."""
    return lp - math.log(W.HR_HTIC_REFERRAL) - (math.log(W.HR_MANDATE_COMPLETION) if completed else 0.0)


def potential_risks(lp: float, completed: bool, followed: bool) -> list[float]:
    """[risk referred, risk not referred] for each window, in COLUMNS order."""
    out = []
    for days in WINDOWS.values():
        if followed:
            out += [risk(lp, days), risk(lp_not_referred(lp, completed), days)]
        else:
            out += [0.0, 0.0]
    return out


def true_att(truth: str | os.PathLike, as_of: date | str) -> dict[str, dict]:
    """{'rearrest_any_12m': {'att', 'risk_referred', 'risk_not_referred', 'n_treated'}, ...} on A:
    the mean over the eligible treated cases (evaluation.md) — referred by A, the person has a
    nysid, first disposition ≤ A − N, disposition not TRANSFERRED or ABATED, not removed upstream."""
    a = date.fromisoformat(str(as_of)) if not isinstance(as_of, date) else as_of
    with open(os.path.join(truth, "cases.csv"), newline="", encoding="utf-8") as f:
        cases = {(r["court_id"], r["docket_id"]): r for r in csv.DictReader(f)}
    sums = {label: [0.0, 0.0, 0] for label in WINDOWS}
    with open(os.path.join(truth, FILE), newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            case = cases[(r["court_id"], r["docket_id"])]
            if not (case["nysid"] and case["htic_referral_date"] <= a.isoformat()
                    and case["final_disposition"] not in NOT_POOLED and case["removed_upstream"] == "N"):
                continue
            t0 = date.fromisoformat(r["first_disposition_date"])
            for label, days in WINDOWS.items():
                if t0 <= a - timedelta(days=days):
                    s = sums[label]
                    s[0] += float(r[f"risk_{label}_referred"])
                    s[1] += float(r[f"risk_{label}_not_referred"])
                    s[2] += 1
    out = {}
    for label, (r1, r0, n) in sums.items():
        if n:
            out[f"rearrest_any_{label}"] = {"att": (r1 - r0) / n, "risk_referred": r1 / n,
                                            "risk_not_referred": r0 / n, "n_treated": n}
    return out
