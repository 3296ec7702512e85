"""An independent computation of the metrics, in pandas, straight from the raw tables.

Written from spec/metrics.md and extracts.md, not from the dbt models: it re-derives the state as of
A from the ledger and the raw rows (latest valid snapshot, rejected rows keeping their last accepted
state, latest provider record versions, DELETED records and clients, facts dated after A), then
computes each metric with plain pandas. The tests compare its figures with `analytics.metrics`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from pipelines.sql import qualified

GRACE_DAYS = 45
PROSTITUTION = {"PL 230.00", "PL 230.03", "PL 240.37", "ED 6512"}
BREAKDOWNS = ["court", "age_band", "gender_identity", "race", "ethnicity", "primary_language", "prior_arrests"]
PROVIDER = ("provider",)  # the provider breakdown (metrics.md v2): G2, G3, G5, G6 only
WINDOWS = {"6m": 182, "12m": 365, "24m": 730}


def quarter(d) -> str | None:
    if d is None or pd.isna(d):
        return None
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


def quarter_end(label: str) -> pd.Timestamp:
    y, q = int(label[:4]), int(label[5])
    return pd.Timestamp(y, q * 3, 1) + pd.offsets.MonthEnd(0)


def cohort_mature(label: str, window: int, a: pd.Timestamp) -> bool:
    return quarter_end(label) + pd.Timedelta(days=window) <= a


def quarter_number(label: str) -> int:
    """'2019Q3' -> a count of quarters (consecutive quarters differ by 1)."""
    return int(label[:4]) * 4 + int(label[5]) - 1


def quarter_of_number(n: int) -> str:
    return f"{n // 4}Q{n % 4 + 1}"


def last_reported_quarter(window: int | None, a: pd.Timestamp) -> int:
    """The latest cohort quarter a metric reports as of A: A's own quarter without a window, else
    the latest whose last day + window <= A."""
    n = quarter_number(quarter(a))
    while window is not None and not cohort_mature(quarter_of_number(n), window, a):
        n -= 1
    return n


def with_periods(u: pd.DataFrame, cohort: str, window: int | None, a, rolling: bool) -> pd.DataFrame:
    """The units `u` (already mature) labelled `_period`: once with their cohort quarter, and
    again with every pooled period of metrics.md v2 that contains it and is reported — '<Q>-R4'
    (the four quarters ending with Q; only when `rolling`, i.e. overall) and '<YYYY>'. A period is
    reported when its last quarter is (last_reported_quarter) and its first quarter is not before
    the population's first quarter with units."""
    parts = [u.assign(_period=u[cohort])]
    if u.empty:
        return parts[0]
    q = u[cohort].map(quarter_number)
    first = q.groupby(u.population).transform("min")
    last = last_reported_quarter(window, a)
    if rolling:
        for k in range(4):
            end = q + k
            keep = mask((end - 3 >= first) & (end <= last), u)
            parts.append(u[keep].assign(_period=[quarter_of_number(e) + "-R4" for e in end[keep]]))
    year = q // 4
    keep = mask((year * 4 >= first) & (year * 4 + 3 <= last), u)
    parts.append(u[keep].assign(_period=[str(y) for y in year[keep]]))
    return pd.concat(parts, ignore_index=True)


def mask(values, df) -> np.ndarray:
    """A boolean row mask (an empty list must not select columns)."""
    return np.asarray(values, dtype=bool).reshape(len(df))


def _rt(con, table: str) -> pd.DataFrame:
    return con.execute(f"select * from {qualified('raw', table)}").df()


def _dates(df: pd.DataFrame, cols) -> pd.DataFrame:
    for c in cols:
        df[c] = pd.to_datetime(df[c])
    return df


@dataclass
class State:
    a: pd.Timestamp
    courts: pd.DataFrame
    providers: pd.DataFrame
    cases: pd.DataFrame
    defendants: pd.DataFrame
    events: pd.DataFrame
    arrests: pd.DataFrame
    clients: pd.DataFrame
    assessments: pd.DataFrame
    sessions: pd.DataFrame
    referrals: pd.DataFrame
    exits: pd.DataFrame
    deliveries: pd.DataFrame
    rejected: pd.DataFrame
    delivery_files: pd.DataFrame


