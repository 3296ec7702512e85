"""A case table in the shape of fct_eval_cases, simulated here with confounded referral and a
known effect of referral, and the true ATT computed from each treated case's two potential risks.

Referral is more likely for cases with no prior arrests, in later years and in some courts; those
same traits lower the rearrest hazard (priors raise it, years lower it), so the raw comparison
flatters the court. Rearrest times are exponential with hazard lambda(x) * HR^referred; the risk
within N days is 1 - exp(-lambda * HR^d * N) exactly, so the truth needs no simulation noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

HR_REFERRAL = 0.7
AS_OF = "2026-09-30"
_WINDOWS = {"6m": 182, "12m": 365, "24m": 730}

_LEVELS = {
    "court": (["north", "south", "east", "west"], [0.6, -0.4, 0.0, 0.3], [0.2, -0.1, 0.0, 0.15]),
    "prior_arrests": (["0", "1-2", "3+"], [1.2, 0.0, -1.0], [-0.5, 0.0, 0.6]),
    "age_band": (["18-24", "25-34", "35-44", "45+"], [0.5, 0.0, -0.3, -0.6], [0.3, 0.0, -0.2, -0.4]),
    "arraignment_year": (["2019", "2020", "2021", "2022", "2023"], [-0.8, -0.4, 0.0, 0.4, 0.8], [0.1, 0.05, 0.0, -0.05, -0.1]),
}


@dataclass(frozen=True)
class World:
    cases: pd.DataFrame
    true_att: dict[str, float]  # outcome name -> ATT on the risk-difference scale (disposition)


def simulate(n: int = 6000, seed: int = 7, hr: float = HR_REFERRAL, referral_intercept: float = -0.3) -> World:
    rng = np.random.default_rng(seed)
    n_persons = int(n * 0.8)
    person = rng.integers(0, n_persons, size=n)
    df = pd.DataFrame({"case_key": [f"c{i:06d}" for i in range(n)], "person_key": [f"p{p:06d}" for p in person]})
    lin_ref = np.full(n, referral_intercept)
    lin_haz = np.full(n, np.log(0.0012))
    for name, (levels, ref_coef, haz_coef) in _LEVELS.items():
        idx = rng.integers(0, len(levels), size=n)
        df[name] = np.array(levels)[idx]
        lin_ref += np.array(ref_coef)[idx]
        lin_haz += np.array(haz_coef)[idx]
    # traits that matter to neither choice (still balanced and reported)
    df["gender_identity"] = rng.choice(["WOMAN", "TRANS_WOMAN", "UNKNOWN"], size=n, p=[0.85, 0.1, 0.05])
    df["race"] = rng.choice(["BLACK", "WHITE", "ASIAN", "UNKNOWN"], size=n)
    df["ethnicity"] = rng.choice(["HISPANIC", "NOT_HISPANIC"], size=n)
    df["prior_prostitution_arrests"] = np.where(df["prior_arrests"] == "0", "0", rng.choice(["0", "1+"], size=n))
    df["top_charge"] = rng.choice(["PL 230.00", "PL 240.37"], size=n, p=[0.8, 0.2])
    referred = rng.random(n) < 1 / (1 + np.exp(-lin_ref))
    df["referred"] = referred
    df["treatment_group"] = np.where(referred, "htic", "comparison")
    lam0 = np.exp(lin_haz)
    lam = lam0 * np.where(referred, hr, 1.0)
    event_day = np.ceil(rng.exponential(1 / lam)).astype(int)

    followup = rng.integers(1, 1500, size=n)
    for tz in ("disposition", "arraignment"):
        df[f"eligible_{tz}"] = True
        df[f"followup_days_{tz}"] = followup
        df[f"{tz}_quarter"] = "2022Q" + pd.Series(rng.integers(1, 5, size=n)).astype(str)
        seen = event_day <= followup
        for label, days in _WINDOWS.items():
            df[f"rearrest_any_{label}_{tz}"] = np.where(followup >= days, event_day <= days, None)
        # half of rearrests are prostitution-related
        prostitution = rng.random(n) < 0.5
        df[f"rearrest_prostitution_12m_{tz}"] = np.where(followup >= 365, (event_day <= 365) & prostitution, None)
        df[f"time_to_rearrest_any_{tz}"] = np.where(seen, event_day, followup)
        df[f"rearrest_event_{tz}"] = seen

    true_att = {}
    for label, days in _WINDOWS.items():
        mature = referred & (followup >= days)
        r1 = 1 - np.exp(-lam0[mature] * hr * days)
        r0 = 1 - np.exp(-lam0[mature] * days)
        true_att[f"rearrest_any_{label}"] = float(np.mean(r1 - r0))
    return World(df, true_att)
