"""The metric catalogue (dbt_project/seeds/metric_catalogue.csv, goal_catalogue.csv) is the one list
of metrics: every other place that names metrics must agree with it. The metrics relation itself is
held to it by a dbt test; the published report and workbook by tests/snapshot/test_catalogue_outputs.py.
"""

from __future__ import annotations

import ast
import csv
import re
from pathlib import Path

from pipelines import catalogue

REPO = Path(__file__).resolve().parents[1]
METRICS_DOC = REPO / "docs" / "metrics.md"
MARTS_DOCS = REPO / "dbt_project" / "models" / "marts" / "_marts__docs.md"
TABLE_START, TABLE_END = "<!-- metric catalogue: start -->", "<!-- metric catalogue: end -->"
METRIC_TOKEN = re.compile(r"\bg[1-9]_[a-z0-9_]*[a-z0-9]")


def ids() -> list[str]:
    return [m.metric_id for m in catalogue.load_catalogue()]


def families() -> set[str]:
    """Names that stand for several ids: `g4_rearrest_any` for its _6m/_12m/_24m windows."""
    return {re.sub(r"_(?:\d+m|p75)$", "", mid) for mid in ids()} - set(ids())


def test_the_seeds_read_back_as_written():
    """The loader against the csv module read independently: same rows, same order, booleans parsed."""
    with open(catalogue.METRIC_CATALOGUE, newline="", encoding="utf-8") as fh:
        raw = list(csv.DictReader(fh))
    loaded = catalogue.load_catalogue()
    assert [r["metric_id"] for r in raw] == ids()
    for r, m in zip(raw, loaded):
        assert (r["goal"], r["metric_kind"], r["unit"], r["title"], r["definition"]) == (
            m.goal, m.metric_kind, m.unit, m.title, m.definition)
        assert m.counts_people is (r["counts_people"] == "true")
        assert m.report_headline is (r["report_headline"] == "true")
        assert r["title"].strip() and r["definition"].strip()
    with open(catalogue.GOAL_CATALOGUE, newline="", encoding="utf-8") as fh:
        assert [r["goal"] for r in csv.DictReader(fh)] == [g.goal for g in catalogue.load_goals()]


def test_every_goal_has_measures_and_one_headline():
    goals = [g.goal for g in catalogue.load_goals()]
    assert goals == [f"g{i}" for i in range(1, 10)]
    for g in goals:
        measures = [m for m in catalogue.load_catalogue() if m.goal == g]
        assert measures, g
        assert sum(m.report_headline for m in measures) == 1, g
    # ids carry their goal
    assert all(m.metric_id.startswith(m.goal + "_") for m in catalogue.load_catalogue())


def test_run_summary_names_rate_metrics_in_order():
    """`htic run` pools numerators and denominators of rate rows only: a line for another kind would
    never print."""
    lines = catalogue.run_summary()
    assert [s.order for s in lines] == list(range(1, len(lines) + 1)) and lines
    for s in lines:
        assert catalogue.metric(s.metric_id).metric_kind == "rate", s
    assert len({(s.metric_id, s.population) for s in lines}) == len(lines)


def test_docs_metrics_md_holds_the_catalogue_table():
    text = METRICS_DOC.read_text(encoding="utf-8")
    assert TABLE_START in text and TABLE_END in text
    table = text.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0].strip("\n") + "\n"
    assert table == catalogue.markdown_table(), (
        "docs/metrics.md's catalogue table is stale: replace it with `python -m pipelines.catalogue`'s output")


def _doc_ids(section: str) -> set[str]:
    """The metric ids docs/metrics.md's per-goal lists define: **`id`**, with `{6m,12m,24m}`
    windows and a following **`_p75`** for the 75th percentile of the id before it."""
    out, last = set(), None
    for token in re.findall(r"\*\*`([^`]+)`\*\*", section):
        if token.startswith("_"):
            out.add(last + token)
            continue
        m = re.fullmatch(r"(.+)_\{([^}]+)\}", token)
        names = [f"{m.group(1)}_{w}" for w in m.group(2).split(",")] if m else [token]
        out |= set(names)
        last = names[-1]
    return out


def test_docs_metrics_md_defines_every_catalogue_metric():
    text = METRICS_DOC.read_text(encoding="utf-8")
    section = text.split("\n## Metrics\n", 1)[1].split("\n## ", 1)[0]
    assert _doc_ids(section) == set(ids())
    # and every heading of that section is a goal of the catalogue, with its title
    headings = re.findall(r"^### (G\d) (.+?)(?: \(|$)", section, flags=re.M)
    assert [(g, t) for g, t in headings] == [(g.label, g.title) for g in catalogue.load_goals()]


def test_dbt_docs_blocks_describe_catalogue_metrics():
    """_marts__docs.md: every metric docs block is named after a catalogue id or a family of ids,
    every id mentioned in a block exists, and every catalogue id is documented by a block of its
    name, of its family, or named in a block's text."""
    text = MARTS_DOCS.read_text(encoding="utf-8")
    blocks = dict(re.findall(r"{% docs metric_(\w+) %}(.*?){% enddocs %}", text, flags=re.S))
    known = set(ids()) | families()
    assert set(blocks) <= known, set(blocks) - known
    mentioned = set()
    for name, body in blocks.items():
        for token in METRIC_TOKEN.findall(body):
            assert token in known, (name, token)
            mentioned.add(token)
        # 'g4_rearrest_any_6m/_12m/_24m' names three ids
        for family, windows in re.findall(r"\b(g[1-9]_\w+?)_(\d+m(?:/_\d+m)+)", body):
            mentioned |= {f"{family}_{w.lstrip('_')}" for w in windows.split("/")}
    for mid in ids():
        covered = mid in blocks or mid in mentioned or any(mid.startswith(b + "_") and b in families()
                                                           for b in blocks)
        assert covered, mid


def test_no_module_of_the_pipeline_lists_metrics_itself():
    """Metric ids appear as literals only in the catalogue: the report, the workbook, the run
    summary and every other module read them from pipelines.catalogue."""
    offenders = []
    for path in sorted((REPO / "pipelines").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                      and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                    and METRIC_TOKEN.search(node.value)):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert offenders == []
