"""The snapshot's words that belong to no single metric: how to read the figures, the names of
breakdowns, and the version of the metric specification the catalogue's words describe.

Each metric's title and definition in plain words are in the metric catalogue
(dbt_project/seeds/metric_catalogue.csv, read by `pipelines.catalogue`); the goals' titles and
questions in goal_catalogue.csv beside it.
"""

from __future__ import annotations

METRICS_SPEC_VERSION = "metrics-spec v2"


# Notes for the notes sheet and the report: how to read the figures.
READING_NOTES: list[tuple[str, str]] = [
    ("As-of date", "Every figure describes the situation on the last day of the quarter (the as-of date). "
     "It uses every complete data delivery dated up to 45 days after that day, because suppliers send "
     "data late; facts dated after the as-of date are not counted."),
    ("Cohorts", "Cases are grouped by the quarter in which they were referred (or, where the definition "
     "says so, the quarter of a later event such as the case's outcome). A cohort appears only once "
     "its whole follow-up window has passed, so recent quarters are missing from windowed measures."),
    ("Periods", "Besides single quarters, figures are given for four quarters pooled: '2026Q2-R4' pools the "
     "cohorts of the four quarters ending with 2026Q2 (the first page and the trend lines use these), and "
     "calendar years ('2025'). Groups (court, age, race, provider, ...) are given for calendar years only. "
     "Outcomes that may still be pending (the case's outcome, days to outcome, days to completing the "
     "mandate) are shown only for cohorts that ended at least a year before the as-of date (settled)."),
    ("Targets and verdicts", "Where the programme set a target, a figure's verdict is 'met' when its whole 95% "
     "interval lies on the good side of the target (the target itself counts as good), 'not met' when the "
     "whole interval lies on the other side, and 'uncertain' otherwise. The target in force on the as-of date "
     "applies to every period. No interval or no target: no verdict."),
    ("Intervals", "Shares come with a 95% Wilson interval, means with a 95% t-interval, survival with "
     "a 95% Greenwood (log-log) interval: the range the true figure plausibly lies in. Small groups "
     "give wide intervals."),
    ("Suppressed cells", "To protect the people counted, a figure is suppressed (shown as "
     "'suppressed') when a count about people - the number with the outcome, the number in the "
     "group, or the number without it - is between 1 and 10, or when it could be worked out to "
     "within 10 of such a count from everything published: the other figures of this snapshot "
     "(totals, groups, longer periods, related measures) and those of earlier snapshots. Figures "
     "that changed by 1 to 10 since an earlier snapshot are suppressed too. A suppressed row shows "
     "no numbers at all, and the snapshot does not say why a figure was suppressed. Provider counts "
     "and capacities are not about people and are never suppressed."),
    ("Comparison cases", "Comparison cases are cases arraigned in the same courts that were not "
     "referred to the HTIC. They are shown beside HTIC figures unadjusted: the two groups can differ "
     "in ways other than the court, so a difference is not proof of the court's effect. The section 'Is the "
     "court helping?' compares them adjusted for the differences the data record."),
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


# Why a group can dominate a breakdown: said beside the panel when it holds the most cases.
GROUP_WHY = {
    "unknown": "not recorded in the data the figure comes from; for client measures, clients who came without "
               "a court case have no court record of it",
    "none": "cases with no client linked at any provider (no provider record to attribute them to)",
    "other": "several smaller groups together",
}


def group_why(breakdown: str, value: str) -> str | None:
    """Why the group `value` may hold most cases of a breakdown, or None when nothing needs saying."""
    if breakdown == "prior_arrests" and value.lower() == "unknown":
        return ("no state identification number, or the three years before the arrest reach back before the "
                "state data begin")
    return GROUP_WHY.get(value.lower())


def breakdown_label(name: str) -> str:
    return BREAKDOWN_LABELS.get(name, name.replace("_", " ").capitalize())
