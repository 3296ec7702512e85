"""The generator's truth of the planted effect (truth/potential_risks.csv, htic_synth.att) checked
against the rest of its truth: the risks follow from each case's hazard as effects.json and
cases.csv state it, and the risk with referral is what the simulated rearrests show."""

from __future__ import annotations

import csv
import json
import math
from datetime import date, timedelta

import pytest

from htic_synth.att import true_att
from tests.evaluation.generated import AS_OF

DAYS = {"6m": 182, "12m": 365, "24m": 730}


def _read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def truth(generated):
    cases = {(c["court_id"], c["docket_id"]): c for c in _read(generated.truth / "cases.csv")}
    risks = _read(generated.truth / "potential_risks.csv")
    effects = json.loads((generated.truth / "effects.json").read_text())["rearrest"]
    return cases, risks, effects


def test_one_row_per_referred_disposed_case(generated, truth):
    cases, risks, _ = truth
    end = json.loads((generated.truth / "params.json").read_text())["end"]
    expected = {k for k, c in cases.items()
                if c["referred"] == "Y" and c["first_disposition_date"] and c["first_disposition_date"] <= end}
    assert {(r["court_id"], r["docket_id"]) for r in risks} == expected
    assert all(r["first_disposition_date"] == cases[(r["court_id"], r["docket_id"])]["first_disposition_date"]
               for r in risks)


def test_risks_follow_from_the_planted_hazard(truth):
    cases, risks, eff = truth
    a, b = eff["a"], eff["b"]
    zero = 0
    for r in risks:
        c = cases[(r["court_id"], r["docket_id"])]
        lp = float(c["hazard_lp"])  # 6 decimals in cases.csv
        lp0 = lp - eff["log_hr_htic_referral"] - (eff["log_hr_mandate_completion"] if c["completed"] == "Y" else 0)
        if float(r["risk_24m_referred"]) == 0.0:  # no rearrest drawn after a person's last simulated arrest
            zero += 1
            continue
        for label, days in DAYS.items():
            h0 = a / b * (1 - math.exp(-b * days))
            assert float(r[f"risk_{label}_referred"]) == pytest.approx(1 - math.exp(-math.exp(lp) * h0), rel=1e-5)
            assert float(r[f"risk_{label}_not_referred"]) == pytest.approx(1 - math.exp(-math.exp(lp0) * h0), rel=1e-5)
    assert zero < 0.002 * len(risks)


def test_simulated_rearrests_agree_with_the_risk_with_referral(generated, truth):
    # the factual arm is observed in the truth: the share of referred cases rearrested within a year
    # of the first disposition must match the mean risk with referral (both over cases old enough)
    cases, risks, _ = truth
    end = date.fromisoformat(json.loads((generated.truth / "params.json").read_text())["end"])
    mature = [r for r in risks if date.fromisoformat(r["first_disposition_date"]) <= end - timedelta(days=365)]
    observed = 0
    for r in mature:
        nxt = cases[(r["court_id"], r["docket_id"])]["next_arrest_after_first_disposition"]
        t0 = date.fromisoformat(r["first_disposition_date"])
        observed += bool(nxt) and (date.fromisoformat(nxt) - t0).days <= 365
    expected = sum(float(r["risk_12m_referred"]) for r in mature)
    n = len(mature)
    se = math.sqrt(sum(float(r["risk_12m_referred"]) * (1 - float(r["risk_12m_referred"])) for r in mature))
    assert n > 3000
    assert abs(observed - expected) < 4 * se, (observed / n, expected / n)


def test_true_att_averages_over_the_eligible(generated, truth):
    cases, risks, _ = truth
    att = true_att(generated.truth, AS_OF)
    for label, days in DAYS.items():
        rows = [r for r in risks
                if (c := cases[(r["court_id"], r["docket_id"])])["nysid"]
                and c["htic_referral_date"] <= AS_OF.isoformat()
                and c["final_disposition"] not in ("TRANSFERRED", "ABATED") and c["removed_upstream"] == "N"
                and date.fromisoformat(r["first_disposition_date"]) <= AS_OF - timedelta(days=days)]
        diff = sum(float(r[f"risk_{label}_referred"]) - float(r[f"risk_{label}_not_referred"]) for r in rows) / len(rows)
        got = att[f"rearrest_any_{label}"]
        assert got["n_treated"] == len(rows)
        assert got["att"] == pytest.approx(diff, abs=1e-12) and got["att"] < 0
