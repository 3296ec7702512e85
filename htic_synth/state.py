"""The state's criminal history data (DCJS): its identifiers (nysid, arrest_id) and the quarterly
`dcjs/<as_of>/arrests.txt` snapshots, written as people are simulated."""

from __future__ import annotations

import os

from pipelines.ingestion.spec import TABLE_SPECS

from . import world as W
from .records import Person
from .schedule import Schedule
from .writers import TextOut, write_control, ymd

ARRESTS_SPEC = TABLE_SPECS["dcjs__arrests"]
HEADER = [c.upper() for c in ARRESTS_SPEC.column_names] if ARRESTS_SPEC.upper_header else ARRESTS_SPEC.column_names


class StateIds:
    """nysid and arrest_id, issued in order."""

    def __init__(self):
        self.n_nysid = 0
        self.n_arrest = 0

    def nysid(self) -> str:
        self.n_nysid += 1
        n = self.n_nysid
        return f"{(12345678 + n * 7919) % 100_000_000:08d}" + "ABCDEFGHJKLMNPRSTUVWXYZ"[n % 23]

    def arrest_id(self) -> str:
        self.n_arrest += 1
        return f"NY{(5550001 + self.n_arrest * 104729) % 1_000_000_000:09d}"


class StateSnapshots:
    """Every quarterly snapshot at once: all arrests since the world's start of every person with a
    nysid who is a defendant in a case arraigned by the snapshot's date."""

    def __init__(self, out: str, schedule: Schedule):
        self.snapshots = []
        for d in schedule.dcjs_dates:
            folder = os.path.join(out, "dcjs", d.isoformat())
            os.makedirs(folder, exist_ok=True)
            w = TextOut(os.path.join(folder, ARRESTS_SPEC.file_name), HEADER, sep=ARRESTS_SPEC.delimiter)
            self.snapshots.append((d.toordinal(), folder, w))

    def add_person(self, pers: Person) -> None:
        if not (pers.nysid and pers.cases):
            return
        ws = W.WORLD_START.toordinal()
        sep = ARRESTS_SPEC.delimiter
        req = min(c.arraign for c in pers.cases)
        for o, folder, w in self.snapshots:
            if o < req:
                continue
            w.lines([sep.join((pers.nysid, a.arrest_id, ymd(a.day), a.county, a.charge, a.level))
                     for a in pers.arrests if ws <= a.day <= o])

    def close(self) -> list:
        """Closes every snapshot and writes its control file. → [(source, control entry)]."""
        files = []
        for o, folder, w in self.snapshots:
            entry = w.close()
            write_control(folder, [entry])
            files.append(("dcjs", entry))
        return files
