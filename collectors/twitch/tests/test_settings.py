"""The Twitch secrets and limits live in TwitchSettings under their §2 names, nowhere else."""

from __future__ import annotations

from pathlib import Path

import pytest

from flask_core.settings import CoreSettings
from flask_core.testing import TEST_PORTAL_SECRET, TEST_SECRET
from waddlebot_twitch.settings import TwitchSettings


def test_twitch_settings_read_the_fixed_environment_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        "TWITCH_EVENTSUB_SECRET": "es-secret",
        "TWITCH_CLIENT_ID": "client",
        "TWITCH_CLIENT_SECRET": "client-secret",
        "TWITCH_BOT_USER_ID": "42",
        "TWITCH_ACCESS_TOKEN": "access",
        "TWITCH_REFRESH_TOKEN": "refresh",
        "TWITCH_API_URL": "http://helix.test",
        "TWITCH_CHAT_RATE_LIMIT": "5/30s",
        "OUTBOX_LEASE": "7",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    s = TwitchSettings(
        env="test", data_dir=tmp_path, internal_jwt_secret=TEST_SECRET, portal_jwt_secret=TEST_PORTAL_SECRET
    )
    assert s.twitch_client_id == "client" and s.twitch_bot_user_id == "42"
    assert s.twitch_eventsub_secret is not None and s.twitch_eventsub_secret.get_secret_value() == "es-secret"
    assert s.twitch_api_url == "http://helix.test" and s.twitch_chat_rate_limit == "5/30s"
    assert s.outbox_lease == 7.0
    assert not any(name.startswith("twitch_") and name != "twitch_url" for name in CoreSettings.model_fields)
