"""Session-wide test setup.

- Every test run has its own pseudonymisation secret: `htic` never generates one unasked
  (pipelines/settings.py), and no test may depend on a key file in the checkout.
- `make test` runs the suite on both cores (pytest-xdist, `--dist loadscope`): each test area
  (tests/<area>/, and the top-level files as one more) runs whole on one worker, so an area's
  session fixtures (a generated world, a dbt build) are built once and its tests never race each
  other. The areas share nothing on disk but the dbt manifest of the checkout's default warehouse,
  which the controller parses once before the workers start (a worker then finds it fresh).
  The areas are xdist's work units through our own scheduler (`pytest_xdist_make_scheduler`):
  xdist's `loadgroup` marks no longer group anything under pytest 9, whose node ids xdist cannot
  rename, so each test of an area went to either worker and both built the area's worlds.
  The longest areas are handed out first (AREAS_LONGEST_FIRST), so the run does not end with one
  worker idle while the other starts the end-to-end path.
"""

import os

import pytest

TEST_SECRET = "pytest-pseudonym-secret-8e41c07d"


def pytest_configure(config):
    if "HTIC_PSEUDONYM_SECRET" not in os.environ and "HTIC_SECRET_FILE" not in os.environ:
        os.environ["HTIC_PSEUDONYM_SECRET"] = TEST_SECRET
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):  # xdist's controller
        from pipelines.defs.dbt import dbt_project
        from pipelines.settings import get_settings

        dbt_project(get_settings())  # parse once, here, rather than in several workers at once


# worker-seconds per area measured by `--durations` on 2 cores, 2026-12-02: e2e ~600, snapshot ~600,
# stores ~330, metrics ~300, perf ~270, dbt ~180; the rest under 150 each, in collection order
AREAS_LONGEST_FIRST = ("e2e", "snapshot", "stores", "metrics", "perf", "dbt")


def area_of(nodeid: str) -> str:
    """The test area of a node id relative to the root ('tests/metrics/test_x.py::test_y' ->
    'metrics'; a top-level file's tests -> 'top')."""
    parts = nodeid.split("::", 1)[0].split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "tests" else "top"


def pytest_collection_modifyitems(config, items):
    rank = {a: i for i, a in enumerate(AREAS_LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(area_of(item.nodeid), len(rank)))  # stable: in-area order kept


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """One work unit per test area, handed out in collection order (longest areas first)."""
    if config.getvalue("dist") not in ("loadscope", "loadgroup"):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class AreaScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return area_of(nodeid)

    config.option.loadscopereorder = False  # xdist's own order (most tests first) would put e2e last
    return AreaScheduling(config, log)
