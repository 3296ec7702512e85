import os

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")


@pytest.fixture
def settings_for(tmp_path):
    from pipelines.settings import get_settings

    def make(name="wh", landing="landing"):
        return get_settings(warehouse=tmp_path / name, landing=tmp_path / landing)

    return make


def tree(root) -> list[tuple[str, int]]:
    """Every path under root with its size (directories: -1), sorted: to compare before/after."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            out.append((os.path.relpath(os.path.join(dirpath, d), root), -1))
        for f in filenames:
            p = os.path.join(dirpath, f)
            out.append((os.path.relpath(p, root), os.stat(p).st_size))
    return sorted(out)