def load_state(db_path, as_of) -> State:
    a = pd.Timestamp(as_of)
    cutoff = a + pd.Timedelta(days=GRACE_DAYS)
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        dl = _dates(_rt(con, "deliveries"), ["as_of"])
        rej = _rt(con, "rejected_rows")
        files = _rt(con, "delivery_files")
        acc = dl[(dl.status == "accepted") & (dl.as_of <= cutoff)].copy()
        acc["entity"] = acc.source_id.str.replace(r"^(court|provider)-", "", regex=True)

        def latest(prefix):
            sub = acc[acc.source_id.str.startswith(prefix)].sort_values(
                ["entity", "as_of", "version", "delivery_key"], ascending=[True, False, False, False])
            return sub.drop_duplicates("entity")

        # program: latest accepted delivery
        prog = latest("program")
        pkeys = set(prog.delivery_key)
        courts = _dates(_rt(con, "program__courts"), ["htic_start_date", "htic_end_date"])
        courts = courts[courts._delivery_key.isin(pkeys)]
        providers = _dates(_rt(con, "program__providers"), ["contract_start", "contract_end"])
        providers = providers[providers._delivery_key.isin(pkeys)].copy()
        providers.loc[providers.contract_end > a, "contract_end"] = pd.NaT

        # courts: per court the latest accepted snapshot; rejected rows keep their last accepted row
        court_snaps = acc[acc.source_id.str.startswith("court-")][["delivery_key", "entity", "as_of", "version"]]
        current = latest("court-")
        cur_keys = set(current.delivery_key)
        rej_cur = rej[rej.delivery_key.isin(cur_keys)].copy()
        rej_cur["tbl"] = (rej_cur.table_name.str.lower().str.replace(r"\.csv$", "", regex=True)
                          .str.replace(r"^.*#", "", regex=True).str.replace(r"^.*(__|\.)", "", regex=True))
        rej_cur = rej_cur.merge(current[["delivery_key", "entity"]], on="delivery_key")

        def snapshot_table(table, key_cols, rej_table):
            raw = _rt(con, f"court__{table}").merge(
                court_snaps.rename(columns={"delivery_key": "_delivery_key"}), on="_delivery_key")
            cur = raw[raw._delivery_key.isin(cur_keys)]
            rk = rej_cur[(rej_cur.tbl == rej_table) & rej_cur.record_key.notna()]
            rk = set(zip(rk.entity, rk.record_key))
            older = raw[~raw._delivery_key.isin(cur_keys)]
            older = older[mask([(c, k) in rk for c, k in zip(older.court_id, older[key_cols[-1]])], older)]
            have = set(map(tuple, cur[key_cols].itertuples(index=False)))
            older = older[mask([tuple(r) not in have for r in older[key_cols].itertuples(index=False)], older)]
            older = older.sort_values(["as_of", "_version"], ascending=False).drop_duplicates(key_cols)
            return cur, older, raw

        cases_cur, cases_old, _ = snapshot_table("cases", ["court_id", "docket_id"], "cases")
        cases = pd.concat([cases_cur, cases_old], ignore_index=True)
        cases = _dates(cases, ["arrest_date", "arraignment_date", "htic_referral_date", "disposition_date",
                               "sealed_date"])
        late = cases.disposition_date > a
        cases.loc[late, "disposition"] = None
        cases.loc[late, "disposition_date"] = pd.NaT
        late_seal = cases.sealed_date > a
        cases.loc[late_seal, "sealed"] = "N"
        cases.loc[late_seal, "sealed_date"] = pd.NaT

        def_cur, def_old, _ = snapshot_table("defendants", ["court_id", "defendant_id"], "defendants")
        defendants = _dates(pd.concat([def_cur, def_old], ignore_index=True), ["dob"])

        # events: the current snapshot's, plus, for dockets whose case or event rows the current
        # snapshot rejected, the missing events of the last older snapshot that carried the docket
        ev_raw = _rt(con, "court__events").merge(
            court_snaps.rename(columns={"delivery_key": "_delivery_key"}), on="_delivery_key")
        ev_cur = ev_raw[ev_raw._delivery_key.isin(cur_keys)]
        rk = rej_cur[rej_cur.tbl.isin(["events", "cases"]) & rej_cur.record_key.notna()]
        affected = set()
        dockets = ev_raw[["court_id", "docket_id"]].drop_duplicates()
        for r in rk.itertuples():
            m = dockets[(dockets.court_id == r.entity) & (
                (dockets.docket_id == r.record_key)
                | ((r.tbl == "events") & dockets.docket_id.map(lambda d: str(r.record_key).startswith(d))))]
            affected |= set(zip(m.court_id, m.docket_id))
        old = ev_raw[~ev_raw._delivery_key.isin(cur_keys)]
        old = old[mask([(c, d) in affected for c, d in zip(old.court_id, old.docket_id)], old)]
        if len(old):
            old = old[old.as_of == old.groupby(["court_id", "docket_id"]).as_of.transform("max")]
            have = set(zip(ev_cur.court_id, ev_cur.docket_id, ev_cur.event_seq))
            old = old[mask([(c, d, s) not in have for c, d, s in zip(old.court_id, old.docket_id, old.event_seq)], old)]
        events = _dates(pd.concat([ev_cur, old], ignore_index=True), ["event_date"])
        events = events[events.event_date <= a]
        events = events.merge(cases[["court_id", "docket_id"]], on=["court_id", "docket_id"])

        # state arrests: the latest accepted dcjs snapshot; arrests dated after A are not yet known
        dk = set(latest("dcjs").delivery_key)
        arrests = _dates(_rt(con, "dcjs__arrests"), ["arrest_date"])
        arrests = arrests[arrests._delivery_key.isin(dk) & (arrests.arrest_date <= a)]

        # providers: every accepted delivery; latest updated_at wins (ties: later delivery)
        pkeys_all = set(acc[acc.source_id.str.startswith("provider-")].delivery_key)

        def prov(table, key, date_col):
            df = _rt(con, f"provider__{table}")
            df = df[df._delivery_key.isin(pkeys_all)].copy()
            df["updated_at"] = pd.to_datetime(df.updated_at)
            df = df.sort_values(["updated_at", "_as_of", "_version", "_line"],
                                ascending=False, na_position="last")
            df = df.drop_duplicates(["provider_id", key])
            return _dates(df, [c for c in df.columns if c.endswith("_date")]), date_col

        clients, _ = prov("clients", "client_id", "intake_date")
        deleted = set(zip(clients.provider_id[clients.record_status.str.upper() == "DELETED"],
                          clients.client_id[clients.record_status.str.upper() == "DELETED"]))

        def clean(df, date_col):
            keep = (df.record_status.fillna("").str.upper() != "DELETED") & (df[date_col] <= a)
            keep &= mask([(p, c) not in deleted for p, c in zip(df.provider_id, df.client_id)], df)
            return df[keep].copy()

        clients = clean(clients, "intake_date")
        tables = {}
        for t, key, dcol in [("assessments", "assessment_id", "assessment_date"),
                             ("sessions", "session_id", "session_date"),
                             ("referrals", "referral_id", "referral_date"),
                             ("exits", "client_id", "exit_date")]:
            df, _ = prov(t, key, dcol)
            tables[t] = clean(df, dcol)
        return State(a, courts, providers, cases, defendants, events, arrests, clients,
                     tables["assessments"], tables["sessions"], tables["referrals"], tables["exits"],
                     dl, rej, files)
    finally:
        con.close()


