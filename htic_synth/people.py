"""People: who enters the system and when, who they are (identity, age, priors), and each
person's whole life in it — arrests, court cases, rearrests, provider episodes — simulated at once.

People enter month by month at their first in-scope arrest (Poisson counts per court, weighted by
the court's size and the year's volume); community clients (no court case) enter per provider
contract. When a person is done, their cases are filed for the court snapshots, their arrests go
into every state snapshot, and their truth rows are written.
"""

from __future__ import annotations

import math
from datetime import date

from . import world as W
from .court import CourtCases
from .draws import poisson
from .names import new_identity, pick
from .program import Court, Programme, Provider
from .providers import Services
from .records import Arrest, Person
from .schedule import Schedule, month_end
from .state import StateIds, StateSnapshots
from .truth import TruthWriter

MAX_ARRESTS_SIMULATED = 12  # per person: the simulation draws no arrest after the 12th


class People:
    def __init__(self, rng, schedule: Schedule, programme: Programme, ids: StateIds, courts: CourtCases,
                 services: Services, state: StateSnapshots, truth: TruthWriter, scale: float):
        self.rng = rng
        self.end = schedule.end
        self.programme = programme
        self.ids = ids
        self.courts = courts
        self.services = services
        self.state = state
        self.truth = truth
        self.scale = scale
        self.n_person = 0

    def simulate(self) -> None:
        """Every person, in order of their first in-scope arrest, from the world's start to the end."""
        rng = self.rng
        y, m = W.WORLD_START.year, W.WORLD_START.month
        while True:
            first = date(y, m, 1).toordinal()
            if first > self.end:
                break
            last = min(month_end(y, m).toordinal(), self.end)
            vol = W.YEAR_VOLUME.get(y, W.YEAR_VOLUME_LATER) if y >= 2010 else 1.0
            for court in self.programme.court_list:
                lo = max(first, court.scope)
                if lo > last:
                    continue
                frac = (last - lo + 1) / (last - first + 1)
                lam = W.NEW_PEOPLE_PER_WEIGHT_YEAR / 12 * court.weight * vol * self.scale * frac
                for _ in range(poisson(rng, lam)):
                    self.person(court, rng.randint(lo, last))
            for p in self.programme.providers.values():
                for c in p.contracts:
                    lo, hi = max(first, c[1]), min(last, c[2] if c[2] is not None else last)
                    if lo > hi:
                        continue
                    lam = W.COMMUNITY_CLIENTS_PER_COURT_YEAR / 12 * self.scale * (hi - lo + 1) / (last - first + 1)
                    for _ in range(poisson(rng, lam)):
                        self.community_client(p, c[0], rng.randint(lo, hi))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)

    def _new_uid(self) -> str:
        self.n_person += 1
        return f"P{self.n_person:07d}"

    def person(self, home: Court, t: int) -> None:
        """A defendant whose first in-scope arrest is on day `t` in court `home`."""
        rng = self.rng
        uid = self._new_uid()
        ident = new_identity(rng)
        band = pick(rng, list(zip(W.AGE_BANDS, W.AGE_BAND_P)))
        lo, hi = W.AGE_BAND_RANGE[band]
        age = rng.randint(lo, hi)
        dob = t - int(age * 365.25) - rng.randint(0, 364)
        nysid = None if rng.random() < W.P_NO_NYSID else self.ids.nysid()
        pers = Person(uid=uid, ident=ident, dob=dob, nysid=nysid, home=home)
        arrests = pers.arrests
        for _ in range(pick(rng, list(enumerate(W.PRIOR_COUNT_P)))):
            ch, lv = rng.choice(W.OTHER_CHARGES)
            cty = home.dcounty if rng.random() < 0.8 else rng.choice(W.OTHER_COUNTIES)
            arrests.append(Arrest(t - rng.randint(1, 1095), ch, lv, cty, self.ids.arrest_id()))
        arrests.sort(key=lambda a: a.day)
        cur, prost, lp, n = t, True, 0.0, 0
        while cur <= self.end and n < MAX_ARRESTS_SIMULATED:
            n += 1
            if pers.cases:
                self.courts.maybe_restore(rng, pers.cases[-1], cur)
            if prost:
                court = home
                if n > 1 and rng.random() < 0.08:
                    court = rng.choice(self.programme.court_list)
                    if court.scope > cur:
                        court = home
                charge = self.prost_charge(cur)
                arr = Arrest(cur, charge, W.PROSTITUTION_LEVEL[charge], court.dcounty, self.ids.arrest_id())
                arrests.append(arr)
                case = self.courts.make_case(rng, pers, court, arr)
                if case is None:
                    break
                lp = case.lp
                case.followed = n < MAX_ARRESTS_SIMULATED
                risk_from = case.disp
                if risk_from is None or risk_from > self.end:
                    break
            else:
                ch, lv = rng.choice(W.OTHER_CHARGES)
                cty = home.dcounty if rng.random() < 0.7 else rng.choice(W.OTHER_COUNTIES)
                arrests.append(Arrest(cur, ch, lv, cty, self.ids.arrest_id()))
                risk_from = cur + 1
            w = self.gompertz(lp)
            if w is None:
                break
            cur = risk_from + w
            prost = rng.random() < W.P_REARREST_PROSTITUTION
        # voluntary returns after a case
        for case in list(pers.cases):
            if case.disp is not None and rng.random() < W.P_RETURN_SELF:
                start = case.final_disp_date + rng.randint(60, 720)
                if start <= self.end:
                    self.services.service(rng, pers, case.court.id, start, "SELF", None, 0, 0)
        self.finish(pers, "defendant")

    def prost_charge(self, t: int) -> str:
        r = self.rng.random()
        if r < 0.70:
            return "PL 230.00"
        if r < 0.73:
            return "PL 230.03"
        if r < 0.80:
            return "ED 6512"
        return "PL 240.37" if t < W.PL24037_REPEAL.toordinal() else "PL 230.00"

    def gompertz(self, lp: float) -> int | None:
        """Days to the next arrest under the rearrest hazard; None if there is none."""
        e = self.rng.expovariate(1.0)
        x = e * W.HAZARD_B / (W.HAZARD_A * math.exp(lp))
        if x >= 1.0:
            return None
        return max(1, int(-math.log(1.0 - x) / W.HAZARD_B) + 1)

    def community_client(self, p: Provider, court_id: str, t: int) -> None:
        """Someone who comes to a provider with no court case (self, outreach, another agency)."""
        rng = self.rng
        uid = self._new_uid()
        ident = new_identity(rng)
        dob = t - int(rng.randint(18, 55) * 365.25) - rng.randint(0, 364)
        pers = Person(uid=uid, ident=ident, dob=dob, nysid=None, home=None)
        src = pick(rng, [("SELF", .5), ("OUTREACH", .35), ("OTHER_AGENCY", .15)])
        if p in self.programme.active_providers(court_id, t):
            self.services.service(rng, pers, court_id, t, src, None, 0, 0)
        self.finish(pers, "community")

    def finish(self, pers: Person, kind: str) -> None:
        self.courts.file_person(self.rng, pers)
        self.truth.person(pers, kind)
        self.state.add_person(pers)
