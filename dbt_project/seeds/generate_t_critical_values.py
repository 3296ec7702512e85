"""Writes t_critical_values.csv: the two-sided 95% Student t critical value t_{0.975, df}.

DuckDB has no t quantile function; the metrics model joins this seed for df 1..1000 and uses the
Cornish-Fisher expansion above (macros/metrics/intervals.sql, error < 1e-12 there). Run once:

    python dbt_project/seeds/generate_t_critical_values.py

The values are written with repr() (17 significant digits), so the file is byte-stable for a given
scipy version and the seed reproduces scipy to the last bit.
"""

from pathlib import Path

from scipy.stats import t

MAX_DF = 1000


def main() -> None:
    out = Path(__file__).with_name("t_critical_values.csv")
    lines = ["df,t975"] + [f"{df},{float(t.ppf(0.975, df))!r}" for df in range(1, MAX_DF + 1)]
    out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
