from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from flask_core.settings import CoreSettings, is_placeholder, normalise_database_url, parse_rate
from flask_core.testing import TEST_PORTAL_SECRET, TEST_SECRET


@pytest.mark.parametrize("env", ["prod", "test"], ids=["prod", "test"])
@pytest.mark.parametrize(
    "value",
    [None, "changeme", "placeholder-secret", "short"],
    ids=["missing", "changeme", "placeholder", "short"],
)
def test_placeholder_secret_refused_outside_dev(env: str, value: str | None, tmp_path: Path) -> None:
    values = {"env": env, "data_dir": tmp_path, "portal_jwt_secret": TEST_PORTAL_SECRET}
    if value is not None:
        values["internal_jwt_secret"] = value
    with pytest.raises(ValidationError, match="INTERNAL_JWT_SECRET is missing or a placeholder"):
        CoreSettings(**values)


def test_default_env_is_prod_and_needs_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    with pytest.raises(ValidationError, match="missing or a placeholder"):
        CoreSettings()


def test_dev_secrets_generated_once_and_reused(tmp_path: Path) -> None:
    first = CoreSettings(env="dev", data_dir=tmp_path)
    second = CoreSettings(env="dev", data_dir=tmp_path)
    assert first.secret("internal") == second.secret("internal")
    assert first.secret("portal") == second.secret("portal")
    assert first.secret("internal") != first.secret("portal")
    assert len(first.secret("internal")) >= 32
    stored = (tmp_path / "secrets" / "internal_jwt_secret").read_text().strip()
    assert stored == first.secret("internal")
    assert (tmp_path / "secrets" / "internal_jwt_secret").stat().st_mode & 0o077 == 0


def test_dev_keeps_a_real_secret_given_in_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENV", "dev")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("INTERNAL_JWT_SECRET", TEST_SECRET)
    assert CoreSettings().secret("internal") == TEST_SECRET


def test_comma_lists_are_parsed_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENV", "dev")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DEFAULT_MODULES", "memories, alias,,shoutout")
    monkeypatch.setenv("DATABASE_READ_URLS", "postgresql://a/db,postgres://b/db")
    s = CoreSettings()
    assert s.default_modules == ["memories", "alias", "shoutout"]
    assert s.database_read_urls == ["postgres://a/db", "postgres://b/db"]


def test_default_modules_default_to_the_installed_modules_of_the_table(settings: CoreSettings) -> None:
    from flask_core import service_table

    assert settings.default_modules == service_table.default_modules()
    assert "memories" in settings.default_modules  # with today's services: only memories


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@h:5432/d", "postgres://u:p@h:5432/d"),
        ("postgresql+psycopg2://u@h/d", "postgres://u@h/d"),
        ("postgres://u@h/d", "postgres://u@h/d"),
        ("sqlite://x.sqlite", "sqlite://x.sqlite"),
    ],
    ids=["postgresql", "psycopg2", "postgres", "sqlite"],
)
def test_database_url_normalised(given: str, expected: str, make_settings: object) -> None:
    assert normalise_database_url(given) == expected
    assert make_settings(database_url=given).database_url == expected  # type: ignore[operator]


def test_service_urls_default_to_own_address(make_settings: object) -> None:
    s = make_settings(port=9123, host="0.0.0.0", memories_url="http://memories:8000/")  # type: ignore[operator]
    assert s.service_url("router") == "http://127.0.0.1:9123"
    assert s.service_url("memories") == "http://memories:8000"
    with pytest.raises(KeyError):
        s.service_url("nope")


def test_sqlite_is_the_embedded_default(settings: CoreSettings) -> None:
    assert settings.effective_database_url().startswith("sqlite://")
    assert str(settings.data_dir.resolve()) in settings.effective_database_url()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20/30s", (20, 30.0)),
        ("1/1s", (1, 1.0)),
        ("100/1m", (100, 60.0)),
        ("5/h", (5, 3600.0)),
        ("3/250ms", (3, 0.25)),
    ],
    ids=["30s", "1s", "1m", "h", "ms"],
)
def test_parse_rate(text: str, expected: tuple[int, float]) -> None:
    assert parse_rate(text) == expected


def test_parse_rate_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="invalid rate"):
        parse_rate("lots")


def test_is_placeholder() -> None:
    assert is_placeholder("change-me-please-0123456789abcdef0123")
    assert not is_placeholder(TEST_SECRET)


def test_core_settings_hold_no_service_secrets_or_limits() -> None:
    own = ("twitch_", "slack_", "discord_", "router_", "outbox_", "delivery_")
    fields = [
        name for name in CoreSettings.model_fields if name.startswith(own) and not name.endswith("_url")
    ]
    assert fields == []
    platform_urls = {"twitch_api_url", "twitch_auth_url", "slack_api_url", "discord_api_url"}
    assert platform_urls.isdisjoint(CoreSettings.model_fields)


def test_the_collector_base_holds_outbox_and_delivery_settings() -> None:
    from flask_core.collector import CollectorSettings

    assert {"outbox_lease", "delivery_retry_schedule"} <= set(CollectorSettings.model_fields)
