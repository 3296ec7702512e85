"""The programme's targets (extracts.md, `targets.csv`): what the program office delivers.

A target for each headline metric of metrics.md and a few more, in the metric's own unit (a share
0–1, days, points of the 1–5 scale, providers), with the side that is good. The first program
delivery carries the list, in force from the first of January of its year; the second carries it
again with one target revised (`REVISED`), in force from the first of January after that
delivery, so a figure as of a date before then is judged against the old target and one after
against the new. Later program deliveries carry no targets.csv: the list stands.
"""

from __future__ import annotations

from datetime import date

# metric_id, target, direction, set_by, note
TARGETS = [
    ("g1_noncriminal_disposition", 0.90, "HIGHER", "Programme office", "Most cases end without a criminal record"),
    ("g1_days_to_disposition", 120, "LOWER", "Programme office", "Median time from referral to outcome"),
    ("g2_service_start_30d", 0.80, "HIGHER", "Programme office", "Mandated people start services within a month"),
    ("g2_mandate_completion_180d", 0.70, "HIGHER", "Programme office", "Mandates completed within six months"),
    ("g3_need_referred_60d", 0.70, "HIGHER", "Steering committee", "Needs found are referred within two months"),
    ("g4_rearrest_any_12m", 0.20, "LOWER", "Steering committee", "Fewer than one in five rearrested within a year"),
    ("g5_voluntary_continuation", 0.25, "HIGHER", "Steering committee", "Services continue after the mandate"),
    ("g6_trafficking_screened_30d", 0.80, "HIGHER", "Programme office", "Trafficking screening within a month of intake"),
    ("g7_active_providers", 6, "HIGHER", "Programme office", "Enough providers under contract"),
    ("g8_would_recommend", 0.75, "HIGHER", "Steering committee", "Exit survey: would recommend the service"),
    ("g8_helpfulness_mean", 3.5, "HIGHER", "Steering committee", "Exit survey: helpfulness on the 1-5 scale"),
    ("g9_cases_linked", 0.90, "HIGHER", "Data working group", "Mandated cases found in provider records"),
    ("g9_nysid_coverage", 0.85, "HIGHER", "Data working group", "Cases that can be followed in state records"),
]
# The revision the second targets.csv brings: metric_id -> new target (and why).
REVISED = {"g3_need_referred_60d": (0.60, "Revised after the annual review: referral partners are scarce")}
POPULATION = "htic"


def targets_rows(delivery_index: int, as_ofs: list[date]) -> list[list] | None:
    """The rows of targets.csv in the program delivery `delivery_index` (0-based) of the program
    deliveries dated `as_ofs`, or None when that delivery carries no targets.csv."""
    if delivery_index > 1:
        return None
    first = date(as_ofs[0].year, 1, 1)
    rows = [[m, POPULATION, t, d, first.isoformat(), who, note] for m, t, d, who, note in TARGETS]
    if delivery_index == 1:
        revised_from = date(as_ofs[1].year + 1, 1, 1)
        direction = {m: d for m, _, d, _, _ in TARGETS}
        rows += [[m, POPULATION, t, direction[m], revised_from.isoformat(), "Steering committee", why]
                 for m, (t, why) in REVISED.items()]
    return rows
