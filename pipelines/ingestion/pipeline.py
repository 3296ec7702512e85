"""One ingestion pass: every pending delivery, read, validated once per table, loaded atomically.

    discover -> archive + control check + read (per delivery) -> stage all new rows per table
    (in-memory DuckDB `stg`) -> row rules from the suites (DuckDB set operations) -> Great Expectations,
    each suite once over the whole stage -> per delivery: accept / reject (threshold) -> one
    transaction per delivery into the restricted store -> ledger export.

Nothing here prints identifiers: reports name source, delivery, file, line, column and rule.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable

import pyarrow as pa

from pipelines.ingestion import validate
from pipelines.ingestion.deliveries import CONTROL, Checked, Delivery, check_delivery, discover
from pipelines.ingestion.spec import DATE, INT, TABLE_SPECS, TEXT, TS
from pipelines.ingestion.warehouse import ensure_schema, export_ledger, raw_columns

# Share of a delivery's rows that row-level faults may reject before the whole delivery is rejected.
DEFAULT_REJECT_THRESHOLD = 0.10

# Deliveries are read and validated in batches of at most this many bytes of files (memory bound).
DEFAULT_BATCH_BYTES = 256 * 1024 * 1024

Progress = Callable[[str], None]


@dataclass
class Outcome:
    delivery_key: str            # <source>/<as_of>/v<version>
    source_id: str
    as_of: str
    version: int
    status: str                  # accepted | rejected | duplicate
    reason: str | None = None
    duplicate_of: str | None = None
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_held: int = 0
    superseded: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)   # structural/row faults, no values


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


def _connect(path: Path, read_only: bool = False):
    import duckdb

    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SET memory_limit = '{os.environ.get('HTIC_DUCKDB_MEMORY', '2GB')}'")
    return con


def _exclusive_lock(path: Path, say: Progress):
    """One writer at a time (DuckDB has one writer per file): an flock the OS drops on exit/kill."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        say("another ingestion run holds the warehouse; waiting for it to finish")
        fcntl.flock(fh, fcntl.LOCK_EX)
    return fh


def ledger_state(con) -> tuple[dict, dict]:
    """(seen: folder key -> list of (version, control_sha, status, delivery_key),
        accepted versions as (source_id, as_of, content fingerprint, delivery_key))."""
    seen: dict[str, list] = defaultdict(list)
    for dk, src, as_of, ver, csha, status in con.execute(
            "SELECT delivery_key, source_id, as_of, version, control_sha256, status FROM raw.deliveries "
            "ORDER BY as_of, source_id, version").fetchall():
        seen[f"{src}/{as_of.isoformat()}"].append((ver, csha, status, dk))
    fps = [(src, as_of, fp, dk) for src, as_of, fp, dk in con.execute("""
        SELECT d.source_id, d.as_of,
               sha256(string_agg(f.file_name || chr(9) || f.sha256, chr(10) ORDER BY f.file_name)), d.delivery_key
        FROM raw.deliveries d JOIN raw.delivery_files f USING (delivery_key)
        WHERE d.status = 'accepted' AND f.file_name <> '_control.csv'
        GROUP BY d.delivery_key, d.source_id, d.as_of""").fetchall()]
    return seen, fps


def find_duplicate(d: Delivery, fp: str, known: list[tuple]) -> str | None:
    """The delivery whose bytes this one repeats, if any (`known`: accepted (source, as_of, fp, key)).

    Changes-only sources (providers): any earlier delivery of the source with the same bytes.
    Snapshots (program, courts, dcjs): the same folder, or the source's latest snapshot before this
    as-of — an unchanged snapshot re-sent under a new date. A snapshot that returns to the bytes of
    an older one, with different snapshots between, is a real state and is loaded."""
    same = [k for k in known if k[0] == d.source_id]
    for src, as_of, kfp, key in same:
        if as_of == d.as_of and kfp == fp:
            return key
    if d.kind == "provider":
        return next((key for src, as_of, kfp, key in same if kfp == fp), None)
    earlier = [k for k in same if k[1] < d.as_of]
    if earlier:
        latest = max(earlier, key=lambda k: k[1])
        if latest[2] == fp:
            return latest[3]
    return None


