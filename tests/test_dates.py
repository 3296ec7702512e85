"""pipelines/dates.py: quarter arithmetic, the 45-day grace and the one rule for "the latest complete
quarter" — expectations written out by hand from the calendar."""

from datetime import date

import pytest

from pipelines import dates


@pytest.mark.parametrize("label, start, end", [
    ("2026Q1", date(2026, 1, 1), date(2026, 3, 31)),
    ("2026Q2", date(2026, 4, 1), date(2026, 6, 30)),
    ("2026Q3", date(2026, 7, 1), date(2026, 9, 30)),
    ("2026Q4", date(2026, 10, 1), date(2026, 12, 31)),
    ("2024Q1", date(2024, 1, 1), date(2024, 3, 31)),
])
def test_quarter_start_and_end(label, start, end):
    assert dates.quarter_start(label) == start and dates.quarter_end(label) == end
    assert dates.quarter_of(start) == label and dates.quarter_of(end) == label


def test_quarter_of_at_the_edges():
    assert dates.quarter_of(date(2026, 3, 31)) == "2026Q1"
    assert dates.quarter_of(date(2026, 4, 1)) == "2026Q2"
    assert dates.quarter_of(date(2025, 12, 31)) == "2025Q4"
    assert dates.quarter_of(date(2024, 2, 29)) == "2024Q1"  # leap day


def test_previous_next_and_ranges():
    assert dates.previous_quarter("2026Q1") == "2025Q4" and dates.previous_quarter("2026Q3") == "2026Q2"
    assert dates.next_quarter("2025Q4") == "2026Q1" and dates.next_quarter("2026Q2") == "2026Q3"
    assert dates.all_quarters_between("2025Q3", "2026Q2") == ["2025Q3", "2025Q4", "2026Q1", "2026Q2"]
    assert dates.all_quarters_between("2026Q2", "2026Q2") == ["2026Q2"]
    assert dates.all_quarters_between("2026Q3", "2026Q2") == []


@pytest.mark.parametrize("bad", ["2026Q5", "2026Q0", "26Q1", "2026-Q1", "", "2026q1"])
def test_bad_quarter_labels_are_refused(bad):
    with pytest.raises(ValueError):
        dates.parse_quarter(bad)


def test_grace_cutoffs():
    # A + 45 days, counted on the calendar
    assert dates.data_cutoff("2026Q3") == date(2026, 11, 14)
    assert dates.data_cutoff("2026Q4") == date(2027, 2, 14)
    assert dates.data_cutoff("2025Q4") == date(2026, 2, 14)
    assert dates.data_cutoff("2023Q4") == date(2024, 2, 14)
    assert dates.data_cutoff("2024Q1") == date(2024, 5, 15)  # March 31 + 45 (April 30 days, May 15)
    assert dates.cutoff(date(2024, 1, 15)) == date(2024, 2, 29)  # across a leap day
    assert dates.cutoff(date(2025, 1, 15)) == date(2025, 3, 1)
    assert dates.publishable_on("2026Q3") == date(2026, 11, 15)


def test_calendar_rule_waits_for_the_day_after_the_cutoff():
    assert dates.last_publishable_quarter(date(2026, 11, 14)) == "2026Q2"
    assert dates.last_publishable_quarter(date(2026, 11, 15)) == "2026Q3"
    assert dates.last_publishable_quarter(date(2027, 2, 14)) == "2026Q3"
    assert dates.last_publishable_quarter(date(2027, 2, 15)) == "2026Q4"


def test_latest_complete_quarter_at_the_grace_boundary():
    """The docs' rule: the last quarter end A whose A + 45 the deliveries received cover."""
    assert dates.latest_complete_quarter([]) is None
    assert dates.default_as_of([]) is None
    # newest delivery dated exactly A + 45 of 2026Q3 (2026-11-14): covered
    assert dates.latest_complete_quarter([date(2026, 1, 5), date(2026, 11, 14)]) == "2026Q3"
    assert dates.default_as_of([date(2026, 11, 14)]) == date(2026, 9, 30)
    # one day short: the quarter before
    assert dates.latest_complete_quarter([date(2026, 11, 13)]) == "2026Q2"
    assert dates.default_as_of([date(2026, 11, 13)]) == date(2026, 6, 30)
    # a delivery on a quarter end covers only quarters at least 45 days older
    assert dates.default_as_of([date(2026, 9, 30)]) == date(2026, 6, 30)
    assert dates.default_as_of([date(2026, 8, 14)]) == date(2026, 6, 30)  # 2026-06-30 + 45
    assert dates.default_as_of([date(2026, 8, 13)]) == date(2026, 3, 31)
    # leap year: 2023-12-31 + 45 = 2024-02-14; Q1 2024 ends on 2024-03-31
    assert dates.default_as_of([date(2024, 2, 14)]) == date(2023, 12, 31)
    assert dates.default_as_of([date(2024, 2, 13)]) == date(2023, 9, 30)
    # order and duplicates do not matter
    assert dates.default_as_of([date(2026, 11, 30), date(2020, 1, 1), date(2026, 11, 30)]) == date(2026, 9, 30)


def test_dbt_vars_carry_the_as_of_date_and_the_grace():
    assert dates.dbt_vars(date(2026, 9, 30)) == '{"as_of": "2026-09-30", "grace_days": 45}'
    assert dates.dbt_vars("2024-02-29") == '{"as_of": "2024-02-29", "grace_days": 45}'
    with pytest.raises(ValueError):
        dates.dbt_vars("2023-02-29")
