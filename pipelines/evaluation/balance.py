"""Standardised mean differences of every covariate level (evaluation.md, Methods 6).

For the indicator of a level, SMD = (p_T - p_C) / sqrt((v_T + v_C) / 2), with p the (weighted)
share of each group in that level. The denominator is always the one of the sample before
adjustment (v = p(1-p) of the eligible treated and controls, unweighted), so a change of SMD is a
change of the difference only (Austin 2009). A level equal in both groups has SMD 0; one present
in one group only, and absent from the other, has an infinite SMD.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.evaluation.design import COVARIATES, TREATED

THRESHOLD = 0.1


def _shares(rows: pd.DataFrame, covariate: str, weight: np.ndarray | None) -> tuple[pd.Series, pd.Series]:
    w = np.ones(len(rows)) if weight is None else np.asarray(weight, float)
    t = rows[TREATED].to_numpy(bool)
    codes, levels = pd.factorize(rows[covariate].to_numpy(), sort=True)
    wt = pd.Series(np.bincount(codes, weights=np.where(t, w, 0.0), minlength=len(levels)), index=levels)
    wc = pd.Series(np.bincount(codes, weights=np.where(t, 0.0, w), minlength=len(levels)), index=levels)
    return wt / wt.sum(), wc / wc.sum()


def smd_table(before: pd.DataFrame, after: pd.DataFrame, after_weight: np.ndarray,
              covariates: tuple[str, ...] = COVARIATES) -> pd.DataFrame:
    """covariate, level, smd_before, smd_after, ok — one row per level seen before adjustment."""
    out = []
    for c in covariates:
        pt, pc = _shares(before, c, None)
        at, ac = _shares(after, c, after_weight)
        for level in sorted(pt.index):
            denom = np.sqrt((pt[level] * (1 - pt[level]) + pc[level] * (1 - pc[level])) / 2)
            smd_b = _smd(pt[level] - pc[level], denom)
            smd_a = _smd(at.get(level, 0.0) - ac.get(level, 0.0), denom)
            out.append((c, level, smd_b, smd_a, bool(abs(smd_a) <= THRESHOLD)))
    return pd.DataFrame(out, columns=["covariate", "level", "smd_before", "smd_after", "ok"])


def _smd(difference: float, denominator: float) -> float:
    if denominator > 0:
        return float(difference / denominator)
    return 0.0 if difference == 0 else float(np.sign(difference) * np.inf)
