"""Settings: the environment read once, with clear errors for unusable values."""

from __future__ import annotations

from pathlib import Path

import pytest

from datasets import settings


def test_defaults_without_environment() -> None:
    found = settings.from_environment({})
    assert found.offline is False
    assert found.cache_dir == Path("~/.cache/symbiomap").expanduser()
    assert found.connect_timeout_s == settings.DEFAULT_CONNECT_TIMEOUT_S
    assert found.requests_timeout_s == settings.DEFAULT_REQUESTS_TIMEOUT_S


def test_values_from_the_environment(tmp_path: Path) -> None:
    found = settings.from_environment(
        {
            "SYMBIOMAP_OFFLINE": "1",
            "SYMBIOMAP_CACHE_DIR": str(tmp_path),
            "SYMBIOMAP_CONNECT_TIMEOUT_S": "0.5",
            "SYMBIOMAP_REQUESTS_TIMEOUT_S": "30",
        }
    )
    assert found.offline is True
    assert found.cache_dir == tmp_path
    assert found.connect_timeout_s == 0.5
    assert found.requests_timeout_s == 30.0
    assert settings.from_environment({"SYMBIOMAP_OFFLINE": "0"}).offline is False


@pytest.mark.parametrize("value", ["soon", "-1", "0"])
def test_an_unusable_timeout_names_the_variable(value: str) -> None:
    with pytest.raises(settings.SettingsError, match="SYMBIOMAP_CONNECT_TIMEOUT_S"):
        settings.from_environment({"SYMBIOMAP_CONNECT_TIMEOUT_S": value})


def test_the_environment_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    first = settings.get()
    monkeypatch.setenv("SYMBIOMAP_CACHE_DIR", "/somewhere/else")
    assert settings.get() is first  # later changes to the environment do not leak in mid-run


def test_settings_compare_by_value(tmp_path: Path) -> None:
    # geo.osm.configure_osmnx accepts a second call only with equal settings
    env = {"SYMBIOMAP_CACHE_DIR": str(tmp_path)}
    assert settings.from_environment(env) == settings.from_environment(dict(env))
    assert settings.from_environment(env) != settings.from_environment({})
    assert settings.DEFAULT_DOWNLOAD_MARGIN_M > 0


def test_input_limits_come_from_the_environment_once() -> None:
    limits = settings.from_environment(
        {"SYMBIOMAP_MAX_ROWS": "5000", "SYMBIOMAP_MAX_UNCOMPRESSED_MB": "10"}
    ).limits
    assert limits.max_rows == 5000
    assert limits.max_uncompressed_bytes == 10 * 1024 * 1024
    assert limits.max_columns == settings.InputLimits().max_columns
    assert "SYMBIOMAP_MAX_ROWS" in settings.limit_hint("max_rows")


@pytest.mark.parametrize("text", ["many", "0", "-3", "1.5"])
def test_a_limit_that_is_not_a_positive_whole_number_is_refused(text: str) -> None:
    with pytest.raises(settings.SettingsError, match="SYMBIOMAP_MAX_COLUMNS"):
        settings.from_environment({"SYMBIOMAP_MAX_COLUMNS": text})
