"""Checks that mean something: a suite over zero rows gives no verdict (never a pass); the
plausibility checks on `metrics` warn on a planted jump, drop, share or vanished cohort and stay
quiet on a normal table."""

from datetime import date

import dagster as dg
import duckdb
import pytest

from tests.ingestion import worlds as w


def _check_evaluations(instance) -> dict:
    out = {}
    for rec in instance.get_event_records(dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION),
                                          limit=1000):
        ev = rec.event_log_entry.dagster_event.event_specific_data
        out.setdefault((ev.asset_key.path[-1], ev.check_name), []).append(ev)
    return out


def test_a_suite_over_zero_rows_is_not_evaluated_never_passed(settings_for):
    from pipelines.ingestion.spec import SOURCE_TABLES
    from pipelines.runner import ingest

    s = settings_for()
    w.write_delivery(s.landing, "program", "2021-01-01", w.to_files(w.program_rows()))
    w.write_delivery(s.landing, "court-queens", "2021-06-30", w.to_files(w.court_rows(n=10)))
    instance = dg.DagsterInstance.ephemeral()
    summary = ingest(s, instance=instance, log_level="ERROR")

    program = w.program_rows()  # courts.csv and providers.csv (targets.csv is optional and not sent)
    court = set(SOURCE_TABLES["court"]) | {t for t in SOURCE_TABLES["program"] if f"{t.split('__')[1]}.csv" in program}
    empty = set(summary["checks"]) - court  # provider, dcjs and targets tables: no rows in this run
    assert "program__targets" in empty
    assert empty and all(summary["checks"][t]["evaluated"] is False and summary["checks"][t]["passed"] is None
                         for t in empty)
    assert all(summary["checks"][t]["evaluated"] and summary["checks"][t]["passed"] for t in court)
    evals = _check_evaluations(instance)
    assert {t for (t, name) in evals if name == "suite"} == court  # nothing reported for the empty ones
    assert all(e.passed for (t, name), es in evals.items() if name == "suite" for e in es)

    # a second run brings nothing new: no suite has anything to judge, none reports a verdict
    again = ingest(s, instance=instance, log_level="ERROR")
    assert all(r["evaluated"] is False and r["passed"] is None for r in again["checks"].values())
    assert sum(len(es) for (t, name), es in _check_evaluations(instance).items() if name == "suite") == len(court)


def test_merging_batches_ignores_those_without_rows():
    from pipelines.ingestion.summary import merge_checks
    from pipelines.ingestion.validate import not_evaluated

    passed = {"passed": True, "evaluated": True, "severity": "WARN", "error": None, "failing": [],
              "rows_validated": 7, "expectations": 3}
    failed = dict(passed, passed=False, rows_validated=2)
    empty = not_evaluated(3, "no new rows in this run")
    merged = merge_checks([{"t": empty}, {"t": passed}])["t"]
    assert merged["passed"] is True and merged["evaluated"] and merged["rows_validated"] == 7
    assert merge_checks([{"t": passed}, {"t": failed}])["t"]["passed"] is False
    both_empty = merge_checks([{"t": empty}, {"t": empty}])["t"]
    assert both_empty["passed"] is None and both_empty["evaluated"] is False


# --- plausibility ----------------------------------------------------------------------------------

A, EARLIER = date(2024, 12, 31), date(2024, 9, 30)
COLUMNS = "metric_id, goal, population, cohort, breakdown, breakdown_value, numerator, denominator, value, as_of, metric_kind"


