"""The truth beside the landing tree: who everyone really is, what really happened to each case,
which client is which person, every quirk planted in the files, and the run's parameters."""

from __future__ import annotations

import json
import os

from . import att
from . import world as W
from .program import Programme
from .records import Case, Person
from .schedule import Schedule
from .writers import TextOut, iso

MAX_QUIRK_EXAMPLES = 12
PERSON_COLS = ["person_uid", "first_name", "last_name", "dob", "sex", "gender_identity", "race", "ethnicity",
               "primary_language", "nysid", "kind"]
DEFENDANT_COLS = ["court_id", "defendant_id", "person_uid", "nysid"]
CASE_COLS = ["court_id", "docket_id", "defendant_id", "person_uid", "nysid", "arrest_id",
             "arrest_id_missing_in_court", "arrest_date", "arraignment_date", "top_charge",
             "age_at_arraignment", "age_band", "prior_arrests_3y", "prior_band", "arraignment_year",
             "htic_eligible", "referred", "htic_referral_date", "mandate_sessions", "intended_completion",
             "completed", "completion_date", "first_disposition_date", "final_disposition_date",
             "final_disposition", "restored_date", "acd_sealed_date", "removed_upstream", "hazard_lp",
             "next_arrest_after_first_disposition"]
CLIENT_LINK_COLS = ["provider_id", "client_id", "person_uid", "court_id", "docket_id", "link_rule", "deleted",
                    "referral_source", "intake_date", "noise", "client_court_id", "delivered"]
ARREST_COLS = ["person_uid", "nysid", "arrest_id", "arrest_date", "arrest_county", "top_charge", "offense_level",
               "court_id", "docket_id", "in_dcjs"]
TRUTH_FILES = ("params.json", "effects.json", "quirks.json", "persons.csv", "defendants.csv", "cases.csv",
               "client_links.csv", "arrests.csv", att.FILE)


class Quirks:
    """quirks.json: {quirk: {count, examples: [≤12 × where it is]}}."""

    def __init__(self):
        self.q: dict[str, dict] = {}

    def add(self, name: str, **where) -> None:
        e = self.q.setdefault(name, {"count": 0, "examples": []})
        e["count"] += 1
        if len(e["examples"]) < MAX_QUIRK_EXAMPLES:
            e["examples"].append(where)

    def count(self, name: str) -> int:
        return self.q.get(name, {}).get("count", 0)


class TruthWriter:
    """The truth CSVs, one person at a time."""

    def __init__(self, folder: str, end: int):
        self.end = end
        self.persons = TextOut(os.path.join(folder, "persons.csv"), PERSON_COLS)
        self.defendants = TextOut(os.path.join(folder, "defendants.csv"), DEFENDANT_COLS)
        self.cases = TextOut(os.path.join(folder, "cases.csv"), CASE_COLS)
        self.client_links = TextOut(os.path.join(folder, "client_links.csv"), CLIENT_LINK_COLS)
        self.arrests = TextOut(os.path.join(folder, "arrests.csv"), ARREST_COLS)
        self.risks = TextOut(os.path.join(folder, att.FILE), att.COLUMNS)
        self.n_cases = 0

    def person(self, pers: Person, kind: str) -> None:
        ident = pers.ident
        nysid = pers.nysid
        self.persons.row([pers.uid, ident["first"], ident["last"], iso(pers.dob), ident["sex"], ident["gender"],
                          ident["race"], ident["ethnicity"], ident["language"], nysid, kind])
        for cid, did in pers.defendants.items():
            self.defendants.row([cid, did, pers.uid, nysid])
        cases = pers.cases
        for c in cases:
            self.n_cases += 1
            self.cases.row(case_row(pers, c))
            if c.referred and c.disp is not None and c.disp <= self.end:
                risks = att.potential_risks(c.lp, c.completion is not None, c.followed)
                self.risks.row([c.court.id, c.docket, iso(c.disp)] + [f"{r:.9f}" for r in risks])
        ws = W.WORLD_START.toordinal()
        for a in pers.arrests:
            self.arrests.row([pers.uid, nysid, a.arrest_id, iso(a.day), a.county, a.charge, a.level, a.court_id,
                              a.docket, "Y" if (nysid and cases and a.day >= ws) else "N"])
        self._client_links(pers)

    def _client_links(self, pers: Person) -> None:
        """Each client's true case by the spec's rule: the docket_ref's docket when typed, else the
        person's HTIC case with the latest referral on or before intake + 30 days."""
        cases = pers.cases
        htic = sorted([c for c in cases if c.referred and c.referral is not None and c.referral <= self.end
                       and not c.removed], key=lambda c: c.referral)
        for cl in pers.clients:
            docket, rule, court = None, "none", None
            if cl.docket is not None:
                docket, rule = cl.docket, "docket"
                court = next(c.court.id for c in cases if c.docket == docket)
            else:
                best = None
                for c in htic:
                    if c.referral <= cl.intake + 30:
                        best = c
                if best is not None:
                    docket, rule, court = best.docket, "person", best.court.id
            self.client_links.row([cl.provider, cl.client_id, pers.uid, court, docket, rule,
                                   "Y" if cl.deleted else "N", cl.source, iso(cl.intake), cl.noise or None,
                                   cl.court_id, "Y" if cl.delivered else "N"])

    def close(self) -> None:
        for w in (self.persons, self.defendants, self.cases, self.client_links, self.arrests, self.risks):
            w.close()


