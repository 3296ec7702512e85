"""The pseudonymisation secret: generated once for the demo, stable, private, never short."""

import os
import stat

import pytest

from pipelines import settings as st


def test_the_default_secret_file_is_generated_only_on_request_private_and_stable(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("HTIC_PSEUDONYM_SECRET", raising=False)
    monkeypatch.delenv("HTIC_SECRET_FILE", raising=False)
    key = tmp_path / "keys" / "pseudonym.key"
    monkeypatch.setattr(st, "DEFAULT_SECRET_FILE", key)
    with pytest.raises(st.SecretError, match="does not exist"):
        st.pseudonym_secret()  # not asked for: nothing generated
    assert not key.exists()
    first = st.pseudonym_secret(create=True)
    assert "generated a new pseudonymisation secret" in capsys.readouterr().err
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600 and stat.S_IMODE(os.stat(key.parent).st_mode) == 0o700
    assert len(first) == 64 and int(first, 16) >= 0
    assert st.pseudonym_secret() == first == st.pseudonym_secret(create=True)  # stable across calls (and runs)
    assert "generated" not in capsys.readouterr().err


def test_a_named_secret_file_is_never_generated(tmp_path, monkeypatch):
    monkeypatch.delenv("HTIC_PSEUDONYM_SECRET", raising=False)
    monkeypatch.setattr(st, "DEFAULT_SECRET_FILE", tmp_path / "default.key")
    missing = tmp_path / "missing.key"
    monkeypatch.setenv("HTIC_SECRET_FILE", str(missing))
    for create in (False, True):
        with pytest.raises(st.SecretError, match="does not exist"):
            st.pseudonym_secret(create=create)
    assert not missing.exists() and not (tmp_path / "default.key").exists()
    monkeypatch.setenv("HTIC_SECRET_FILE", str(tmp_path))  # a folder: cannot be read as a file
    with pytest.raises(st.SecretError, match="cannot be read"):
        st.pseudonym_secret()
    short = tmp_path / "short.key"
    short.write_text("too-short\n")
    monkeypatch.setenv("HTIC_SECRET_FILE", str(short))
    with pytest.raises(st.SecretError, match="shorter than 16"):
        st.pseudonym_secret()
    short.write_text("a-long-enough-secret-value\n")
    assert st.pseudonym_secret() == "a-long-enough-secret-value"


def test_environment_secret_wins_and_short_ones_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("HTIC_SECRET_FILE", str(tmp_path / "unused.key"))
    monkeypatch.setenv("HTIC_PSEUDONYM_SECRET", "a-long-enough-secret-value")
    assert st.pseudonym_secret() == "a-long-enough-secret-value"
    assert not (tmp_path / "unused.key").exists()
    for short in ("x", ""):
        monkeypatch.setenv("HTIC_PSEUDONYM_SECRET", short)
        with pytest.raises(st.SecretError, match="shorter than 16"):
            st.pseudonym_secret(create=True)
    assert not (tmp_path / "unused.key").exists()


def test_settings_paths_follow_the_warehouse(tmp_path, monkeypatch):
    monkeypatch.delenv("HTIC_LANDING", raising=False)
    s = st.get_settings(tmp_path / "wh")
    assert s.landing == (tmp_path / "wh" / "landing").resolve()
    assert s.restricted_db.parent.parent == s.warehouse and s.analytics_db.parent == s.warehouse
    home = s.ensure_dagster_home()
    assert "max_concurrent_runs: 1" in (home / "dagster.yaml").read_text()


TUNABLES = {"HTIC_DUCKDB_MEMORY": "duckdb_memory_limit", "HTIC_CHECKPOINT_THRESHOLD": "duckdb_checkpoint_threshold",
            "HTIC_REJECT_THRESHOLD": "reject_threshold", "HTIC_BATCH_MB": "batch_mb",
            "HTIC_ALERT_WEBHOOK": "alert_webhook"}


def test_every_tunable_has_its_default_and_is_read_from_the_environment(tmp_path, monkeypatch):
    for var in TUNABLES:
        monkeypatch.delenv(var, raising=False)
    s = st.get_settings(tmp_path / "wh")
    assert (s.duckdb_memory_limit, s.duckdb_checkpoint_threshold, s.reject_threshold, s.batch_mb,
            s.alert_webhook) == ("1.5GB", "1GB", 0.10, 256, None)
    monkeypatch.setenv("HTIC_DUCKDB_MEMORY", "3GB")
    monkeypatch.setenv("HTIC_CHECKPOINT_THRESHOLD", "512MB")
    monkeypatch.setenv("HTIC_REJECT_THRESHOLD", "0.25")
    monkeypatch.setenv("HTIC_BATCH_MB", "64")
    monkeypatch.setenv("HTIC_ALERT_WEBHOOK", "http://127.0.0.1:9/alert")
    monkeypatch.setenv("HTIC_LANDING", str(tmp_path / "elsewhere"))
    s = st.get_settings(tmp_path / "wh")
    assert (s.duckdb_memory_limit, s.duckdb_checkpoint_threshold, s.reject_threshold, s.batch_mb,
            s.alert_webhook) == ("3GB", "512MB", 0.25, 64, "http://127.0.0.1:9/alert")
    assert s.landing == (tmp_path / "elsewhere").resolve()
    assert st.get_settings(tmp_path / "wh", landing=tmp_path / "arg").landing == (tmp_path / "arg").resolve()


def test_every_tunable_is_documented_in_the_readme():
    readme = (st.REPO_ROOT / "README.md").read_text()
    for var, field in TUNABLES.items():
        assert f"`{var}`" in readme and f"`{field}`" in readme, var
    for var in ("HTIC_WAREHOUSE", "HTIC_LANDING", "HTIC_PSEUDONYM_SECRET", "HTIC_SECRET_FILE"):
        assert f"`{var}`" in readme, var


def test_the_resource_gives_back_the_same_settings(tmp_path):
    from pipelines.defs.resources import HticSettings

    s = st.get_settings(tmp_path / "wh", landing=tmp_path / "land")
    assert HticSettings.from_settings(s).get() == s


def test_dbt_artifacts_live_under_the_warehouse(tmp_path):
    one, two = st.get_settings(tmp_path / "one"), st.get_settings(tmp_path / "two")
    assert one.dbt_target_dir.is_relative_to(one.warehouse) and two.dbt_target_dir.is_relative_to(two.warehouse)
    assert one.dbt_target_dir != two.dbt_target_dir
