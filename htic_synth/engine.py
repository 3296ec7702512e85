"""The synthetic world: people → arrests → court cases → provider services → deliveries.

Two passes, both streaming (memory does not grow with `scale`):

1. People are generated one at a time in order of their first in-scope arrest. Each person's whole
   life in the system (arrests, cases, provider episodes) is simulated at once; the person's DCJS
   rows go straight into every quarterly `arrests.txt`, the truth rows straight into `truth/`, the
   court cases (with their dated version history and events) into one temp JSON-lines file per
   court, and the provider records (with their dated versions) into one temp file per provider.
2. Per court, the temp file is replayed once, writing each case's state as of every monthly
   snapshot into all snapshot files at once; per provider, each record version is routed to the
   delivery whose window holds its `updated_at` (changes only), then the Excel workbooks are built.
"""

from __future__ import annotations

import bisect
import json
import math
import os
import random
import shutil
import tempfile
from datetime import date, timedelta

from . import world as W
from .names import docket_variant, new_identity, pick, typed_identity
from .output import TextOut, iso, mdy, write_control, write_workbook, ymd

TABLES = {
    "clients": ["client_id", "docket_ref", "court_id", "first_name", "last_name", "dob", "intake_date",
                "referral_source", "updated_at", "record_status"],
    "assessments": ["assessment_id", "client_id", "assessment_date", "domain", "level", "updated_at",
                    "record_status"],
    "sessions": ["session_id", "client_id", "session_date", "session_type", "status", "mandate_credit", "minutes",
                 "updated_at", "record_status"],
    "referrals": ["referral_id", "client_id", "referral_date", "domain", "partner", "status", "status_date",
                  "updated_at", "record_status"],
    "exits": ["client_id", "exit_date", "exit_reason", "survey_helpfulness", "survey_would_recommend",
              "updated_at", "record_status"],
}
TABLE_ORDER = ["clients", "assessments", "sessions", "referrals", "exits"]
DATE_IDX = {"clients": (5, 6), "assessments": (2,), "sessions": (2,), "referrals": (2, 6), "exits": (1,)}
DEFENDANT_COLS = ["defendant_id", "nysid", "last_name", "first_name", "dob", "sex", "gender_identity", "race",
                  "ethnicity", "primary_language"]
CASE_COLS = ["docket_id", "defendant_id", "arrest_id", "arrest_date", "arraignment_date", "top_charge",
             "htic_referral_date", "mandate_sessions", "disposition_date", "disposition", "sealed", "sealed_date",
             "updated_at"]
EVENT_COLS = ["docket_id", "event_seq", "event_date", "event_type"]
DCJS_COLS = ["NYSID", "ARREST_ID", "ARREST_DATE", "ARREST_COUNTY", "TOP_CHARGE", "OFFENSE_LEVEL"]
COURTS_COLS = ["court_id", "court_name", "county", "htic_start_date", "htic_end_date"]
PROVIDERS_COLS = ["provider_id", "provider_name", "court_id", "contract_start", "contract_end", "capacity"]

EVENT_PRIORITY = {t: i for i, t in enumerate(["ARRAIGNMENT", "ADJOURNMENT", "COMPLIANCE_REVIEW", "WARRANT_ISSUED",
                                              "WARRANT_VACATED", "DISPOSITION", "RESTORED", "SEALED"])}
PROST_LEVEL = {"PL 230.00": "M", "PL 230.03": "M", "PL 240.37": "V", "ED 6512": "F"}
PARTNERS = {
    "TRAUMA": ["Safe Horizon", "Sanctuary for Families", "NYC Family Justice Center, Queens", "local clinic"],
    "SUBSTANCE_USE": ["Odyssey House", "Phoenix House NY", "OASAS-certified program", "Samaritan Daytop Village"],
    "MENTAL_HEALTH": ["NYC Health + Hospitals, Behavioral Health", "Bellevue outpatient", "community MH clinic"],
    "HOUSING": ["HRA \"One Shot Deal\"", "Covenant House", "DHS intake, PATH", "Section 8 / NYCHA"],
    "IMMIGRATION": ["Immigrant Justice Corps", "Make the Road NY", "CAMBA legal"],
    "EMPLOYMENT": ["Workforce1 Career Center", "CEO (Center for Employment Opportunities)", "Goodwill NYNJ"],
    "MEDICAL": ["Planned Parenthood", "Callen-Lorde", "Community Healthcare Network", "ER referral"],
    "LEGAL": ["Legal Aid Society, Exploitation Intervention Project", "Her Justice", "Sex Workers Project (UJC)",
              "legal aid - vacatur 440.10(1)(i)", "T-visa clinic"],
}
ASSESS_P = {"TRAUMA": 0.8, "SUBSTANCE_USE": 0.6, "MENTAL_HEALTH": 0.7, "HOUSING": 0.6, "IMMIGRATION": 0.15,
            "EMPLOYMENT": 0.4, "MEDICAL": 0.4, "TRAFFICKING_INDICATORS": 0.82}
COURT_STYLE = {  # court_id: (bom, crlf, ts) — varied, deterministic
    "queens": (True, False, "T"), "brooklyn": (False, True, " "), "manhattan": (True, True, "T"),
    "bronx": (False, False, "mixed"), "richmond": (False, True, "T"), "nassau": (False, False, " "),
    "suffolk": (True, False, "T"), "westchester": (False, True, " "), "erie": (False, False, "T"),
    "monroe": (True, True, " "), "onondaga": (False, False, "mixed"), "albany": (False, True, "T"),
}
MAX_QUIRK_EXAMPLES = 12


def _month_end(y: int, m: int) -> date:
    return date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)


