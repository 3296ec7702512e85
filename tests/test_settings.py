"""The pseudonymisation secret: generated once for the demo, stable, private, never short."""

import os
import stat

import pytest

from pipelines import settings as st


def test_secret_file_is_generated_once_private_and_stable(tmp_path, monkeypatch):
    monkeypatch.delenv("HTIC_PSEUDONYM_SECRET", raising=False)
    key = tmp_path / "keys" / "pseudonym.key"
    monkeypatch.setenv("HTIC_SECRET_FILE", str(key))
    first = st.pseudonym_secret()
    assert key.exists() and stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert len(first) == 64 and int(first, 16) >= 0
    assert st.pseudonym_secret() == first  # stable across calls (and runs)


def test_environment_secret_wins_and_short_ones_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("HTIC_SECRET_FILE", str(tmp_path / "unused.key"))
    monkeypatch.setenv("HTIC_PSEUDONYM_SECRET", "a-long-enough-secret-value")
    assert st.pseudonym_secret() == "a-long-enough-secret-value"
    assert not (tmp_path / "unused.key").exists()
    monkeypatch.setenv("HTIC_PSEUDONYM_SECRET", "x")
    with pytest.raises(ValueError, match="shorter than 16"):
        st.pseudonym_secret()


def test_settings_paths_follow_the_warehouse(tmp_path, monkeypatch):
    monkeypatch.delenv("HTIC_LANDING", raising=False)
    s = st.get_settings(tmp_path / "wh")
    assert s.landing == (tmp_path / "wh" / "landing").resolve()
    assert s.restricted_db.parent.parent == s.warehouse and s.analytics_db.parent == s.warehouse
    home = s.ensure_dagster_home()
    assert "max_concurrent_runs: 1" in (home / "dagster.yaml").read_text()