# ------------------------------------------------------------------------------------------------
# case table with breakdown attributes


def age_band(age) -> str:
    if age is None or pd.isna(age):
        return "unknown"
    age = int(age)
    for lo, hi, lab in [(16, 17, "16-17"), (18, 24, "18-24"), (25, 34, "25-34"), (35, 44, "35-44")]:
        if lo <= age <= hi:
            return lab
    return "45+" if age >= 45 else "unknown"


def whole_years(dob, d):
    if pd.isna(dob) or pd.isna(d):
        return None
    return d.year - dob.year - ((d.month, d.day) < (dob.month, dob.day))


def language(code) -> str:
    if code is None or pd.isna(code) or not str(code).strip():
        return "unknown"
    c = str(code).strip().lower()
    return c if c in {"en", "es", "zh", "ko"} else "other"


def case_table(s: State) -> pd.DataFrame:
    a = s.a
    c = s.cases.merge(s.defendants[["court_id", "defendant_id", "nysid", "dob", "gender_identity", "race",
                                    "ethnicity", "primary_language"]],
                      on=["court_id", "defendant_id"], how="left")
    c["person"] = [n if isinstance(n, str) and n else f"{ct}:{d}"
                   for n, ct, d in zip(c.nysid, c.court_id, c.defendant_id)]
    c["population"] = np.where(c.htic_referral_date.notna() & (c.htic_referral_date <= a), "htic",
                               np.where(c.htic_referral_date.isna() & (c.arraignment_date <= a),
                                        "comparison", "neither"))
    c["cohort"] = [quarter(r) if p == "htic" else quarter(g) if p == "comparison" else None
                   for p, r, g in zip(c.population, c.htic_referral_date, c.arraignment_date)]
    c["court"] = c.court_id
    c["age_band"] = [age_band(whole_years(b, d)) for b, d in zip(c.dob, c.arraignment_date)]
    for col in ["gender_identity", "race", "ethnicity"]:
        c[col] = c[col].where(c[col].notna() & (c[col].astype(str).str.strip() != ""), "UNKNOWN")
    c["primary_language"] = c.primary_language.map(language)

    # arrests of each nysid, sorted
    arr = s.arrests[s.arrests.nysid.notna()].drop_duplicates(["nysid", "arrest_id", "arrest_date", "top_charge"])
    by_nysid = {k: g.sort_values("arrest_date") for k, g in arr.groupby("nysid")}
    state_begin = s.courts.htic_start_date.min() - pd.DateOffset(years=3)
    prior, first_re, first_pros = [], [], []
    for r in c.itertuples():
        g = by_nysid.get(r.nysid) if isinstance(r.nysid, str) else None
        # prior arrests
        if not isinstance(r.nysid, str) or pd.isna(r.arrest_date) or r.arrest_date - pd.DateOffset(years=3) < state_begin:
            prior.append("unknown")
        else:
            n = 0
            if g is not None:
                lo = r.arrest_date - pd.DateOffset(years=3)
                m = g[(g.arrest_date >= lo) & (g.arrest_date < r.arrest_date)]
                m = m[m.arrest_id != r.arrest_id] if isinstance(r.arrest_id, str) else m
                n = m.arrest_id.nunique()
            prior.append("0" if n == 0 else "1-2" if n <= 2 else "3+")
        # rearrests
        if g is None or pd.isna(r.disposition_date):
            first_re.append(pd.NaT)
            first_pros.append(pd.NaT)
        else:
            m = g[g.arrest_date > r.disposition_date]
            if isinstance(r.arrest_id, str):
                m = m[m.arrest_id != r.arrest_id]
            first_re.append(m.arrest_date.min() if len(m) else pd.NaT)
            mp = m[m.top_charge.isin(PROSTITUTION)]
            first_pros.append(mp.arrest_date.min() if len(mp) else pd.NaT)
    c["prior_arrests"] = prior
    c["first_rearrest"] = pd.to_datetime(pd.Series(first_re, index=c.index))
    c["first_pros_rearrest"] = pd.to_datetime(pd.Series(first_pros, index=c.index))

    ev = s.events
    warr = ev[ev.event_type == "WARRANT_ISSUED"][["court_id", "docket_id", "event_date"]]
    w = c[["court_id", "docket_id", "htic_referral_date"]].merge(warr, on=["court_id", "docket_id"])
    w = w[(w.event_date >= w.htic_referral_date) & (w.event_date <= w.htic_referral_date + pd.Timedelta(days=180))]
    hit = set(zip(w.court_id, w.docket_id))
    c["warrant_180d"] = [(ct, d) in hit for ct, d in zip(c.court_id, c.docket_id)]

    # another docket of the person referred in (referral, referral + 365]
    refd = c[c.htic_referral_date.notna() & (c.htic_referral_date <= a)][["person", "court_id", "docket_id",
                                                                        "htic_referral_date"]]
    by_person = {k: g for k, g in refd.groupby("person")}
    ret = []
    for r in c.itertuples():
        g = by_person.get(r.person)
        ok = False
        if g is not None and pd.notna(r.htic_referral_date):
            o = g[~((g.court_id == r.court_id) & (g.docket_id == r.docket_id))]
            ok = bool(((o.htic_referral_date > r.htic_referral_date)
                       & (o.htic_referral_date <= r.htic_referral_date + pd.Timedelta(days=365))).any())
        ret.append(ok)
    c["htic_return_12m"] = ret
    c["disp_cohort"] = c.disposition_date.map(quarter)
    return c


