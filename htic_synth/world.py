"""The fixed shape of the synthetic world: courts, providers, charges, volumes, planted parameters.

Everything a run can vary (seed, scale, end date, DSA start) is an argument of `generate()`;
everything here is constant, and is copied into `truth/params.json` / `truth/effects.json`.
"""

from __future__ import annotations

import math
from datetime import date

# --------------------------------------------------------------------------------------------
# Courts: 12, staggered HTIC start dates from October 2013. `weight` sizes the case volume.
# (court_id, court_name, county (courts.csv), dcjs county, docket suffix, htic_start, weight)
COURTS = [
    ("queens", "Queens Criminal Court HTIC", "Queens", "QUEENS", "QN", date(2013, 10, 1), 1.5),
    ("brooklyn", "Brooklyn Criminal Court HTIC", "Kings", "KINGS", "KN", date(2013, 10, 1), 1.5),
    ("manhattan", "Manhattan Criminal Court HTIC", "New York", "NEW YORK", "NY", date(2013, 10, 15), 1.8),
    ("bronx", "Bronx Criminal Court HTIC", "Bronx", "BRONX", "BX", date(2013, 11, 4), 1.3),
    ("richmond", "Staten Island Criminal Court HTIC", "Richmond", "RICHMOND", "RI", date(2014, 1, 6), 0.4),
    ("nassau", "Nassau County District Court HTIC", "Nassau", "NASSAU", "NA", date(2014, 3, 3), 0.7),
    ("suffolk", "Suffolk County District Court HTIC", "Suffolk", "SUFFOLK", "SU", date(2014, 5, 5), 0.7),
    ("westchester", "Westchester County Courts HTIC", "Westchester", "WESTCHESTER", "WE", date(2014, 9, 2), 0.5),
    ("erie", "Buffalo City Court HTIC", "Erie", "ERIE", "ER", date(2015, 1, 5), 0.6),
    ("monroe", "Rochester City Court HTIC", "Monroe", "MONROE", "MO", date(2015, 6, 1), 0.4),
    ("onondaga", "Syracuse City Court HTIC", "Onondaga", "ONONDAGA", "ON", date(2016, 1, 4), 0.35),
    ("albany", "Albany City Court HTIC", "Albany", "ALBANY", "AL", date(2016, 9, 6), 0.3),
]
FIRST_HTIC_START = min(c[5] for c in COURTS)
# the state data (and every court's scope) reach back three years before the first HTIC start
WORLD_START = date(FIRST_HTIC_START.year - 3, FIRST_HTIC_START.month, FIRST_HTIC_START.day)

