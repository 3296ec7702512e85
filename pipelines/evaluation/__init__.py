"""The adjusted comparison of evaluation.md: is the court helping?

Reads the case table `analytics.fct_eval_cases` (dbt) and writes three tables of the analytics
schema, one set of rows per as-of date: `effects`, `effect_balance`, `effect_survival`.

  design.py      the spec's outcomes, time zeros, covariates; samples and exact common support
  propensity.py  the logistic propensity model (statsmodels) and its design matrix
  matching.py    1:1 nearest-neighbour matching with replacement, within court, with a caliper
  contrasts.py   risk differences and ratios (weighted means, AIPW) with person-clustered variance
  survival.py    Cox hazard ratios, the PH check, Kaplan-Meier curves and log-rank (lifelines)
  balance.py     standardised mean differences before and after adjustment
  evalues.py     E-values (VanderWeele & Ding)
  notes.py       the plain-words note of each estimate
  estimate.py    evaluate(cases, as_of) -> the three tables
  store.py       replace one as-of's rows of the three tables in one transaction
  assets.py      the Dagster asset that runs all of it after the dbt mart

Choices where the spec is silent: docs/evaluation.md. Nothing is imported here: the Dagster
definitions import assets.py, and the statistics libraries load only when the asset runs.
"""
