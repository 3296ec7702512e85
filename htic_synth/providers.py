"""Provider services: a person's episodes at providers — clients, assessments, sessions, referrals
and exits — as a provider's MIS records them (dated versions, typing noise, records deleted in
error, re-enrolment when a provider closes).

Pass 1 queues each record's versions in one temp JSON-lines file per provider, which
`provider_deliveries.write_provider` routes to the deliveries in pass 2.
"""

from __future__ import annotations

import bisect
import json
import os
from datetime import date

from pipelines.ingestion.spec import CODE_LISTS, DATE, SOURCE_TABLES, TABLE_SPECS

from . import world as W
from .draws import office_secs
from .names import docket_variant, pick, typed_identity
from .program import Programme, Provider
from .records import Case, Client, Person
from .schedule import Schedule
from .truth import Quirks
from .writers import iso

SPECS = [TABLE_SPECS[t] for t in SOURCE_TABLES["provider"]]  # delivery order: clients first
# a record version's values are its table's columns up to updated_at, record_status; dates as ordinals
DATE_IDX = {s.name: tuple(i for i, (_, typ) in enumerate(s.columns) if typ == DATE) for s in SPECS}
FACT_DATE_IDX = {s.name: tuple(i for i, (col, typ) in enumerate(s.columns) if typ == DATE and col != "dob")
                 for s in SPECS}  # a client's dob is not a fact date
DOMAINS = CODE_LISTS[("provider__assessments", "domain")]

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


def entry_lag(rng, d: int, lag_max: int = 5) -> tuple[int, int]:
    """When a fact of day `d` is typed in: (updated_at day, seconds)."""
    return d + (rng.randint(0, lag_max) if rng.random() < 0.8 else rng.randint(0, lag_max * 4)), office_secs(rng)


class ProviderRecords:
    """One provider's MIS: record ids, and the queue of record versions for pass 2."""

    def __init__(self, provider: Provider, tmp: str):
        self.provider = provider
        self.n_client = 0
        self.n_rec = {"A": 0, "S": 0, "R": 0}
        self.path = os.path.join(tmp, f"provider-{provider.id}.jsonl")
        self.tmp = open(self.path, "w")

    def next_client(self) -> str:
        self.n_client += 1
        return self.provider.spec["cid"].format(self.n_client)

    def next_rec(self, kind: str) -> str:
        p = self.provider
        self.n_rec[kind] += 1
        if p.spec["fmt"] == "xlsx" or p.idx % 2:
            return f"{kind}{self.n_rec[kind]:07d}"
        return f"{p.id[:2].upper()}-{kind}{self.n_rec[kind]}"

    def emit(self, table: str, key: str, versions: list) -> bool:
        """Queue a record: versions [[upd_ord, secs, status, values]] (dates as ordinals).
        → whether any version reaches a delivery."""
        p = self.provider
        vs = []
        for v in versions:
            if v[0] > p.cutoff:
                if p.closing and record_last_date(table, v[3]) <= p.cutoff:
                    v = [p.cutoff, min(v[1], 61000), v[2], v[3]]
                else:
                    continue
            if vs and (v[0], v[1]) < (vs[-1][0], vs[-1][1]):
                v = [vs[-1][0], vs[-1][1], v[2], v[3]]  # clamped before the previous edit: same stamp, later row
            vs.append(v)
        if not vs:
            return False
        self.tmp.write(json.dumps([table, key, vs], separators=(",", ":")) + "\n")
        return True

    def first_delivery(self, upd: int) -> str | None:
        dates = self.provider.dates
        k = bisect.bisect_left(dates, upd)
        return date.fromordinal(dates[k]).isoformat() if k < len(dates) else None


def record_last_date(table: str, vals: list) -> int:
    """The latest fact date a record version carries."""
    return max(vals[i] for i in FACT_DATE_IDX[table] if vals[i] is not None)