def month_ends(start: date, end: date) -> list[date]:
    out = []
    y, m = start.year, start.month
    while True:
        d = _month_end(y, m)
        if d > end:
            return out
        if d >= start:
            out.append(d)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def default_dsa_start(end: date) -> date:
    """23 month ends before the last month end on or before `end` → 24 monthly deliveries."""
    y, m = end.year, end.month
    if _month_end(y, m) > end:
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    k = y * 12 + (m - 1) - 23
    return _month_end(k // 12, k % 12 + 1)


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    limit = math.exp(-lam)
    k, p = 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _band_age(age: int) -> str:
    if age < 18:
        return "16-17"
    if age < 25:
        return "18-24"
    if age < 35:
        return "25-34"
    if age < 45:
        return "35-44"
    return "45+"


def _band_prior(n: int) -> str:
    return "0" if n == 0 else ("1-2" if n <= 2 else "3+")


class _Quirks:
    def __init__(self):
        self.q: dict[str, dict] = {}

    def add(self, name: str, **where) -> None:
        e = self.q.setdefault(name, {"count": 0, "examples": []})
        e["count"] += 1
        if len(e["examples"]) < MAX_QUIRK_EXAMPLES:
            e["examples"].append(where)


class _Provider:
    def __init__(self, spec: dict, idx: int):
        self.spec = spec
        self.id = spec["id"]
        self.idx = idx
        self.contracts: list[list] = []  # [court_id, start_ord, end_ord|None, announce_ord]
        self.n_client = 0
        self.n_rec = {"A": 0, "S": 0, "R": 0}
        self.dates: list[int] = []
        self.cutoff = 0  # no record version after this is ever delivered
        self.closing = False
        self.tmp = None
        self.help_mean = 3.2 + (idx % 4) * 0.35

    def next_client(self) -> str:
        self.n_client += 1
        return self.spec["cid"].format(self.n_client)

    def next_rec(self, kind: str) -> str:
        self.n_rec[kind] += 1
        if self.spec["fmt"] == "xlsx" or self.idx % 2:
            return f"{kind}{self.n_rec[kind]:07d}"
        return f"{self.id[:2].upper()}-{kind}{self.n_rec[kind]}"

    def contract_end(self, court_id: str):
        for c in self.contracts:
            if c[0] == court_id:
                return c[2]
        return None


class World:
    def __init__(self, out: str, truth: str, seed: int, scale: float, end: date, dsa_start: date | None):
        self.out, self.truth = out, truth
        self.seed, self.scale = seed, scale
        self.end_date = end
        self.end = end.toordinal()
        self.rng = random.Random(seed)
        self.dsa_start = dsa_start or default_dsa_start(end)
        cdates = month_ends(self.dsa_start, end)
        if len(cdates) < 3:
            raise ValueError("the DSA window must hold at least three monthly deliveries")
        self.court_dates = cdates
        self.court_ords = [d.toordinal() for d in cdates]
        self.dcjs_dates = [d for d in cdates if d.month % 3 == 0] or [cdates[-1]]
        n = len(cdates)
        self.close_idx = max(1, min(n - 2, round(0.45 * (n - 1))))
        self.expand_idx = max(self.close_idx + 1, min(n - 1, round(0.7 * (n - 1))))
        self.program_dates = sorted({cdates[0], cdates[self.close_idx], cdates[self.expand_idx]})
        self.removed_idx = max(1, n // 2)
        self.removed_done = False
        # courts
        self.courts = {}
        for i, (cid, name, county, dcounty, code, start, weight) in enumerate(W.COURTS):
            scope = date(start.year - 3, start.month, start.day)
            self.courts[cid] = dict(idx=i, id=cid, name=name, county=county, dcounty=dcounty, code=code,
                                    start=start.toordinal(), scope=scope.toordinal(), weight=weight,
                                    start_date=start)
        self.court_list = list(self.courts.values())
        # providers and their contracts
        self.providers: dict[str, _Provider] = {}
        close_ord = self.court_ords[self.close_idx]
        for i, spec in enumerate(W.PROVIDERS):
            p = _Provider(spec, i)
            for cid, start in spec["courts"]:
                p.contracts.append([cid, start.toordinal(), None, self.court_ords[0]])
            if p.id == W.CLOSING_PROVIDER:
                p.closing = True
                for c in p.contracts:
                    c[2] = close_ord
            self.providers[p.id] = p
        ep, ec = W.EXPANDING_PROVIDER
        self.providers[ep].contracts.append([ec, self.court_ords[self.expand_idx] + 1, None,
                                             self.court_ords[self.expand_idx]])
        for p in self.providers.values():
            last = close_ord if p.closing else self.court_ords[-1]
            p.dates = [o for o in self.court_ords if o <= last]
            p.cutoff = last
        self.resent = None
        self.quirks = _Quirks()
        self.n_person = 0
        self.n_arrest = 0
        self.n_nysid = 0
        self.docket_seq: dict[tuple, int] = {}
        self.def_seq: dict[str, int] = {}
        self.htic_by_year: dict[int, int] = {}
        self.cases_total = 0
        self.clients_total = 0

    # ------------------------------------------------------------------ ids
    def next_nysid(self) -> str:
        self.n_nysid += 1
        n = self.n_nysid
        return f"{(12345678 + n * 7919) % 100_000_000:08d}" + "ABCDEFGHJKLMNPRSTUVWXYZ"[n % 23]

    def next_arrest_id(self) -> str:
        self.n_arrest += 1
        return f"NY{(5550001 + self.n_arrest * 104729) % 1_000_000_000:09d}"

    def next_docket(self, court: dict, arraign: int) -> str:
        yy = date.fromordinal(arraign).year % 100
        k = (court["id"], yy)
        self.docket_seq[k] = self.docket_seq.get(k, 0) + 1
        return f"CR-{self.docket_seq[k]:06d}-{yy:02d}{court['code']}"

    def next_defendant(self, court_id: str) -> str:
        self.def_seq[court_id] = self.def_seq.get(court_id, 0) + 1
        return f"D{self.def_seq[court_id]:06d}"

    # ------------------------------------------------------------------ providers
    def active_providers(self, court_id: str, t: int) -> list[_Provider]:
        out = []
        for p in self.providers.values():
            for c in p.contracts:
                if c[0] == court_id and c[1] <= t and (c[2] is None or t <= c[2]):
                    out.append(p)
        return out

    def choose_provider(self, rng, court_id: str, t: int, exclude=None):
        ps = [p for p in self.active_providers(court_id, t) if p is not exclude]
        if not ps:
            return None
        tot = sum(p.spec["capacity"] for p in ps)
        r = rng.random() * tot
        for p in ps:
            r -= p.spec["capacity"]
            if r < 0:
                return p
        return ps[-1]

    def emit(self, p: _Provider, table: str, key: str, versions: list) -> bool:
        """Queue a provider record: versions [[upd_ord, secs, status, values]] (dates as ordinals)."""
        vs = []
        for v in versions:
            if v[0] > p.cutoff:
                if p.closing and _record_last_date(table, v[3]) <= p.cutoff:
                    v = [p.cutoff, min(v[1], 61000), v[2], v[3]]
                else:
                    continue
            vs.append(v)
        if not vs:
            return False
        p.tmp.write(json.dumps([table, key, vs], separators=(",", ":")) + "\n")
        return True

    def first_delivery(self, p: _Provider, upd: int):
        k = bisect.bisect_left(p.dates, upd)
        return date.fromordinal(p.dates[k]).isoformat() if k < len(p.dates) else None

    # ------------------------------------------------------------------ the world
    def run(self, tmp: str) -> dict:
        os.makedirs(self.out, exist_ok=True)
        os.makedirs(self.truth, exist_ok=True)
        self.tmp = tmp
        court_tmp = {cid: open(os.path.join(tmp, f"court-{cid}.jsonl"), "w") for cid in self.courts}
        self.court_tmp = court_tmp
        for p in self.providers.values():
            p.tmp = open(os.path.join(tmp, f"provider-{p.id}.jsonl"), "w")
        # dcjs snapshot writers (pass 1 writes them directly)
        self.dcjs_out = []
        for d in self.dcjs_dates:
            folder = os.path.join(self.out, "dcjs", d.isoformat())
            os.makedirs(folder, exist_ok=True)
            self.dcjs_out.append((d.toordinal(), folder, TextOut(os.path.join(folder, "arrests.txt"), DCJS_COLS,
                                                                   sep="|")))
        # truth writers
        tw = {}
        tw["persons"] = TextOut(os.path.join(self.truth, "persons.csv"),
                                ["person_uid", "first_name", "last_name", "dob", "sex", "gender_identity", "race",
                                 "ethnicity", "primary_language", "nysid", "kind"])
        tw["defendants"] = TextOut(os.path.join(self.truth, "defendants.csv"),
                                   ["court_id", "defendant_id", "person_uid", "nysid"])
        tw["cases"] = TextOut(os.path.join(self.truth, "cases.csv"), TRUTH_CASE_COLS)
        tw["client_links"] = TextOut(os.path.join(self.truth, "client_links.csv"), TRUTH_LINK_COLS)
        tw["arrests"] = TextOut(os.path.join(self.truth, "arrests.csv"),
                                ["person_uid", "nysid", "arrest_id", "arrest_date", "arrest_county", "top_charge",
                                 "offense_level", "court_id", "docket_id", "in_dcjs"])
        self.tw = tw

        # ---- pass 1: people, in order of first in-scope arrest (month by month)
        rng = self.rng
        y, m = W.WORLD_START.year, W.WORLD_START.month
        while True:
            first = date(y, m, 1).toordinal()
            if first > self.end:
                break
            last = min(_month_end(y, m).toordinal(), self.end)
            vol = W.YEAR_VOLUME.get(y, W.YEAR_VOLUME_LATER) if y >= 2010 else 1.0
            for court in self.court_list:
                lo = max(first, court["scope"])
                if lo > last:
                    continue
                frac = (last - lo + 1) / (last - first + 1)
                lam = W.NEW_PEOPLE_PER_WEIGHT_YEAR / 12 * court["weight"] * vol * self.scale * frac
                for _ in range(_poisson(rng, lam)):
                    self.person(rng, court, rng.randint(lo, last))
            for p in self.providers.values():
                for c in p.contracts:
                    lo, hi = max(first, c[1]), min(last, c[2] if c[2] is not None else last)
                    if lo > hi:
                        continue
                    lam = W.COMMUNITY_CLIENTS_PER_COURT_YEAR / 12 * self.scale * (hi - lo + 1) / (last - first + 1)
                    for _ in range(_poisson(rng, lam)):
                        self.community_client(rng, p, c[0], rng.randint(lo, hi))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)

        for f in court_tmp.values():
            f.close()
        for p in self.providers.values():
            p.tmp.close()
        files = []
        for o, folder, w in self.dcjs_out:
            entry = w.close()
            write_control(folder, [entry])
            files.append(("dcjs", entry))
        for w in tw.values():
            w.close()

        # ---- pass 2
        files += self.write_program()
        for court in self.court_list:
            files += self.write_court(court)
        for p in self.providers.values():
            files += self.write_provider(p)
        self.write_truth_json()
        return self.summary(files)

    # ------------------------------------------------------------------ people
    def person(self, rng, home: dict, t: int) -> None:
        self.n_person += 1
        uid = f"P{self.n_person:07d}"
        ident = new_identity(rng)
        band = pick(rng, list(zip(W.AGE_BANDS, W.AGE_BAND_P)))
        lo, hi = W.AGE_BAND_RANGE[band]
        age = rng.randint(lo, hi)
        dob = t - int(age * 365.25) - rng.randint(0, 364)
        nysid = None if rng.random() < W.P_NO_NYSID else self.next_nysid()
        pers = dict(uid=uid, ident=ident, dob=dob, nysid=nysid, home=home, defendants={}, cases=[], clients=[])
        arrests = []  # [ord, charge, level, county, arrest_id, docket]
        for _ in range(pick(rng, list(enumerate(W.PRIOR_COUNT_P)))):
            ch, lv = rng.choice(W.OTHER_CHARGES)
            cty = home["dcounty"] if rng.random() < 0.8 else rng.choice(W.OTHER_COUNTIES)
            arrests.append([t - rng.randint(1, 1095), ch, lv, cty, self.next_arrest_id(), None, None])
        arrests.sort(key=lambda a: a[0])
        pers["arrests"] = arrests
        cur, prost, lp, n = t, True, 0.0, 0
        while cur <= self.end and n < 12:
            n += 1
            if pers["cases"]:
                self.maybe_restore(rng, pers["cases"][-1], cur)
            if prost:
                court = home
                if n > 1 and rng.random() < 0.08:
                    court = rng.choice(self.court_list)
                    if court["scope"] > cur:
                        court = home
                charge = self.prost_charge(rng, cur)
                arr = [cur, charge, PROST_LEVEL[charge], court["dcounty"], self.next_arrest_id(), None, None]
                arrests.append(arr)
                case = self.make_case(rng, pers, court, arr)
                if case is None:
                    break
                lp = case["lp"]
                risk_from = case["disp"]
                if risk_from is None or risk_from > self.end:
                    break
            else:
                ch, lv = rng.choice(W.OTHER_CHARGES)
                cty = home["dcounty"] if rng.random() < 0.7 else rng.choice(W.OTHER_COUNTIES)
                arrests.append([cur, ch, lv, cty, self.next_arrest_id(), None, None])
                risk_from = cur + 1
            w = self.gompertz(rng, lp)
            if w is None:
                break
            cur = risk_from + w
            prost = rng.random() < W.P_REARREST_PROSTITUTION
        # voluntary returns after a case
        for case in list(pers["cases"]):
            if case["disp"] is not None and rng.random() < W.P_RETURN_SELF:
                start = case["final_disp_date"] + rng.randint(60, 720)
                if start <= self.end:
                    self.service(rng, pers, case["court"]["id"], start, "SELF", None, None, 0, 0)
        self.finish_person(pers)

    def prost_charge(self, rng, t: int) -> str:
        r = rng.random()
        if r < 0.70:
            return "PL 230.00"
        if r < 0.73:
            return "PL 230.03"
        if r < 0.80:
            return "ED 6512"
        return "PL 240.37" if t < W.PL24037_REPEAL.toordinal() else "PL 230.00"

    def gompertz(self, rng, lp: float):
        e = rng.expovariate(1.0)
        x = e * W.HAZARD_B / (W.HAZARD_A * math.exp(lp))
        if x >= 1.0:
            return None
        return max(1, int(-math.log(1.0 - x) / W.HAZARD_B) + 1)

    def make_case(self, rng, pers: dict, court: dict, arr: list):
        t = arr[0]
        arraign = t + (0 if rng.random() < 0.6 else 1)
        if arraign > self.end:
            return None
        dob = pers["dob"]
        age = int((arraign - dob) / 365.25)
        aband = _band_age(age)
        priors = sum(1 for a in pers["arrests"] if t - 1095 <= a[0] < t)
        pband = _band_prior(priors)
        year = date.fromordinal(arraign).year
        eligible = arraign >= court["start"]
        referred = False
        if eligible:
            x = (W.REFERRAL_INTERCEPT + W.REFERRAL_AGE[aband] + W.REFERRAL_PRIOR[pband] + W.REFERRAL_COURT[court["id"]]
                 + W.REFERRAL_YEAR_RAMP * min(5, max(0, year - court["start_date"].year)))
            referred = rng.random() < W.logistic(x)
        docket = self.next_docket(court, arraign)
        arr[5], arr[6] = court["id"], docket
        if court["id"] not in pers["defendants"]:
            pers["defendants"][court["id"]] = self.next_defendant(court["id"])
        case = dict(court=court, docket=docket, defendant=pers["defendants"][court["id"]], arrest=arr,
                    arrest_id=arr[4] if rng.random() > 0.02 else None, arraign=arraign, age=age, aband=aband,
                    priors=priors, pband=pband, year=year, eligible=eligible, referred=referred, ref=None, M=None,
                    intend=None, completion=None, provider=None, changes=[], events=[(arraign, "ARRAIGNMENT")],
                    restored=None, acd_seal=None, removed=False, disp=None, disp_code=None)
        ch = case["changes"]
        ch.append((arraign, {}))
        warrant_p = 0.08
        after = arraign
        if referred:
            ref = arraign + (0 if rng.random() < 0.5 else rng.randint(1, 21))
            M = pick(rng, [(6, .45), (5, .41), (None, .09), (0, .05)])
            case["ref"], case["M"] = ref, M
            ch.append((ref, {"ref": ref, "M": M}))
            after = ref
            if ref <= self.end:
                self.htic_by_year[date.fromordinal(ref).year] = self.htic_by_year.get(date.fromordinal(ref).year,
                                                                                      0) + 1
            if M:
                intend = rng.random() < W.logistic(W.COMPLETION_INTERCEPT + W.COMPLETION_AGE[aband]
                                                   + W.COMPLETION_PRIOR[pband])
                case["intend"] = intend
                start = ref + (rng.randint(0, 21) if rng.random() < 0.9 else rng.randint(22, 45))
                last = None
                if rng.random() > 0.04:  # 4% never reach a provider
                    target = M if intend else rng.randint(0, M - 1)
                    comp, last = self.service(rng, pers, court["id"], start, "COURT_MANDATE", case, case, M, target)
                    case["completion"] = comp
                if case["completion"] is not None:
                    disp = case["completion"] + rng.randint(7, 45)
                    code = pick(rng, [("ACD", .75), ("DISMISSED", .2), ("PLEA_VIOLATION", .05)])
                    warrant_p = 0.06
                else:
                    disp = max(ref + rng.randint(120, 330), (last or ref) + rng.randint(14, 60))
                    code = pick(rng, [("PLEA_VIOLATION", .40), ("PLEA_MISDEMEANOR", .30), ("ACD", .10),
                                      ("CONVICTED", .07), ("TRANSFERRED", .05), ("ABATED", .03), ("DISMISSED", .05)])
                    warrant_p = 0.5
                    after = last or ref
            else:
                disp = ref + rng.randint(14, 90)
                code = "ACD" if rng.random() < 0.7 else "DISMISSED"
                if rng.random() < 0.3:
                    self.service(rng, pers, court["id"], ref + rng.randint(0, 21), "COURT_MANDATE", case, case,
                                 0, 0)
        else:
            disp = arraign if rng.random() < 0.4 else arraign + rng.randint(1, 120)
            code = pick(rng, [("PLEA_VIOLATION", .35), ("ACD", .25), ("DISMISSED", .15), ("PLEA_MISDEMEANOR", .12),
                              ("CONVICTED", .04), ("ACQUITTED", .03), ("TRANSFERRED", .03), ("ABATED", .03)])
        # court dates between arraignment and disposition
        if referred:
            d = case["ref"] + rng.randint(28, 56)
            k = 0
            while d < disp and k < 3:
                case["events"].append((d, "COMPLIANCE_REVIEW"))
                d += rng.randint(42, 70)
                k += 1
        elif disp > arraign:
            for _ in range(rng.randint(0, 1)):
                d = rng.randint(arraign + 1, disp)
                if d < disp:
                    case["events"].append((d, "ADJOURNMENT"))
        # warrants
        if rng.random() < warrant_p:
            w = after + rng.randint(10, 60)
            case["events"].append((w, "WARRANT_ISSUED"))
            if rng.random() < 0.08:
                disp = None  # still outstanding: pending
            else:
                v = w + rng.randint(7, 150)
                case["events"].append((v, "WARRANT_VACATED"))
                if v + 7 > disp:
                    disp = v + rng.randint(10, 60)
        if disp is not None:
            self.dispose(rng, case, disp, code)
        case["disp"] = disp
        case["final_disp_date"] = disp
        comp = case["completion"] is not None
        case["lp"] = (W.HAZARD_AGE[aband] + W.HAZARD_PRIOR[pband] + W.HAZARD_COURT[court["id"]]
                      + W.HAZARD_YEAR * (year - 2016)
                      + (math.log(W.HR_HTIC_REFERRAL) if referred else 0.0)
                      + (math.log(W.HR_MANDATE_COMPLETION) if comp else 0.0))
        # the one docket removed upstream: an old comparison case of the chosen court
        if (not self.removed_done and court["id"] == W.REMOVED_DOCKET_COURT and not referred
                and arraign < self.court_ords[0] - 365):
            self.removed_done = True
            case["removed"] = True
            self.quirks.add("removed_docket", source=f"court-{court['id']}",
                            last_present_as_of=self.court_dates[self.removed_idx - 1].isoformat(),
                            first_absent_as_of=self.court_dates[self.removed_idx].isoformat(),
                            file="cases.csv", docket_id=docket)
        pers["cases"].append(case)
        return case

    def dispose(self, rng, case: dict, d: int, code: str) -> None:
        case["changes"].append((d, {"dd": d, "disp": code}))
        case["events"].append((d, "DISPOSITION"))
        case["disp_code"] = code
        if code == "ACD":
            if rng.random() < 0.97:
                case["acd_seal"] = d + W.ACD_PERIOD_DAYS + rng.randint(0, 3)
        elif code in ("DISMISSED", "ACQUITTED") and rng.random() < 0.92:
            self.seal(case, d, d)
        elif code == "PLEA_VIOLATION" and rng.random() < 0.6:
            self.seal(case, d, d + rng.randint(0, 30))

    def seal(self, case: dict, d: int, s: int) -> None:
        case["changes"].append((s, {"sealed": "Y", "sd": s}))
        case["events"].append((s, "SEALED"))

    def maybe_restore(self, rng, case: dict, t: int) -> None:
        d = case["disp"]
        if (case["disp_code"] != "ACD" or d is None or case["restored"] is not None or not (d < t < d + W.ACD_PERIOD_DAYS)
                or rng.random() >= W.P_ACD_RESTORE_AFTER_ARREST):
            return
        r = min(t + rng.randint(7, 30), d + W.ACD_PERIOD_DAYS - 1)
        case["restored"] = r
        case["acd_seal"] = None
        case["changes"].append((r, {"dd": None, "disp": None, "sealed": "N", "sd": None}))
        case["events"].append((r, "RESTORED"))
        d2 = r + rng.randint(20, 120)
        code = pick(rng, [("PLEA_VIOLATION", .55), ("PLEA_MISDEMEANOR", .30), ("DISMISSED", .15)])
        case["disp_code"] = None
        self.dispose(rng, case, d2, code)
        case["final_disp_date"] = d2

    # ------------------------------------------------------------------ provider services
    def service(self, rng, pers, court_id, start, source, case, link_case, M, target):
        """Episodes at providers until done; re-enrol elsewhere when a provider closes. → (completion, last)."""
        credits = 0
        last = None
        exclude = None
        while start <= self.end:
            p = self.choose_provider(rng, court_id, start, exclude)
            if p is None:
                return None, last
            res = self.episode(rng, p, pers, court_id, start, source, case, M, target, credits)
            credits = res["credits"]
            last = res["last"] or last
            if res["completion"] is not None:
                if res["closed"] is not None and rng.random() < W.P_REENROL_60D_AFTER_PROVIDER_EXIT:
                    # still coming after the mandate when the provider closed: continues elsewhere
                    again = res["closed"] + rng.randint(3, 60)
                    self.quirks.add("reenrol_after_provider_exit", provider_closed=p.id, person_uid=pers["uid"],
                                    closed=iso(res["closed"]), reenrol_intake=iso(again))
                    self.service(rng, pers, court_id, again, "OTHER_AGENCY", None, None, 0, 0)
                return res["completion"], last
            if res["closed"] is None:
                return None, last
            r = rng.random()
            if r < W.P_REENROL_60D_AFTER_PROVIDER_EXIT:
                start = res["closed"] + rng.randint(3, 60)
            elif r < W.P_REENROL_60D_AFTER_PROVIDER_EXIT + W.P_REENROL_LATE_AFTER_PROVIDER_EXIT:
                start = res["closed"] + rng.randint(61, 150)
            else:
                return None, last
            exclude = p
            if M and credits < M and target == M:
                pass  # the mandate continues at the new provider
            self.quirks.add("reenrol_after_provider_exit", provider_closed=p.id, person_uid=pers["uid"],
                            closed=iso(res["closed"]), reenrol_intake=iso(start))
        return None, last

    def _secs(self, rng) -> int:
        return rng.randint(8 * 3600, 19 * 3600)

    def _upd(self, rng, d: int, lag_max: int = 5) -> tuple[int, int]:
        return d + (rng.randint(0, lag_max) if rng.random() < 0.8 else rng.randint(0, lag_max * 4)), self._secs(rng)

    def episode(self, rng, p: _Provider, pers, court_id, intake, source, case, M, target, credits) -> dict:
        res = {"credits": credits, "completion": None, "last": None, "closed": None}
        cend = p.contract_end(court_id)
        if cend is not None and intake > cend:
            res["closed"] = cend
            return res
        ident = pers["ident"]
        cid = p.next_client()
        self.clients_total += 1
        first, last, dob, what = typed_identity(rng, ident["first"], ident["last"], date.fromordinal(pers["dob"]),
                                                {"nick": W.P_CLIENT_NICKNAME, "swap": W.P_CLIENT_SWAP,
                                                 "name_typo": W.P_CLIENT_NAME_TYPO, "dob_typo": W.P_CLIENT_DOB_TYPO})
        if p.spec["upper"]:
            first, last = first.upper(), last.upper()
        docket_ref, dv = (None, "none")
        if case is not None and source == "COURT_MANDATE":
            docket_ref, dv = docket_variant(rng, case["docket"], W.P_DOCKET_VARIANT)
        court_field = court_id if rng.random() >= W.P_CLIENT_COURT_NULL else None
        upd, secs = self._upd(rng, intake)
        vals = [cid, docket_ref, court_field, first, last, dob.toordinal(), intake, source]
        delivered = self.emit(p, "clients", cid, [[upd, secs, "ACTIVE", vals]])
        fd = self.first_delivery(p, upd)
        if delivered and fd:
            if what:
                self.quirks.add(what, source=f"provider-{p.id}", as_of=fd, client_id=cid, person_uid=pers["uid"])
            if dv in ("lower", "noprefix", "spaces", "null"):
                self.quirks.add(f"docket_ref_{dv}", source=f"provider-{p.id}", as_of=fd, client_id=cid,
                                docket_ref=docket_ref, docket_id=case["docket"])
            if court_field is None:
                self.quirks.add("client_court_null", source=f"provider-{p.id}", as_of=fd, client_id=cid)
        pers["clients"].append(dict(provider=p.id, client_id=cid, court_id=court_id, intake=intake, source=source,
                                    docket=case["docket"] if docket_ref is not None else None,
                                    deleted=False, noise=what, delivered=delivered))
        # a duplicate client entered in error, later DELETED (with an assessment that then counts nowhere)
        if rng.random() < W.P_DUP_CLIENT_DELETED:
            cid2 = p.next_client()
            du = upd + rng.randint(1, 30)
            ok = self.emit(p, "clients", cid2, [[upd, secs + 60, "ACTIVE", [cid2] + vals[1:]],
                                                 [du, self._secs(rng), "DELETED", [cid2] + vals[1:]]])
            aid = p.next_rec("A")
            self.emit(p, "assessments", aid, [[upd, secs + 120, "ACTIVE", [aid, cid2, intake, "TRAUMA", "LOW"]]])
            pers["clients"].append(dict(provider=p.id, client_id=cid2, court_id=court_id, intake=intake,
                                        source=source, docket=case["docket"] if docket_ref else None, deleted=True,
                                        noise=what, delivered=ok))
            if ok and self.first_delivery(p, du):
                self.quirks.add("client_deleted", source=f"provider-{p.id}", as_of=self.first_delivery(p, du),
                                client_id=cid2)
        self.assess(rng, p, cid, intake, pers, cend)
        # sessions
        limit = min(self.end, cend) if cend is not None else self.end
        t = intake + rng.randint(0, 7)
        mandated = bool(M)
        p_att = 0.85 if (not mandated or target == M) else 0.6
        n_free = rng.randint(1, 10) if not mandated else 0
        last_s = None
        exit_code, exit_d = None, None
        while True:
            if t > limit:
                if cend is not None and t > cend:
                    res["closed"] = cend
                break
            if mandated and res["credits"] >= target:
                if target < M:
                    for _ in range(rng.randint(1, 3)):
                        if t <= limit:
                            self.session(rng, p, cid, t, "NO_SHOW", "INDIVIDUAL_COUNSELING", "N")
                            t += rng.randint(5, 10)
                    exit_code, exit_d = "DISENGAGED", (last_s or intake) + rng.randint(30, 60)
                break
            if not mandated and n_free <= 0:
                exit_code = "VOLUNTARY_COMPLETE" if rng.random() < 0.6 else "DISENGAGED"
                exit_d = (last_s or intake) + rng.randint(7, 45)
                break
            r = rng.random()
            status = "ATTENDED" if r < p_att else ("NO_SHOW" if r < p_att + (1 - p_att) * 0.75 else "CANCELLED")
            stype = pick(rng, [("INDIVIDUAL_COUNSELING", .5), ("GROUP", .35), ("CASE_MANAGEMENT", .1), ("OTHER", .05)])
            credit = "Y" if mandated and status == "ATTENDED" and stype in ("INDIVIDUAL_COUNSELING", "GROUP") else "N"
            self.session(rng, p, cid, t, status, stype, credit)
            if status == "ATTENDED":
                last_s = t
                res["last"] = t
            if credit == "Y":
                res["credits"] += 1
                if res["credits"] == M and target == M:
                    res["completion"] = t
                    break
            if not mandated:
                n_free -= 1
            t += rng.randint(5, 10)
        if res["completion"] is not None:
            comp = res["completion"]
            exit_code, exit_d = "MANDATE_COMPLETE", comp + rng.randint(0, 14)
            if rng.random() < W.P_VOLUNTARY_CONTINUATION:
                t = comp + rng.randint(31, 90)
                for _ in range(rng.randint(1, 6)):
                    if t > limit:
                        break
                    st = "ATTENDED" if rng.random() < 0.85 else "NO_SHOW"
                    self.session(rng, p, cid, t, st, pick(rng, [("INDIVIDUAL_COUNSELING", .5), ("GROUP", .4),
                                                                ("OTHER", .1)]), "N")
                    exit_code, exit_d = "VOLUNTARY_COMPLETE", t + rng.randint(7, 30)
                    t += rng.randint(7, 21)
        if exit_d is not None and cend is not None and exit_d > cend:
            exit_code, exit_d = "PROVIDER_CLOSED", cend
            res["closed"] = cend
        if res["closed"] is not None:
            exit_code, exit_d = "PROVIDER_CLOSED", cend
        if exit_code == "DISENGAGED" and rng.random() < 0.1:
            exit_code = "TRANSFERRED"  # moved to another programme
        r = rng.random()
        if exit_d is not None and r < 0.02 and exit_code != "PROVIDER_CLOSED":
            # the file is closed administratively long after the client was last seen
            exit_code, exit_d = "OTHER", exit_d + rng.randint(180, 400)
            if cend is not None and exit_d > cend:
                exit_code, exit_d = "PROVIDER_CLOSED", cend
        if exit_code == "PROVIDER_CLOSED":
            res["closed"] = cend  # active on the contract end
        if exit_d is not None and exit_d <= self.end and r < 0.995:
            self.exit(rng, p, cid, exit_d, exit_code)
        return res

    def session(self, rng, p, cid, t, status, stype, credit) -> None:
        sid = p.next_rec("S")
        minutes = (rng.choice((45, 60, 60, 90)) if stype != "GROUP" else 90) if status == "ATTENDED" else None
        upd, secs = self._upd(rng, t, 7)
        vals = [sid, cid, t, stype, status, credit, minutes]
        self.emit(p, "sessions", sid, [[upd, secs, "ACTIVE", vals]])
        if rng.random() < W.P_DUP_SESSION_DELETED:
            sid2 = p.next_rec("S")
            du = upd + rng.randint(1, 40)
            if self.emit(p, "sessions", sid2, [[upd, secs + 30, "ACTIVE", [sid2] + vals[1:]],
                                               [du, self._secs(rng), "DELETED", [sid2] + vals[1:]]]):
                fd = self.first_delivery(p, du)
                if fd:
                    self.quirks.add("session_deleted", source=f"provider-{p.id}", as_of=fd, session_id=sid2)

    def assess(self, rng, p, cid, intake, pers, cend) -> None:
        limit = min(self.end, cend) if cend is not None else self.end
        for dom in W.DOMAINS:
            pr = ASSESS_P[dom]
            if dom == "IMMIGRATION" and pers["ident"]["language"] not in ("en", None):
                pr = 0.6
            if rng.random() >= pr:
                continue
            ad = intake + (rng.randint(0, 21) if rng.random() < 0.85 else rng.randint(22, 45))
            if ad > limit:
                continue
            if dom == "TRAFFICKING_INDICATORS":
                lvl = pick(rng, [("NONE", .4), ("LOW", .3), ("MODERATE", .18), ("HIGH", .12)])
            else:
                lvl = pick(rng, [("NONE", .3), ("LOW", .3), ("MODERATE", .25), ("HIGH", .15)])
            aid = p.next_rec("A")
            upd, secs = self._upd(rng, ad)
            self.emit(p, "assessments", aid, [[upd, secs, "ACTIVE", [aid, cid, ad, dom, lvl]]])
            if lvl in ("MODERATE", "HIGH"):
                rdom = "LEGAL" if dom == "TRAFFICKING_INDICATORS" else dom
                if rng.random() < (0.6 if rdom == "LEGAL" else 0.65):
                    rd = ad + (rng.randint(0, 45) if rng.random() < 0.85 else rng.randint(46, 120))
                    if rd <= limit:
                        self.referral(rng, p, cid, rd, rdom)

    def referral(self, rng, p, cid, rd, dom) -> None:
        rid = p.next_rec("R")
        partner = rng.choice(PARTNERS.get(dom, PARTNERS["TRAUMA"]))
        final = pick(rng, [("CONNECTED", .6), ("DECLINED", .12), ("UNREACHABLE", .13), ("MADE", .15)])
        upd, secs = self._upd(rng, rd)
        vs = [[upd, secs, "ACTIVE", [rid, cid, rd, dom, partner, "MADE", rd]]]
        if final != "MADE":
            sd = rd + rng.randint(3, 100)
            u2, s2 = self._upd(rng, sd)
            if u2 > upd:
                vs.append([u2, s2, "ACTIVE", [rid, cid, rd, dom, partner, final, sd]])
        if self.emit(p, "referrals", rid, vs) and len(vs) > 1:
            fd, fd2 = self.first_delivery(p, vs[0][0]), self.first_delivery(p, vs[1][0])
            if fd and fd2 and fd2 != fd:
                self.quirks.add("referral_status_update", source=f"provider-{p.id}", first_as_of=fd,
                                updated_as_of=fd2, referral_id=rid)

    def exit(self, rng, p, cid, d, code) -> None:
        resp = {"MANDATE_COMPLETE": .75, "VOLUNTARY_COMPLETE": .7, "DISENGAGED": .2, "PROVIDER_CLOSED": .4,
                "TRANSFERRED": .3, "OTHER": .05}[code]
        helpful, rec = None, None
        if rng.random() < resp:
            helpful = max(1, min(5, int(round(rng.gauss(p.help_mean + (0.4 if "COMPLETE" in code else -0.5), 0.9)))))
            rec = ("Y" if helpful >= 4 or rng.random() < 0.2 else "N") if rng.random() < 0.9 else None
            if rng.random() < 0.08:
                helpful = None
        upd, secs = self._upd(rng, d, 10)
        if p.closing:
            upd = min(upd, p.cutoff)
        vs = [[upd, secs, "ACTIVE", [cid, d, code, helpful, rec]]]
        if (helpful is not None or rec is not None) and rng.random() < 0.12:
            # the survey comes in later: first recorded without answers
            u2, s2 = upd + rng.randint(5, 40), self._secs(rng)
            vs = [[upd, secs, "ACTIVE", [cid, d, code, None, None]], [u2, s2, "ACTIVE", [cid, d, code, helpful, rec]]]
        self.emit(p, "exits", cid, vs)

    def community_client(self, rng, p: _Provider, court_id: str, t: int) -> None:
        self.n_person += 1
        uid = f"P{self.n_person:07d}"
        ident = new_identity(rng)
        dob = t - int(rng.randint(18, 55) * 365.25) - rng.randint(0, 364)
        pers = dict(uid=uid, ident=ident, dob=dob, nysid=None, home=None, defendants={}, cases=[], clients=[],
                    arrests=[])
        src = pick(rng, [("SELF", .5), ("OUTREACH", .35), ("OTHER_AGENCY", .15)])
        if p in self.active_providers(court_id, t):
            self.service(rng, pers, court_id, t, src, None, None, 0, 0)
        self.finish_person(pers, kind="community")

    # ------------------------------------------------------------------ finishing a person
    def finish_person(self, pers: dict, kind: str = "defendant") -> None:
        ident = pers["ident"]
        nysid = pers["nysid"]
        self.tw["persons"].row([pers["uid"], ident["first"], ident["last"], iso(pers["dob"]), ident["sex"],
                                ident["gender"], ident["race"], ident["ethnicity"], ident["language"], nysid, kind])
        for cid, did in pers["defendants"].items():
            self.tw["defendants"].row([cid, did, pers["uid"], nysid])
        cases = pers["cases"]
        # court groups
        by_court: dict[str, list] = {}
        for case in cases:
            by_court.setdefault(case["court"]["id"], []).append(case)
        for cid, cs in by_court.items():
            did = pers["defendants"][cid]
            drow = [did, nysid, ident["last"], ident["first"], pers["dob"], ident["sex"], ident["gender"],
                    ident["race"], ident["ethnicity"], ident["language"]]
            if nysid is None:
                self.quirks.add("defendant_without_nysid", source=f"court-{cid}", file="defendants.csv",
                                defendant_id=did)
            out = []
            for c in cs:
                out.append(self.render_case(c))
            self.court_tmp[cid].write(json.dumps([drow, out], separators=(",", ":")) + "\n")
        # truth: cases
        for c in cases:
            self.cases_total += 1
            self.tw["cases"].row(self.truth_case_row(pers, c))
        # truth: arrests + dcjs
        arrests = pers["arrests"]
        ws = W.WORLD_START.toordinal()
        for a in arrests:
            self.tw["arrests"].row([pers["uid"], nysid, a[4], iso(a[0]), a[3], a[1], a[2], a[5], a[6],
                                    "Y" if (nysid and cases and a[0] >= ws) else "N"])
        if nysid and cases:
            req = min(c["arraign"] for c in cases)
            for o, folder, w in self.dcjs_out:
                if o < req:
                    continue
                w.lines([f"{nysid}|{a[4]}|{ymd(a[0])}|{a[3]}|{a[1]}|{a[2]}" for a in arrests if ws <= a[0] <= o])
        # truth: client links (the spec's rule)
        htic = sorted([c for c in cases if c["referred"] and c["ref"] is not None and c["ref"] <= self.end
                       and not c["removed"]], key=lambda c: c["ref"])
        for cl in pers["clients"]:
            docket, rule, court = None, "none", None
            if cl["docket"] is not None:
                docket, rule = cl["docket"], "docket"
                court = next(c["court"]["id"] for c in cases if c["docket"] == docket)
            else:
                best = None
                for c in htic:
                    if c["ref"] <= cl["intake"] + 30:
                        best = c
                if best is not None:
                    docket, rule, court = best["docket"], "person", best["court"]["id"]
            self.tw["client_links"].row([cl["provider"], cl["client_id"], pers["uid"], court, docket, rule,
                                         "Y" if cl["deleted"] else "N", cl["source"], iso(cl["intake"]),
                                         cl["noise"] or None, cl["court_id"], "Y" if cl["delivered"] else "N"])

    def render_case(self, c: dict) -> list:
        """[static, arraign_ord, removed_from_idx, versions, events] — dates as ordinals."""
        end = self.end
        changes = list(c["changes"])
        events = list(c["events"])
        if c["acd_seal"] is not None:
            s = c["acd_seal"]
            changes.append((s, {"disp": "DISMISSED", "sealed": "Y", "sd": s}))
            events.append((s, "SEALED"))
        changes = sorted([x for x in changes if x[0] <= end], key=lambda x: x[0])
        state = {"ref": None, "M": None, "dd": None, "disp": None, "sealed": "N", "sd": None}
        versions = []
        rng = self.rng
        for d, upd in changes:
            state.update(upd)
            row = [d, self._secs(rng), state["ref"], state["M"], state["dd"], state["disp"], state["sealed"],
                   state["sd"]]
            if versions and versions[-1][0] == d:
                row[1] = versions[-1][1]
                versions[-1] = row
            else:
                versions.append(row)
        events = sorted([e for e in events if e[0] <= end], key=lambda e: (e[0], EVENT_PRIORITY[e[1]]))
        if c["restored"] is not None and c["restored"] <= end:
            self.quirks.add("acd_restored", source=f"court-{c['court']['id']}", docket_id=c["docket"],
                            restored=iso(c["restored"]))
        if c["acd_seal"] is not None and c["acd_seal"] <= end:
            self.quirks.add("acd_dismissed_sealed", source=f"court-{c['court']['id']}", docket_id=c["docket"],
                            sealed=iso(c["acd_seal"]))
        if any(e[1] == "WARRANT_ISSUED" for e in events):
            self.quirks.add("warrant", source=f"court-{c['court']['id']}", docket_id=c["docket"])
        a = c["arrest"]
        static = [c["docket"], c["defendant"], c["arrest_id"], a[0], c["arraign"], a[1]]
        return [static, c["arraign"], self.removed_idx if c["removed"] else None, versions,
                [[e[0], e[1]] for e in events]]

    def truth_case_row(self, pers, c) -> list:
        fin = c["final_disp_date"]
        first_disp = c["disp"]
        nxt = None
        if first_disp is not None:
            later = [a[0] for a in pers["arrests"] if a[0] > first_disp]
            nxt = min(later) if later else None
        return [c["court"]["id"], c["docket"], c["defendant"], pers["uid"], pers["nysid"], c["arrest"][4],
                c["arrest_id"] is None and "Y" or "N", iso(c["arrest"][0]), iso(c["arraign"]), c["arrest"][1],
                c["age"], c["aband"], c["priors"], c["pband"], c["year"], "Y" if c["eligible"] else "N",
                "Y" if c["referred"] else "N", iso(c["ref"]) if c["ref"] else None, c["M"],
                None if c["intend"] is None else ("Y" if c["intend"] else "N"),
                "Y" if c["completion"] is not None else "N",
                iso(c["completion"]) if c["completion"] is not None else None,
                iso(first_disp) if first_disp is not None else None,
                iso(fin) if fin is not None else None, c["disp_code"],
                iso(c["restored"]) if c["restored"] is not None else None,
                iso(c["acd_seal"]) if c["acd_seal"] is not None else None,
                "Y" if c["removed"] else "N", f"{c['lp']:.6f}", iso(nxt) if nxt else None]

    # ------------------------------------------------------------------ pass 2 writers
    def _folder(self, source: str, d: date) -> str:
        f = os.path.join(self.out, source, d.isoformat())
        os.makedirs(f, exist_ok=True)
        return f

    def write_program(self) -> list:
        files = []
        for d in self.program_dates:
            o = d.toordinal()
            folder = self._folder("program", d)
            w = TextOut(os.path.join(folder, "courts.csv"), COURTS_COLS)
            for c in self.court_list:
                w.row([c["id"], c["name"], c["county"], c["start_date"].isoformat(), None])
            e1 = w.close()
            w = TextOut(os.path.join(folder, "providers.csv"), PROVIDERS_COLS)
            for p in self.providers.values():
                for cid, start, cend, announce in p.contracts:
                    if announce > o:
                        continue
                    shown_end = iso(cend) if (cend is not None and cend <= o) else None
                    cap = max(5, int(round(p.spec["capacity"] * self.scale)))
                    w.row([p.id, p.spec["name"], cid, iso(start), shown_end, cap])
            e2 = w.close()
            write_control(folder, [e1, e2])
            files += [("program", e1), ("program", e2)]
        return files

    def write_court(self, court: dict) -> list:
        cid = court["id"]
        bom, crlf, ts = COURT_STYLE[cid]
        outs = []
        for d in self.court_dates:
            folder = self._folder(f"court-{cid}", d)
            outs.append((d.toordinal(), folder,
                         TextOut(os.path.join(folder, "defendants.csv"), DEFENDANT_COLS, crlf=crlf, bom=bom),
                         TextOut(os.path.join(folder, "cases.csv"), CASE_COLS, crlf=crlf, bom=bom),
                         TextOut(os.path.join(folder, "events.csv"), EVENT_COLS, crlf=crlf, bom=bom)))
        with open(os.path.join(self.tmp, f"court-{cid}.jsonl")) as f:
            for line in f:
                drow, cases = json.loads(line)
                drow[4] = iso(drow[4])
                dline = ",".join("" if v is None else v for v in drow)
                rendered = []
                for static, arraign, removed_from, versions, events in cases:
                    s = static
                    prefix = f"{s[0]},{s[1]},{s[2] or ''},{iso(s[3])},{iso(s[4])},{s[5]},"
                    vlines = []
                    for v in versions:
                        sep = ts if ts != "mixed" else ("T" if v[1] % 2 else " ")
                        vlines.append((v[0], prefix + ",".join([
                            iso(v[2]) if v[2] else "", "" if v[3] is None else str(v[3]),
                            iso(v[4]) if v[4] else "", v[5] or "", v[6], iso(v[7]) if v[7] else "",
                            f"{iso(v[0])}{sep}{_hms(v[1])}"])))
                    elines = [(e[0], f"{s[0]},{i + 1},{iso(e[0])},{e[1]}") for i, e in enumerate(events)]
                    rendered.append((arraign, removed_from, vlines, elines))
                for k, (o, folder, wd, wc, we) in enumerate(outs):
                    present = False
                    for arraign, removed_from, vlines, elines in rendered:
                        if arraign > o or (removed_from is not None and k >= removed_from):
                            continue
                        if not present:
                            wd.lines([dline])
                            present = True
                        line = None
                        for vo, vl in vlines:
                            if vo <= o:
                                line = vl
                            else:
                                break
                        wc.lines([line])
                        we.lines([el for eo, el in elines if eo <= o])
        files = []
        for o, folder, wd, wc, we in outs:
            es = [wd.close(), wc.close(), we.close()]
            write_control(folder, es)
            files += [(f"court-{cid}", e) for e in es]
            if bom:
                self.quirks.add("bom", source=f"court-{cid}", as_of=iso(o), file="cases.csv")
            if crlf:
                self.quirks.add("crlf", source=f"court-{cid}", as_of=iso(o), file="cases.csv")
        return files

    def write_provider(self, p: _Provider) -> list:
        spec = p.spec
        dates = p.dates
        rng = random.Random(f"{self.seed}-deliver-{p.id}")
        xlsx = spec["fmt"] == "xlsx"
        writers = []
        for o in dates:
            folder = self._folder(f"provider-{p.id}", date.fromordinal(o))
            ws = {}
            for t in TABLE_ORDER:
                if xlsx:
                    ws[t] = _JsonRows(os.path.join(self.tmp, f"x-{p.id}-{o}-{t}.jsonl"))
                else:
                    ws[t] = TextOut(os.path.join(folder, f"{t}.csv"), TABLES[t], crlf=spec["crlf"], bom=spec["bom"])
            writers.append((o, folder, ws))
        n_resent = 0
        with open(p.tmp.name) as f:
            for line in f:
                table, key, versions = json.loads(line)
                sent: dict[int, list] = {}
                for v in versions:
                    k = bisect.bisect_left(dates, v[0])
                    if k < len(dates):
                        sent[k] = v
                extra = []
                for k, v in sent.items():
                    if (k + 1 < len(dates) and (k + 1) not in sent
                            and rng.random() < W.P_RESEND_RECORD * (0.1 if k == 0 else 1.0)):
                        extra.append((k + 1, v))
                        n_resent += 1
                        if n_resent <= MAX_QUIRK_EXAMPLES:
                            self.quirks.add("record_resent", source=f"provider-{p.id}", table=table, key=key,
                                            as_of=iso(dates[k + 1]), first_as_of=iso(dates[k]))
                        else:
                            self.quirks.q["record_resent"]["count"] += 1
                for k, v in sorted(list(sent.items()) + extra):
                    row = self.render_provider_row(rng, p, table, v)
                    writers[k][2][table].row(row)
                    if v[2] == "DELETED" and self.quirks.q.get("deleted_row", {}).get("count", 0) < 100000:
                        self.quirks.add("deleted_row", source=f"provider-{p.id}", as_of=iso(dates[k]),
                                        file="extract.xlsx" if xlsx else f"{table}.csv", table=table, key=key)
        files = []
        for o, folder, ws in writers:
            entries = []
            if xlsx and max(w.rows for w in ws.values()) < W.EXCEL_MAX_ROWS:
                for w in ws.values():
                    w.close()
                path = os.path.join(folder, "extract.xlsx")
                write_workbook(path, [(t, TABLES[t], ws[t].read()) for t in TABLE_ORDER], self.tmp)
                from .output import sha256_file
                entries.append(("extract.xlsx", sum(w.rows for w in ws.values()), sha256_file(path)))
                for w in ws.values():
                    w.remove()
                self.quirks.add("xlsx_delivery", source=f"provider-{p.id}", as_of=iso(o), file="extract.xlsx")
            elif xlsx:  # a sheet would pass Excel's row limit: this delivery comes as CSV files
                for t in TABLE_ORDER:
                    ws[t].close()
                    w = TextOut(os.path.join(folder, f"{t}.csv"), TABLES[t])
                    for row in ws[t].read():
                        w.row([_cell_text(c) for c in row])
                    entries.append(w.close())
                    ws[t].remove()
                self.quirks.add("xlsx_too_large_sent_as_csv", source=f"provider-{p.id}", as_of=iso(o))
            else:
                for t in TABLE_ORDER:
                    entries.append(ws[t].close(trailing_blank=bool(spec.get("trailing_blank"))))
            write_control(folder, entries)
            files += [(f"provider-{p.id}", e) for e in entries]
            if spec.get("trailing_blank") and not xlsx:
                self.quirks.add("trailing_blank_line", source=f"provider-{p.id}", as_of=iso(o), file="sessions.csv")
        if p.id == W.RESENT_PROVIDER:
            k = 1
            src = writers[k][1]
            new_d = date.fromordinal(dates[k]) + timedelta(days=3)
            dst = os.path.join(self.out, f"provider-{p.id}", new_d.isoformat())
            os.makedirs(dst, exist_ok=True)
            for name in sorted(os.listdir(src)):
                shutil.copyfile(os.path.join(src, name), os.path.join(dst, name))
            self.quirks.add("byte_identical_resent_delivery", source=f"provider-{p.id}", as_of=new_d.isoformat(),
                            copy_of=iso(dates[k]))
            self.resent = (f"provider-{p.id}", iso(dates[k]), new_d.isoformat())
        return files

    def render_provider_row(self, rng, p: _Provider, table: str, v: list) -> list:
        upd, secs, status, vals = v
        vals = list(vals)
        style = p.spec["dates"]
        didx = DATE_IDX[table]
        if style == "xlsx":
            for i in didx:
                if vals[i] is None:
                    continue
                r = rng.random()
                if r < 0.5:
                    vals[i] = ["d", vals[i], 0 if rng.random() < 0.7 else 1]
                elif r < 0.8:
                    vals[i] = iso(vals[i])
                else:
                    vals[i] = mdy(vals[i])
            if table == "sessions" and vals[6] is not None:
                vals[6] = vals[6]
            return vals + [["t", upd, secs], status]
        row_mdy = style == "mdy_rows" and rng.random() < 0.6
        for i in didx:
            if vals[i] is None:
                continue
            if row_mdy or (style == "mixed" and rng.random() < 0.25):
                vals[i] = mdy(vals[i])
            else:
                vals[i] = iso(vals[i])
        ts = p.spec["ts"]
        sep = "T" if ts == "T" else (" " if ts == "space" else ("T" if rng.random() < 0.5 else " "))
        return vals + [f"{iso(upd)}{sep}{_hms(secs)}", status]

    # ------------------------------------------------------------------ truth json + summary
    def write_truth_json(self) -> None:
        params = {
            "seed": self.seed, "scale": self.scale, "end": self.end_date.isoformat(),
            "dsa_start": self.dsa_start.isoformat(),
            "world_start": W.WORLD_START.isoformat(),
            "deliveries": {
                "court": [d.isoformat() for d in self.court_dates],
                "dcjs": [d.isoformat() for d in self.dcjs_dates],
                "program": [d.isoformat() for d in self.program_dates],
                "provider": {p.id: [iso(o) for o in p.dates] for p in self.providers.values()},
                "resent_copy": {"source": self.resent[0], "copy_of": self.resent[1], "as_of": self.resent[2]}
                if self.resent else None,
            },
            "courts": [dict(court_id=c["id"], court_name=c["name"], county=c["county"], dcjs_county=c["dcounty"],
                            docket_suffix=c["code"], htic_start_date=c["start_date"].isoformat(),
                            scope_start=iso(c["scope"]), weight=c["weight"]) for c in self.court_list],
            "providers": [dict(provider_id=p.id, name=p.spec["name"], format=p.spec["fmt"],
                               contracts=[dict(court_id=c[0], start=iso(c[1]), end=iso(c[2]) if c[2] else None,
                                               first_listed=iso(c[3])) for c in p.contracts],
                               capacity=max(5, int(round(p.spec["capacity"] * self.scale))),
                               bom=p.spec["bom"], crlf=p.spec["crlf"], dates=p.spec["dates"], ts=p.spec["ts"],
                               upper_names=p.spec["upper"]) for p in self.providers.values()],
            "court_file_style": {k: {"bom": v[0], "crlf": v[1], "updated_at_separator": v[2]}
                                 for k, v in COURT_STYLE.items()},
            "volume": {"new_people_per_weight_year": W.NEW_PEOPLE_PER_WEIGHT_YEAR, "year_volume": W.YEAR_VOLUME,
                       "year_volume_later": W.YEAR_VOLUME_LATER,
                       "community_clients_per_court_year": W.COMMUNITY_CLIENTS_PER_COURT_YEAR},
            "noise": {"p_no_nysid": W.P_NO_NYSID, "client_nickname": W.P_CLIENT_NICKNAME, "client_swap": W.P_CLIENT_SWAP,
                      "client_name_typo": W.P_CLIENT_NAME_TYPO, "client_dob_typo": W.P_CLIENT_DOB_TYPO,
                      "docket_variant": W.P_DOCKET_VARIANT, "client_court_null": W.P_CLIENT_COURT_NULL,
                      "dup_client_deleted": W.P_DUP_CLIENT_DELETED, "dup_session_deleted": W.P_DUP_SESSION_DELETED,
                      "resend_record": W.P_RESEND_RECORD},
            "counts": {"persons": self.n_person, "cases": self.cases_total, "clients": self.clients_total,
                       "htic_cases_by_referral_year": {str(k): v for k, v in sorted(self.htic_by_year.items())}},
        }
        _dump(os.path.join(self.truth, "params.json"), params)
        _dump(os.path.join(self.truth, "effects.json"), W.effects())
        _dump(os.path.join(self.truth, "quirks.json"), self.quirks.q)

    def summary(self, files: list) -> dict:
        rows_by_source: dict[str, int] = {}
        n = 0
        rows = 0
        for source, (name, cnt, sha) in files:
            kind = source.split("-")[0]
            rows_by_source[kind] = rows_by_source.get(kind, 0) + cnt
            n += 1
            rows += cnt
        total_bytes = 0
        n_files = 0
        for root, _, fs in os.walk(self.out):
            for f in fs:
                n_files += 1
                total_bytes += os.path.getsize(os.path.join(root, f))
        return {"files": n_files, "data_files": n, "rows": rows, "rows_by_source": rows_by_source,
                "bytes": total_bytes, "persons": self.n_person, "cases": self.cases_total,
                "clients": self.clients_total,
                "htic_cases_by_referral_year": {k: v for k, v in sorted(self.htic_by_year.items())},
                "out": self.out, "truth": self.truth}


TRUTH_CASE_COLS = ["court_id", "docket_id", "defendant_id", "person_uid", "nysid", "arrest_id",
                   "arrest_id_missing_in_court", "arrest_date", "arraignment_date", "top_charge",
                   "age_at_arraignment", "age_band", "prior_arrests_3y", "prior_band", "arraignment_year",
                   "htic_eligible", "referred", "htic_referral_date", "mandate_sessions", "intended_completion",
                   "completed", "completion_date", "first_disposition_date", "final_disposition_date",
                   "final_disposition", "restored_date", "acd_sealed_date", "removed_upstream", "hazard_lp",
                   "next_arrest_after_first_disposition"]
TRUTH_LINK_COLS = ["provider_id", "client_id", "person_uid", "court_id", "docket_id", "link_rule", "deleted",
                   "referral_source", "intake_date", "noise", "client_court_id", "delivered"]


def _record_last_date(table: str, vals: list) -> int:
    """The latest fact date a record version carries (a client's dob is not a fact date)."""
    idx = DATE_IDX[table][1:] if table == "clients" else DATE_IDX[table]
    return max(vals[i] for i in idx if vals[i] is not None)


def _hms(secs: int) -> str:
    return f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"


def _cell_text(c):
    if isinstance(c, list):
        if c[0] == "d":
            return iso(c[1])
        return f"{iso(c[1])}T{_hms(c[2])}"
    return c


def _dump(path: str, obj) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(obj, f, indent=1, sort_keys=True, default=str)
        f.write("\n")


class _JsonRows:
    def __init__(self, path: str):
        self.path = path
        self.f = open(path, "w")
        self.rows = 0

    def row(self, values) -> None:
        self.f.write(json.dumps(values, separators=(",", ":")) + "\n")
        self.rows += 1

    def close(self) -> None:
        if not self.f.closed:
            self.f.close()

    def read(self):
        with open(self.path) as f:
            for line in f:
                yield json.loads(line)

    def remove(self) -> None:
        os.remove(self.path)


SOURCE_DIR_PREFIXES = ("program", "dcjs", "court-", "provider-")
TRUTH_FILES = ("params.json", "effects.json", "quirks.json", "persons.csv", "defendants.csv", "cases.csv",
               "client_links.csv", "arrests.csv")


def _clear(out: str, truth: str) -> None:
    """Remove a previous world from `out`/`truth` — refuses to touch anything it did not write."""
    if os.path.isdir(out):
        for name in os.listdir(out):
            if not (name == "program" or name == "dcjs" or name.startswith(("court-", "provider-"))):
                raise FileExistsError(f"{out} holds {name!r}, which is not a landing source folder; refusing to "
                                      "overwrite")
        for name in os.listdir(out):
            shutil.rmtree(os.path.join(out, name))
    if os.path.isdir(truth):
        for name in os.listdir(truth):
            if name not in TRUTH_FILES:
                raise FileExistsError(f"{truth} holds {name!r}, which is not a truth file; refusing to overwrite")
        for name in os.listdir(truth):
            os.remove(os.path.join(truth, name))


def generate(out, truth=None, seed: int = 20261130, scale: float = 1.0, end: date = date(2026, 11, 30),
             dsa_start: date | None = None) -> dict:
    """Write the landing tree into `out` and the truth into `truth` (default: `<parent of out>/truth`)."""
    out = os.path.abspath(os.fspath(out))
    truth = os.path.abspath(os.fspath(truth)) if truth is not None else os.path.join(os.path.dirname(out), "truth")
    if os.path.commonpath([out, truth]) == out:
        raise ValueError("the truth must be written beside the landing tree, never inside it")
    if scale <= 0:
        raise ValueError("scale must be positive")
    end = date.fromisoformat(end) if isinstance(end, str) else end
    dsa_start = date.fromisoformat(dsa_start) if isinstance(dsa_start, str) else dsa_start
    world = World(out, truth, int(seed), float(scale), end, dsa_start)  # validates before anything is removed
    _clear(out, truth)
    with tempfile.TemporaryDirectory(prefix="htic-synth-") as tmp:
        return world.run(tmp)