def _metrics(rows) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA analytics")
    con.execute("""CREATE TABLE analytics.metrics (metric_id VARCHAR, goal VARCHAR, population VARCHAR, cohort VARCHAR,
        breakdown VARCHAR, breakdown_value VARCHAR, numerator DOUBLE, denominator DOUBLE, value DOUBLE, as_of DATE,
        metric_kind VARCHAR)""")
    con.executemany(f"INSERT INTO analytics.metrics ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
    return con


def _rate(metric, cohort, num, den, as_of=A, breakdown=("overall", "all")):
    return [metric, "g2", "htic", cohort, *breakdown, num, den, num / den, as_of, "rate"]


NORMAL = [  # g2 attendance, five quarters, rates within 0.10 of each other, denominators steady
    _rate("g2_attendance_rate", c, n, d) for c, n, d in
    [("2023Q4", 30, 60), ("2024Q1", 33, 62), ("2024Q2", 36, 64), ("2024Q3", 31, 58), ("2024Q4", 34, 61)]
] + [_rate("g2_attendance_rate", c, n, d, as_of=EARLIER) for c, n, d in
     [("2023Q4", 30, 60), ("2024Q1", 33, 62), ("2024Q2", 36, 64), ("2024Q3", 30, 57)]]


def _expected_jumps(rows) -> set:
    """Independent of the SQL: consecutive quarterly cohorts, overall rates, both denominators >= 30."""
    by = {(r[0], r[2], r[3]): r for r in rows if r[9] == A and r[4] == "overall" and r[10] == "rate"}
    out = set()
    for (m, p, c), r in by.items():
        y, q = int(c[:4]), int(c[5])
        prev = by.get((m, p, f"{y - (q == 1)}Q{4 if q == 1 else q - 1}"))
        if prev and abs(r[8] - prev[8]) > 0.30 and r[7] >= 30 and prev[7] >= 30:
            out.add((m, c))
    return out


def test_a_normal_table_raises_no_warning():
    from pipelines.defs.plausibility import findings

    found = findings(_metrics(NORMAL), A)
    assert found == {"quarter_jump": [], "denominator_drop": [], "share_in_unit_interval": [], "cohorts_kept": []}
    assert _expected_jumps(NORMAL) == set()


def test_a_planted_jump_trips_the_check():
    from pipelines.defs.plausibility import findings

    rows = [r for r in NORMAL if not (r[3] == "2024Q3" and r[9] == A)] + [_rate("g2_attendance_rate", "2024Q3", 52, 58)]
    # 0.58 (2024Q2) -> 0.90 (2024Q3) -> 0.56 (2024Q4): two moves beyond 0.30
    found = findings(_metrics(rows), A)
    assert {(f["metric_id"], f["cohort"]) for f in found["quarter_jump"]} == _expected_jumps(rows) == {
        ("g2_attendance_rate", "2024Q3"), ("g2_attendance_rate", "2024Q4")}
    assert found["denominator_drop"] == [] and found["share_in_unit_interval"] == []
    # the same jump over small denominators is noise, not a warning
    small = [r for r in NORMAL if r[9] != A] + [_rate("g2_attendance_rate", c, n, d) for c, n, d in
                                                 [("2023Q4", 5, 10), ("2024Q1", 1, 10), ("2024Q2", 9, 10),
                                                  ("2024Q3", 2, 10), ("2024Q4", 8, 10)]]
    assert findings(_metrics(small), A)["quarter_jump"] == []


def test_a_halved_denominator_a_share_out_of_range_and_a_vanished_cohort_are_found():
    from pipelines.defs.plausibility import findings

    rows = [r for r in NORMAL if not (r[3] in ("2024Q3", "2023Q4") and r[9] == A)]
    rows.append(_rate("g2_attendance_rate", "2024Q3", 13, 25))  # 64 -> 25: below half
    rows.append(_rate("g2_attendance_rate", "2024Q3", 36, 30, breakdown=("court", "queens")))  # 1.2
    found = findings(_metrics(rows), A)
    assert [(f["cohort"], f["previous_denominator"], f["denominator"]) for f in found["denominator_drop"]] == [
        ("2024Q3", 64.0, 25.0)]
    assert [(f["cohort"], f["breakdown_value"]) for f in found["share_in_unit_interval"]] == [("2024Q3", "queens")]
    assert [(f["cohort"], f["previous_as_of"]) for f in found["cohorts_kept"]] == [("2023Q4", EARLIER.isoformat())]


def test_plausibility_runs_as_warn_asset_checks_with_no_person_values(settings_for):
    from pipelines import builds
    from pipelines.defs.plausibility import METRICS_KEY, metrics_plausibility
    from pipelines.defs.resources import HticSettings

    s = settings_for()
    s.ensure_dirs()
    rows = [r for r in NORMAL if not (r[3] == "2024Q3" and r[9] == A)] + [_rate("g2_attendance_rate", "2024Q3", 52, 58)]
    con = _metrics(rows)
    con.execute(f"ATTACH '{s.restricted_db}' AS store")
    con.execute("CREATE SCHEMA store.analytics")
    con.execute("CREATE TABLE store.analytics.metrics AS SELECT * FROM analytics.metrics")
    con.close()
    builds.note_build(s, A, "fingerprint")

    result = dg.materialize([dg.AssetSpec(METRICS_KEY), metrics_plausibility],
                            selection=dg.AssetSelection.checks_for_assets(METRICS_KEY),
                            resources={"htic": HticSettings.from_settings(s)}, instance=dg.DagsterInstance.ephemeral())
    evals = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(evals) == {"quarter_jump", "denominator_drop", "share_in_unit_interval", "cohorts_kept"}
    assert all(e.severity == dg.AssetCheckSeverity.WARN for e in evals.values())
    assert not evals["quarter_jump"].passed and evals["denominator_drop"].passed
    listed = evals["quarter_jump"].metadata["listed"].value
    assert {f["cohort"] for f in listed} == {"2024Q3", "2024Q4"}
    assert set(listed[0]) <= {"metric_id", "population", "cohort", "previous_cohort", "value", "previous_value",
                              "denominator", "previous_denominator"}
    assert evals["quarter_jump"].description and "0.30" in evals["quarter_jump"].description
