"""program/targets.csv (extracts.md): an optional file of the programme's deliveries, validated like
every programme table (a bad row is rejected naming file, line and column, never its value), kept
with its history, and read as of A: the latest delivered file is the whole current list, a
programme delivery without the file leaves it unchanged, no file ever delivered: no targets."""

from datetime import date

import duckdb

from pipelines.catalogue import metrics_by_id
from pipelines.dates import dbt_vars
from tests import dbt_env
from tests.ingestion import worlds as w

COLUMNS = ["metric_id", "population", "target", "direction", "effective_from", "set_by", "note"]
FREE_TEXT = "Agreed with Quillonia Vantorre at the spring review"  # free text: must reach no output


def targets_csv(rows) -> bytes:
    return w.csv_bytes(COLUMNS, rows)


def good_rows(n: int, target: float = 0.8) -> list[list]:
    """n valid rows: the catalogue's metrics in turn, a year apart when the list comes round again."""
    ids = list(metrics_by_id())
    return [[ids[i % len(ids)], "htic", target, "HIGHER", f"{2020 - i // len(ids)}-01-01", "Programme office",
             FREE_TEXT] for i in range(n)]


def program_files(targets_rows=None) -> dict[str, bytes]:
    files = w.to_files(w.program_rows())
    if targets_rows is not None:
        files["targets.csv"] = targets_csv(targets_rows)
    return files


def _con(s):
    return duckdb.connect(str(s.restricted_db), read_only=True)


def test_bad_target_rows_are_rejected_by_file_line_and_column(settings_for):
    from pipelines.ingestion.pipeline import run_ingestion

    s = settings_for()
    rows = good_rows(40)
    rows[2][3] = "SIDEWAYS"                    # direction, line 4
    rows[5][0] = "g99_made_up_metric"          # metric_id, line 7
    rows[7][2] = "about-a-third"               # target, line 9
    rows[9][1] = "comparison"                  # population, line 11
    w.write_delivery(s.landing, "program", "2021-01-01", program_files(rows))
    summary = run_ingestion(s)  # with Great Expectations: the suite and the row rules must agree
    assert [o["status"] for o in summary["deliveries"]] == ["accepted"]
    assert all(c["error"] is None for c in summary["checks"].values()), summary["checks"]
    con = _con(s)
    try:
        rejected = con.execute("SELECT table_name, file_name, line_number, column_name, rule FROM raw.rejected_rows "
                               "ORDER BY line_number, rule").fetchall()
        loaded = con.execute("SELECT count(*), count(DISTINCT metric_id) FROM raw.program__targets").fetchone()
        texts = [repr(r) for r in con.execute("SELECT reason FROM raw.deliveries").fetchall()]
    finally:
        con.close()
    assert rejected == [("program__targets", "targets.csv", 4, "direction", "unknown_code"),
                        ("program__targets", "targets.csv", 7, "metric_id", "unknown_code"),
                        ("program__targets", "targets.csv", 9, "target", "invalid_number"),
                        ("program__targets", "targets.csv", 9, "target", "required_value"),
                        ("program__targets", "targets.csv", 11, "population", "unknown_code")]
    assert loaded[0] == 36
    out = "\n".join([str(summary), *texts] + [p.read_text(errors="replace")
                                              for root in (s.quarantine_dir, s.warehouse / "runs") if root.exists()
                                              for p in root.rglob("*") if p.is_file()])
    for value in ("SIDEWAYS", "g99_made_up_metric", "about-a-third", "Quillonia", "Programme office"):
        assert value not in out


def test_targets_history_and_a_delivery_without_the_file(settings_for, tmp_path):
    """Three programme deliveries: with targets, without the file (accepted: the file is optional),
    with a revised list. Raw keeps every delivered list (history; archived like every file); as of
    A the list of the latest delivery with as-of <= A + 45 that carried the file is the one read."""
    from pipelines.ingestion.pipeline import run_ingestion

    s = settings_for()
    first = good_rows(3, target=0.8)
    revised = good_rows(3, target=0.8) + [[first[0][0], "htic", 0.7, "HIGHER", "2022-01-01", "Steering group",
                                           FREE_TEXT]]
    w.write_delivery(s.landing, "program", "2021-01-01", program_files(first))
    w.write_delivery(s.landing, "program", "2021-06-30", program_files(None))
    w.write_delivery(s.landing, "program", "2021-12-31", program_files(revised))
    summary = run_ingestion(s, gx_enabled=False)
    assert [o["status"] for o in summary["deliveries"]] == ["accepted"] * 3
    con = _con(s)
    try:
        per_delivery = con.execute("SELECT _as_of, count(*) FROM raw.program__targets GROUP BY 1 ORDER BY 1").fetchall()
        carried = con.execute("SELECT d.as_of, f.archive_path IS NOT NULL FROM raw.delivery_files f "
                              "JOIN raw.deliveries d USING (delivery_key) WHERE f.file_name = 'targets.csv' "
                              "ORDER BY 1").fetchall()
    finally:
        con.close()
    assert per_delivery == [(date(2021, 1, 1), 3), (date(2021, 12, 31), 4)]
    assert carried == [(date(2021, 1, 1), True), (date(2021, 12, 31), True)]

    def targets_as_of(a: date):
        dbt_env.run_dbt(["run", "--select", "stg_program__targets", "dim_targets", "--vars", dbt_vars(a)],
                        s.restricted_db, tmp_path / "dbt", secret="targets-test-secret-5d1e")
        c = _con(s)
        try:
            staged = c.execute("SELECT metric_id, target, effective_from, _as_of FROM main.stg_program__targets "
                               "ORDER BY ALL").fetchall()
            history = c.execute("SELECT metric_id, target, effective_from, effective_to FROM analytics.dim_targets "
                                "ORDER BY ALL").fetchall()
            columns = [r[0] for r in c.execute("SELECT column_name FROM information_schema.columns "
                                               "WHERE table_schema = 'analytics' AND table_name = 'dim_targets'"
                                               ).fetchall()]
        finally:
            c.close()
        return staged, history, columns

    before, _, _ = targets_as_of(date(2020, 9, 30))           # no file delivered by A + 45: no targets
    assert before == []
    mid, history, columns = targets_as_of(date(2021, 9, 30))  # 2021-06-30 carried no file: the first list
    assert [(m, t, a) for m, t, _, a in mid] == [(r[0], 0.8, date(2021, 1, 1)) for r in sorted(first)]
    assert "set_by" not in columns and "note" not in columns
    late, history, _ = targets_as_of(date(2021, 12, 31))      # the revised list, with its history
    assert {a for *_, a in late} == {date(2021, 12, 31)} and len(late) == 4
    m0 = first[0][0]
    assert [h for h in history if h[0] == m0] == [(m0, 0.7, date(2022, 1, 1), None),
                                                  (m0, 0.8, date(2020, 1, 1), date(2021, 12, 31))]