def pending_deliveries(found: list[Delivery], seen: dict, only: set[str] | None = None,
                       force: bool = False) -> list[Delivery]:
    """Complete deliveries whose control file has not been processed yet (or `only`, with force)."""
    out = []
    for d in found:
        if not d.complete:
            continue
        if only is not None and d.key not in only:
            continue
        if not force and any(csha == d.control_sha256 for _, csha, _, _ in seen.get(d.key, [])):
            continue
        out.append(d)
    return out


# ----------------------------------------------------------------------------------------------
# staging: all new rows of the run, one table per raw table, typed set-wise in DuckDB

def _typed_expr(col: str, typ: str, date_formats: tuple[str, ...]) -> str:
    v = f'NULLIF(trim(t."{col}"), \'\')'
    if typ == TEXT:
        return f't."{col}"'
    if typ == INT:
        return f"TRY_CAST({v} AS INTEGER)"
    if typ == DATE:
        parts = ", ".join(f"TRY_STRPTIME({v}, '{f}')" for f in date_formats)
        return f"CAST(COALESCE({parts}) AS DATE)" if len(date_formats) > 1 else f"CAST({parts} AS DATE)"
    if typ == TS:
        return f"TRY_CAST({v} AS TIMESTAMP)"
    raise ValueError(typ)


def build_stage(con, checked: list[tuple[Checked, str, int]], known_clients: pa.Table) -> None:
    """Every table's new rows (typed, with lineage and parse errors) into the stage database that
    `con` uses (an in-memory database attached to the restricted store's connection as `stg`)."""
    files_rows = []
    per_table: dict[str, list[pa.Table]] = defaultdict(list)
    fidx = 0
    for d_idx, (chk, dkey, version) in enumerate(checked):
        d = chk.delivery
        for table, reads in chk.reads.items():
            for fr in reads:
                files_rows.append((fidx, d_idx, dkey, d.source_id, d.as_of, version, fr.label, d.entity_id))
                per_table[table].append(fr.table.append_column(
                    "_fidx", pa.array([fidx] * fr.table.num_rows, pa.int32())))
                fidx += 1
    files = pa.table({
        "_fidx": pa.array([r[0] for r in files_rows], pa.int32()),
        "_d": pa.array([r[1] for r in files_rows], pa.int32()),
        "_delivery_key": pa.array([r[2] for r in files_rows], pa.string()),
        "_source_id": pa.array([r[3] for r in files_rows], pa.string()),
        "_as_of": pa.array([r[4] for r in files_rows], pa.date32()),
        "_version": pa.array([r[5] for r in files_rows], pa.int32()),
        "_file": pa.array([r[6] for r in files_rows], pa.string()),
        "_entity": pa.array([r[7] for r in files_rows], pa.string()),
    })
    con.register("files_v", files)
    con.execute("CREATE TABLE stage_files AS SELECT * FROM files_v")
    con.register("known_v", known_clients)
    con.execute("CREATE TABLE known_provider_clients AS SELECT * FROM known_v")
    offset = 0
    for table, spec in TABLE_SPECS.items():
        parts = per_table.get(table)
        if parts:
            arrow = pa.concat_tables(parts)
        else:
            arrow = pa.table({**{c: pa.array([], pa.string()) for c in spec.column_names},
                              "_line": pa.array([], pa.int32()), "_fidx": pa.array([], pa.int32())})
        con.register("t_v", arrow)
        ent = f'f._entity AS "{spec.entity_column}", ' if spec.entity_column else ""
        # type each column once (inner query), then list the columns whose text did not parse
        typed = ", ".join(f'{_typed_expr(c, ty, spec.date_formats)} AS "{c}"' for c, ty in spec.columns)
        raws = ", ".join(f'NULLIF(trim(t."{c}"), \'\') IS NOT NULL AS "__has_{c}"'
                         for c, ty in spec.columns if ty != TEXT)
        errs = [f"CASE WHEN \"__has_{c}\" AND \"{c}\" IS NULL THEN '{c}' END" for c, ty in spec.columns if ty != TEXT]
        err_expr = f"list_filter([{', '.join(errs)}], lambda x: x IS NOT NULL)" if errs else "CAST([] AS VARCHAR[])"
        outer = ", ".join(f'"{c}"' for c in ([spec.entity_column] if spec.entity_column else []) + spec.column_names)
        con.execute(f"""
            CREATE TABLE stage_{table} AS
            SELECT {offset} + row_number() OVER () AS _row_id, _d, {outer},
                   _delivery_key, _source_id, _as_of, _version, _file, _line, {err_expr} AS _parse_errors
            FROM (SELECT f._d, {ent}{typed}, {raws + ',' if raws else ''}
                         f._delivery_key, f._source_id, f._as_of, f._version, f._file, t._line
                  FROM t_v t JOIN files_v f USING (_fidx))
            ORDER BY _d, _line""")
        con.unregister("t_v")
        offset += arrow.num_rows
    con.unregister("files_v")
    con.unregister("known_v")


