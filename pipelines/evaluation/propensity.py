"""The propensity model: logistic regression of referral on the covariates (statsmodels GLM).

Every covariate is categorical and enters as indicators of its levels; the reference level is the
most frequent one (ties: the first in sort order). Levels that always coincide (a prior-arrest
count unknown for all charges and for prostitution-related ones) would make the design
rank-deficient: such columns are left out (the fitted scores do not change), and the model is fitted
by Newton's method on X'WX (statsmodels Logit), which is fast on tall designs.
"""

from __future__ import annotations

from dataclasses import dataclass

import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationError, PerfectSeparationWarning

from pipelines.evaluation.design import COVARIATES, TREATED, NotEstimable


def design_matrix(rows: pd.DataFrame, covariates: tuple[str, ...] = COVARIATES,
                  levels_from: pd.DataFrame | None = None) -> pd.DataFrame:
    """Intercept + one indicator per non-reference level of each covariate. `levels_from` fixes
    the levels and references (e.g. the whole sample, when predicting for part of it)."""
    source = rows if levels_from is None else levels_from
    columns = {"const": np.ones(len(rows))}
    for c in covariates:
        counts = source[c].value_counts()
        reference = sorted(counts[counts == counts.max()].index)[0]
        for level in sorted(counts.index):
            if level != reference:
                columns[f"{c}={level}"] = (rows[c].to_numpy() == level).astype(float)
    return pd.DataFrame(columns, index=rows.index)


def full_rank_columns(x: pd.DataFrame) -> list[str]:
    """The columns of `x`, in order, each kept only if it is not a linear combination of those
    kept before it (decided on the small Gram matrix X'X)."""
    gram = x.to_numpy().T @ x.to_numpy()
    kept: list[int] = []
    for j in range(gram.shape[0]):
        trial = kept + [j]
        if np.linalg.matrix_rank(gram[np.ix_(trial, trial)]) == len(trial):
            kept = trial
    return [x.columns[j] for j in kept]


def fit_logistic(y: np.ndarray, x: pd.DataFrame):
    """Logistic regression of y on the full-rank part of x (statsmodels Logit, Newton)."""
    x = x[full_rank_columns(x)]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # checked just below, and raised
            warnings.simplefilter("error", PerfectSeparationWarning)  # estimates would rest on +-infinity
            result = sm.Logit(np.asarray(y, dtype=float), x, check_rank=False).fit(method="newton", maxiter=100, disp=0)
    except (PerfectSeparationError, PerfectSeparationWarning) as exc:
        raise NotEstimable("logistic model: perfect separation (a combination of traits predicts it exactly)") from exc
    except np.linalg.LinAlgError as exc:
        raise NotEstimable("logistic model: singular information matrix") from exc
    if not result.mle_retvals["converged"]:
        raise NotEstimable("logistic model did not converge (separation or too few cases)")
    return result


RIDGE_PENALTY = 1.0  # λ of the penalised outcome model: negligible beside thousands of cases


def ridge_logistic_predict(y: np.ndarray, x: pd.DataFrame, x_new: pd.DataFrame,
                           penalty: float = RIDGE_PENALTY, max_iter: int = 100) -> np.ndarray:
    """Predicted probabilities for `x_new` from a logistic regression of y on x with an L2 penalty
    λ/2·||β||² on every coefficient but the intercept (a column named `const`), fitted by Newton's
    method. Used only for AIPW's outcome model when the maximum-likelihood fit separates (a level
    whose controls were never rearrested): the penalty keeps that level's coefficient finite, and
    with thousands of cases it barely moves the others. Deterministic (no random start)."""
    cols = list(x.columns)
    xm, xn = x.to_numpy(float), x_new[cols].to_numpy(float)
    yv = np.asarray(y, dtype=float)
    pen = np.full(len(cols), penalty)
    if "const" in cols:
        pen[cols.index("const")] = 0.0
    beta = np.zeros(len(cols))
    for _ in range(max_iter):
        eta = np.clip(xm @ beta, -30, 30)
        mu = 1 / (1 + np.exp(-eta))
        grad = xm.T @ (yv - mu) - pen * beta
        hess = (xm * (mu * (1 - mu))[:, None]).T @ xm + np.diag(pen)
        step = np.linalg.solve(hess, grad)
        beta += step
        if np.max(np.abs(step)) < 1e-8:
            break
    else:
        raise NotEstimable("penalised logistic model did not converge")
    return 1 / (1 + np.exp(-np.clip(xn @ beta, -30, 30)))


@dataclass(frozen=True)
class PropensityScores:
    score: np.ndarray  # e(x) = P(referred | x)
    logit: np.ndarray  # log(e / (1 - e)), the matching scale


def propensity_scores(rows: pd.DataFrame) -> PropensityScores:
    x = design_matrix(rows)
    result = fit_logistic(rows[TREATED].to_numpy(), x)
    linear = x[result.params.index].to_numpy() @ result.params.to_numpy()
    return PropensityScores(score=1.0 / (1.0 + np.exp(-linear)), logit=linear)


def inside_control_range(treated: np.ndarray, score: np.ndarray) -> np.ndarray:
    """True for every control, and for treated cases whose score lies within the controls' range
    (common support on the propensity score, evaluation.md Methods 4)."""
    controls = score[~treated]
    return ~treated | ((score >= controls.min()) & (score <= controls.max()))