# Providers. `courts`: (court_id, contract_start). `fmt`: csv | xlsx. Client-id style in `cid`.
# Line/encoding quirks: bom, crlf; date style: iso | mixed (some MM/DD/YYYY cells) | mdy_rows
# (whole rows in MM/DD/YYYY); ts: T | space | mixed (updated_at separator); upper: names in capitals.
PROVIDERS = [
    dict(id="haven", name="Haven House Services", courts=[("queens", date(2013, 10, 1)), ("richmond", date(2014, 1, 6))],
         capacity=75, fmt="csv", cid="{:05d}", bom=True, crlf=False, dates="iso", ts="T", upper=False),
    dict(id="bridges", name="Bridges to Safety", courts=[("brooklyn", date(2013, 10, 1))],
         capacity=60, fmt="xlsx", cid="BR-{:06d}", bom=False, crlf=False, dates="xlsx", ts="xlsx", upper=False),
    dict(id="lantern", name="Lantern Women's Project", courts=[("manhattan", date(2013, 10, 15))],
         capacity=75, fmt="csv", cid="{:d}", bom=False, crlf=True, dates="mixed", ts="space", upper=False),
    dict(id="compass", name="Compass Community Alliance", courts=[("bronx", date(2013, 11, 4)), ("westchester", date(2014, 9, 2))],
         capacity=65, fmt="csv", cid="C{:07d}", bom=False, crlf=True, dates="iso", ts="mixed", upper=False),
    dict(id="harbor", name="Harbor Light Counseling", courts=[("nassau", date(2014, 3, 3)), ("suffolk", date(2014, 5, 5))],
         capacity=45, fmt="xlsx", cid="{:06d}", bom=False, crlf=False, dates="xlsx", ts="xlsx", upper=False),
    dict(id="crossroads", name="Crossroads Outreach, Inc.", courts=[("manhattan", date(2016, 7, 1)), ("brooklyn", date(2016, 7, 1))],
         capacity=70, fmt="csv", cid="X{:05d}", bom=True, crlf=True, dates="iso", ts="T", upper=False),
    dict(id="newleaf", name="New Leaf Recovery Network", courts=[("erie", date(2015, 1, 5)), ("monroe", date(2015, 6, 1))],
         capacity=40, fmt="csv", cid="NL{:06d}", bom=False, crlf=False, dates="mdy_rows", ts="space", upper=True),
    dict(id="anchor", name="Anchor Family Center", courts=[("onondaga", date(2016, 1, 4)), ("albany", date(2016, 9, 6))],
         capacity=40, fmt="csv", cid="{:04d}", bom=False, crlf=True, dates="iso", ts="T", upper=False,
         trailing_blank=True),
]
CLOSING_PROVIDER = "crossroads"  # its contract ends mid-way through the DSA window
EXPANDING_PROVIDER = ("anchor", "monroe")  # starts serving a further court later in the window
RESENT_PROVIDER = "haven"  # one delivery re-sent, byte-identical, under a new as-of date
REMOVED_DOCKET_COURT = "queens"  # one docket removed upstream
COURT_STYLE = {  # court_id: (bom, crlf, updated_at separator) — varied, deterministic
    "queens": (True, False, "T"), "brooklyn": (False, True, " "), "manhattan": (True, True, "T"),
    "bronx": (False, False, "mixed"), "richmond": (False, True, "T"), "nassau": (False, False, " "),
    "suffolk": (True, False, "T"), "westchester": (False, True, " "), "erie": (False, False, "T"),
    "monroe": (True, True, " "), "onondaga": (False, False, "mixed"), "albany": (False, True, "T"),
}

# --------------------------------------------------------------------------------------------
# Charges. The code lists themselves are the extract contract's (pipelines.ingestion.spec.CODE_LISTS).
PROSTITUTION_LEVEL = {"PL 230.00": "M", "PL 230.03": "M", "PL 240.37": "V", "ED 6512": "F"}  # charge -> offence level
PL24037_REPEAL = date(2021, 2, 2)
# other offenses (charge, offense level)
OTHER_CHARGES = [("PL 155.25", "M"), ("PL 220.03", "M"), ("PL 120.00", "M"), ("PL 140.05", "V"),
                 ("PL 221.05", "V"), ("PL 165.15", "M"), ("PL 240.20", "V"), ("PL 220.39", "F"),
                 ("PL 160.15", "F"), ("PL 120.05", "F"), ("VTL 511", "M"), ("VTL 1110", "I"),
                 ("AC 10-125", "I"), ("PL 170.25", "F")]
OTHER_COUNTIES = [c[3] for c in COURTS] + ["ORANGE", "DUTCHESS", "ROCKLAND", "ULSTER", "SCHENECTADY"]

# --------------------------------------------------------------------------------------------
# Volume: new people entering (first in-scope arrest) per year per unit of court weight, times a
# year multiplier (arrests for prostitution fell sharply over the decade). Scale multiplies it.
NEW_PEOPLE_PER_WEIGHT_YEAR = 255.0
YEAR_VOLUME = {2010: 1.0, 2011: 1.0, 2012: 1.0, 2013: 1.0, 2014: 0.95, 2015: 0.85, 2016: 0.75, 2017: 0.62,
               2018: 0.52, 2019: 0.45, 2020: 0.28, 2021: 0.3, 2022: 0.32}