# ----------------------------------------------------------------------------------------------

def _problem(d: Delivery, dkey: str, file: str | None, line: int | None, column: str | None, rule: str,
             message: str) -> dict:
    return {"source": d.source_id, "delivery": dkey, "file": file, "line": line, "column": column,
            "rule": rule, "message": message}


def _write_quarantine(qdir: Path, outcome: Outcome) -> None:
    p = qdir / outcome.source_id / outcome.as_of / f"v{outcome.version}"
    p.mkdir(parents=True, exist_ok=True)
    tmp = p / ".report.json.tmp"
    tmp.write_text(json.dumps({k: v for k, v in outcome.__dict__.items() if not k.startswith("_")}, indent=1))
    os.replace(tmp, p / "report.json")


def run_ingestion(settings, *, only: set[str] | None = None, force: bool = False,
                  reject_threshold: float = DEFAULT_REJECT_THRESHOLD, today: date | None = None,
                  progress: Progress | None = None, gx_enabled: bool = True,
                  batch_bytes: int = DEFAULT_BATCH_BYTES) -> dict:
    """Ingest every pending delivery of `settings.landing` into `settings.restricted_db`.

    Returns a summary (no identifiers): outcomes per delivery, in-transit deliveries (and which are
    overdue), rows per source, validation results per table."""
    say = progress or (lambda m: None)
    t0 = time.perf_counter()
    settings.ensure_dirs()
    today = today or date.today()
    found, warnings = discover(settings.landing)
    in_transit = [{"delivery": d.key, "overdue": d.overdue(today)} for d in found if not d.complete]
    for it in in_transit:
        if it["overdue"]:
            warnings.append(f"{it['delivery']}: still in transit (no control file) and overdue")

    lock = _exclusive_lock(settings.restricted_dir / ".ingest.lock", say)
    con = _connect(settings.restricted_db)
    try:
        ensure_schema(con)
        # Fewer, larger checkpoints while loading many deliveries; committed work is in the WAL.
        con.execute(f"SET checkpoint_threshold = '{os.environ.get('HTIC_CHECKPOINT_THRESHOLD', '1GB')}'")
        seen, fingerprints = ledger_state(con)
        pending = pending_deliveries(found, seen, only, force)
        say(f"{len(found)} delivery folders, {len(pending)} pending, {len(in_transit)} in transit")

        outcomes: list[Outcome] = []
        known = list(fingerprints)
        timings: dict[str, float] = defaultdict(float)
        batch_checks: list[dict] = []
        rows_staged = 0
        batches = _batches(pending, batch_bytes)
        for b, batch in enumerate(batches, 1):
            if len(batches) > 1:
                say(f"batch {b}/{len(batches)}: {len(batch)} deliveries")
            outs, checks, n = _process_batch(con, settings, batch, seen, known, force, reject_threshold,
                                             gx_enabled, timings, say, n_done=len(outcomes),
                                             n_total=len(pending))
            outcomes.extend(outs)
            batch_checks.append(checks)
            rows_staged += n
        checks = _merge_checks(batch_checks) if pending else {
            t: {"passed": True, "severity": "WARN", "error": None, "failing": [], "rows_validated": 0,
                "expectations": 0, "note": "no new deliveries in this run"} for t in TABLE_SPECS}
        con.execute("CHECKPOINT")
        export_ledger(con, settings.ledger_export)
    finally:
        con.close()
        lock.close()

    per_source: dict[str, dict] = defaultdict(lambda: {"rows_loaded": 0, "rows_rejected": 0, "rows_held": 0})
    for o in outcomes:
        ps = per_source[o.source_id]
        ps["rows_loaded"] += o.rows_loaded
        ps["rows_rejected"] += o.rows_rejected
        ps["rows_held"] += o.rows_held
        warnings.extend(o.warnings)
    summary = {
        "landing": str(settings.landing),
        "deliveries": [{k: v for k, v in o.__dict__.items() if not k.startswith("_")} for o in outcomes],
        "counts": {s: sum(1 for o in outcomes if o.status == s) for s in ("accepted", "rejected", "duplicate")},
        "superseded": [k for o in outcomes for k in o.superseded],
        "in_transit": in_transit,
        "per_source": dict(per_source),
        "rows_staged": rows_staged,
        "checks": checks,
        "warnings": warnings,
        "timings": {k: round(v, 3) for k, v in timings.items()} | {"total": round(time.perf_counter() - t0, 3)},
    }
    return summary


