"""The small objects the simulation passes between its parts: a person, their arrests, court cases
and provider client records. Dates are ordinals."""

from __future__ import annotations

from dataclasses import dataclass, field

from .program import Court


@dataclass(slots=True)
class Arrest:
    day: int
    charge: str
    level: str  # offence level F/M/V/I
    county: str  # as the state names it
    arrest_id: str
    court_id: str | None = None  # set when the arrest becomes a court case
    docket: str | None = None


@dataclass(slots=True)
class Case:
    court: Court
    docket: str
    defendant: str
    arrest: Arrest
    arrest_id: str | None  # as the court has it (2% missing)
    arraign: int
    age: int
    aband: str  # age band at arraignment
    priors: int  # arrests in the three years before this one
    pband: str  # prior band
    year: int  # arraignment year
    eligible: bool  # arraigned on/after the court's HTIC start
    referred: bool
    referral: int | None = None
    mandate: int | None = None  # mandate_sessions as the court records it
    intend: bool | None = None  # intends to complete the mandate
    completion: int | None = None
    changes: list = field(default_factory=list)  # [(date, {field: value})] — the case's dated versions
    events: list = field(default_factory=list)  # [(date, event_type)]
    restored: int | None = None
    acd_seal: int | None = None  # an ACD dismissed and sealed at the end of its six months
    removed: bool = False  # the docket removed upstream
    disp: int | None = None  # first disposition date
    disp_code: str | None = None  # current disposition
    final_disp_date: int | None = None
    lp: float = 0.0  # the rearrest hazard's linear predictor, treatment included
    followed: bool = True  # False: the person's last simulated arrest, no rearrest is drawn after it


@dataclass(slots=True)
class Client:
    provider: str
    client_id: str
    court_id: str
    intake: int
    source: str  # referral_source
    docket: str | None  # the case the docket_ref names, when one is typed
    deleted: bool
    noise: str  # the typing error the record carries ("" for none)
    delivered: bool


@dataclass(slots=True)
class Person:
    uid: str
    ident: dict  # names.new_identity()
    dob: int
    nysid: str | None
    home: Court | None  # the court of the first case; None for community clients
    defendants: dict = field(default_factory=dict)  # court_id -> defendant_id
    cases: list[Case] = field(default_factory=list)
    clients: list[Client] = field(default_factory=list)
    arrests: list[Arrest] = field(default_factory=list)
