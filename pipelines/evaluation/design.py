"""What evaluation.md fixes: outcomes, time zeros, covariates; and the sample of one estimate.

A sample is the cases eligible for one outcome and time zero. Common support (evaluation.md,
Methods 4) is applied in two steps: here, exactly on the categorical covariates (a treated case
whose court, arraignment year or any other covariate level has no control is outside the support;
controls in levels without treated cases carry no weight for the ATT and are dropped); then, in
propensity.py, treated cases outside the controls' propensity range.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

TIME_ZEROS: tuple[str, ...] = ("disposition", "arraignment")


class NotEstimable(RuntimeError):
    """A model cannot be fitted on this sample (too few cases, separation, no events); the
    estimates resting on it are reported as not estimable, the others still are."""


@dataclass(frozen=True)
class Outcome:
    name: str
    kind: str  # "binary" or "time_to_event"

    def column(self, time_zero: str) -> str:
        if self.kind == "binary":
            return f"{self.name}_{time_zero}"
        return f"time_to_rearrest_any_{time_zero}"


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("rearrest_any_6m", "binary"),
    Outcome("rearrest_any_12m", "binary"),
    Outcome("rearrest_any_24m", "binary"),
    Outcome("rearrest_prostitution_12m", "binary"),
    Outcome("time_to_rearrest_any", "time_to_event"),
)

# Known at arraignment, never after (evaluation.md, Covariates). All categorical; missing values
# are a level of their own (the mart fills them).
COVARIATES: tuple[str, ...] = (
    "age_band",
    "gender_identity",
    "race",
    "ethnicity",
    "prior_arrests",
    "prior_prostitution_arrests",
    "court",
    "arraignment_year",
    "top_charge",
)

TREATED = "referred"
CLUSTER = "person_key"
CASE_KEY = "case_key"


def event_column(time_zero: str) -> str:
    return f"rearrest_event_{time_zero}"


def cohort_column(time_zero: str) -> str:
    return f"{time_zero}_quarter"


@dataclass(frozen=True)
class Sample:
    """The eligible cases of one outcome and time zero, and the part of them inside the support."""

    outcome: Outcome
    time_zero: str
    eligible: pd.DataFrame  # every eligible case (the unadjusted estimate, balance "before")
    supported: pd.DataFrame  # inside exact common support (the adjusted methods start here)
    excluded_no_control_level: int  # treated cases whose court/year/level has no control

    @property
    def n_treated(self) -> int:
        return int(self.eligible[TREATED].sum())

    @property
    def n_control(self) -> int:
        return int((~self.eligible[TREATED]).sum())

    @property
    def y(self) -> str:
        return self.outcome.column(self.time_zero)


def eligible_cases(cases: pd.DataFrame, outcome: Outcome, time_zero: str) -> pd.DataFrame:
    """Cases eligible for `outcome` from `time_zero`: a binary outcome needs its window elapsed
    (the mart leaves it null otherwise); a time to event needs some follow-up, t0 < A."""
    rows = cases[cases[f"eligible_{time_zero}"].fillna(False).astype(bool)]
    if outcome.kind == "binary":
        rows = rows[rows[outcome.column(time_zero)].notna()]
    else:
        rows = rows[rows[f"followup_days_{time_zero}"] > 0]
    rows = rows.copy()
    rows[TREATED] = rows[TREATED].astype(bool)
    if outcome.kind == "binary":
        rows[outcome.column(time_zero)] = rows[outcome.column(time_zero)].astype(float)
    for c in COVARIATES:
        rows[c] = rows[c].astype(str)
    return rows.sort_values(CASE_KEY, kind="stable").reset_index(drop=True)


def exact_support(rows: pd.DataFrame, covariates: tuple[str, ...] = COVARIATES) -> pd.DataFrame:
    """Drop, until nothing changes, treated cases in a covariate level without controls and
    controls in a level without treated cases."""
    kept = rows
    while True:
        before = len(kept)
        for c in covariates:
            treated = kept[TREATED]
            has_t = treated.groupby(kept[c]).transform("any")
            has_c = (~treated).groupby(kept[c]).transform("any")
            kept = kept[has_t & has_c]
        if len(kept) == before:
            return kept.reset_index(drop=True)


def build_sample(cases: pd.DataFrame, outcome: Outcome, time_zero: str) -> Sample:
    eligible = eligible_cases(cases, outcome, time_zero)
    supported = exact_support(eligible)
    excluded = int(eligible[TREATED].sum() - supported[TREATED].sum())
    return Sample(outcome, time_zero, eligible, supported, excluded)


def cohort_range(rows: pd.DataFrame, time_zero: str) -> tuple[str | None, str | None]:
    q = rows[cohort_column(time_zero)].dropna()
    if q.empty:
        return None, None
    return str(q.min()), str(q.max())