YEAR_VOLUME_LATER = 0.34
COMMUNITY_CLIENTS_PER_COURT_YEAR = 28.0  # self/outreach clients (people with no court case), per court served

AGE_BANDS = ["16-17", "18-24", "25-34", "35-44", "45+"]
AGE_BAND_P = [0.04, 0.30, 0.34, 0.20, 0.12]
AGE_BAND_RANGE = {"16-17": (16, 17), "18-24": (18, 24), "25-34": (25, 34), "35-44": (35, 44), "45+": (45, 60)}
PRIOR_BANDS = ["0", "1-2", "3+"]
PRIOR_COUNT_P = [0.50, 0.17, 0.12, 0.08, 0.05, 0.04, 0.04]  # number of arrests in the 3 years before the first case

# --------------------------------------------------------------------------------------------
# Planted effects. Referral to the HTIC (logistic), mandate completion (logistic) and rearrest
# (proportional hazards, Gompertz baseline h(t) = A exp(-B t), t in days since disposition) all
# depend on the same observed traits: age band at arraignment, prior arrests in the 3 years before
# the case's arrest (band), court, and arraignment year.
REFERRAL_INTERCEPT = 0.55
REFERRAL_AGE = {"16-17": 0.9, "18-24": 0.35, "25-34": 0.0, "35-44": -0.25, "45+": -0.5}
REFERRAL_PRIOR = {"0": 0.6, "1-2": 0.0, "3+": -0.9}
REFERRAL_YEAR_RAMP = 0.12  # per year since the court's HTIC start, capped at 5 years
REFERRAL_COURT = {"queens": 0.3, "brooklyn": 0.5, "manhattan": 0.2, "bronx": -0.3, "richmond": -0.6, "nassau": -0.2,
                  "suffolk": -0.4, "westchester": 0.1, "erie": -0.5, "monroe": 0.0, "onondaga": 0.4, "albany": -0.1}

HAZARD_A = 0.00137
HAZARD_B = 0.00198
HAZARD_AGE = {"16-17": 0.35, "18-24": 0.25, "25-34": 0.0, "35-44": -0.2, "45+": -0.5}
HAZARD_PRIOR = {"0": -0.45, "1-2": 0.0, "3+": 0.55}
HAZARD_YEAR = -0.04  # per arraignment year after 2016
HAZARD_COURT = {"queens": -0.2, "brooklyn": -0.3, "manhattan": -0.1, "bronx": 0.25, "richmond": 0.3, "nassau": 0.1,
                "suffolk": 0.2, "westchester": -0.1, "erie": 0.3, "monroe": 0.1, "onondaga": -0.2, "albany": 0.1}
HR_HTIC_REFERRAL = 0.8  # causal effect of HTIC participation (referral) on the rearrest hazard
HR_MANDATE_COMPLETION = 0.6  # further causal effect of completing the mandate
P_REARREST_PROSTITUTION = 0.5  # share of rearrests that are prostitution-related (a new court case)

COMPLETION_INTERCEPT = 1.3
COMPLETION_AGE = {"16-17": -0.6, "18-24": -0.3, "25-34": 0.0, "35-44": 0.1, "45+": 0.2}
COMPLETION_PRIOR = {"0": 0.4, "1-2": 0.0, "3+": -0.7}

P_VOLUNTARY_CONTINUATION = 0.35  # after completing a mandate, more sessions (credit N) 31-180 days later
P_REENROL_60D_AFTER_PROVIDER_EXIT = 0.40  # clients active at the closing provider re-enrol elsewhere within 60 d
P_REENROL_LATE_AFTER_PROVIDER_EXIT = 0.10  # ... or later (61-150 days)
P_RETURN_SELF = 0.06  # after a case's disposition, the person comes to a provider on their own
P_ACD_RESTORE_AFTER_ARREST = 0.6  # an ACD with a new arrest in its six months is restored
ACD_PERIOD_DAYS = 182
P_NO_NYSID = 0.05