def _batches(pending: list[Delivery], budget: int) -> list[list[Delivery]]:
    """Consecutive groups of pending deliveries whose files total at most `budget` bytes (at least
    one delivery each): memory stays bounded on a first load of years of deliveries, and a normal
    incremental run is one batch, validated once."""
    out: list[list[Delivery]] = []
    size = 0
    for d in pending:
        n = sum(p.stat().st_size for p in d.path.iterdir() if p.is_file())
        if not out or size + n > budget:
            out.append([])
            size = 0
        out[-1].append(d)
        size += n
    return out


def _merge_checks(parts: list[dict]) -> dict:
    merged: dict[str, dict] = {}
    for part in parts:
        for t, r in part.items():
            m = merged.setdefault(t, {"passed": True, "severity": "WARN", "error": None, "failing": [],
                                      "rows_validated": 0, "expectations": r.get("expectations", 0)})
            m["passed"] = m["passed"] and r["passed"]
            if r["severity"] == "ERROR":
                m["severity"] = "ERROR"
            if r.get("error"):
                m["error"] = "; ".join(x for x in (m["error"], r["error"]) if x)
            m["rows_validated"] += r.get("rows_validated") or 0
            for f in r["failing"]:
                prev = next((x for x in m["failing"] if x["expectation_id"] == f["expectation_id"]), None)
                if prev is None:
                    m["failing"].append(dict(f))
                else:
                    prev["unexpected_rows"] += f["unexpected_rows"]
                    prev["rows"] = (prev.get("rows") or []) + (f.get("rows") or [])
    for m in merged.values():
        for f in m["failing"]:
            if "rows" in f:
                f["rows"] = f["rows"][:validate.MAX_LOCATIONS]
    return merged


