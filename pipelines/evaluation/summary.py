"""The adjusted estimate beside the unadjusted one, for the terminal (`htic run`, `make demo`).

Reads `effects` of analytics.duckdb read-only; on a warehouse without it (an older build) says so.
Not a funder output: the team's own run summary, like the headline figures printed beside it.
"""

from __future__ import annotations

import math
from pathlib import Path

HEADLINE = ("rearrest_any_12m", "disposition", "risk_difference")


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _estimate(row) -> str:
    """'-9.3 points (95% CI -10.8 to -7.7)' from a row (method, estimate, ci_low, ci_high, balance_ok)."""
    if row is None:
        return "not reported"
    est, lo, hi = row[1], row[2], row[3]
    if _missing(est):
        return "not estimable"
    interval = "" if _missing(lo) or _missing(hi) else f" (95% CI {100 * lo:+.1f} to {100 * hi:+.1f})"
    return f"{100 * est:+.1f} points{interval}"


def effect_lines(analytics_db, as_of) -> list[str]:
    """One or two lines: the headline adjusted estimate (aipw) beside the unadjusted one, and the
    balance verdict."""
    from pipelines.duck import connect

    path = Path(analytics_db)
    con = connect(path, read_only=True) if path.exists() else None
    try:
        has = con is not None and con.execute(
            "select count(*) from information_schema.tables where table_schema = 'main' and table_name = 'effects'"
        ).fetchone()[0]
        rows = {} if not has else {r[0]: r for r in con.execute(
            "select method, estimate, ci_low, ci_high, balance_ok from effects where as_of = ? and outcome = ? "
            "and time_zero = ? and measure = ?", [as_of, *HEADLINE]).fetchall()}
    finally:
        if con is not None:
            con.close()
    if "aipw" not in rows:
        return [f"Adjusted comparison: not available as of {as_of} (no `effects` rows in the analytics warehouse)"]
    aipw = rows["aipw"]
    verdict = ("balance ok after adjustment" if aipw[4] else
               "BALANCE FAILS after adjustment: do not rely on the adjusted estimate")
    return [f"Rearrested within 12 months of the first disposition, HTIC minus comparison: adjusted (AIPW) "
            f"{_estimate(aipw)}",
            f"  unadjusted {_estimate(rows.get('unadjusted'))}; {verdict}"]
