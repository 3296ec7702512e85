"""The monthly court snapshots (`court-<id>/<as_of>/{defendants,cases,events}.csv`), pass 2: each
court's temp file (court.py) is replayed once, writing each case's state as of every snapshot into
all the snapshot files at once."""

from __future__ import annotations

import json
import os

from pipelines.ingestion.spec import SOURCE_TABLES, TABLE_SPECS

from . import world as W
from .program import Court
from .schedule import Schedule
from .truth import Quirks
from .writers import TextOut, delivery_folder, hms, iso, write_control

SPECS = [TABLE_SPECS[t] for t in SOURCE_TABLES["court"]]  # defendants, cases, events


def write_court(out: str, tmp: str, schedule: Schedule, court: Court, quirks: Quirks) -> list:
    """Pass 2: every monthly snapshot of one court from its temp file. → [(source, control entry)]."""
    cid = court.id
    bom, crlf, ts = W.COURT_STYLE[cid]
    outs = []
    for d in schedule.court_dates:
        folder = delivery_folder(out, f"court-{cid}", d)
        outs.append((d.toordinal(), folder,
                     *(TextOut(os.path.join(folder, s.file_name), s.column_names, crlf=crlf, bom=bom)
                       for s in SPECS)))
    with open(os.path.join(tmp, f"court-{cid}.jsonl")) as f:
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
                        f"{iso(v[0])}{sep}{hms(v[1])}"])))
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
            quirks.add("bom", source=f"court-{cid}", as_of=iso(o), file="cases.csv")
        if crlf:
            quirks.add("crlf", source=f"court-{cid}", as_of=iso(o), file="cases.csv")
    return files
