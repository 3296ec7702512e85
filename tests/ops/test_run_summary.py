"""`htic run`'s summary fits on a screen: many sources become one line of totals (each source is in
`htic status`); a suite with no rows is counted as not evaluated, never listed as passed or failed."""


def _summary(n_sources: int) -> dict:
    per_source = {f"court-c{i:02d}": {"rows_loaded": 100 + i, "rows_rejected": i % 2, "rows_held": i % 3}
                  for i in range(n_sources)}
    checks = {"court__cases": {"passed": True, "evaluated": True, "severity": "WARN", "failing": [], "error": None},
              "provider__sessions": {"passed": None, "evaluated": False, "severity": "WARN", "failing": [],
                                     "error": None}}
    return {"counts": {"accepted": n_sources}, "superseded": [], "in_transit": [], "deliveries": [],
            "per_source": per_source, "checks": checks, "warnings": [], "timings": {"total": 1.0}, "rows_staged": 5}


def test_many_sources_are_one_line_of_totals():
    from pipelines.run import MAX_SOURCE_LINES, format_summary

    s = _summary(MAX_SOURCE_LINES + 5)
    lines = format_summary(s).splitlines()
    [totals] = [ln for ln in lines if ln.startswith("Rows from")]
    loaded = sum(p["rows_loaded"] for p in s["per_source"].values())
    held = sum(p["rows_held"] for p in s["per_source"].values())
    assert f"{len(s['per_source'])} sources: {loaded} loaded" in totals and f"{held} held" in totals
    assert not any(ln.strip().startswith("court-c") for ln in lines)
    assert "Checks not evaluated (no new rows): 1 of 2 suites" in lines
    assert not any(ln.startswith("Checks not passed") for ln in lines)


def test_a_few_sources_are_listed():
    from pipelines.run import format_summary

    lines = format_summary(_summary(3)).splitlines()
    assert sum(ln.strip().startswith("court-c") for ln in lines) == 3