def _process_batch(con, settings, batch, seen, known, force, reject_threshold, gx_enabled,
                   timings, say, n_done, n_total):
    """Read, stage, validate (each table once over the batch) and load a batch of deliveries."""
    # 1. archive, control-check and read each delivery
    outcomes: list[Outcome] = []
    staged: list[tuple[Checked, str, int]] = []
    for i, d in enumerate(batch, 1):
        t = time.perf_counter()
        prev = seen.get(d.key, [])
        if force and prev and prev[-1][1] == d.control_sha256:
            version = prev[-1][0]  # a rerun of the same version: reprocessed in place
        else:
            version = (max(v for v, *_ in prev) + 1) if prev else 1
        dkey = f"{d.key}/v{version}"
        chk = check_delivery(d, settings.archive_dir)
        out = Outcome(dkey, d.source_id, d.as_of.isoformat(), version, "accepted", warnings=list(chk.warnings))
        if chk.error is not None:
            e = chk.error
            out.status, out.reason = "rejected", f"{e.rule}: {e}"
            out.problems.append(_problem(d, dkey, e.file, e.line, e.column, e.rule, str(e)))
        else:
            fp = chk.fingerprint
            dup = find_duplicate(d, fp, [k for k in known if k[3] != dkey])
            if dup:
                out.status, out.duplicate_of = "duplicate", dup
                out.reason = "identical bytes were already received"
            else:
                known.append((d.source_id, d.as_of, fp, dkey))
                staged.append((chk, dkey, version))
        out._checked = chk  # type: ignore[attr-defined]
        outcomes.append(out)
        timings["read"] += time.perf_counter() - t
        if (n_done + i) % 50 == 0 or n_done + i == n_total:
            say(f"read {n_done + i}/{n_total} deliveries")
    rows_staged = sum(fr.table.num_rows for c, _, _ in staged for frs in c.reads.values() for fr in frs)

    # 2. stage + validate: each table once over every new delivery of the batch. The stage is an
    # in-memory database attached as `stg` to the restricted store's connection; the row rules,
    # Great Expectations (through a cursor of the same database instance) and the load all read it.
    t = time.perf_counter()
    clients = con.sql("SELECT DISTINCT provider_id, client_id FROM raw.provider__clients").to_arrow_table()
    con.execute("ATTACH ':memory:' AS stg")
    try:
        scon = con.cursor()
        scon.execute("USE stg")
        build_stage(scon, staged, clients)
        for c, _, _ in staged:  # the rows now live in the stage: free the batch's Arrow tables
            for frs in c.reads.values():
                for fr in frs:
                    fr.table = None
        timings["stage"] += time.perf_counter() - t
        t = time.perf_counter()
        suites = validate.load_suites()
        engine = validate.row_rules(scon, suites)
        viol_by_d = validate.violations_per_delivery(scon)
        timings["rules"] += time.perf_counter() - t
        t = time.perf_counter()

        def stage_cursor():
            cur = con.cursor()
            cur.execute("USE stg")
            return cur

        checks = validate.run_gx(stage_cursor, suites, engine) if gx_enabled else validate.gx_disabled(suites)
        timings["gx"] += time.perf_counter() - t
        for table, res in checks.items():
            for f in res["failing"]:
                if f["action"] != "structural":
                    f["rows"] = validate.locations(scon, table, f["expectation_id"])
        scon.close()
        say(f"validated {rows_staged} new rows")

        # 3. load, one transaction per delivery (archive bytes made durable first, in one sync)
        t = time.perf_counter()
        os.sync()
        d_index = {dkey: i for i, (_, dkey, _) in enumerate(staged)}
        for n, out in enumerate(outcomes, 1):
            chk = out._checked  # type: ignore[attr-defined]
            if out.status == "accepted":
                di = d_index[out.delivery_key]
                v = viol_by_d.get(di, {"rejected": 0, "held": 0, "problems": []})
                total = sum(fr.row_count for frs in chk.reads.values() for fr in frs)
                malformed = [(fr.label, ln, why) for frs in chk.reads.values() for fr in frs
                             for ln, why in fr.malformed]
                out.rows_rejected, out.rows_held = v["rejected"] + len(malformed), v["held"]
                out.problems.extend(_problem(chk.delivery, out.delivery_key, f, ln, None, "malformed_row",
                                             f"row rejected: {why}") for f, ln, why in malformed[:20])
                out.problems.extend(dict(p, source=out.source_id, delivery=out.delivery_key)
                                    for p in v["problems"])
                if total and out.rows_rejected / total > reject_threshold:
                    out.status = "rejected"
                    out.reason = (f"rejected_share: {out.rows_rejected} of {total} rows broke row rules "
                                  f"(threshold {reject_threshold:.0%})")
                _load_one(con, chk, out, di if out.status == "accepted" else None, seen, force)
            else:
                _load_one(con, chk, out, None, seen, force)
            if out.status == "rejected" or out.rows_rejected or out.rows_held:
                _write_quarantine(settings.quarantine_dir, out)
            if (n_done + n) % 50 == 0 or n_done + n == n_total:
                say(f"loaded {n_done + n}/{n_total} deliveries")
            out._checked = None  # type: ignore[attr-defined]  # free the batch's rows
    finally:
        con.execute("DETACH DATABASE IF EXISTS stg")
    timings["load"] += time.perf_counter() - t
    return outcomes, checks, rows_staged


def _record_key_sql(spec) -> str:
    return " || '|' || ".join(f"coalesce(CAST(s.\"{k}\" AS VARCHAR), '')" for k in spec.key)