# Provider-side record noise (one error per client record at most)
P_CLIENT_NICKNAME = 0.08
P_CLIENT_SWAP = 0.04
P_CLIENT_NAME_TYPO = 0.06
P_CLIENT_DOB_TYPO = 0.05
P_DOCKET_VARIANT = {"exact": 0.58, "lower": 0.10, "noprefix": 0.10, "spaces": 0.08, "null": 0.14}
P_CLIENT_COURT_NULL = 0.08
P_DUP_CLIENT_DELETED = 0.012
P_DUP_SESSION_DELETED = 0.01
P_RESEND_RECORD = 0.02
# a session first typed in as NO_SHOW, then corrected to ATTENDED (a key repeated in one delivery when
# both edits fall in its window); some corrections carry the first edit's stamp: the row order decides
P_SESSION_NO_SHOW_CORRECTED = 0.04
P_CORRECTION_SAME_STAMP = 0.3

EXCEL_MAX_ROWS = 1_048_576


def logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def effects() -> dict:
    """The planted effects, as written to truth/effects.json."""
    return {
        "adjustment_set": ["age_band_at_arraignment", "prior_arrests_3y_band", "court_id", "arraignment_year"],
        "rearrest": {
            "model": "proportional hazards; baseline Gompertz h0(t) = a*exp(-b*t), t = days since the case's "
                     "disposition date; the person's next arrest (any charge) after disposition",
            "a": HAZARD_A, "b": HAZARD_B,
            "baseline_share_ever_rearrested": 1 - math.exp(-HAZARD_A / HAZARD_B),
            "hazard_ratio_htic_referral": HR_HTIC_REFERRAL,
            "hazard_ratio_mandate_completion": HR_MANDATE_COMPLETION,
            "log_hr_htic_referral": math.log(HR_HTIC_REFERRAL),
            "log_hr_mandate_completion": math.log(HR_MANDATE_COMPLETION),
            "log_hr_age_band": HAZARD_AGE, "log_hr_prior_band": HAZARD_PRIOR,
            "log_hr_court": HAZARD_COURT, "log_hr_per_year_after_2016": HAZARD_YEAR,
            "share_prostitution_related": P_REARREST_PROSTITUTION,
            "note": "after a non-court arrest the next arrest follows the same hazard, restarted at that arrest",
        },
        "referral": {
            "model": "logistic P(htic_referral | arraigned on/after the court's htic_start_date)",
            "intercept": REFERRAL_INTERCEPT, "age_band": REFERRAL_AGE, "prior_band": REFERRAL_PRIOR,
            "per_year_since_court_start_capped_5": REFERRAL_YEAR_RAMP, "court": REFERRAL_COURT,
        },
        "mandate_completion": {
            "model": "logistic P(intends to complete | mandate_sessions > 0); realised completion also needs "
                     "the provider to stay open or the client to re-enrol elsewhere",
            "intercept": COMPLETION_INTERCEPT, "age_band": COMPLETION_AGE, "prior_band": COMPLETION_PRIOR,
        },
        "provider_exit": {
            "provider_id": CLOSING_PROVIDER,
            "p_reenrol_within_60d": P_REENROL_60D_AFTER_PROVIDER_EXIT,
            "p_reenrol_61_150d": P_REENROL_LATE_AFTER_PROVIDER_EXIT,
            "note": "clients active on contract_end exit PROVIDER_CLOSED; those who do not re-enrol do not "
                    "complete their mandate (and lose the completion effect)",
        },
        "voluntary_continuation": {"p_after_completion": P_VOLUNTARY_CONTINUATION},
        "acd_restoration": {"p_restore_after_new_arrest_within_acd_period": P_ACD_RESTORE_AFTER_ARREST,
                            "acd_period_days": ACD_PERIOD_DAYS},
    }