# ------------------------------------------------------------------------------------------------
# aggregation


def breakdown_sets(breakdowns: bool, extra: tuple[str, ...]) -> list[tuple[str, str | None]]:
    return [("overall", None)] + ([(b, b) for b in BREAKDOWNS] if breakdowns else []) + [(b, b) for b in extra]


def rate_rows(metric, units: pd.DataFrame, flag: str, cohort: str, window: int | None, a,
              breakdowns=True, den: str | None = None, extra: tuple[str, ...] = (),
              periods: bool = True) -> pd.DataFrame:
    """units: one row per unit with population, cohort column, breakdown columns, flag (0/1 or
    count) and optionally a denominator column. `extra`: further breakdown columns (provider);
    `periods`: also the pooled periods (with_periods)."""
    u = units[units[cohort].notna()].copy()
    if window is not None:
        u = u[[cohort_mature(q, window, a) for q in u[cohort]]]
    u["_x"] = u[flag].astype(float)
    u["_w"] = u[den].astype(float) if den else 1.0
    rows = []
    for name, col in breakdown_sets(breakdowns, extra):
        pu = with_periods(u, cohort, window, a, rolling=col is None) if periods else u.assign(_period=u[cohort])
        keys = ["population", "_period"] + ([col] if col else [])
        for k, g in pu.groupby(keys):
            d = g._w.sum()
            if d <= 0:
                continue
            rows.append(dict(metric_id=metric, population=k[0], cohort=k[1], breakdown=name,
                             breakdown_value=k[2] if col else "all", numerator=g._x.sum(), denominator=d,
                             value=g._x.sum() / d))
    return pd.DataFrame(rows)


def duration_rows(metric, units, col, cohort, a, breakdowns=True, extra: tuple[str, ...] = ()):
    u = units[units[cohort].notna() & units[col].notna()]
    rows = []
    for name, bcol in breakdown_sets(breakdowns, extra):
        pu = with_periods(u, cohort, None, a, rolling=bcol is None)
        keys = ["population", "_period"] + ([bcol] if bcol else [])
        for k, g in pu.groupby(keys):
            x = g[col].astype(float).to_numpy()
            for suffix, q in [("", 0.5), ("_p75", 0.75)]:
                rows.append(dict(metric_id=metric + suffix, population=k[0], cohort=k[1], breakdown=name,
                                 breakdown_value=k[2] if bcol else "all", numerator=np.nan,
                                 denominator=float(len(x)), value=float(np.quantile(x, q))))
    return pd.DataFrame(rows)


