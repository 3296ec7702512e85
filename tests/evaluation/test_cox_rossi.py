"""The Cox code path reproduces the published Rossi recidivism fit (lifelines' dataset; the
coefficients of Fox's appendix and of R's survival::coxph with Efron ties)."""

from __future__ import annotations

import numpy as np
from lifelines.datasets import load_rossi

from pipelines.evaluation.survival import fit_cox

COVARIATES = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]


def test_rossi_fin_matches_the_published_fit():
    res = fit_cox(load_rossi(), "week", "arrest", COVARIATES)
    hr, lo, hi, p = res.hazard_ratio("fin")
    assert round(float(res.params["fin"]), 3) == -0.379
    assert round(hr, 3) == 0.684
    assert round(float(res.se["fin"]), 3) == 0.191
    # the interval is exp(coef +- 1.96 SE) and p the Wald test of the same numbers
    assert np.isclose(lo, np.exp(res.params["fin"] - 1.959964 * res.se["fin"]), rtol=1e-4)
    assert np.isclose(hi, np.exp(res.params["fin"] + 1.959964 * res.se["fin"]), rtol=1e-4)
    assert 0.04 < p < 0.06
    # the other published coefficients (age -0.057, prio 0.091)
    assert round(float(res.params["age"]), 3) == -0.057
    assert round(float(res.params["prio"]), 3) == 0.091


def test_rossi_clustered_by_person_is_the_sandwich():
    """Each row its own cluster: the robust SE, which differs from the model-based one."""
    rossi = load_rossi().assign(person=lambda d: np.arange(len(d)))
    plain = fit_cox(rossi, "week", "arrest", COVARIATES)
    robust = fit_cox(rossi, "week", "arrest", COVARIATES, cluster="person")
    assert np.isclose(robust.params["fin"], plain.params["fin"])
    assert not np.isclose(robust.se["fin"], plain.se["fin"], rtol=1e-3)
    assert 0.15 < robust.se["fin"] < 0.25
    # age breaks proportional hazards in the Rossi data (a textbook example); fin does not
    assert plain.ph_test_p["age"] < 0.05 < plain.ph_test_p["fin"]
