"""Session-wide test setup.

- Every test run has its own pseudonymisation secret: `htic` never generates one unasked
  (pipelines/settings.py), and no test may depend on a key file in the checkout.
- `make test` runs the suite on both cores (pytest-xdist, `--dist loadgroup`): each test area
  (tests/<area>/, and the top-level files as one more) runs whole on one worker, so an area's
  session fixtures (a generated world, a dbt build) are built once and its tests never race each
  other. The areas share nothing on disk but the dbt manifest of the checkout's default warehouse,
  which the controller parses once before the workers start (a worker then finds it fresh).
"""

import os
from pathlib import Path

import pytest

TEST_SECRET = "pytest-pseudonym-secret-8e41c07d"
TESTS = Path(__file__).resolve().parent


def pytest_configure(config):
    if "HTIC_PSEUDONYM_SECRET" not in os.environ and "HTIC_SECRET_FILE" not in os.environ:
        os.environ["HTIC_PSEUDONYM_SECRET"] = TEST_SECRET
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):  # xdist's controller
        from pipelines.defs.dbt import dbt_project
        from pipelines.settings import get_settings

        dbt_project(get_settings())  # parse once, here, rather than in several workers at once


def pytest_collection_modifyitems(config, items):
    for item in items:
        rel = Path(item.fspath).resolve().relative_to(TESTS)
        area = rel.parts[0] if len(rel.parts) > 1 else "top"
        item.add_marker(pytest.mark.xdist_group(area))
