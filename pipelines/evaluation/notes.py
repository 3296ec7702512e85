"""The `note` of each estimate: plain words on what it means and its main caveat."""

from __future__ import annotations

import math

from pipelines.evaluation.design import Sample

_METHOD = {
    "unadjusted": "unadjusted (no account of who is referred)",
    "ps_matched": "each referred case matched to a similar comparison case of the same court",
    "ipw": "comparison cases weighted to resemble the referred",
    "aipw": "doubly robust (weighting plus an outcome model)",
}
CAVEAT = ("Observational data: adjusted for age, gender identity, race, ethnicity, prior arrests, court, "
          "arraignment year and top charge, not for motivation, trafficking history or services outside the court.")


def _support(sample: Sample, adj, method: str) -> str:
    if method == "unadjusted" or adj is None:
        return ""
    parts = []
    if sample.excluded_no_control_level:
        parts.append(f"{sample.excluded_no_control_level} with no comparison case of their court, year or other trait")
    if adj.excluded_ps_range:
        parts.append(f"{adj.excluded_ps_range} outside the comparison cases' propensity range")
    if method == "ps_matched" and adj.unmatched:
        parts.append(f"{adj.unmatched} without a comparison case within the caliper")
    return (" Referred cases left out: " + "; ".join(parts) + ".") if parts else ""


def not_estimable_note(sample: Sample, method: str, reason: str) -> str:
    return (f"Not estimable ({_METHOD[method]}; time zero: {sample.time_zero}): {reason}. "
            "Too few cases, or a trait that only referred or only comparison cases share; do not rely on the other estimates of this sample either without reading their balance.")


def _balance(ok: bool) -> str:
    return "" if ok else " BALANCE FAILS (some |SMD| > 0.1): do not rely on this estimate."


def _fmt(x: float, pct: bool) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{100 * x:+.1f} points" if pct else f"{x:.2f}"


def binary_note(sample: Sample, adj, method: str, measure: str, row: dict) -> str:
    window = sample.outcome.name.replace("rearrest_", "").replace("_", " ")
    if measure == "risk_difference":
        head = (f"Rearrest ({window}) among referred cases minus what the comparison suggests without referral: "
                f"{_fmt(row['estimate'], True)} (95% CI {_fmt(row['ci_low'], True)} to {_fmt(row['ci_high'], True)}); "
                "negative means fewer rearrests with the HTIC.")
    else:
        head = (f"Risk ratio of rearrest ({window}), referred vs comparison: {_fmt(row['estimate'], False)} "
                f"(95% CI {_fmt(row['ci_low'], False)} to {_fmt(row['ci_high'], False)}); below 1 means fewer rearrests with the HTIC.")
    return (f"{head} Method: {_METHOD[method]}; time zero: {sample.time_zero}."
            f"{_support(sample, adj, method)}{_balance(row['balance_ok'])} {CAVEAT}")


def hazard_note(sample: Sample, adj, method: str, row: dict) -> str:
    ph = row.get("ph_test_p")
    ph_words = (" The hazards are not proportional (PH test p < 0.05): the ratio is an average over follow-up."
                if ph is not None and math.isfinite(ph) and ph < 0.05 else "")
    return (f"Hazard ratio of a first rearrest, referred vs comparison: {_fmt(row['estimate'], False)} "
            f"(95% CI {_fmt(row['ci_low'], False)} to {_fmt(row['ci_high'], False)}); below 1 means rearrest comes later or less often with the HTIC. "
            f"Method: {_METHOD[method]}; time zero: {sample.time_zero}; intervals clustered by person."
            f"{ph_words}{_support(sample, adj, method)}{_balance(row['balance_ok'])} {CAVEAT}")


def penalised_outcome_model(reason: str) -> str:
    return (f"The outcome model of the controls was fitted with a small ridge penalty (λ = 1) because the "
            f"maximum-likelihood fit failed ({reason}).")
