"""The house plan, checked: no import cycles among `pipelines.*` modules, the pipeline never imports
the synthetic-world generator, no asset calls back into the runner, and the asset graph the UI shows
is the path the data takes — from a delivery to the metrics, the analytics warehouse and the funder
snapshot. The import graph is built with `ast` from the source files (nothing is imported)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PIPELINES = Path(__file__).resolve().parents[1] / "pipelines"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PIPELINES.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PIPELINES.rglob("*.py"))}


def _imported(module: str, tree: ast.AST) -> set[str]:
    """Every module this one imports (at the top or inside a function), as written."""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}  # `from pipelines import dates`
    return out


def import_graph() -> dict[str, set[str]]:
    """pipelines module -> the pipelines modules it imports (names that are not modules dropped)."""
    graph = {}
    for module, path in MODULES.items():
        names = _imported(module, ast.parse(path.read_text(), filename=str(path)))
        graph[module] = {n for n in names if n in MODULES and n != module}
    return graph


def external_imports(module: str) -> set[str]:
    return {n.split(".")[0] for n in _imported(module, ast.parse(MODULES[module].read_text()))}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_import_graph_sees_function_level_and_package_imports():
    graph = import_graph()
    assert "pipelines.runner" in graph["pipelines.run"]  # imported inside functions
    assert "pipelines.dates" in graph["pipelines.builds"]  # `from pipelines import dates`
    assert "pipelines.defs" in graph["pipelines.runner"]  # `from pipelines.defs import definitions`


def test_no_import_cycles_among_pipelines_modules():
    assert find_cycle(import_graph()) is None


def test_the_pipeline_never_imports_the_generator():
    # `htic demo` is the one command that makes a synthetic world itself; `htic synth` is reached
    # through the CLI's dispatch table (a module name, not an import)
    importers = sorted(m for m in MODULES if "htic_synth" in external_imports(m))
    assert importers == ["pipelines.demo"]


def test_only_the_command_faces_start_runs():
    graph = import_graph()
    importers = sorted(m for m, deps in graph.items() if "pipelines.runner" in deps)
    assert importers == ["pipelines.run", "pipelines.snapshot.cli"]


ENV_READ = re.compile(r"""(environ(\.get)?\s*[\[(]\s*|getenv\(\s*)["']HTIC_""")


def test_only_settings_reads_htic_environment_variables():
    readers = {m for m, p in MODULES.items() if ENV_READ.search(p.read_text())}
    assert readers == {"pipelines.settings"}


@pytest.fixture(scope="module")
def asset_graph():
    from pipelines.definitions import defs

    return defs.resolve_asset_graph()


def _reachable(graph, start) -> set:
    seen, todo = set(), [start]
    while todo:
        key = todo.pop()
        for child in graph.get(key).child_keys:
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def test_lineage_runs_from_a_delivery_to_the_metrics_the_warehouse_and_the_snapshot(asset_graph):
    import dagster as dg

    from pipelines.ingestion.spec import TABLE_SPECS

    delivery = dg.AssetKey(["ingestion", "delivery"])
    metrics, warehouse, snapshot = dg.AssetKey(["metrics"]), dg.AssetKey(["analytics_warehouse"]), \
        dg.AssetKey(["funder_snapshot"])
    downstream = _reachable(asset_graph, delivery)
    assert {metrics, warehouse, snapshot} <= downstream
    # each step of the way: delivery -> raw/* -> staging -> ... -> metrics -> publish -> snapshot
    for table in TABLE_SPECS:
        raw = dg.AssetKey(["raw", table])
        assert delivery in asset_graph.get(raw).parent_keys
        assert metrics in _reachable(asset_graph, raw), f"raw/{table} does not reach metrics"
    assert metrics in asset_graph.get(warehouse).parent_keys
    assert asset_graph.get(snapshot).parent_keys == {warehouse}