def case_metrics(s: State, c: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every figure that needs no linkage: G1, G4 rates, g9_nysid_coverage."""
    a = s.a
    d = pd.Timedelta
    c = case_table(s) if c is None else c
    h = c[c.population == "htic"].copy()
    out = []
    merits = h[h.disposition_date.notna() & ~h.disposition.isin(["TRANSFERRED", "ABATED"])].copy()
    merits["flag"] = merits.disposition.isin(["ACD", "DISMISSED", "PLEA_VIOLATION", "ACQUITTED"])
    out.append(rate_rows("g1_noncriminal_disposition", merits, "flag", "cohort", None, a))
    merits["days"] = (merits.disposition_date - merits.htic_referral_date).dt.days
    out.append(duration_rows("g1_days_to_disposition", merits, "days", "cohort", a))
    seal = h[h.disposition.isin(["ACD", "DISMISSED"]) & (h.disposition_date <= a - d(days=365))].copy()
    seal["flag"] = (seal.sealed == "Y") & (seal.sealed_date >= seal.disposition_date) & (
        seal.sealed_date <= seal.disposition_date + d(days=365))
    out.append(rate_rows("g1_sealed_within_1y", seal, "flag", "disp_cohort", 365, a))
    war = h[h.htic_referral_date <= a - d(days=180)]
    out.append(rate_rows("g1_warrant_180d", war, "warrant_180d", "cohort", 180, a))

    pc = c[c.population.isin(["htic", "comparison"]) & c.nysid.notna() & c.disposition_date.notna()].copy()
    for lab, n in WINDOWS.items():
        sub = pc[pc.disposition_date <= a - d(days=n)].copy()
        for kind, col in [("any", "first_rearrest"), ("prostitution", "first_pros_rearrest")]:
            sub["flag"] = sub[col].notna() & (sub[col] <= sub.disposition_date + d(days=n))
            out.append(rate_rows(f"g4_rearrest_{kind}_{lab}", sub, "flag", "disp_cohort", n, a))
    ret = h[h.htic_referral_date <= a - d(days=365)]
    out.append(rate_rows("g4_htic_return_12m", ret, "htic_return_12m", "cohort", 365, a))
    h["has_nysid"] = h.nysid.notna()
    out.append(rate_rows("g9_nysid_coverage", h, "has_nysid", "cohort", None, a, breakdowns=False))
    return pd.concat(out, ignore_index=True)


def survival_inputs(s: State, c: pd.DataFrame | None = None) -> pd.DataFrame:
    c = case_table(s) if c is None else c
    pc = c[c.population.isin(["htic", "comparison"]) & c.nysid.notna() & c.disposition_date.notna()].copy()
    pc["event"] = pc.first_rearrest.notna()
    pc["t"] = ((pc.first_rearrest.where(pc.event, s.a)) - pc.disposition_date).dt.days
    pc["year"] = pc.disposition_date.dt.year.astype(str)
    return pc


def client_metrics_without_linkage(s: State) -> pd.DataFrame:
    """G8, g5_self_referred_share (overall), G7 counts and caseloads."""
    a = s.a
    out = []
    ex = s.exits.copy()
    ex["population"] = "htic"
    ex["cohort"] = ex.exit_date.map(quarter)
    ex["resp"] = ex.survey_helpfulness.notna() | ex.survey_would_recommend.notna()
    out.append(rate_rows("g8_survey_response_rate", ex, "resp", "cohort", None, a, breakdowns=False))
    wr = ex[ex.survey_would_recommend.notna()].copy()
    wr["flag"] = wr.survey_would_recommend == "Y"
    out.append(rate_rows("g8_would_recommend", wr, "flag", "cohort", None, a, breakdowns=False))
    rows = []
    scored = with_periods(ex[ex.survey_helpfulness.notna()], "cohort", None, a, rolling=True)
    for q, g in scored.groupby("_period"):
        x = g.survey_helpfulness.astype(float)
        rows.append(dict(metric_id="g8_helpfulness_mean", population="htic", cohort=q, breakdown="overall",
                         breakdown_value="all", numerator=x.sum(), denominator=float(len(x)), value=x.mean()))
    out.append(pd.DataFrame(rows))
    cl = s.clients.copy()
    cl["population"] = "htic"
    cl["cohort"] = cl.intake_date.map(quarter)
    cl["flag"] = cl.referral_source.fillna("") != "COURT_MANDATE"
    out.append(rate_rows("g5_self_referred_share", cl, "flag", "cohort", None, a, breakdowns=False))
    # G7
    p = s.providers.copy()
    p["active"] = (p.contract_start <= a) & (p.contract_end.isna() | (p.contract_end >= a))
    rows = [dict(metric_id="g7_active_providers", population="htic", cohort="all", breakdown="overall",
                 breakdown_value="all", numerator=float(p[p.active].provider_id.nunique()), denominator=np.nan,
                 value=float(p[p.active].provider_id.nunique()))]
    for court, g in p.groupby("court_id"):
        n = float(g[g.active].provider_id.nunique())
        rows.append(dict(metric_id="g7_active_providers", population="htic", cohort="all", breakdown="court",
                         breakdown_value=court, numerator=n, denominator=np.nan, value=n))
    ex_by = s.exits.set_index(["provider_id", "client_id"]).exit_date
    act = s.clients[mask([pd.isna(ex_by.get((pp, cc), pd.NaT)) or ex_by.get((pp, cc)) > a
                          for pp, cc in zip(s.clients.provider_id, s.clients.client_id)], s.clients)]
    n_act = act.groupby("provider_id").size()
    cap = p[p.active].groupby("provider_id").capacity.max()
    tot_n = tot_c = 0
    for prov_id, capacity in cap.items():
        n = float(n_act.get(prov_id, 0))
        tot_n += n
        tot_c += capacity
        rows.append(dict(metric_id="g7_caseload_per_capacity", population="htic", cohort="all",
                         breakdown="provider", breakdown_value=prov_id, numerator=n, denominator=float(capacity),
                         value=n / capacity))
    if len(cap):
        rows.append(dict(metric_id="g7_caseload_per_capacity", population="htic", cohort="all",
                         breakdown="overall", breakdown_value="all", numerator=float(tot_n),
                         denominator=float(tot_c), value=tot_n / tot_c))
    out.append(pd.DataFrame(rows))
    return pd.concat(out, ignore_index=True)


def ledger_metrics(s: State) -> pd.DataFrame:
    a = s.a
    dl = s.deliveries
    rows = []
    acc = dl[dl.status.isin(["accepted", "duplicate"]) & (dl.as_of <= a)]
    for src, g in acc.groupby("source_id"):
        days = float((a - g.as_of.max()).days)
        rows.append(dict(metric_id="g9_delivery_timeliness", population="htic", cohort="all", breakdown="source",
                         breakdown_value=src, numerator=days, value=days))
    inp = dl[dl.as_of <= a + pd.Timedelta(days=GRACE_DAYS)].copy()
    inp["cohort"] = inp.as_of.map(quarter)
    rj = s.rejected.copy()
    rj["line"] = rj.file_name.astype(str) + "#" + rj.line_number.astype(str)
    nrej = rj.groupby("delivery_key").line.nunique()
    for (q, src), g in inp.groupby(["cohort", "source_id"]):
        accepted = g[g.status == "accepted"]
        n = float(sum(nrej.get(k, 0) for k in accepted.delivery_key))
        rows.append(dict(metric_id="g9_rows_rejected", population="htic", cohort=q, breakdown="source",
                         breakdown_value=src, numerator=n, value=n))
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------------
# figures that need linkage, from a given table of client -> case links


def linked_metrics(s: State, links: pd.DataFrame, c: pd.DataFrame | None = None) -> pd.DataFrame:
    """G2, G3, G5 continuation, G6, g9_cases_linked (and g5_self_referred_share's breakdowns, which
    come from linked cases) from `links` (provider_id, client_id, court_id, docket_id)."""
    a = s.a
    d = pd.Timedelta
    c = case_table(s) if c is None else c
    h = c[c.population == "htic"].copy()
    key = ["provider_id", "client_id"]
    links = links.merge(s.clients[key + ["intake_date"]], on=key)  # clients that exist on A
    lk = links.merge(h[["court_id", "docket_id", "htic_referral_date", "mandate_sessions", "cohort"]],
                     on=["court_id", "docket_id"])
    # the provider breakdown of a case (metrics.md v2): the provider of the earliest intake among
    # its linked clients (ties: provider_id, then client_id); 'none' without a linked client
    first_intake = lk.sort_values(["intake_date", "provider_id", "client_id"]).drop_duplicates(["court_id", "docket_id"])
    case_provider = first_intake[["court_id", "docket_id", "provider_id"]].rename(columns={"provider_id": "provider"})
    out = []
    # --- per case session timelines
    ses = s.sessions.merge(lk, on=key)
    ses = ses[ses.session_date >= ses.htic_referral_date]
    mand = h[h.mandate_sessions.fillna(0) > 0].merge(case_provider, on=["court_id", "docket_id"], how="left")
    mand["provider"] = mand.provider.fillna("none")
    rows = {}
    for (ct, dk), g in ses.groupby(["court_id", "docket_id"]):
        ref = g.htic_referral_date.iloc[0]
        att = g[g.status == "ATTENDED"]
        cred = att[att.mandate_credit == "Y"].sort_values("session_date")
        m = g.mandate_sessions.iloc[0]
        comp = cred.session_date.iloc[int(m) - 1] if (pd.notna(m) and m > 0 and len(cred) >= m) else pd.NaT
        in180 = g[(g.session_date <= ref + d(days=180))]
        rows[(ct, dk)] = dict(first_att=att.session_date.min() if len(att) else pd.NaT, comp=comp,
                              att180=(in180.status == "ATTENDED").sum(), ns180=(in180.status == "NO_SHOW").sum())
    tl = pd.DataFrame([dict(court_id=k[0], docket_id=k[1], **v) for k, v in rows.items()])
    if len(tl) == 0:
        tl = pd.DataFrame(columns=["court_id", "docket_id", "first_att", "comp", "att180", "ns180"])
    mand = mand.merge(tl, on=["court_id", "docket_id"], how="left")
    m30 = mand[mand.htic_referral_date <= a - d(days=30)].copy()
    m30["flag"] = m30.first_att.notna() & (m30.first_att <= m30.htic_referral_date + d(days=30))
    out.append(rate_rows("g2_service_start_30d", m30, "flag", "cohort", 30, a, extra=PROVIDER))
    m180 = mand[mand.htic_referral_date <= a - d(days=180)].copy()
    m180["flag"] = m180.comp.notna() & (m180.comp <= m180.htic_referral_date + d(days=180))
    out.append(rate_rows("g2_mandate_completion_180d", m180, "flag", "cohort", 180, a, extra=PROVIDER))
    m180["att180"] = m180.att180.fillna(0)
    m180["den"] = m180.att180 + m180.ns180.fillna(0)
    out.append(rate_rows("g2_attendance_rate", m180[m180.den > 0], "att180", "cohort", 180, a, den="den", extra=PROVIDER))
    comp = mand[mand.comp.notna()].copy()
    comp["days"] = (comp.comp - comp.htic_referral_date).dt.days
    out.append(duration_rows("g2_days_to_completion", comp, "days", "cohort", a, extra=PROVIDER))
    # g5 voluntary continuation
    comp["ccohort"] = comp.comp.map(quarter)
    cc = comp[comp.comp <= a - d(days=180)].copy()
    allses = s.sessions[s.sessions.status == "ATTENDED"].merge(lk[key + ["court_id", "docket_id"]], on=key)
    v = cc[["court_id", "docket_id", "comp"]].merge(allses[["court_id", "docket_id", "session_date"]],
                                                    on=["court_id", "docket_id"])
    v = v[(v.session_date > v.comp + d(days=30)) & (v.session_date <= v.comp + d(days=180))]
    hit = set(zip(v.court_id, v.docket_id))
    flags = [(ct, dk) in hit for ct, dk in zip(cc.court_id, cc.docket_id)]
    cc["flag"] = flags
    out.append(rate_rows("g5_voluntary_continuation", cc, "flag", "ccohort", 180, a, extra=PROVIDER))
    # g9 cases linked
    linked = set(zip(lk.court_id, lk.docket_id))
    m30["linked"] = [(ct, dk) in linked for ct, dk in zip(m30.court_id, m30.docket_id)]
    out.append(rate_rows("g9_cases_linked", m30, "linked", "cohort", 30, a, breakdowns=False))
    # --- client level (G3, G6): cohort = earliest referral among linked HTIC cases
    # the anchoring case: the linked HTIC case with the earliest referral (ties: court, docket)
    cl = lk.sort_values(["htic_referral_date", "court_id", "docket_id"]).drop_duplicates(key)
    cl = cl[key + ["court_id", "docket_id", "htic_referral_date", "intake_date"]].merge(
        h[["court_id", "docket_id"] + BREAKDOWNS], on=["court_id", "docket_id"])
    cl["cohort"] = cl.htic_referral_date.map(quarter)
    cl["population"] = "htic"
    cl["provider"] = cl.provider_id  # a client's provider breakdown: its own provider
    asm = s.assessments.merge(cl[key + ["intake_date"]], on=key)
    in30 = asm[(asm.assessment_date >= asm.intake_date) & (asm.assessment_date <= asm.intake_date + d(days=30))]
    scr = set(zip(in30.provider_id, in30.client_id))
    ti = set(zip(in30[in30.domain == "TRAFFICKING_INDICATORS"].provider_id,
                 in30[in30.domain == "TRAFFICKING_INDICATORS"].client_id))
    c30 = cl[cl.intake_date <= a - d(days=30)].copy()
    c30["scr"] = [(p, q) in scr for p, q in zip(c30.provider_id, c30.client_id)]
    c30["ti"] = [(p, q) in ti for p, q in zip(c30.provider_id, c30.client_id)]
    out.append(rate_rows("g3_needs_screened_30d", c30, "scr", "cohort", 30, a, extra=PROVIDER))
    out.append(rate_rows("g6_trafficking_screened_30d", c30, "ti", "cohort", 30, a, extra=PROVIDER))
    needs = asm[asm.level.isin(["MODERATE", "HIGH"])].groupby(key + ["domain"]).assessment_date.min().reset_index()
    needs = needs.merge(cl[key + ["cohort", "population", "provider"] + BREAKDOWNS], on=key)
    refs = s.referrals
    needs["want"] = needs.domain.where(needs.domain != "TRAFFICKING_INDICATORS", "LEGAL")
    v = needs.merge(refs[key + ["domain", "referral_date"]].rename(columns={"domain": "want"}), on=key + ["want"])
    v = v[(v.referral_date >= v.assessment_date) & (v.referral_date <= v.assessment_date + d(days=60))]
    hit = set(zip(v.provider_id, v.client_id, v.domain))
    fl = [(p, q, dm) in hit for p, q, dm in zip(needs.provider_id, needs.client_id, needs.domain)]
    needs["flag"] = fl
    n60 = needs[needs.assessment_date <= a - d(days=60)]
    out.append(rate_rows("g3_need_referred_60d", n60, "flag", "cohort", 60, a, extra=PROVIDER))
    by_domain = rate_rows("g3_need_referred_60d", n60.assign(court=n60.domain), "flag", "cohort", 60, a)
    by_domain = by_domain[by_domain.breakdown == "court"].assign(breakdown="domain")
    out.append(by_domain)
    out.append(rate_rows("g6_legal_referral_60d", n60[n60.domain == "TRAFFICKING_INDICATORS"], "flag", "cohort",
                         60, a, extra=PROVIDER))
    rr = refs.merge(cl[key + ["cohort", "population", "provider"] + BREAKDOWNS], on=key)
    rr = rr[rr.referral_date <= a - d(days=90)].copy()
    rr["flag"] = (rr.status == "CONNECTED") & (rr.status_date >= rr.referral_date) & (
        rr.status_date <= rr.referral_date + d(days=90))
    out.append(rate_rows("g3_referral_connected_90d", rr, "flag", "cohort", 90, a, extra=PROVIDER))
    # g5_self_referred_share by breakdown: every client, attributes of its anchoring case or unknown
    allc = s.clients.merge(cl[key + BREAKDOWNS], on=key, how="left")
    for col in BREAKDOWNS:
        allc[col] = allc[col].fillna("UNKNOWN" if col in ("gender_identity", "race", "ethnicity") else "unknown")
    allc["population"] = "htic"
    allc["cohort"] = allc.intake_date.map(quarter)
    allc["flag"] = allc.referral_source.fillna("") != "COURT_MANDATE"
    allc["provider"] = allc.provider_id
    sr = rate_rows("g5_self_referred_share", allc, "flag", "cohort", None, a, extra=PROVIDER)
    out.append(sr[sr.breakdown != "overall"])
    return pd.concat([o for o in out if len(o)], ignore_index=True)


def wilson(x: float, n: float, z: float = 1.959963984540054) -> tuple[float, float]:
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def continuity_after_exit(s: State, person_of: dict) -> pd.DataFrame:
    """g7_continuity_after_exit (overall, by contract-end quarter) with persons from `person_of`
    ((provider_id, client_id) -> person); clients without a person never continue."""
    a = s.a
    p = s.providers
    ends = p.groupby("provider_id").contract_end.agg(["max", "count"])
    ends = ends[p.groupby("provider_id").size() == ends["count"]]["max"]
    cl = s.clients.merge(s.exits[["provider_id", "client_id", "exit_date"]], on=["provider_id", "client_id"],
                         how="left")
    cl["person"] = [person_of.get((x, y)) for x, y in zip(cl.provider_id, cl.client_id)]
    rows = []
    for prov, end in ends.items():
        act = cl[(cl.provider_id == prov) & (cl.intake_date <= end) & (cl.exit_date.isna() | (cl.exit_date >= end))]
        other = cl[(cl.provider_id != prov) & (cl.intake_date >= end) & (cl.intake_date <= end + pd.Timedelta(days=60))]
        people = set(other.person.dropna())
        act = act.assign(flag=[x is not None and x in people for x in act.person], population="htic",
                         cohort=quarter(end))
        act = act[[end <= a - pd.Timedelta(days=60)] * len(act)] if len(act) else act
        rows.append(act)
    units = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if units.empty:
        return pd.DataFrame()
    return rate_rows("g7_continuity_after_exit", units, "flag", "cohort", 60, a, breakdowns=False, periods=False)


# ------------------------------------------------------------------------------------------------
# targets and verdicts (metrics.md v2, extracts.md targets.csv)


def targets_in_force(db_path, as_of) -> pd.DataFrame:
    """(metric_id, population) -> target, direction in force on A: from targets.csv of the latest
    accepted program delivery with as-of <= A + 45 that carried the file, the row with the latest
    effective_from <= A."""
    a = pd.Timestamp(as_of)
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        dl = _dates(_rt(con, "deliveries"), ["as_of"])
        files = _rt(con, "delivery_files")
        targets = _dates(_rt(con, "program__targets"), ["effective_from"])
    finally:
        con.close()
    carried = set(files[files.file_name == "targets.csv"].delivery_key)
    prog = dl[(dl.source_id == "program") & (dl.status == "accepted") & (dl.as_of <= a + pd.Timedelta(days=GRACE_DAYS))
              & dl.delivery_key.isin(carried)]
    if prog.empty:
        return pd.DataFrame(columns=["metric_id", "population", "target", "direction"])
    latest = prog.sort_values(["as_of", "version", "delivery_key"]).delivery_key.iloc[-1]
    t = targets[(targets._delivery_key == latest) & (targets.effective_from <= a)]
    t = t.sort_values("effective_from").drop_duplicates(["metric_id", "population"], keep="last")
    return t[["metric_id", "population", "target", "direction"]].reset_index(drop=True)


def verdict(ci_low, ci_high, target, direction) -> str | None:
    """met / not_met / uncertain from a 95% interval and a target (the target counts as good)."""
    if any(v is None or pd.isna(v) for v in (ci_low, ci_high, target)):
        return None
    if direction == "HIGHER":
        wholly_good, partly_good = ci_low >= target, ci_high >= target
    else:
        wholly_good, partly_good = ci_high <= target, ci_low <= target
    return "met" if wholly_good else "uncertain" if partly_good else "not_met"
