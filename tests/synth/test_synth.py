"""The synthetic world against the delivery contract (docs: /work/shared/spec/extracts.md).

One small world is generated per session; an independent reader (tests/synth/reader.py) checks
every file against the spec, and each planted quirk is found in the files themselves (truth files
only say where to look or what the true value was).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest

from tests.synth import reader as R

SEED = 4242
SCALE = 0.25
DSA = date(2026, 3, 31)
END = date(2026, 11, 30)


def _generate(base):
    from htic_synth import generate

    return generate(os.path.join(base, "landing"), seed=SEED, scale=SCALE, end=END, dsa_start=DSA)


@pytest.fixture(scope="session")
def world(tmp_path_factory):
    base = str(tmp_path_factory.mktemp("synth"))
    summary = _generate(base)
    root = os.path.join(base, "landing")
    data = {}
    for source, as_of, folder in R.deliveries(root):
        data[(source, as_of)] = R.load_delivery(source, folder)
    truth = os.path.join(base, "truth")

    def truth_csv(name):
        with open(os.path.join(truth, name), newline="", encoding="utf-8") as f:
            return [{k: (v if v != "" else None) for k, v in r.items()} for r in csv.DictReader(f)]

    return dict(base=base, root=root, truth=truth, summary=summary, data=data, truth_csv=truth_csv,
                quirks=json.load(open(os.path.join(truth, "quirks.json"))),
                params=json.load(open(os.path.join(truth, "params.json"))))


def _tree_hash(base: str) -> dict[str, str]:
    out = {}
    for dirpath, _, files in os.walk(base):
        for f in files:
            p = os.path.join(dirpath, f)
            out[os.path.relpath(p, base)] = R.sha256(p)
    return out


def _by_source(world, prefix):
    return {k: v for k, v in world["data"].items() if k[0].startswith(prefix)}


def _last(world, source):
    keys = sorted(k for k in world["data"] if k[0] == source)
    return world["data"][keys[-1]]


# ----------------------------------------------------------------------------------------- layout
def test_layout_control_files_counts_and_hashes(world):
    root = world["root"]
    sources = os.listdir(root)
    assert "program" in sources and "dcjs" in sources
    assert len([s for s in sources if s.startswith("court-")]) == 12
    assert 6 <= len([s for s in sources if s.startswith("provider-")]) <= 10
    n_files = 0
    for source, as_of, folder in R.deliveries(root):
        assert R.SOURCE.match(source), source
        assert R.DATE_DIR.match(as_of), as_of
        date.fromisoformat(as_of)
        control = R.read_control(folder)
        data_files = sorted(set(os.listdir(folder)) - {"_control.csv"})
        assert sorted(control) == data_files, folder
        for name, (count, sha) in control.items():
            assert R.sha256(os.path.join(folder, name)) == sha, (folder, name)
            assert R.control_rows(folder, name) == count, (folder, name)
            n_files += 1
    assert n_files > 100


def test_cadences_and_as_of_dates(world):
    params_d = world["params"]["deliveries"]
    root = world["root"]
    months = []
    d = DSA
    while d <= END:
        months.append(d)
        d = (d.replace(day=1) + timedelta(days=62)).replace(day=1) - timedelta(days=1)
    for court in [s for s in os.listdir(root) if s.startswith("court-")]:
        assert sorted(os.listdir(os.path.join(root, court))) == [m.isoformat() for m in months]
    dcjs = sorted(os.listdir(os.path.join(root, "dcjs")))
    assert dcjs == [m.isoformat() for m in months if m.month % 3 == 0]
    assert sorted(os.listdir(os.path.join(root, "program")))[0] == DSA.isoformat()
    assert params_d["court"] == [m.isoformat() for m in months]


# ----------------------------------------------------------------------------------------- program
def test_program_reference_tables(world):
    progs = sorted(k for k in world["data"] if k[0] == "program")
    assert len(progs) >= 2
    courts = world["data"][progs[0]]["courts"]
    assert len(courts) == 12
    starts = sorted(date.fromisoformat(c["htic_start_date"]) for c in courts)
    assert starts[0] == date(2013, 10, 1) and len(set(starts)) >= 8  # staggered
    for c in courts:
        assert c["htic_end_date"] is None or R.ISO_DATE.match(c["htic_end_date"])
    for k in progs:
        for p in world["data"][k]["providers"]:
            assert {p["court_id"]} <= {c["court_id"] for c in courts}
            assert R.ISO_DATE.match(p["contract_start"])
            assert p["contract_end"] is None or R.ISO_DATE.match(p["contract_end"])
            assert int(p["capacity"]) > 0
    assert 7 <= len({p["provider_id"] for p in world["data"][progs[0]]["providers"]}) <= 9


def test_program_targets(world):
    """targets.csv (extracts.md): the first program delivery lists a target for every headline metric
    of metrics.md (and more), in the metric's unit with the right direction; the second revises
    one target from a later effective_from (history); later deliveries carry no file."""
    from pipelines.catalogue import metrics_by_id

    progs = sorted(k for k in world["data"] if k[0] == "program")
    first, second = world["data"][progs[0]]["targets"], world["data"][progs[1]]["targets"]
    assert all("targets" not in world["data"][k] for k in progs[2:])
    headlines = {"g1_noncriminal_disposition", "g2_service_start_30d", "g3_need_referred_60d", "g4_rearrest_any_12m",
                 "g5_voluntary_continuation", "g6_trafficking_screened_30d", "g7_active_providers",
                 "g8_would_recommend", "g9_cases_linked"}
    assert headlines < {t["metric_id"] for t in first}
    catalogue = metrics_by_id()
    lower_is_better = {"g1_days_to_disposition", "g4_rearrest_any_12m"}
    for t in first + second:
        m = catalogue[t["metric_id"]]
        value = float(t["target"])
        assert t["population"] == "htic" and R.ISO_DATE.match(t["effective_from"])
        assert t["direction"] == ("LOWER" if t["metric_id"] in lower_is_better else "HIGHER"), t
        if m.unit == "share":
            assert 0 < value < 1, t
        elif m.unit == "score":
            assert 1 <= value <= 5, t
        else:
            assert value >= 1 and value == int(value), t  # days, providers
        assert t["set_by"] and t["note"]
    key = lambda t: (t["metric_id"], t["effective_from"])  # noqa: E731
    assert {key(t) for t in first} < {key(t) for t in second}
    (revised,) = [t for t in second if key(t) not in {key(x) for x in first}]
    (old,) = [t for t in first if t["metric_id"] == revised["metric_id"]]
    assert revised["target"] != old["target"] and revised["effective_from"] > progs[1][1] > old["effective_from"]


def test_a_world_without_targets(tmp_path):
    from htic_synth import generate

    generate(tmp_path / "landing", seed=SEED, scale=0.01, end=END, dsa_start=date(2026, 8, 31), targets=False)
    for _, as_of, folder in R.deliveries(str(tmp_path / "landing")):
        assert "targets.csv" not in os.listdir(folder)


# ----------------------------------------------------------------------------------------- courts
def test_court_snapshots_follow_the_spec(world):
    courts = {c["court_id"]: c for c in world["data"][sorted(k for k in world["data"] if k[0] == "program")[0]]["courts"]}
    for (source, as_of), t in _by_source(world, "court-").items():
        court = courts[source[len("court-"):]]
        scope = date.fromisoformat(court["htic_start_date"])
        scope = scope.replace(year=scope.year - 3)
        a = date.fromisoformat(as_of)
        defs = {}
        for d in t["defendants"]:
            assert d["defendant_id"] not in defs
            defs[d["defendant_id"]] = d
            assert d["nysid"] is None or R.NYSID.match(d["nysid"]), d
            for col in ("sex", "gender_identity", "race", "ethnicity"):
                assert d[col] in R.codes("court__defendants", col), (col, d)
            assert d["primary_language"] is None or len(d["primary_language"]) == 2
            assert R.ISO_DATE.match(d["dob"])
        dockets = set()
        for c in t["cases"]:
            assert R.DOCKET.match(c["docket_id"]), c
            assert c["docket_id"] not in dockets
            dockets.add(c["docket_id"])
            assert c["defendant_id"] in defs
            assert c["top_charge"] in R.PROSTITUTION
            for col in ("arrest_date", "arraignment_date", "htic_referral_date", "disposition_date", "sealed_date"):
                assert c[col] is None or R.ISO_DATE.match(c[col]), (col, c)
            arrest, arraign = date.fromisoformat(c["arrest_date"]), date.fromisoformat(c["arraignment_date"])
            assert scope <= arraign <= a and arrest <= arraign
            for col in ("htic_referral_date", "disposition_date", "sealed_date"):
                assert c[col] is None or arraign <= date.fromisoformat(c[col]) <= a, (col, c)
            assert date.fromisoformat(defs[c["defendant_id"]]["dob"]) < arrest
            assert c["disposition"] is None or c["disposition"] in R.codes("court__cases", "disposition")
            assert (c["disposition"] is None) == (c["disposition_date"] is None)
            assert c["sealed"] in ("Y", "N")
            assert (c["sealed"] == "Y") == (c["sealed_date"] is not None)
            assert c["mandate_sessions"] is None or int(c["mandate_sessions"]) >= 0
            if c["mandate_sessions"] is not None:
                assert c["htic_referral_date"] is not None
            if c["top_charge"] == "PL 240.37":
                assert arrest < date(2021, 2, 2)
            assert R.parse_ts(c["updated_at"]).date() <= a
        seqs = defaultdict(set)
        for e in t["events"]:
            assert e["docket_id"] in dockets
            assert e["event_type"] in R.codes("court__events", "event_type")
            assert date.fromisoformat(e["event_date"]) <= a
            s = int(e["event_seq"])
            assert s not in seqs[e["docket_id"]]
            seqs[e["docket_id"]].add(s)
        # every defendant has a case in the snapshot
        assert {c["defendant_id"] for c in t["cases"]} == set(defs)


def test_snapshots_are_full_and_state_evolves(world):
    """Each snapshot carries every in-scope case arraigned by its as-of date; states change over time."""
    src = "court-manhattan"
    keys = sorted(k for k in world["data"] if k[0] == src)
    first, last = world["data"][keys[0]]["cases"], world["data"][keys[-1]]["cases"]
    f = {c["docket_id"]: c for c in first}
    l_ = {c["docket_id"]: c for c in last}
    assert set(f) <= set(l_)  # nothing removed upstream in this court
    changed = [d for d in f if (f[d]["disposition"], f[d]["sealed"]) != (l_[d]["disposition"], l_[d]["sealed"])]
    assert len(changed) > 10
    assert len(l_) > len(f)
    old = [c for c in first if c["arraignment_date"] < "2012-01-01"]
    assert old  # the whole history is in every snapshot


# ----------------------------------------------------------------------------------------- dcjs
def test_dcjs_arrests(world):
    keys = sorted(k for k in world["data"] if k[0] == "dcjs")
    assert keys
    first_start = date(2013, 10, 1)
    for k in keys:
        a = date.fromisoformat(k[1])
        ids = set()
        for r in world["data"][k]["arrests"]:
            assert R.NYSID.match(r["NYSID"]), r
            assert R.YMD.match(r["ARREST_DATE"])
            d = date(int(r["ARREST_DATE"][:4]), int(r["ARREST_DATE"][4:6]), int(r["ARREST_DATE"][6:]))
            assert date(first_start.year - 3, 10, 1) <= d <= a
            assert r["OFFENSE_LEVEL"] in R.codes("dcjs__arrests", "offense_level")
            assert r["ARREST_COUNTY"] == r["ARREST_COUNTY"].upper()
            assert not (r["TOP_CHARGE"] == "PL 240.37" and d >= date(2021, 2, 2))
            assert r["ARREST_ID"] not in ids
            ids.add(r["ARREST_ID"])
    # every case of a defendant with a nysid: its arrest is in the snapshot of the same date
    last = world["data"][keys[-1]]["arrests"]
    by_id = {r["ARREST_ID"]: r for r in last}
    n = 0
    for (source, as_of), t in _by_source(world, "court-").items():
        if as_of != keys[-1][1]:
            continue
        nysid = {d["defendant_id"]: d["nysid"] for d in t["defendants"]}
        for c in t["cases"]:
            if nysid[c["defendant_id"]] and c["arrest_id"]:
                r = by_id[c["arrest_id"]]
                assert r["NYSID"] == nysid[c["defendant_id"]]
                assert r["ARREST_DATE"] == c["arrest_date"].replace("-", "")
                assert r["TOP_CHARGE"] == c["top_charge"]
                n += 1
    assert n > 1000
    charges = Counter(r["TOP_CHARGE"] for r in last)
    assert any(c not in R.PROSTITUTION for c in charges)  # rearrests for other offences too
    assert charges["PL 240.37"] > 0


# ----------------------------------------------------------------------------------------- providers
def test_provider_changes_files_follow_the_spec(world):
    for (source, as_of), t in _by_source(world, "provider-").items():
        a = date.fromisoformat(as_of)
        for table, rows in t.items():
            for r in rows:
                assert r["record_status"] in R.codes(f"provider__{table}", "record_status")
                assert R.parse_ts(r["updated_at"]).date() <= a
                for col in R.PROVIDER_DATES[table]:
                    d = R.parse_date(r[col], allow_mdy=True)
                    if col != "dob":  # nothing is delivered before it happened
                        assert d is None or d <= R.parse_ts(r["updated_at"]).date() <= a, (source, as_of, table, r)
                if table == "clients":
                    assert r["referral_source"] in R.codes("provider__clients", "referral_source")
                    assert r["client_id"] and isinstance(r["client_id"], str)
                elif table == "assessments":
                    assert r["domain"] in R.codes("provider__assessments", "domain")
                    assert r["level"] in R.codes("provider__assessments", "level")
                elif table == "sessions":
                    assert r["session_type"] in R.codes("provider__sessions", "session_type")
                    assert r["status"] in R.codes("provider__sessions", "status")
                    assert r["mandate_credit"] in R.codes("provider__sessions", "mandate_credit")
                    assert r["minutes"] is None or int(r["minutes"]) > 0
                elif table == "referrals":
                    assert r["domain"] in R.codes("provider__referrals", "domain")
                    assert r["status"] in R.codes("provider__referrals", "status")
                    assert r["partner"]
                elif table == "exits":
                    assert r["exit_reason"] in R.codes("provider__exits", "exit_reason")
                    assert r["survey_helpfulness"] is None or 1 <= int(r["survey_helpfulness"]) <= 5
                    assert r["survey_would_recommend"] in (None, "Y", "N")


def test_first_provider_delivery_carries_the_whole_history_then_changes_only(world):
    keys = sorted(k for k in world["data"] if k[0] == "provider-compass")
    first = world["data"][keys[0]]["clients"]
    assert min(R.parse_date(r["intake_date"], True) for r in first) < date(2015, 1, 1)
    later = world["data"][keys[3]]["sessions"]
    prev = date.fromisoformat(keys[2][1])
    fresh = [r for r in later if R.parse_ts(r["updated_at"]).date() > prev]
    assert len(fresh) >= 0.9 * len(later) > 0  # changes only (plus a few re-sent records)


# ----------------------------------------------------------------------------------------- quirks
def test_quirk_bom_and_crlf(world):
    root = world["root"]
    boms, crlfs, plain = set(), set(), set()
    for source, as_of, folder in R.deliveries(root):
        for name in os.listdir(folder):
            if name.endswith(".csv") and name != "_control.csv":
                b = open(os.path.join(folder, name), "rb").read()
                if b.startswith(b"\xef\xbb\xbf"):
                    boms.add(source)
                if b"\r\n" in b:
                    crlfs.add(source)
                if not b.startswith(b"\xef\xbb\xbf") and b"\r\n" not in b:
                    plain.add(source)
    assert {s for s in boms if s.startswith("court-")} and {s for s in crlfs if s.startswith("court-")}
    assert {s for s in boms if s.startswith("provider-")} and {s for s in crlfs if s.startswith("provider-")}
    assert plain


def test_quirk_excel_workbook_with_mixed_date_cells(world):
    from datetime import datetime

    root = world["root"]
    xlsx = [(s, a, f) for s, a, f in R.deliveries(root) if os.path.exists(os.path.join(f, "extract.xlsx"))]
    assert {s for s, _, _ in xlsx} and len({s for s, _, _ in xlsx}) <= 2
    kinds = Counter()
    for s, a, f in xlsx:
        wb = R.read_workbook(os.path.join(f, "extract.xlsx"))
        assert all(len(rows) < 1_048_576 for _, rows in wb.values())
        for table, (_, rows) in wb.items():
            for r in rows:
                assert isinstance(r["updated_at"], datetime)  # Excel: date-time cells
                for col in R.PROVIDER_DATES[table]:
                    v = r[col]
                    if isinstance(v, datetime):
                        kinds["cell"] += 1
                    elif isinstance(v, str) and R.ISO_DATE.match(v):
                        kinds["iso"] += 1
                    elif isinstance(v, str) and R.MDY_DATE.match(v):
                        kinds["mdy"] += 1
                if table == "clients":
                    assert isinstance(r["client_id"], str)
    assert kinds["cell"] > 0 and kinds["iso"] > 0 and kinds["mdy"] > 0


def test_quirk_mdy_text_dates_in_csv_providers(world):
    mdy = Counter()
    for (source, as_of), t in _by_source(world, "provider-").items():
        for table, rows in t.items():
            for r in rows:
                for col in R.PROVIDER_DATES[table]:
                    if isinstance(r[col], str) and R.MDY_DATE.match(r[col]):
                        mdy[source] += 1
    csv_sources = {s for (s, a) in _by_source(world, "provider-")
                   if not os.path.exists(os.path.join(world["root"], s, a, "extract.xlsx"))}
    assert set(mdy) & csv_sources


def _all_clients(world):
    out = {}
    for (source, as_of), t in sorted(_by_source(world, "provider-").items()):
        for r in t["clients"]:
            out[(source[len("provider-"):], r["client_id"])] = r
    return out


def test_quirk_docket_ref_variants_and_nulls(world):
    clients = _all_clients(world)
    dockets = set()
    for (s, a), t in _by_source(world, "court-").items():
        dockets |= {c["docket_id"] for c in t["cases"]}
    kinds = Counter()
    for r in clients.values():
        ref = r["docket_ref"]
        if r["referral_source"] == "COURT_MANDATE" and ref is None:
            kinds["null"] += 1
        if ref is None:
            continue
        if ref in dockets:
            kinds["exact"] += 1
            continue
        norm = ref.strip().upper().replace(" ", "-")
        if not norm.startswith("CR-"):
            norm = "CR-" + norm
        norm = norm.replace("--", "-")
        if ref != ref.upper():
            kinds["lower"] += 1
        if not ref.strip().upper().startswith("CR"):
            kinds["noprefix"] += 1
        if " " in ref:
            kinds["spaces"] += 1
        assert norm in dockets or ref.strip().upper()[:10] + ref.strip().upper()[11:] in dockets \
            or ref.replace(" ", "").upper() in dockets, ref
    assert all(kinds[k] > 0 for k in ("exact", "lower", "noprefix", "spaces", "null")), kinds
    assert any(r["court_id"] is None for r in clients.values())
    assert {r["referral_source"] for r in clients.values()} >= {"COURT_MANDATE", "SELF", "OUTREACH"}


def test_quirk_name_and_dob_noise_is_realistic_and_linkable(world):
    clients = _all_clients(world)
    persons = {p["person_uid"]: p for p in world["truth_csv"]("persons.csv")}
    links = world["truth_csv"]("client_links.csv")
    kinds = Counter()
    checked = 0
    for l_ in links:
        r = clients.get((l_["provider_id"], l_["client_id"]))
        if r is None:
            continue
        p = persons[l_["person_uid"]]
        first, last = r["first_name"], r["last_name"]
        tf, tl = p["first_name"], p["last_name"]
        dob = R.parse_date(r["dob"], True)
        tdob = date.fromisoformat(p["dob"])
        name_same = (first.lower(), last.lower()) == (tf.lower(), tl.lower())
        dob_same = dob == tdob
        checked += 1
        assert name_same or dob_same, (r, p)  # never both name and dob damaged
        if not dob_same:
            if (dob.month, dob.day) == (tdob.day, tdob.month) and dob.year == tdob.year:
                kinds["dob_transposed"] += 1
            else:
                assert abs((dob - tdob).days) <= 366, (dob, tdob)
                kinds["dob_other"] += 1
        if not name_same:
            if (first.lower(), last.lower()) == (tl.lower(), tf.lower()):
                kinds["swapped"] += 1
            elif last.lower() == tl.lower() and first.lower() in NICKNAMES_SEEN_IN_THE_WILD.get(tf.lower(), ()):
                kinds["nickname"] += 1
            else:
                kinds["typo"] += 1
                a, b = (first, tf) if last.lower() == tl.lower() else (last, tl)
                assert _edit_distance(a.lower(), b.lower()) <= 2, (a, b)
        if first == first.upper() and len(first) > 2:
            kinds["upper"] += 1
    assert checked > 500
    assert all(kinds[k] > 0 for k in ("dob_transposed", "dob_other", "swapped", "nickname", "typo", "upper")), kinds
    noisy = sum(v for k, v in kinds.items() if k != "upper")
    assert noisy < 0.35 * checked  # mostly clean


# a few common English/Spanish nicknames (independent of the generator's own table)
NICKNAMES_SEEN_IN_THE_WILD = {
    "elizabeth": ("liz", "beth", "betty", "eliza", "lisa", "liza"), "jennifer": ("jen", "jenny", "jenn"),
    "maria": ("mary", "mari"), "jessica": ("jess", "jessie"), "katherine": ("kate", "kathy", "katie", "kat"),
    "kimberly": ("kim",), "christina": ("tina", "chris", "christy"), "samantha": ("sam", "sammy"),
    "rebecca": ("becky", "becca"), "stephanie": ("steph", "stephy"), "alexandra": ("alex", "sasha", "lexi"),
    "victoria": ("vicky", "tori", "vic"), "margaret": ("maggie", "peggy", "meg"), "patricia": ("pat", "patty", "trish"),
    "deborah": ("debbie", "deb"), "susan": ("sue", "suzy"), "christine": ("chris", "chrissy"),
    "danielle": ("dani", "danni"), "gabriela": ("gaby", "gabi"), "guadalupe": ("lupe", "lupita"),
    "isabel": ("isa", "bel", "chabela"), "daniela": ("dani",), "alejandra": ("ale", "alex"), "natalie": ("nat",),
    "michael": ("mike",), "christopher": ("chris",), "anthony": ("tony",), "david": ("dave",),
    "robert": ("rob", "bob", "bobby"), "james": ("jim", "jimmy"), "natasha": ("tasha",), "anastasia": ("nastya",),
    "svetlana": ("sveta",), "amanda": ("mandy",), "melissa": ("missy", "mel"), "ashley": ("ash",),
    "tiffany": ("tiff",), "valerie": ("val",), "yolanda": ("yoli",), "veronica": ("ronnie", "vero"),
    "angela": ("angie",), "andrea": ("andie",), "monica": ("moni",),
}


def _edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance (transpositions count 1)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def test_quirk_defendants_without_nysid_and_same_person_in_two_courts(world):
    last = {}
    for (s, a), t in _by_source(world, "court-").items():
        if a == END.isoformat():
            last[s] = t
    missing = sum(1 for t in last.values() for d in t["defendants"] if d["nysid"] is None)
    total = sum(len(t["defendants"]) for t in last.values())
    assert 0 < missing < 0.15 * total
    courts_by_nysid = defaultdict(set)
    for s, t in last.items():
        for d in t["defendants"]:
            if d["nysid"]:
                courts_by_nysid[d["nysid"]].add(s)
    assert any(len(v) > 1 for v in courts_by_nysid.values())
    # defendant ids are court-local: the same id names different people in different courts
    ids = defaultdict(set)
    for s, t in last.items():
        for d in t["defendants"]:
            ids[d["defendant_id"]].add((d["last_name"], d["dob"]))
    assert any(len(v) > 1 for v in ids.values())


def test_quirk_deleted_records_and_deleted_clients(world):
    deleted = Counter()
    for (s, a), t in _by_source(world, "provider-").items():
        for table, rows in t.items():
            for r in rows:
                if r["record_status"] == "DELETED":
                    deleted[table] += 1
    assert deleted["clients"] > 0 and deleted["sessions"] > 0


def test_quirk_resent_records(world):
    seen = defaultdict(list)
    for (s, a), t in sorted(_by_source(world, "provider-").items()):
        for table, rows in t.items():
            for r in rows:
                key = r[R.PROVIDER[table][0]]
                seen[(s, table, key, str(R.parse_ts(r["updated_at"])))].append(a)
    resent = [k for k, v in seen.items() if len(set(v)) > 1]
    assert resent
    # a record updated later (referral MADE -> final status) arrives again with a newer updated_at
    status = defaultdict(list)
    for (s, a), t in sorted(_by_source(world, "provider-").items()):
        for r in t["referrals"]:
            status[(s, r["referral_id"])].append(r["status"])
    assert any(v[0] == "MADE" and v[-1] in ("CONNECTED", "DECLINED", "UNREACHABLE") for v in status.values())


def test_quirk_keys_repeated_within_one_delivery_and_ties_on_updated_at(world):
    """extracts.md: a changes-only delivery lists every change, so a key can appear more than once in
    one delivery (latest updated_at wins, then the later row). Found in the files and counted as the
    truth counts them; rows of a key come in edit order, so the last row is the winning version."""
    copy = world["params"]["deliveries"]["resent_copy"]
    repeated, tied, transitions = Counter(), Counter(), Counter()
    for (s, a), t in _by_source(world, "provider-").items():
        if copy and (s, a) == (copy["source"], copy["as_of"]):
            continue  # the byte-identical copy of a delivery: its repeats are the original's
        for table, rows in t.items():
            by_key = defaultdict(list)
            for r in rows:
                by_key[r[R.PROVIDER[table][0]]].append(r)
            for rs in by_key.values():
                if len(rs) < 2:
                    continue
                repeated[table] += 1
                stamps = [R.parse_ts(r["updated_at"]) for r in rs]
                assert stamps == sorted(stamps), (s, a, table)
                tied[table] += len(set(stamps)) < len(stamps)
                first, last = rs[0], rs[-1]
                if table in ("sessions", "referrals"):
                    transitions[(table, first["status"], last["status"])] += 1
                transitions[(table, first["record_status"], last["record_status"])] += 1
    q = world["quirks"]
    assert sum(repeated.values()) == q["key_repeated_in_delivery"]["count"]
    assert sum(tied.values()) == q["key_repeated_same_updated_at"]["count"] > 0
    assert tied["sessions"] > 0
    assert transitions[("referrals", "MADE", "CONNECTED")] > 0  # a referral MADE, then CONNECTED
    assert transitions[("sessions", "NO_SHOW", "ATTENDED")] > 0  # a session NO_SHOW, then ATTENDED
    assert transitions[("clients", "ACTIVE", "DELETED")] > 0  # the winning version deletes the record


def test_quirk_byte_identical_resent_delivery(world):
    root = world["root"]
    found = []
    for source in os.listdir(root):
        folders = sorted(os.listdir(os.path.join(root, source)))
        digests = {}
        for d in folders:
            f = os.path.join(root, source, d)
            h = tuple(sorted((n, R.sha256(os.path.join(f, n))) for n in os.listdir(f)))
            if h in digests:
                found.append((source, digests[h], d))
            digests[h] = d
    assert found
    s, a, b = found[0]
    assert date.fromisoformat(b) > date.fromisoformat(a)


def test_quirk_docket_removed_upstream(world):
    removed = []
    for src in {s for (s, a) in _by_source(world, "court-")}:
        keys = sorted(k for k in world["data"] if k[0] == src)
        for k1, k2 in zip(keys, keys[1:]):
            d1 = {c["docket_id"] for c in world["data"][k1]["cases"]}
            d2 = {c["docket_id"] for c in world["data"][k2]["cases"]}
            removed += [(src, k2[1], d) for d in d1 - d2]
    assert len(removed) == 1, removed
    src, as_of, docket = removed[0]
    # gone for good, and its events with it
    for k in sorted(k for k in world["data"] if k[0] == src and k[1] >= as_of):
        assert docket not in {c["docket_id"] for c in world["data"][k]["cases"]}
        assert docket not in {e["docket_id"] for e in world["data"][k]["events"]}


def test_quirk_acd_dismissed_and_sealed_six_months_later(world):
    keys_by_src = defaultdict(list)
    for k in sorted(world["data"]):
        if k[0].startswith("court-"):
            keys_by_src[k[0]].append(k)
    transitions = 0
    for src, keys in keys_by_src.items():
        prev = {c["docket_id"]: c for c in world["data"][keys[0]]["cases"]}
        for k in keys[1:]:
            cur = {c["docket_id"]: c for c in world["data"][k]["cases"]}
            for d, c in cur.items():
                p = prev.get(d)
                if p and p["disposition"] == "ACD" and c["disposition"] == "DISMISSED":
                    assert c["disposition_date"] == p["disposition_date"]
                    assert c["sealed"] == "Y"
                    gap = (date.fromisoformat(c["sealed_date"]) - date.fromisoformat(c["disposition_date"])).days
                    assert 180 <= gap <= 190
                    transitions += 1
            prev = cur
    assert transitions > 0
    last = [c for k in keys_by_src.values() for c in world["data"][k[-1]]["cases"]]
    sealed_acd_like = [c for c in last if c["disposition"] == "DISMISSED" and c["sealed"] == "Y"
                       and (date.fromisoformat(c["sealed_date"]) - date.fromisoformat(c["disposition_date"])).days >= 180]
    assert len(sealed_acd_like) > 50  # historic ACDs show as DISMISSED with the ACD's date


def test_quirk_acd_restored_after_new_arrest(world):
    restored_live = 0
    events_restored = set()
    for (src, a), t in _by_source(world, "court-").items():
        for e in t["events"]:
            if e["event_type"] == "RESTORED":
                events_restored.add((src, e["docket_id"]))
    assert events_restored
    keys_by_src = defaultdict(list)
    for k in sorted(world["data"]):
        if k[0].startswith("court-"):
            keys_by_src[k[0]].append(k)
    for src, keys in keys_by_src.items():
        for k1, k2 in zip(keys, keys[1:]):
            c1 = {c["docket_id"]: c for c in world["data"][k1]["cases"]}
            for c in world["data"][k2]["cases"]:
                p = c1.get(c["docket_id"])
                if p and p["disposition"] == "ACD" and c["disposition"] is None:
                    assert c["disposition_date"] is None
                    assert (src, c["docket_id"]) in events_restored
                    restored_live += 1
    # restored cases in the history: RESTORED then a later DISPOSITION; the person had a new arrest
    last_dcjs = _last(world, "dcjs")["arrests"]
    keys_dcjs_last = sorted(k[1] for k in world["data"] if k[0] == "dcjs")[-1]
    arrests_by_nysid = defaultdict(list)
    for r in last_dcjs:
        arrests_by_nysid[r["NYSID"]].append(r["ARREST_DATE"])
    checked = 0
    for src, keys in keys_by_src.items():
        t = world["data"][keys[-1]]
        nysid = {d["defendant_id"]: d["nysid"] for d in t["defendants"]}
        ev = defaultdict(list)
        for e in t["events"]:
            ev[e["docket_id"]].append((int(e["event_seq"]), e["event_type"], e["event_date"]))
        for c in t["cases"]:
            es = sorted(ev[c["docket_id"]])
            types = [x[1] for x in es]
            if "RESTORED" in types:
                i = types.index("RESTORED")
                assert "DISPOSITION" in types[:i]
                r_date = es[i][2]
                n = nysid[c["defendant_id"]]
                if n and r_date <= keys_dcjs_last:
                    disp_before = [x[2] for x in es[:i] if x[1] == "DISPOSITION"][-1]
                    assert any(disp_before.replace("-", "") < d <= r_date.replace("-", "") for d in arrests_by_nysid[n])
                    checked += 1
    assert checked > 0


def test_quirk_warrants(world):
    t = Counter()
    for (src, a), tab in _by_source(world, "court-").items():
        for e in tab["events"]:
            t[e["event_type"]] += 1
    assert t["WARRANT_ISSUED"] > 0 and t["WARRANT_VACATED"] > 0
    assert t["COMPLIANCE_REVIEW"] > 0 and t["SEALED"] > 0


def test_quirk_provider_contract_ends_and_clients_reenrol_elsewhere(world):
    progs = sorted(k for k in world["data"] if k[0] == "program")
    first = {(p["provider_id"], p["court_id"]): p for p in world["data"][progs[0]]["providers"]}
    last = {(p["provider_id"], p["court_id"]): p for p in world["data"][progs[-1]]["providers"]}
    ended = {k[0]: v["contract_end"] for k, v in last.items() if v["contract_end"] and not first[k]["contract_end"]}
    assert len(ended) == 1
    (pid, end_s), = ended.items()
    cend = date.fromisoformat(end_s)
    folders = sorted(os.listdir(os.path.join(world["root"], f"provider-{pid}")))
    assert folders[-1] == end_s  # its deliveries stop
    # a court/provider change: another provider starts serving a further court later
    assert set(last) - set(first)
    # clients active at the contract end exit PROVIDER_CLOSED; some re-enrol at another provider
    clients = _all_clients(world)
    links = world["truth_csv"]("client_links.csv")
    person_of = {(l_["provider_id"], l_["client_id"]): l_["person_uid"] for l_ in links}
    closed = set()
    for (s, a), t in _by_source(world, f"provider-{pid}").items():
        for r in t["exits"]:
            if r["exit_reason"] == "PROVIDER_CLOSED":
                assert R.parse_date(r["exit_date"], True) == cend
                closed.add(person_of[(pid, r["client_id"])])
    assert closed
    reenrolled = set()
    for (prov, cid), r in clients.items():
        if prov != pid and person_of.get((prov, cid)) in closed:
            intake = R.parse_date(r["intake_date"], True)
            if cend < intake <= cend + timedelta(days=60):
                reenrolled.add(person_of[(prov, cid)])
    assert reenrolled and len(reenrolled) < len(closed) + 1


# ----------------------------------------------------------------------------------------- truth
def test_truth_beside_landing_and_consistent(world):
    base, truth = world["base"], world["truth"]
    assert os.path.dirname(truth) == base and not truth.startswith(world["root"] + os.sep)
    for name in ("params.json", "effects.json", "quirks.json", "persons.csv", "defendants.csv", "cases.csv",
                 "client_links.csv"):
        assert os.path.exists(os.path.join(truth, name)), name
    eff = json.load(open(os.path.join(truth, "effects.json")))
    assert eff["rearrest"]["hazard_ratio_htic_referral"] < 1 and eff["rearrest"]["hazard_ratio_mandate_completion"] < 1
    p = world["params"]
    assert p["seed"] == SEED and p["scale"] == SCALE and p["end"] == END.isoformat() and p["dsa_start"] == DSA.isoformat()
    # truth defendants map every court defendant of the last snapshots to a person
    tdef = {(d["court_id"], d["defendant_id"]): d for d in world["truth_csv"]("defendants.csv")}
    persons = {x["person_uid"]: x for x in world["truth_csv"]("persons.csv")}
    for (src, a), t in _by_source(world, "court-").items():
        if a != END.isoformat():
            continue
        court = src[len("court-"):]
        for d in t["defendants"]:
            td = tdef[(court, d["defendant_id"])]
            person = persons[td["person_uid"]]
            assert (person["first_name"], person["last_name"], person["dob"]) == (d["first_name"], d["last_name"], d["dob"])
            assert td["nysid"] == d["nysid"]
    # client links point at real HTIC dockets of the same person
    cases = {(c["court_id"], c["docket_id"]): c for c in world["truth_csv"]("cases.csv")}
    n = 0
    for l_ in world["truth_csv"]("client_links.csv"):
        if l_["docket_id"]:
            c = cases[(l_["court_id"], l_["docket_id"])]
            assert c["person_uid"] == l_["person_uid"] and c["referred"] == "Y"
            if l_["link_rule"] == "person":
                assert c["htic_referral_date"] <= (date.fromisoformat(l_["intake_date"]) + timedelta(30)).isoformat()
            n += 1
    assert n > 300
    q = world["quirks"]
    for name in ("removed_docket", "byte_identical_resent_delivery", "acd_restored", "xlsx_delivery",
                 "nickname", "swapped_names", "docket_ref_null", "client_deleted"):
        assert q[name]["count"] > 0 and q[name]["examples"], name


def test_confounding_referral_depends_on_traits_that_drive_rearrest(world):
    cases = [c for c in world["truth_csv"]("cases.csv") if c["htic_eligible"] == "Y"]
    rate = lambda rows: sum(r["referred"] == "Y" for r in rows) / len(rows)  # noqa: E731
    by_prior = {b: [c for c in cases if c["prior_band"] == b] for b in ("0", "1-2", "3+")}
    by_age = {b: [c for c in cases if c["age_band"] == b] for b in ("18-24", "45+")}
    assert rate(by_prior["0"]) > rate(by_prior["3+"]) + 0.1
    assert rate(by_age["18-24"]) > rate(by_age["45+"]) + 0.05
    # and the same traits drive rearrest: 365-day rearrest after first disposition, by prior band
    def rearrest(rows):
        ok = [r for r in rows if r["first_disposition_date"] and r["first_disposition_date"] <= "2025-11-30"]
        hit = [r for r in ok if r["next_arrest_after_first_disposition"] and
               (date.fromisoformat(r["next_arrest_after_first_disposition"])
                - date.fromisoformat(r["first_disposition_date"])).days <= 365]
        return len(hit) / len(ok)
    allc = world["truth_csv"]("cases.csv")
    assert rearrest([c for c in allc if c["prior_band"] == "3+"]) > rearrest([c for c in allc if c["prior_band"] == "0"]) + 0.05
    # completion happens and lowers the planted hazard
    comp = [c for c in allc if c["completed"] == "Y"]
    notc = [c for c in allc if c["referred"] == "Y" and c["mandate_sessions"] not in (None, "0") and c["completed"] == "N"]
    assert comp and notc


# ----------------------------------------------------------------------------------------- determinism + CLI
def test_deterministic_byte_identical_via_cli(world, tmp_path):
    from htic_synth import cli

    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    out = tmp_path / "wh" / "landing"
    args = parser.parse_args(["--out", str(out), "--seed", str(SEED), "--scale", str(SCALE), "--end", END.isoformat(),
                              "--dsa-start", DSA.isoformat()])
    assert cli.run(args) == 0
    assert (tmp_path / "wh" / "truth" / "params.json").exists()  # default truth: beside --out
    a = _tree_hash(world["base"])
    b = _tree_hash(str(tmp_path / "wh"))
    assert a == b
    assert any(k.endswith(".xlsx") for k in a)
    h = hashlib.sha256(json.dumps(sorted(a.items())).encode()).hexdigest()
    assert h == hashlib.sha256(json.dumps(sorted(b.items())).encode()).hexdigest()


def test_different_seed_gives_a_different_world(tmp_path):
    from htic_synth import generate

    s = generate(tmp_path / "landing", seed=SEED + 1, scale=0.03, end=END, dsa_start=date(2026, 8, 31))
    assert s["rows"] > 0
    assert R.sha256(str(tmp_path / "truth" / "persons.csv")) != ""


def test_truth_inside_landing_is_refused(tmp_path):
    from htic_synth import generate

    with pytest.raises(ValueError):
        generate(tmp_path / "landing", truth=tmp_path / "landing" / "truth", scale=0.01)


def test_planted_hazard_matches_the_documented_effects(world):
    """truth/cases.csv's linear predictor is exactly what effects.json says, trait by trait."""
    import math

    eff = json.load(open(os.path.join(world["truth"], "effects.json")))["rearrest"]
    n = 0
    for c in world["truth_csv"]("cases.csv"):
        lp = (eff["log_hr_age_band"][c["age_band"]] + eff["log_hr_prior_band"][c["prior_band"]]
              + eff["log_hr_court"][c["court_id"]] + eff["log_hr_per_year_after_2016"] * (int(c["arraignment_year"]) - 2016)
              + (math.log(eff["hazard_ratio_htic_referral"]) if c["referred"] == "Y" else 0.0)
              + (math.log(eff["hazard_ratio_mandate_completion"]) if c["completed"] == "Y" else 0.0))
        assert abs(lp - float(c["hazard_lp"])) < 1e-5, c
        # the bands are the metrics' bands of the recorded age and prior count
        age, pri = int(c["age_at_arraignment"]), int(c["prior_arrests_3y"])
        assert c["age_band"] == ("16-17" if age < 18 else "18-24" if age < 25 else "25-34" if age < 35
                                 else "35-44" if age < 45 else "45+")
        assert c["prior_band"] == ("0" if pri == 0 else "1-2" if pri <= 2 else "3+")
        if c["completed"] == "Y":
            assert c["referred"] == "Y" and int(c["mandate_sessions"]) > 0
        n += 1
    assert n > 1000


