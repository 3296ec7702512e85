"""Court cases: the case's life (arraignment, referral, disposition, warrants, ACD sealing and
restoration), and its dated versions and events.

Pass 1 files each person's cases, as dated versions, in one temp JSON-lines file per court, which
`court_snapshots.write_court` replays in pass 2.
"""

from __future__ import annotations

import json
import math
import os
from datetime import date

from . import world as W
from .draws import office_secs
from .names import pick
from .program import Court
from .records import Arrest, Case, Person
from .schedule import Schedule
from .truth import Quirks
from .writers import iso

# the order events of one day happen in (a snapshot's events are sorted by date, then by this)
EVENT_PRIORITY = {t: i for i, t in enumerate(["ARRAIGNMENT", "ADJOURNMENT", "COMPLIANCE_REVIEW", "WARRANT_ISSUED",
                                              "WARRANT_VACATED", "DISPOSITION", "RESTORED", "SEALED"])}


def band_age(age: int) -> str:
    if age < 18:
        return "16-17"
    if age < 25:
        return "18-24"
    if age < 35:
        return "25-34"
    if age < 45:
        return "35-44"
    return "45+"


def band_prior(n: int) -> str:
    return "0" if n == 0 else ("1-2" if n <= 2 else "3+")


class CourtCases:
    """Opens cases (calling on provider services for the referred), and files them per court."""

    def __init__(self, schedule: Schedule, services, quirks: Quirks, tmp: str, court_ids):
        self.schedule = schedule
        self.end = schedule.end
        self.services = services
        self.quirks = quirks
        self.tmp = {cid: open(os.path.join(tmp, f"court-{cid}.jsonl"), "w") for cid in court_ids}
        self.docket_seq: dict[tuple, int] = {}
        self.def_seq: dict[str, int] = {}
        self.htic_by_year: dict[int, int] = {}
        self.removed_done = False

    def next_docket(self, court: Court, arraign: int) -> str:
        yy = date.fromordinal(arraign).year % 100
        k = (court.id, yy)
        self.docket_seq[k] = self.docket_seq.get(k, 0) + 1
        return f"CR-{self.docket_seq[k]:06d}-{yy:02d}{court.code}"

    def next_defendant(self, court_id: str) -> str:
        self.def_seq[court_id] = self.def_seq.get(court_id, 0) + 1
        return f"D{self.def_seq[court_id]:06d}"

    # ------------------------------------------------------------------ a case's life
    def make_case(self, rng, pers: Person, court: Court, arr: Arrest) -> Case | None:
        t = arr.day
        arraign = t + (0 if rng.random() < 0.6 else 1)
        if arraign > self.end:
            return None
        dob = pers.dob
        age = int((arraign - dob) / 365.25)
        aband = band_age(age)
        priors = sum(1 for a in pers.arrests if t - 1095 <= a.day < t)
        pband = band_prior(priors)
        year = date.fromordinal(arraign).year
        eligible = arraign >= court.start
        referred = False
        if eligible:
            x = (W.REFERRAL_INTERCEPT + W.REFERRAL_AGE[aband] + W.REFERRAL_PRIOR[pband] + W.REFERRAL_COURT[court.id]
                 + W.REFERRAL_YEAR_RAMP * min(5, max(0, year - court.start_date.year)))
            referred = rng.random() < W.logistic(x)
        docket = self.next_docket(court, arraign)
        arr.court_id, arr.docket = court.id, docket
        if court.id not in pers.defendants:
            pers.defendants[court.id] = self.next_defendant(court.id)
        case = Case(court=court, docket=docket, defendant=pers.defendants[court.id], arrest=arr,
                    arrest_id=arr.arrest_id if rng.random() > 0.02 else None, arraign=arraign, age=age,
                    aband=aband, priors=priors, pband=pband, year=year, eligible=eligible, referred=referred,
                    events=[(arraign, "ARRAIGNMENT")])
        ch = case.changes
        ch.append((arraign, {}))
        warrant_p = 0.08
        after = arraign
        if referred:
            ref = arraign + (0 if rng.random() < 0.5 else rng.randint(1, 21))
            M = pick(rng, [(6, .45), (5, .41), (None, .09), (0, .05)])
            case.referral, case.mandate = ref, M
            ch.append((ref, {"ref": ref, "M": M}))
            after = ref
            if ref <= self.end:
                ref_year = date.fromordinal(ref).year
                self.htic_by_year[ref_year] = self.htic_by_year.get(ref_year, 0) + 1
            if M:
                intend = rng.random() < W.logistic(W.COMPLETION_INTERCEPT + W.COMPLETION_AGE[aband]
                                                   + W.COMPLETION_PRIOR[pband])
                case.intend = intend
                start = ref + (rng.randint(0, 21) if rng.random() < 0.9 else rng.randint(22, 45))
                last = None
                if rng.random() > 0.04:  # 4% never reach a provider
                    target = M if intend else rng.randint(0, M - 1)
                    comp, last = self.services.service(rng, pers, court.id, start, "COURT_MANDATE", case, M, target)
                    case.completion = comp
                if case.completion is not None:
                    disp = case.completion + rng.randint(7, 45)
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
                    self.services.service(rng, pers, court.id, ref + rng.randint(0, 21), "COURT_MANDATE", case, 0, 0)
        else:
            disp = arraign if rng.random() < 0.4 else arraign + rng.randint(1, 120)
            code = pick(rng, [("PLEA_VIOLATION", .35), ("ACD", .25), ("DISMISSED", .15), ("PLEA_MISDEMEANOR", .12),
                              ("CONVICTED", .04), ("ACQUITTED", .03), ("TRANSFERRED", .03), ("ABATED", .03)])
        # court dates between arraignment and disposition
        if referred:
            d = case.referral + rng.randint(28, 56)
            k = 0
            while d < disp and k < 3:
                case.events.append((d, "COMPLIANCE_REVIEW"))
                d += rng.randint(42, 70)
                k += 1
        elif disp > arraign:
            for _ in range(rng.randint(0, 1)):
                d = rng.randint(arraign + 1, disp)
                if d < disp:
                    case.events.append((d, "ADJOURNMENT"))
        # warrants
        if rng.random() < warrant_p:
            w = after + rng.randint(10, 60)
            case.events.append((w, "WARRANT_ISSUED"))
            if rng.random() < 0.08:
                disp = None  # still outstanding: pending
            else:
                v = w + rng.randint(7, 150)
                case.events.append((v, "WARRANT_VACATED"))
                if v + 7 > disp:
                    disp = v + rng.randint(10, 60)
        if disp is not None:
            self.dispose(rng, case, disp, code)
        case.disp = disp
        case.final_disp_date = disp
        comp = case.completion is not None
        case.lp = (W.HAZARD_AGE[aband] + W.HAZARD_PRIOR[pband] + W.HAZARD_COURT[court.id]
                   + W.HAZARD_YEAR * (year - 2016)
                   + (math.log(W.HR_HTIC_REFERRAL) if referred else 0.0)
                   + (math.log(W.HR_MANDATE_COMPLETION) if comp else 0.0))
        # the one docket removed upstream: an old comparison case of the chosen court
        s = self.schedule
        if (not self.removed_done and court.id == W.REMOVED_DOCKET_COURT and not referred
                and arraign < s.court_ords[0] - 365):
            self.removed_done = True
            case.removed = True
            self.quirks.add("removed_docket", source=f"court-{court.id}",
                            last_present_as_of=s.court_dates[s.removed_idx - 1].isoformat(),
                            first_absent_as_of=s.court_dates[s.removed_idx].isoformat(),
                            file="cases.csv", docket_id=docket)
        pers.cases.append(case)
        return case

    def dispose(self, rng, case: Case, d: int, code: str) -> None:
        case.changes.append((d, {"dd": d, "disp": code}))
        case.events.append((d, "DISPOSITION"))
        case.disp_code = code
        if code == "ACD":
            if rng.random() < 0.97:
                case.acd_seal = d + W.ACD_PERIOD_DAYS + rng.randint(0, 3)
        elif code in ("DISMISSED", "ACQUITTED") and rng.random() < 0.92:
            seal(case, d)
        elif code == "PLEA_VIOLATION" and rng.random() < 0.6:
            seal(case, d + rng.randint(0, 30))

    def maybe_restore(self, rng, case: Case, t: int) -> None:
        """A new arrest `t` within an ACD's six months restores the case (then a new disposition)."""
        d = case.disp
        if (case.disp_code != "ACD" or d is None or case.restored is not None or not (d < t < d + W.ACD_PERIOD_DAYS)
                or rng.random() >= W.P_ACD_RESTORE_AFTER_ARREST):
            return
        r = min(t + rng.randint(7, 30), d + W.ACD_PERIOD_DAYS - 1)
        case.restored = r
        case.acd_seal = None
        case.changes.append((r, {"dd": None, "disp": None, "sealed": "N", "sd": None}))
        case.events.append((r, "RESTORED"))
        d2 = r + rng.randint(20, 120)
        code = pick(rng, [("PLEA_VIOLATION", .55), ("PLEA_MISDEMEANOR", .30), ("DISMISSED", .15)])
        case.disp_code = None
        self.dispose(rng, case, d2, code)
        case.final_disp_date = d2

    # ------------------------------------------------------------------ filing for pass 2
    def file_person(self, rng, pers: Person) -> None:
        """One temp line per court the person has cases in: the defendant row and each case's record."""
        ident = pers.ident
        nysid = pers.nysid
        by_court: dict[str, list] = {}
        for case in pers.cases:
            by_court.setdefault(case.court.id, []).append(case)
        for cid, cs in by_court.items():
            did = pers.defendants[cid]
            drow = [did, nysid, ident["last"], ident["first"], pers.dob, ident["sex"], ident["gender"],
                    ident["race"], ident["ethnicity"], ident["language"]]
            if nysid is None:
                self.quirks.add("defendant_without_nysid", source=f"court-{cid}", file="defendants.csv",
                                defendant_id=did)
            out = [self.case_record(rng, c) for c in cs]
            self.tmp[cid].write(json.dumps([drow, out], separators=(",", ":")) + "\n")

    def case_record(self, rng, c: Case) -> list:
        """[static, arraign, removed_from_idx, versions, events] — dates as ordinals."""
        end = self.end
        changes = list(c.changes)
        events = list(c.events)
        if c.acd_seal is not None:
            s = c.acd_seal
            changes.append((s, {"disp": "DISMISSED", "sealed": "Y", "sd": s}))
            events.append((s, "SEALED"))
        changes = sorted([x for x in changes if x[0] <= end], key=lambda x: x[0])
        state = {"ref": None, "M": None, "dd": None, "disp": None, "sealed": "N", "sd": None}
        versions = []
        for d, upd in changes:
            state.update(upd)
            row = [d, office_secs(rng), state["ref"], state["M"], state["dd"], state["disp"], state["sealed"],
                   state["sd"]]
            if versions and versions[-1][0] == d:
                row[1] = versions[-1][1]
                versions[-1] = row
            else:
                versions.append(row)
        events = sorted([e for e in events if e[0] <= end], key=lambda e: (e[0], EVENT_PRIORITY[e[1]]))
        source = f"court-{c.court.id}"
        if c.restored is not None and c.restored <= end:
            self.quirks.add("acd_restored", source=source, docket_id=c.docket, restored=iso(c.restored))
        if c.acd_seal is not None and c.acd_seal <= end:
            self.quirks.add("acd_dismissed_sealed", source=source, docket_id=c.docket, sealed=iso(c.acd_seal))
        if any(e[1] == "WARRANT_ISSUED" for e in events):
            self.quirks.add("warrant", source=source, docket_id=c.docket)
        a = c.arrest
        static = [c.docket, c.defendant, c.arrest_id, a.day, c.arraign, a.charge]
        return [static, c.arraign, self.schedule.removed_idx if c.removed else None, versions,
                [[e[0], e[1]] for e in events]]

    def close(self) -> None:
        for f in self.tmp.values():
            f.close()


def seal(case: Case, s: int) -> None:
    case.changes.append((s, {"sealed": "Y", "sd": s}))
    case.events.append((s, "SEALED"))
