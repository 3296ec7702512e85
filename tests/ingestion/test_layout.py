"""The ingestion stages take their tunables from the settings object, never from the environment."""

import ast
from pathlib import Path

import pytest

STAGES = Path(__file__).resolve().parents[2] / "pipelines" / "ingestion"
STAGE_MODULES = ["pipeline", "batch", "plan", "intake", "deliveries", "read", "stage", "validate", "load",
                 "summary", "warehouse", "spec"]


def _reads_environment(tree) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb") \
                and isinstance(node.value, ast.Name) and node.value.id == "os":
            lines.append(node.lineno)
        if isinstance(node, ast.ImportFrom) and node.module == "os" \
                and any(a.name in ("environ", "getenv") for a in node.names):
            lines.append(node.lineno)
    return lines


def test_every_stage_module_is_listed():
    present = {p.stem for p in STAGES.glob("*.py")} - {"__init__", "assets", "sensors"}
    assert present == set(STAGE_MODULES)


@pytest.mark.parametrize("module", STAGE_MODULES)
def test_stage_module_does_not_read_the_environment(module):
    tree = ast.parse((STAGES / f"{module}.py").read_text(encoding="utf-8"))
    assert _reads_environment(tree) == []


def test_the_check_sees_an_environment_read():
    assert _reads_environment(ast.parse("import os\nx = os.environ.get('HTIC_X')\n")) == [2]
    assert _reads_environment(ast.parse("from os import getenv\n")) == [1]
