"""The providers' monthly changes-only deliveries (`provider-<id>/<as_of>/`: CSV files, or one
`extract.xlsx`), pass 2: each record version in a provider's temp file (providers.py) goes to the
delivery whose window holds its `updated_at`, in the provider's date and timestamp styles; about
2% of records are re-sent; one delivery is re-sent whole under a later date. Every edit of a record
within a delivery's window is sent, in edit order: a key can appear more than once in one delivery
(extracts.md: the latest updated_at wins, then the later row)."""

from __future__ import annotations

import bisect
import json
import os
import random
import shutil
from datetime import date, timedelta

from . import world as W
from .program import Provider
from .providers import DATE_IDX, SPECS
from .truth import Quirks
from .writers import (JsonRows, TextOut, cell_text, delivery_folder, hms, iso, mdy, sha256_file, write_control,
                      write_workbook)

WORKBOOK = "extract.xlsx"


def write_provider(out: str, tmp: str, seed: int, p: Provider, quirks: Quirks) -> tuple[list, tuple | None]:
    """Every delivery of one provider from its temp file (changes only, every edit of a record in a
    delivery's window in edit order; ~2% of records re-sent).
    → ([(source, control entry)], the planted byte-identical re-send (source, copy_of, as_of) or None)."""
    spec = p.spec
    dates = p.dates
    rng = random.Random(f"{seed}-deliver-{p.id}")
    xlsx = spec["fmt"] == "xlsx"
    writers = []
    for o in dates:
        folder = delivery_folder(out, f"provider-{p.id}", date.fromordinal(o))
        ws = {}
        for s in SPECS:
            if xlsx:
                ws[s.name] = JsonRows(os.path.join(tmp, f"x-{p.id}-{o}-{s.name}.jsonl"))
            else:
                ws[s.name] = TextOut(os.path.join(folder, s.file_name), s.column_names, crlf=spec["crlf"],
                                     bom=spec["bom"])
        writers.append((o, folder, ws))
    with open(os.path.join(tmp, f"provider-{p.id}.jsonl")) as f:
        for line in f:
            table, key, versions = json.loads(line)
            sent: dict[int, list[list]] = {}  # delivery index -> every version in its window, in edit order
            for v in versions:
                k = bisect.bisect_left(dates, v[0])
                if k < len(dates):
                    sent.setdefault(k, []).append(v)
            extra = []
            for k, vs in sent.items():
                if (k + 1 < len(dates) and (k + 1) not in sent
                        and rng.random() < W.P_RESEND_RECORD * (0.1 if k == 0 else 1.0)):
                    extra.append((k + 1, [vs[-1]]))
                    quirks.add("record_resent", source=f"provider-{p.id}", table=table, key=key,
                               as_of=iso(dates[k + 1]), first_as_of=iso(dates[k]))
            for k, vs in sorted(list(sent.items()) + extra, key=lambda kv: kv[0]):
                where = dict(source=f"provider-{p.id}", as_of=iso(dates[k]),
                             file=WORKBOOK if xlsx else f"{table}.csv", table=table, key=key)
                if len(vs) > 1:  # the spec's rule: latest updated_at, then the later row
                    quirks.add("key_repeated_in_delivery", **where, rows=len(vs))
                    if any(a[:2] == b[:2] for a, b in zip(vs, vs[1:])):
                        quirks.add("key_repeated_same_updated_at", **where)
                for v in vs:
                    row = render_row(rng, p, table, v)
                    writers[k][2][table].row(row)
                    if v[2] == "DELETED" and quirks.count("deleted_row") < 100000:
                        quirks.add("deleted_row", **where)
    files = []
    for o, folder, ws in writers:
        entries = []
        if xlsx and max(w.rows for w in ws.values()) < W.EXCEL_MAX_ROWS:
            for w in ws.values():
                w.close()
            path = os.path.join(folder, WORKBOOK)
            write_workbook(path, [(s.name, s.column_names, ws[s.name].read()) for s in SPECS], tmp)
            entries.append((WORKBOOK, sum(w.rows for w in ws.values()), sha256_file(path)))
            for w in ws.values():
                w.remove()
            quirks.add("xlsx_delivery", source=f"provider-{p.id}", as_of=iso(o), file=WORKBOOK)
        elif xlsx:  # a sheet would pass Excel's row limit: this delivery comes as CSV files
            for s in SPECS:
                ws[s.name].close()
                w = TextOut(os.path.join(folder, s.file_name), s.column_names)
                for row in ws[s.name].read():
                    w.row([cell_text(c) for c in row])
                entries.append(w.close())
                ws[s.name].remove()
            quirks.add("xlsx_too_large_sent_as_csv", source=f"provider-{p.id}", as_of=iso(o))
        else:
            for s in SPECS:
                entries.append(ws[s.name].close(trailing_blank=bool(spec.get("trailing_blank"))))
        write_control(folder, entries)
        files += [(f"provider-{p.id}", e) for e in entries]
        if spec.get("trailing_blank") and not xlsx:
            quirks.add("trailing_blank_line", source=f"provider-{p.id}", as_of=iso(o), file="sessions.csv")
    resent = None
    if p.id == W.RESENT_PROVIDER:
        k = 1
        src = writers[k][1]
        new_d = date.fromordinal(dates[k]) + timedelta(days=3)
        dst = os.path.join(out, f"provider-{p.id}", new_d.isoformat())
        os.makedirs(dst, exist_ok=True)
        for name in sorted(os.listdir(src)):
            shutil.copyfile(os.path.join(src, name), os.path.join(dst, name))
        quirks.add("byte_identical_resent_delivery", source=f"provider-{p.id}", as_of=new_d.isoformat(),
                    copy_of=iso(dates[k]))
        resent = (f"provider-{p.id}", iso(dates[k]), new_d.isoformat())
    return files, resent


def render_row(rng, p: Provider, table: str, v: list) -> list:
    """A record version as the provider's file shows it: its date style, its timestamp style."""
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
    return vals + [f"{iso(upd)}{sep}{hms(secs)}", status]
