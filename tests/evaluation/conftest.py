from __future__ import annotations

import warnings

import pytest

from pipelines.evaluation.estimate import evaluate
from tests.evaluation.simulated import AS_OF, simulate


@pytest.fixture(scope="session")
def world():
    return simulate()


@pytest.fixture(scope="session")
def evaluated(world):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return evaluate(world.cases, AS_OF)


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """A generated world run through `htic run` (tests/evaluation/generated.py)."""
    from tests.evaluation.generated import build

    return build(tmp_path_factory.mktemp("eval_generated"))