def test_a_sheet_past_excel_limits_is_delivered_as_csv(tmp_path, monkeypatch):
    """At very large scales a first delivery's sheet could pass Excel's row limit: that delivery is CSV."""
    from htic_synth import generate, world

    monkeypatch.setattr(world, "EXCEL_MAX_ROWS", 200)
    generate(tmp_path / "landing", seed=SEED, scale=0.03, end=END, dsa_start=date(2026, 8, 31))
    root = str(tmp_path / "landing")
    kinds = Counter()
    for source, as_of, folder in R.deliveries(root):
        if source in ("provider-bridges", "provider-harbor"):
            names = set(os.listdir(folder))
            kinds["xlsx" if "extract.xlsx" in names else "csv"] += 1
            tables = R.load_delivery(source, folder)  # columns per spec either way
            control = R.read_control(folder)
            for name, (count, sha) in control.items():
                assert R.control_rows(folder, name) == count and R.sha256(os.path.join(folder, name)) == sha
            if "extract.xlsx" in names:
                assert max(len(rows) for rows in tables.values()) < 200
    assert kinds["csv"] > 0 and kinds["xlsx"] > 0


def test_bad_arguments_and_foreign_files_are_refused_without_deleting_anything(tmp_path):
    from htic_synth import generate

    landing = tmp_path / "landing"
    (landing / "notes").mkdir(parents=True)
    with pytest.raises(FileExistsError):
        generate(landing, scale=0.01, end=END, dsa_start=date(2026, 8, 31))
    assert (landing / "notes").is_dir()
    with pytest.raises(ValueError):  # fewer than three monthly deliveries
        generate(landing, scale=0.01, end=END, dsa_start=date(2026, 10, 1))
    assert (landing / "notes").is_dir()


def test_utf8_names_with_accents(world):
    names = set()
    for (s, a), t in _by_source(world, "court-").items():
        names |= {d["last_name"] for d in t["defendants"]} | {d["first_name"] for d in t["defendants"]}
    accented = {n for n in names if any(ord(ch) > 127 for ch in n)}
    assert accented and all(n.encode("utf-8").decode("utf-8") == n for n in accented)
