"""Plain-words definitions of every metric of metrics.md (v1), for the report and the workbook.

Written for a funder, not an analyst: what is counted, among whom, over what time. The exact rules
are in the metric specification; `METRICS_SPEC_VERSION` names the version these words describe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

METRICS_SPEC_VERSION = "metrics-spec v1"


@dataclass(frozen=True)
class Goal:
    goal: str
    title: str
    question: str


GOALS: list[Goal] = [
    Goal("G1", "Divert from criminal penalties and clear the record",
         "Do HTIC cases end without a criminal penalty, and are records sealed?"),
    Goal("G2", "Connect people to services",
         "Do people start and complete the services the court mandates?"),
    Goal("G3", "Address what led people into the trade",
         "Are needs (trauma, abuse, addiction, housing, ...) screened and acted on?"),
    Goal("G4", "Fewer returns to the justice system",
         "Are people arrested again after their case ends? (HTIC beside comparison cases)"),
    Goal("G5", "An entry point beyond the mandate",
         "Do people keep using services after the mandate, or come on their own?"),
    Goal("G6", "Identify trafficking and open legal relief",
         "Are people screened for trafficking and referred to legal help?"),
    Goal("G7", "A stable provider network",
         "Are there enough providers, with room for clients, and continuity when contracts end?"),
    Goal("G8", "Services people find useful",
         "What do people leaving services say about them?"),
    Goal("G9", "Data that can answer these questions",
         "Is the data complete, linked and on time?"),
]
GOAL_BY_ID = {g.goal: g for g in GOALS}


@dataclass(frozen=True)
class MetricText:
    metric_id: str
    goal: str
    title: str
    definition: str
    unit: str  # 'share' | 'days' | 'score' | 'providers' | 'ratio' | 'survival' | 'count'


_HTIC = "HTIC cases (cases referred to the Human Trafficking Intervention Court)"
_M = "mandated HTIC cases (the court set a number of service sessions)"

_BASE: list[MetricText] = [
    MetricText("g1_noncriminal_disposition", "G1", "Non-criminal outcome",
               f"Of {_HTIC} that have reached an outcome (transfers and abatements left out), the share that "
               "ended in an adjournment in contemplation of dismissal, a dismissal, a plea to a violation "
               "(not a crime) or an acquittal. Cohort: quarter of the referral.", "share"),
    MetricText("g1_sealed_within_1y", "G1", "Record sealed within a year",
               "Of HTIC cases that ended in an adjournment in contemplation of dismissal or a dismissal at "
               "least a year ago, the share whose record was sealed within 365 days of that outcome. "
               "Cohort: quarter of the outcome.", "share"),
    MetricText("g1_days_to_disposition", "G1", "Days from referral to outcome (median)",
               "For HTIC cases that have reached an outcome (transfers and abatements left out), the median "
               "number of days from referral to the outcome. Cohort: quarter of the referral.", "days"),
    MetricText("g1_warrant_180d", "G1", "Warrant within 180 days",
               "Of HTIC cases referred at least 180 days ago, the share with a bench warrant issued within "
               "180 days after the referral (earlier warrants do not count). Lower is better.", "share"),
    MetricText("g2_service_start_30d", "G2", "Services started within 30 days",
               f"Of {_M} referred at least 30 days ago, the share where the person attended a service "
               "session within 30 days after the referral.", "share"),
    MetricText("g2_mandate_completion_180d", "G2", "Mandate completed within 180 days",
               f"Of {_M} referred at least 180 days ago, the share where the person attended, within 180 "
               "days, the number of credited sessions the court set.", "share"),
    MetricText("g2_days_to_completion", "G2", "Days from referral to completing the mandate (median)",
               "Among mandated HTIC cases whose mandate was completed, the median number of days from "
               "referral to the session that completed it.", "days"),
    MetricText("g2_attendance_rate", "G2", "Session attendance",
               "For mandated HTIC cases referred at least 180 days ago, the share of scheduled sessions "
               "in the first 180 days that were attended (attended out of attended plus missed). "
               "Counts sessions, not people.", "share"),
    MetricText("g3_needs_screened_30d", "G3", "Needs screened within 30 days",
               "Of clients of service providers linked to HTIC cases, with an intake at least 30 days ago, "
               "the share with any needs assessment within 30 days after intake.", "share"),
    MetricText("g3_need_referred_60d", "G3", "Need referred within 60 days",
               "For each need found to be moderate or high in an assessment at least 60 days ago (one per "
               "client and area of need), the share followed by a referral for that need within 60 days. "
               "Shown for all areas together and for each area.", "share"),
    MetricText("g3_referral_connected_90d", "G3", "Referral connected within 90 days",
               "Of referrals made for clients at least 90 days ago, the share that connected the person "
               "with the partner within 90 days.", "share"),
    MetricText("g4_rearrest_any", "G4", "Rearrest (any charge)",
               "Of cases with a known state identification number that ended long enough ago, the share "
               "where the person was arrested again within the window after the outcome (the case's own "
               "arrest not counted). Cohort: quarter of the outcome. Comparison cases are cases in the "
               "same courts that were not referred to the HTIC; the comparison is unadjusted (the groups "
               "may differ in other ways). Lower is better.", "share"),
    MetricText("g4_rearrest_prostitution", "G4", "Rearrest (prostitution-related charge)",
               "As rearrest (any charge), counting only arrests for prostitution-related charges. "
               "Comparison unadjusted. Lower is better.", "share"),
    MetricText("g4_htic_return_12m", "G4", "Return to the HTIC within 12 months",
               "Of HTIC cases referred at least a year ago, the share whose person had another case "
               "referred to an HTIC within 365 days after the referral. Lower is better.", "share"),
    MetricText("g4_rearrest_free_survival", "G4", "Still not rearrested (survival)",
               "The estimated share of cases whose person has not been arrested again by the given time "
               "after the case ended (Kaplan-Meier estimate, which accounts for cases followed for "
               "different lengths of time). Cohort: year of the outcome.", "survival"),
    MetricText("g5_voluntary_continuation", "G5", "Services continued after the mandate",
               "Of HTIC cases whose mandate was completed at least 180 days ago, the share where the person "
               "attended any session between 31 and 180 days after completing it - by choice, not by "
               "order.", "share"),
    MetricText("g5_self_referred_share", "G5", "Clients who came on their own",
               "Of clients with an intake in the quarter, at any provider, the share who were not sent by "
               "the court (referral source other than a court mandate).", "share"),
    MetricText("g6_trafficking_screened_30d", "G6", "Trafficking screening within 30 days",
               "Of clients linked to HTIC cases, with an intake at least 30 days ago, the share screened for "
               "signs of trafficking within 30 days after intake.", "share"),
    MetricText("g6_legal_referral_60d", "G6", "Legal referral within 60 days",
               "Of clients whose trafficking screening found moderate or high signs at least 60 days ago, "
               "the share referred to legal services within 60 days after that screening.", "share"),
    MetricText("g7_active_providers", "G7", "Active providers",
               "Per court, the number of service providers whose contract is active on the as-of date. "
               "Not a count of people, so never suppressed.", "providers"),
    MetricText("g7_caseload_per_capacity", "G7", "Caseload per capacity",
               "Per provider, clients active on the as-of date (taken in, not exited) divided by the "
               "provider's contracted capacity. Above 1 means over capacity.", "ratio"),
    MetricText("g7_continuity_after_exit", "G7", "Continuity when a contract ends",
               "Of clients active at a provider when its contract ended (at least 60 days ago), the share "
               "who had an intake at another provider within 60 days.", "share"),
    MetricText("g8_helpfulness_mean", "G8", "Helpfulness score (mean)",
               "Mean answer to the exit survey's helpfulness question (1 = not helpful, 5 = very "
               "helpful), with a 95% t-interval; all exits of all providers, by quarter of exit.", "score"),
    MetricText("g8_would_recommend", "G8", "Would recommend",
               "Of exit-survey answers to 'would you recommend this service?', the share answering yes; by "
               "quarter of exit.", "share"),
    MetricText("g8_survey_response_rate", "G8", "Exit survey response",
               "Of all exits from services, the share with any exit-survey answer; by quarter of exit.",
               "share"),
    MetricText("g9_cases_linked", "G9", "Cases linked to provider records",
               f"Of {_M} referred at least 30 days ago, the share linked to at least one provider client "
               "record - without the link, service metrics cannot see the case.", "share"),
    MetricText("g9_nysid_coverage", "G9", "State identification number known",
               "Of HTIC cases, the share whose person has a state identification number (needed to see "
               "rearrests).", "share"),
    MetricText("g9_delivery_timeliness", "G9", "Days since last delivery",
               "Per data source, the number of days between its last complete delivery and the as-of "
               "date, to be read against the source's cadence (monthly).", "days"),
    MetricText("g9_rows_rejected", "G9", "Rows rejected by validation",
               "Per data source and quarter, records rejected by the pipeline's validation (files and "
               "rows). Not a count of people, so never suppressed.", "count"),
    MetricText("g9_files_rejected", "G9", "Files rejected by validation",
               "Per data source and quarter, delivery files rejected by the pipeline's validation. Not a count "
               "of people, so never suppressed.", "count"),
]
_BY_ID = {m.metric_id: m for m in _BASE}

_WINDOW = re.compile(r"^(?P<base>.+?)_(?P<n>\d+)m$")
_WINDOW_WORDS = {"6": "6 months (182 days)", "12": "12 months (365 days)", "24": "24 months (730 days)"}


def metric_text(metric_id: str) -> MetricText:
    """Words for a metric id, including the windowed (`_6m`), percentile (`_p75`) and survival
    variants; an unknown id gets a neutral placeholder (and tests flag it)."""
    if metric_id in _BY_ID:
        return _BY_ID[metric_id]
    if metric_id.endswith("_p75") and metric_id[:-4] in _BY_ID:
        base = _BY_ID[metric_id[:-4]]
        return MetricText(metric_id, base.goal, base.title.replace("(median)", "(75th percentile)"),
                          base.definition.replace("the median number", "the 75th percentile of the number")
                          + " Three in four cases took no longer than this.", base.unit)
    m = _WINDOW.match(metric_id)
    if m and m.group("base") in _BY_ID:
        base = _BY_ID[m.group("base")]
        words = _WINDOW_WORDS.get(m.group("n"), f"{m.group('n')} months")
        return MetricText(metric_id, base.goal, f"{base.title}, {m.group('n')} months",
                          base.definition + f" Window: {words}.", base.unit)
    goal = metric_id[:2].upper() if re.match(r"^g\d_", metric_id) else "G?"
    return MetricText(metric_id, goal, metric_id, "No plain-words definition recorded for this metric.", "share")


def known_metric(metric_id: str) -> bool:
    return not metric_text(metric_id).definition.startswith("No plain-words")


# Every metric id metrics.md lists, in the order of the spec (the report follows this order).
SPEC_METRIC_IDS: list[str] = [
    "g1_noncriminal_disposition", "g1_sealed_within_1y", "g1_days_to_disposition", "g1_days_to_disposition_p75",
    "g1_warrant_180d",
    "g2_service_start_30d", "g2_mandate_completion_180d", "g2_days_to_completion", "g2_days_to_completion_p75",
    "g2_attendance_rate",
    "g3_needs_screened_30d", "g3_need_referred_60d", "g3_referral_connected_90d",
    *[f"g4_rearrest_any_{w}m" for w in (6, 12, 24)],
    *[f"g4_rearrest_prostitution_{w}m" for w in (6, 12, 24)],
    "g4_htic_return_12m",
    *[f"g4_rearrest_free_survival_{w}m" for w in (6, 12, 24)],
    "g5_voluntary_continuation", "g5_self_referred_share",
    "g6_trafficking_screened_30d", "g6_legal_referral_60d",
    "g7_active_providers", "g7_caseload_per_capacity", "g7_continuity_after_exit",
    "g8_helpfulness_mean", "g8_would_recommend", "g8_survey_response_rate",
    "g9_cases_linked", "g9_nysid_coverage", "g9_delivery_timeliness", "g9_rows_rejected",
    "g9_files_rejected",
]


def metric_order(metric_id: str) -> tuple[int, str]:
    try:
        return SPEC_METRIC_IDS.index(metric_id), metric_id
    except ValueError:
        return len(SPEC_METRIC_IDS), metric_id


# Notes for the notes sheet and the report: how to read the figures.
READING_NOTES: list[tuple[str, str]] = [
    ("As-of date", "Every figure describes the situation on the last day of the quarter (the as-of date). "
     "It uses every complete data delivery dated up to 45 days after that day, because suppliers send "
     "data late; facts dated after the as-of date are not counted."),
    ("Cohorts", "Cases are grouped by the quarter in which they were referred (or, where the definition "
     "says so, the quarter of a later event such as the case's outcome). A cohort appears only once "
     "its whole follow-up window has passed, so recent quarters are missing from windowed measures."),
    ("Intervals", "Shares come with a 95% Wilson interval, means with a 95% t-interval, survival with "
     "a 95% Greenwood (log-log) interval: the range the true figure plausibly lies in. Small groups "
     "give wide intervals."),
    ("Suppressed cells", "To protect the people counted, a figure is suppressed (shown as "
     "'suppressed') when any count it would reveal - the number of people or cases with the outcome, "
     "the number in the group, or the number without the outcome - is between 1 and 10. Where one "
     "suppressed figure could be worked out from the total and the other groups, the next smallest "
     "group is suppressed too. A suppressed row shows no numbers at all. Provider counts and "
     "capacities are not about people and are never suppressed."),
    ("Comparison cases", "Comparison cases are cases arraigned in the same courts that were not "
     "referred to the HTIC. They are shown beside HTIC figures unadjusted: the two groups can differ "
     "in ways other than the court, so a difference is not proof of the court's effect."),
    ("Unit", "Case measures count cases: a person with two cases counts twice. Client measures count "
     "people as clients of service providers."),
    ("Rounding", "Shares and ratios are rounded to 4 decimals (shown as percentages with one decimal), "
     "days to 1 decimal, mean scores to 2 decimals."),
    ("Corrections", "A published snapshot is never changed. Data arriving later show in the next "
     "quarter's snapshot, whose restatements.csv lists every figure of the previous snapshot that "
     "changed; a correction of a published quarter is published beside it as a new revision."),
    ("No personal data", "The snapshot holds only totals and shares for groups. It contains no "
     "person-level rows and no names, dates of birth, identification numbers or docket numbers."),
]

BREAKDOWN_LABELS = {
    "overall": "Overall", "court": "Court", "age_band": "Age at arraignment", "gender_identity": "Gender identity",
    "race": "Race", "ethnicity": "Ethnicity", "primary_language": "Primary language",
    "prior_arrests": "Prior arrests (3 years)", "domain": "Area of need", "provider": "Provider",
    "source": "Data source",
}


def breakdown_label(name: str) -> str:
    return BREAKDOWN_LABELS.get(name, name.replace("_", " ").capitalize())