class Services:
    """A person's episodes at providers, as the providers record them."""

    def __init__(self, schedule: Schedule, programme: Programme, quirks: Quirks, tmp: str):
        self.end = schedule.end
        self.programme = programme
        self.quirks = quirks
        self.records = {pid: ProviderRecords(p, tmp) for pid, p in programme.providers.items()}
        self.clients_total = 0

    def close(self) -> None:
        for r in self.records.values():
            r.tmp.close()

    def service(self, rng, pers: Person, court_id: str, start: int, source: str, case: Case | None, M, target):
        """Episodes at providers until done; re-enrol elsewhere when a provider closes. → (completion, last)."""
        credits = 0
        last = None
        exclude = None
        while start <= self.end:
            p = self.programme.choose_provider(rng, court_id, start, exclude)
            if p is None:
                return None, last
            res = self.episode(rng, p, pers, court_id, start, source, case, M, target, credits)
            credits = res["credits"]
            last = res["last"] or last
            if res["completion"] is not None:
                if res["closed"] is not None and rng.random() < W.P_REENROL_60D_AFTER_PROVIDER_EXIT:
                    # still coming after the mandate when the provider closed: continues elsewhere
                    again = res["closed"] + rng.randint(3, 60)
                    self.quirks.add("reenrol_after_provider_exit", provider_closed=p.id, person_uid=pers.uid,
                                    closed=iso(res["closed"]), reenrol_intake=iso(again))
                    self.service(rng, pers, court_id, again, "OTHER_AGENCY", None, 0, 0)
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
            exclude = p  # the mandate (and its credits) continue at the new provider
            self.quirks.add("reenrol_after_provider_exit", provider_closed=p.id, person_uid=pers.uid,
                            closed=iso(res["closed"]), reenrol_intake=iso(start))
        return None, last

    def episode(self, rng, p: Provider, pers: Person, court_id, intake, source, case, M, target, credits) -> dict:
        res = {"credits": credits, "completion": None, "last": None, "closed": None}
        cend = p.contract_end(court_id)
        if cend is not None and intake > cend:
            res["closed"] = cend
            return res
        rec = self.records[p.id]
        ident = pers.ident
        cid = rec.next_client()
        self.clients_total += 1
        first, last, dob, what = typed_identity(rng, ident["first"], ident["last"], date.fromordinal(pers.dob),
                                                {"nick": W.P_CLIENT_NICKNAME, "swap": W.P_CLIENT_SWAP,
                                                 "name_typo": W.P_CLIENT_NAME_TYPO, "dob_typo": W.P_CLIENT_DOB_TYPO})
        if p.spec["upper"]:
            first, last = first.upper(), last.upper()
        docket_ref, dv = (None, "none")
        if case is not None and source == "COURT_MANDATE":
            docket_ref, dv = docket_variant(rng, case.docket, W.P_DOCKET_VARIANT)
        court_field = court_id if rng.random() >= W.P_CLIENT_COURT_NULL else None
        upd, secs = entry_lag(rng, intake)
        vals = [cid, docket_ref, court_field, first, last, dob.toordinal(), intake, source]
        delivered = rec.emit("clients", cid, [[upd, secs, "ACTIVE", vals]])
        fd = rec.first_delivery(upd)
        if delivered and fd:
            if what:
                self.quirks.add(what, source=f"provider-{p.id}", as_of=fd, client_id=cid, person_uid=pers.uid)
            if dv in ("lower", "noprefix", "spaces", "null"):
                self.quirks.add(f"docket_ref_{dv}", source=f"provider-{p.id}", as_of=fd, client_id=cid,
                                docket_ref=docket_ref, docket_id=case.docket)
            if court_field is None:
                self.quirks.add("client_court_null", source=f"provider-{p.id}", as_of=fd, client_id=cid)
        pers.clients.append(Client(provider=p.id, client_id=cid, court_id=court_id, intake=intake, source=source,
                                   docket=case.docket if docket_ref is not None else None,
                                   deleted=False, noise=what, delivered=delivered))
        # a duplicate client entered in error, later DELETED (with an assessment that then counts nowhere)
        if rng.random() < W.P_DUP_CLIENT_DELETED:
            cid2 = rec.next_client()
            du = upd + rng.randint(1, 30)
            ok = rec.emit("clients", cid2, [[upd, secs + 60, "ACTIVE", [cid2] + vals[1:]],
                                            [du, office_secs(rng), "DELETED", [cid2] + vals[1:]]])
            aid = rec.next_rec("A")
            rec.emit("assessments", aid, [[upd, secs + 120, "ACTIVE", [aid, cid2, intake, "TRAUMA", "LOW"]]])
            pers.clients.append(Client(provider=p.id, client_id=cid2, court_id=court_id, intake=intake,
                                       source=source, docket=case.docket if docket_ref else None, deleted=True,
                                       noise=what, delivered=ok))
            if ok and rec.first_delivery(du):
                self.quirks.add("client_deleted", source=f"provider-{p.id}", as_of=rec.first_delivery(du),
                                client_id=cid2)
        self.assess(rng, rec, cid, intake, pers, cend)
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
                            self.session(rng, rec, cid, t, "NO_SHOW", "INDIVIDUAL_COUNSELING", "N")
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
            self.session(rng, rec, cid, t, status, stype, credit)
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
                    self.session(rng, rec, cid, t, st, pick(rng, [("INDIVIDUAL_COUNSELING", .5), ("GROUP", .4),
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
            self.exit(rng, rec, cid, exit_d, exit_code)
        return res

    def session(self, rng, rec: ProviderRecords, cid, t, status, stype, credit) -> None:
        sid = rec.next_rec("S")
        minutes = (rng.choice((45, 60, 60, 90)) if stype != "GROUP" else 90) if status == "ATTENDED" else None
        upd, secs = entry_lag(rng, t, 7)
        vals = [sid, cid, t, stype, status, credit, minutes]
        versions = [[upd, secs, "ACTIVE", vals]]
        if status == "ATTENDED" and rng.random() < W.P_SESSION_NO_SHOW_CORRECTED:
            # first typed in as a no-show, corrected later (or in the same edit: the same stamp)
            u2, s2 = upd + rng.randint(1, 10), office_secs(rng)
            if rng.random() < W.P_CORRECTION_SAME_STAMP or u2 > rec.provider.cutoff:
                u2, s2 = upd, secs
            versions = [[upd, secs, "ACTIVE", [sid, cid, t, stype, "NO_SHOW", "N", None]], [u2, s2, "ACTIVE", vals]]
        rec.emit("sessions", sid, versions)
        if rng.random() < W.P_DUP_SESSION_DELETED:
            sid2 = rec.next_rec("S")
            du = upd + rng.randint(1, 40)
            if rec.emit("sessions", sid2, [[upd, secs + 30, "ACTIVE", [sid2] + vals[1:]],
                                           [du, office_secs(rng), "DELETED", [sid2] + vals[1:]]]):
                fd = rec.first_delivery(du)
                if fd:
                    self.quirks.add("session_deleted", source=f"provider-{rec.provider.id}", as_of=fd,
                                    session_id=sid2)

    def assess(self, rng, rec: ProviderRecords, cid, intake, pers: Person, cend) -> None:
        limit = min(self.end, cend) if cend is not None else self.end
        for dom in DOMAINS:
            pr = ASSESS_P[dom]
            if dom == "IMMIGRATION" and pers.ident["language"] not in ("en", None):
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
            aid = rec.next_rec("A")
            upd, secs = entry_lag(rng, ad)
            rec.emit("assessments", aid, [[upd, secs, "ACTIVE", [aid, cid, ad, dom, lvl]]])
            if lvl in ("MODERATE", "HIGH"):
                rdom = "LEGAL" if dom == "TRAFFICKING_INDICATORS" else dom
                if rng.random() < (0.6 if rdom == "LEGAL" else 0.65):
                    rd = ad + (rng.randint(0, 45) if rng.random() < 0.85 else rng.randint(46, 120))
                    if rd <= limit:
                        self.referral(rng, rec, cid, rd, rdom)

    def referral(self, rng, rec: ProviderRecords, cid, rd, dom) -> None:
        rid = rec.next_rec("R")
        partner = rng.choice(PARTNERS[dom])
        final = pick(rng, [("CONNECTED", .6), ("DECLINED", .12), ("UNREACHABLE", .13), ("MADE", .15)])
        upd, secs = entry_lag(rng, rd)
        vs = [[upd, secs, "ACTIVE", [rid, cid, rd, dom, partner, "MADE", rd]]]
        if final != "MADE":
            sd = rd + rng.randint(3, 100)
            u2, s2 = entry_lag(rng, sd)
            if u2 > upd:
                vs.append([u2, s2, "ACTIVE", [rid, cid, rd, dom, partner, final, sd]])
        if rec.emit("referrals", rid, vs) and len(vs) > 1:
            fd, fd2 = rec.first_delivery(vs[0][0]), rec.first_delivery(vs[1][0])
            if fd and fd2 and fd2 != fd:
                self.quirks.add("referral_status_update", source=f"provider-{rec.provider.id}", first_as_of=fd,
                                updated_as_of=fd2, referral_id=rid)

    def exit(self, rng, rec: ProviderRecords, cid, d, code) -> None:
        p = rec.provider
        resp = {"MANDATE_COMPLETE": .75, "VOLUNTARY_COMPLETE": .7, "DISENGAGED": .2, "PROVIDER_CLOSED": .4,
                "TRANSFERRED": .3, "OTHER": .05}[code]
        helpful, recommend = None, None
        if rng.random() < resp:
            helpful = max(1, min(5, int(round(rng.gauss(p.help_mean + (0.4 if "COMPLETE" in code else -0.5), 0.9)))))
            recommend = ("Y" if helpful >= 4 or rng.random() < 0.2 else "N") if rng.random() < 0.9 else None
            if rng.random() < 0.08:
                helpful = None
        upd, secs = entry_lag(rng, d, 10)
        if p.closing:
            upd = min(upd, p.cutoff)
        vs = [[upd, secs, "ACTIVE", [cid, d, code, helpful, recommend]]]
        if (helpful is not None or recommend is not None) and rng.random() < 0.12:
            # the survey comes in later: first recorded without answers
            u2, s2 = upd + rng.randint(5, 40), office_secs(rng)
            vs = [[upd, secs, "ACTIVE", [cid, d, code, None, None]],
                  [u2, s2, "ACTIVE", [cid, d, code, helpful, recommend]]]
        rec.emit("exits", cid, vs)