def _load_one(con, chk: Checked, out: Outcome, d_idx: int | None, seen: dict, force: bool) -> None:
    """One delivery version, atomically: its rows (if accepted), rejected rows, ledger rows."""
    d = chk.delivery
    tables = [t for t, s in TABLE_SPECS.items() if s.source_kind == d.kind]
    con.execute("BEGIN TRANSACTION")
    try:
        if force and any(dk == out.delivery_key for _, _, _, dk in seen.get(d.key, [])):
            for t in tables:
                con.execute(f"DELETE FROM raw.{t} WHERE _delivery_key = ?", [out.delivery_key])
            for t in ("rejected_rows", "delivery_files", "deliveries"):
                con.execute(f"DELETE FROM raw.{t} WHERE delivery_key = ?", [out.delivery_key])
        if d_idx is not None:
            older = [dk for _, _, status, dk in seen.get(d.key, []) if status == "accepted" and dk != out.delivery_key]
            for dk in older:
                for t in tables:
                    con.execute(f"DELETE FROM raw.{t} WHERE _delivery_key = ?", [dk])
                con.execute("UPDATE raw.deliveries SET status = 'superseded', reason = ? WHERE delivery_key = ?",
                            [f"superseded by {out.delivery_key}", dk])
                out.superseded.append(dk)
            loaded = 0
            for t in tables:
                spec = TABLE_SPECS[t]
                cols = ", ".join(f'"{c}"' for c in raw_columns(spec))
                keep = ""
                if out.rows_rejected:
                    keep = (f" AND NOT EXISTS (SELECT 1 FROM stg.violations v WHERE v.table_name = '{t}' "
                            f"AND v._row_id = s._row_id AND v.action = 'reject')")
                loaded += con.execute(f"INSERT INTO raw.{t} ({cols}) SELECT {cols} FROM stg.stage_{t} s "
                                      f"WHERE s._d = {int(d_idx)}{keep}").fetchone()[0]
            out.rows_loaded = loaded
        if out.rows_rejected:  # row-level rejects (also kept when the share rejected the delivery)
            for t in tables:
                spec = TABLE_SPECS[t]
                con.execute(f"""
                    INSERT INTO raw.rejected_rows
                    SELECT s._delivery_key, s._source_id, s._as_of, '{t}', s._file, s._line, v.column_name,
                           v.rule, {_record_key_sql(spec)}
                    FROM stg.violations v JOIN stg.stage_{t} s ON s._row_id = v._row_id
                    WHERE v.table_name = '{t}' AND v.action = 'reject' AND s._delivery_key = ?
                    ORDER BY s._file, s._line, v.column_name, v.rule""", [out.delivery_key])
        if out.status in ("accepted", "rejected") and chk.reads:
            for t, frs in chk.reads.items():
                for fr in frs:
                    for ln, _why in fr.malformed:
                        con.execute("INSERT INTO raw.rejected_rows VALUES (?,?,?,?,?,?,?,?,?)",
                                    [out.delivery_key, d.source_id, d.as_of, t, fr.label, ln, None,
                                     "malformed_row", None])
        now = _now()
        con.execute("INSERT INTO raw.deliveries VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", [
            out.delivery_key, d.source_id, d.kind, d.entity_id, d.as_of, out.version, chk.control_sha256,
            out.status, out.reason, out.duplicate_of, out.rows_loaded, out.rows_rejected, now,
            now if out.status == "accepted" else None])
        files = pa.table({"delivery_key": [out.delivery_key] * len(chk.files),
                          "file_name": [f.file_name for f in chk.files], "sha256": [f.sha256 for f in chk.files],
                          "row_count": pa.array([f.row_count for f in chk.files], pa.int64()),
                          "archive_path": [f.archive_path for f in chk.files]})
        con.register("files_v", files)
        con.execute("INSERT INTO raw.delivery_files SELECT * FROM files_v")
        con.unregister("files_v")
        hook = os.environ.get("HTIC_TEST_SLEEP_IN_LOAD")  # test hook: a kill lands inside the transaction
        if hook and d_idx is not None:
            Path(os.environ.get("HTIC_TEST_SLEEP_MARKER", os.devnull)).write_text("in-transaction")
            time.sleep(float(hook))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
