"""The planted effect recovered from a world of the project's generator, through the real path:
ingestion, the dbt mart fct_eval_cases, the evaluation asset, the published `effects` table.

The truth is the generator's own (truth/potential_risks.csv: each referred case's rearrest risks
with and without referral, from the hazard it simulated), averaged over the cases evaluation.md
makes eligible on A by htic_synth.att.true_att; nothing here comes from the pipeline's output.
"""

from __future__ import annotations

import duckdb
import pytest

from htic_synth.att import true_att
from tests.evaluation.generated import AS_OF

OUTCOMES = ("rearrest_any_6m", "rearrest_any_12m", "rearrest_any_24m")


@pytest.fixture(scope="module")
def truth(generated):
    return true_att(generated.truth, AS_OF)


@pytest.fixture(scope="module")
def effects(generated):
    with duckdb.connect(str(generated.analytics_db), read_only=True) as con:
        return con.execute("select * from effects where time_zero = 'disposition' and measure = 'risk_difference'"
                           ).df()


def _row(effects, outcome, method):
    row = effects[(effects.outcome == outcome) & (effects.method == method)]
    assert len(row) == 1, (outcome, method)
    return row.iloc[0]


def test_effects_are_built_for_the_run_s_as_of(effects):
    assert set(effects.as_of.astype(str)) == {AS_OF.isoformat()}


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_the_treated_pool_is_the_truth_s(effects, truth, outcome):
    # the pipeline finds exactly the referred cases evaluation.md makes eligible on A
    assert _row(effects, outcome, "unadjusted").n_treated == truth[outcome]["n_treated"]


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_adjusted_estimates_recover_the_planted_att(effects, truth, outcome):
    att = truth[outcome]["att"]
    raw = _row(effects, outcome, "unadjusted").estimate
    for method in ("ps_matched", "ipw", "aipw"):
        est = _row(effects, outcome, method).estimate
        assert abs(est - att) <= 0.04, (outcome, method, est, att)
        assert abs(est - att) < abs(raw - att), (outcome, method, est, raw, att)


def test_the_raw_comparison_is_confounded(effects, truth):
    # the world plants confounding that flatters the court: the raw difference overstates the effect
    assert _row(effects, "rearrest_any_12m", "unadjusted").estimate < truth["rearrest_any_12m"]["att"] - 0.04