def case_row(pers: Person, c: Case) -> list:
    fin = c.final_disp_date
    first_disp = c.disp
    nxt = None
    if first_disp is not None:
        later = [a.day for a in pers.arrests if a.day > first_disp]
        nxt = min(later) if later else None
    return [c.court.id, c.docket, c.defendant, pers.uid, pers.nysid, c.arrest.arrest_id,
            c.arrest_id is None and "Y" or "N", iso(c.arrest.day), iso(c.arraign), c.arrest.charge,
            c.age, c.aband, c.priors, c.pband, c.year, "Y" if c.eligible else "N",
            "Y" if c.referred else "N", iso(c.referral) if c.referral else None, c.mandate,
            None if c.intend is None else ("Y" if c.intend else "N"),
            "Y" if c.completion is not None else "N",
            iso(c.completion) if c.completion is not None else None,
            iso(first_disp) if first_disp is not None else None,
            iso(fin) if fin is not None else None, c.disp_code,
            iso(c.restored) if c.restored is not None else None,
            iso(c.acd_seal) if c.acd_seal is not None else None,
            "Y" if c.removed else "N", f"{c.lp:.6f}", iso(nxt) if nxt else None]


def params(*, seed: int, scale: float, schedule: Schedule, programme: Programme, resent: tuple | None,
           counts: dict) -> dict:
    """truth/params.json: the run's arguments, every delivery date, the world's shape and counts."""
    s, pg = schedule, programme
    return {
        "seed": seed, "scale": scale, "end": s.end_date.isoformat(),
        "dsa_start": s.dsa_start.isoformat(),
        "world_start": W.WORLD_START.isoformat(),
        "deliveries": {
            "court": [d.isoformat() for d in s.court_dates],
            "dcjs": [d.isoformat() for d in s.dcjs_dates],
            "program": [d.isoformat() for d in s.program_dates],
            "provider": {p.id: [iso(o) for o in p.dates] for p in pg.providers.values()},
            "resent_copy": {"source": resent[0], "copy_of": resent[1], "as_of": resent[2]} if resent else None,
        },
        "courts": [dict(court_id=c.id, court_name=c.name, county=c.county, dcjs_county=c.dcounty,
                        docket_suffix=c.code, htic_start_date=c.start_date.isoformat(),
                        scope_start=iso(c.scope), weight=c.weight) for c in pg.court_list],
        "providers": [dict(provider_id=p.id, name=p.spec["name"], format=p.spec["fmt"],
                           contracts=[dict(court_id=c[0], start=iso(c[1]), end=iso(c[2]) if c[2] else None,
                                           first_listed=iso(c[3])) for c in p.contracts],
                           capacity=pg.capacity(p),
                           bom=p.spec["bom"], crlf=p.spec["crlf"], dates=p.spec["dates"], ts=p.spec["ts"],
                           upper_names=p.spec["upper"]) for p in pg.providers.values()],
        "court_file_style": {k: {"bom": v[0], "crlf": v[1], "updated_at_separator": v[2]}
                             for k, v in W.COURT_STYLE.items()},
        "volume": {"new_people_per_weight_year": W.NEW_PEOPLE_PER_WEIGHT_YEAR, "year_volume": W.YEAR_VOLUME,
                   "year_volume_later": W.YEAR_VOLUME_LATER,
                   "community_clients_per_court_year": W.COMMUNITY_CLIENTS_PER_COURT_YEAR},
        "noise": {"p_no_nysid": W.P_NO_NYSID, "client_nickname": W.P_CLIENT_NICKNAME, "client_swap": W.P_CLIENT_SWAP,
                  "client_name_typo": W.P_CLIENT_NAME_TYPO, "client_dob_typo": W.P_CLIENT_DOB_TYPO,
                  "docket_variant": W.P_DOCKET_VARIANT, "client_court_null": W.P_CLIENT_COURT_NULL,
                  "dup_client_deleted": W.P_DUP_CLIENT_DELETED, "dup_session_deleted": W.P_DUP_SESSION_DELETED,
                  "resend_record": W.P_RESEND_RECORD, "session_no_show_corrected": W.P_SESSION_NO_SHOW_CORRECTED,
                  "correction_same_stamp": W.P_CORRECTION_SAME_STAMP},
        "counts": {**counts, "htic_cases_by_referral_year": {str(k): v for k, v in
                                                             counts["htic_cases_by_referral_year"].items()}},
    }


def write_json_files(folder: str, params_: dict, quirks: Quirks) -> None:
    dump(os.path.join(folder, "params.json"), params_)
    dump(os.path.join(folder, "effects.json"), W.effects())
    dump(os.path.join(folder, "quirks.json"), quirks.q)


def dump(path: str, obj) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(obj, f, indent=1, sort_keys=True, default=str)
        f.write("\n")
