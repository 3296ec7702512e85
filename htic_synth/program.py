"""The programme's reference data: courts, providers and their contracts, and the `program/`
deliveries (courts.csv, providers.csv, and targets.csv where one is delivered) that list them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date

from pipelines.ingestion.spec import TABLE_SPECS

from . import world as W
from .schedule import Schedule
from .targets import targets_rows
from .writers import TextOut, delivery_folder, iso, write_control

COURTS_SPEC = TABLE_SPECS["program__courts"]
PROVIDERS_SPEC = TABLE_SPECS["program__providers"]
TARGETS_SPEC = TABLE_SPECS["program__targets"]


@dataclass(frozen=True)
class Court:
    id: str
    name: str
    county: str  # as courts.csv names it
    dcounty: str  # as the state's arrests name it
    code: str  # docket suffix
    start: int  # HTIC start (ordinal)
    scope: int  # first arraignment in scope: three years before the HTIC start (ordinal)
    weight: float  # sizes the case volume
    start_date: date


class Provider:
    """A provider and its contracts: [court_id, start, end | None, first listed] (ordinals)."""

    def __init__(self, spec: dict, idx: int):
        self.spec = spec
        self.id = spec["id"]
        self.idx = idx
        self.contracts: list[list] = []
        self.dates: list[int] = []  # its delivery dates
        self.cutoff = 0  # no record version after this is ever delivered
        self.closing = False
        self.help_mean = 3.2 + (idx % 4) * 0.35  # mean exit-survey helpfulness

    def contract_end(self, court_id: str):
        for c in self.contracts:
            if c[0] == court_id:
                return c[2]
        return None


class Programme:
    """The courts and the providers serving them over the window."""

    def __init__(self, schedule: Schedule, scale: float):
        self.scale = scale
        self.courts: dict[str, Court] = {}
        for cid, name, county, dcounty, code, start, weight in W.COURTS:
            scope = date(start.year - 3, start.month, start.day)
            self.courts[cid] = Court(id=cid, name=name, county=county, dcounty=dcounty, code=code,
                                     start=start.toordinal(), scope=scope.toordinal(), weight=weight,
                                     start_date=start)
        self.court_list = list(self.courts.values())
        self.providers: dict[str, Provider] = {}
        ords = schedule.court_ords
        close_ord = ords[schedule.close_idx]
        for i, spec in enumerate(W.PROVIDERS):
            p = Provider(spec, i)
            for cid, start in spec["courts"]:
                p.contracts.append([cid, start.toordinal(), None, ords[0]])
            if p.id == W.CLOSING_PROVIDER:
                p.closing = True
                for c in p.contracts:
                    c[2] = close_ord
            self.providers[p.id] = p
        ep, ec = W.EXPANDING_PROVIDER
        self.providers[ep].contracts.append([ec, ords[schedule.expand_idx] + 1, None, ords[schedule.expand_idx]])
        for p in self.providers.values():
            last = close_ord if p.closing else ords[-1]
            p.dates = [o for o in ords if o <= last]
            p.cutoff = last

    def capacity(self, p: Provider) -> int:
        return max(5, int(round(p.spec["capacity"] * self.scale)))

    def active_providers(self, court_id: str, t: int) -> list[Provider]:
        out = []
        for p in self.providers.values():
            for c in p.contracts:
                if c[0] == court_id and c[1] <= t and (c[2] is None or t <= c[2]):
                    out.append(p)
        return out

    def choose_provider(self, rng, court_id: str, t: int, exclude=None) -> Provider | None:
        """One of the court's active providers on day `t`, weighted by capacity."""
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


def write_program(out: str, schedule: Schedule, programme: Programme, targets: bool = True) -> list:
    """Full reference tables at every program delivery date, and the programme's targets in the
    deliveries that carry them (`targets`: whether the world has any). → [(source, control entry)]."""
    files = []
    for i, d in enumerate(schedule.program_dates):
        o = d.toordinal()
        folder = delivery_folder(out, "program", d)
        w = TextOut(os.path.join(folder, COURTS_SPEC.file_name), COURTS_SPEC.column_names)
        for c in programme.court_list:
            w.row([c.id, c.name, c.county, c.start_date.isoformat(), None])
        e1 = w.close()
        w = TextOut(os.path.join(folder, PROVIDERS_SPEC.file_name), PROVIDERS_SPEC.column_names)
        for p in programme.providers.values():
            for cid, start, cend, announce in p.contracts:
                if announce > o:
                    continue
                shown_end = iso(cend) if (cend is not None and cend <= o) else None
                w.row([p.id, p.spec["name"], cid, iso(start), shown_end, programme.capacity(p)])
        entries = [e1, w.close()]
        rows = targets_rows(i, schedule.program_dates) if targets else None
        if rows is not None:
            w = TextOut(os.path.join(folder, TARGETS_SPEC.file_name), TARGETS_SPEC.column_names)
            for r in rows:
                w.row(r)
            entries.append(w.close())
        write_control(folder, entries)
        files += [("program", e) for e in entries]
    return files
