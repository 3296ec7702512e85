"""Generating a world: people → arrests → court cases → provider services → deliveries.

Two passes, both streaming (memory does not grow with `scale`):

1. `People.simulate` generates one person at a time, in order of their first in-scope arrest.
   Each person's DCJS rows go straight into every quarterly `arrests.txt` (state), their truth rows
   into `truth/` (truth), their court cases with dated versions and events into one temp JSON-lines
   file per court (court), and their provider records with dated versions into one per provider
   (providers).
2. The program tables are written (program); each court's temp file is replayed once into every
   monthly snapshot (court_snapshots); each provider's is routed to its deliveries by `updated_at`
   (provider_deliveries); then the truth JSON files.

Every random draw of pass 1 comes from one generator seeded with `seed`, in the order the people
are simulated; each provider's deliveries in pass 2 draw from their own (`<seed>-deliver-<id>`).
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from datetime import date

from .court import CourtCases
from .court_snapshots import write_court
from .people import People
from .program import Programme, write_program
from .provider_deliveries import write_provider
from .providers import Services
from .schedule import Schedule
from .state import StateIds, StateSnapshots
from .truth import TRUTH_FILES, Quirks, TruthWriter, params, write_json_files


def generate(out, truth=None, seed: int = 20261130, scale: float = 1.0, end: date = date(2026, 11, 30),
             dsa_start: date | None = None, targets: bool = True) -> dict:
    """Write the landing tree into `out` and the truth into `truth` (default: `<parent of out>/truth`).
    `targets=False`: a world whose programme never delivers a targets.csv."""
    out = os.path.abspath(os.fspath(out))
    truth = os.path.abspath(os.fspath(truth)) if truth is not None else os.path.join(os.path.dirname(out), "truth")
    if os.path.commonpath([out, truth]) == out:
        raise ValueError("the truth must be written beside the landing tree, never inside it")
    if scale <= 0:
        raise ValueError("scale must be positive")
    end = date.fromisoformat(end) if isinstance(end, str) else end
    dsa_start = date.fromisoformat(dsa_start) if isinstance(dsa_start, str) else dsa_start
    schedule = Schedule.build(end, dsa_start)  # validates before anything is removed
    _clear(out, truth)
    with tempfile.TemporaryDirectory(prefix="htic-synth-") as tmp:
        return _run(out, truth, tmp, int(seed), float(scale), schedule, targets)


def _run(out: str, truth: str, tmp: str, seed: int, scale: float, schedule: Schedule, targets: bool) -> dict:
    os.makedirs(out, exist_ok=True)
    os.makedirs(truth, exist_ok=True)
    programme = Programme(schedule, scale)
    quirks = Quirks()
    services = Services(schedule, programme, quirks, tmp)
    courts = CourtCases(schedule, services, quirks, tmp, programme.courts)
    state = StateSnapshots(out, schedule)
    truth_writer = TruthWriter(truth, schedule.end)
    people = People(random.Random(seed), schedule, programme, StateIds(), courts, services, state, truth_writer,
                    scale)

    # pass 1
    people.simulate()
    courts.close()
    services.close()
    files = state.close()
    truth_writer.close()

    # pass 2
    files += write_program(out, schedule, programme, targets)
    for court in programme.court_list:
        files += write_court(out, tmp, schedule, court, quirks)
    resent = None
    for p in programme.providers.values():
        pfiles, present = write_provider(out, tmp, seed, p, quirks)
        files += pfiles
        resent = present or resent
    counts = {"persons": people.n_person, "cases": truth_writer.n_cases, "clients": services.clients_total,
              "htic_cases_by_referral_year": dict(sorted(courts.htic_by_year.items()))}
    write_json_files(truth, params(seed=seed, scale=scale, schedule=schedule, programme=programme, resent=resent,
                                   counts=counts), quirks)
    return _summary(out, truth, files, counts)


def _summary(out: str, truth: str, files: list, counts: dict) -> dict:
    rows_by_source: dict[str, int] = {}
    rows = 0
    for source, (name, cnt, sha) in files:
        kind = source.split("-")[0]
        rows_by_source[kind] = rows_by_source.get(kind, 0) + cnt
        rows += cnt
    total_bytes = 0
    n_files = 0
    for root, _, fs in os.walk(out):
        for f in fs:
            n_files += 1
            total_bytes += os.path.getsize(os.path.join(root, f))
    return {"files": n_files, "data_files": len(files), "rows": rows, "rows_by_source": rows_by_source,
            "bytes": total_bytes, "persons": counts["persons"], "cases": counts["cases"],
            "clients": counts["clients"],
            "htic_cases_by_referral_year": counts["htic_cases_by_referral_year"],
            "out": out, "truth": truth}


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
