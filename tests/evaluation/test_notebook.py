"""The evaluators' example notebook (docs/notebooks/evaluators.ipynb), executed with nbclient
against the generated world's analytics warehouse: it runs to the end, and its figures are the
ones `htic run` printed (headline lines) and the ones in `effects` and `effect_survival`."""

from __future__ import annotations

import json
import os
import re

import duckdb
import nbformat
import pytest
from nbclient import NotebookClient

from tests.evaluation.generated import REPO

NOTEBOOK = REPO / "docs" / "notebooks" / "evaluators.ipynb"


@pytest.fixture(scope="module")
def executed(generated, tmp_path_factory):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit the notebook without outputs"
    os.environ["HTIC_ANALYTICS_DB"] = str(generated.analytics_db)  # the kernel inherits the environment
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    finally:
        del os.environ["HTIC_ANALYTICS_DB"]
    last = nb.cells[-1].outputs
    text = "".join(o.get("text", "") for o in last if o.output_type == "stream")
    return json.loads(text.strip().splitlines()[-1])


def _printed_headline(stdout: str) -> dict[str, tuple[int, int]]:
    """`htic run`'s headline lines: '  label   14.6%  (807 / 5509)'."""
    out = {}
    for m in re.finditer(r"^  (.+?)\s+\d+\.\d%\s+\((\d+) / (\d+)\)$", stdout, flags=re.M):
        out[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    return out


def test_headline_figures_are_those_htic_run_printed(generated, executed):
    printed = _printed_headline(generated.run_stdout)
    assert len(printed) == 6
    got = {h["label"]: (round(h["numerator"]), round(h["denominator"])) for h in executed["headline"]}
    assert got == printed


def test_adjusted_estimate_and_curve_are_the_warehouse_s(generated, executed):
    with duckdb.connect(str(generated.analytics_db), read_only=True) as con:
        as_of, est, lo, hi = con.execute(
            "select cast(as_of as varchar), estimate, ci_low, ci_high from effects where method = 'aipw' "
            "and outcome = 'rearrest_any_12m' and time_zero = 'disposition' and measure = 'risk_difference'").fetchone()
        survival = dict(con.execute("select \"group\", survival from effect_survival "
                                    "where time_zero = 'disposition' and day = 365").fetchall())
    assert executed["as_of"] == as_of
    assert executed["aipw_12m"] == pytest.approx({"estimate": est, "ci_low": lo, "ci_high": hi}, abs=1e-12)
    assert executed["survival_365"] == pytest.approx(survival, abs=1e-6)
    assert set(survival) == {"htic", "comparison_matched", "comparison_all"}
