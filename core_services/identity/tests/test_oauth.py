"""OAuth sign-in and linking against fake Twitch, Discord and Slack (their real formats)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from flask_core.testing import service_headers, started
from waddlebot_identity.app import create_app
from waddlebot_identity.settings import IdentitySettings

BASE = "/identity/api/v1"
REDIRECT = "https://portal.example/callback"


def auth() -> dict[str, str]:
    return service_headers("identity", issuer="portal")


@pytest.fixture
async def oauth_client(make_settings: Any, providers: Any, data_dir: Any) -> Any:
    settings = make_settings(IdentitySettings, **providers.settings())
    app = create_app(settings)
    async with started(app, settings=settings):
        yield app.test_client()


async def _start(client: Any, provider: str, **query: str) -> tuple[str, dict[str, list[str]]]:
    params = "&".join(f"{k}={v}" for k, v in {"redirect_uri": REDIRECT, **query}.items())
    answer = await client.get(f"{BASE}/oauth/{provider}/start?{params}", headers=auth())
    assert answer.status_code == 200, await answer.get_data(as_text=True)
    body = await answer.get_json()
    url = urlparse(body["authorize_url"])
    qs = parse_qs(url.query)
    assert qs["state"] == [body["state"]] and qs["redirect_uri"] == [REDIRECT]
    return body["state"], qs


async def _callback(client: Any, provider: str, code: str, state: str) -> Any:
    body = {"code": code, "state": state, "redirect_uri": REDIRECT}
    return await client.post(f"{BASE}/oauth/{provider}/callback", json=body, headers=auth())


async def test_login_with_twitch_then_link_discord_and_slack(oauth_client: Any, providers: Any) -> None:
    client = oauth_client
    state, qs = await _start(client, "twitch")
    assert qs["client_id"] == ["tw-client"] and "code_challenge" not in qs
    providers.grant("twitch", "c1", {"id": "1001", "login": "amy"})
    signed = await _callback(client, "twitch", "c1", state)
    assert signed.status_code == 200, await signed.get_data(as_text=True)
    login = await signed.get_json()
    assert login["platform"] == "twitch" and login["platform_user_id"] == "1001"
    assert login["username"] == "amy" and login["created"] is True
    assert providers.token_forms[-1]["client_secret"] == "tw-secret"
    assert providers.token_forms[-1]["grant_type"] == "authorization_code"

    replay = await _callback(client, "twitch", "c1", state)
    assert replay.status_code == 400 and (await replay.get_json())["error"]["code"] == "invalid_state"
    unknown = await _callback(client, "twitch", "c1", "made-up-state")
    assert unknown.status_code == 400

    state, qs = await _start(client, "discord", purpose="link", user_id=login["user_id"])
    assert qs["code_challenge_method"] == ["S256"] and qs["scope"] == ["identify"]
    providers.grant("discord", "d1", {"id": "80351110224678912", "username": "amy_d"})
    linked = await (await _callback(client, "discord", "d1", state)).get_json()
    assert linked["user_id"] == login["user_id"] and linked["username"] == "amy_d"
    assert providers.token_forms[-1]["code_verifier"]  # PKCE: the verifier goes with the code

    state, _ = await _start(client, "slack", purpose="link", user_id=login["user_id"])
    providers.grant("slack", "s1", {"id": "U0R7JM", "name": "Amy S"})
    slack = await (await _callback(client, "slack", "s1", state)).get_json()
    assert slack["user_id"] == login["user_id"] and slack["platform_user_id"] == "U0R7JM"
    user = await (await client.get(f"{BASE}/users/{login['user_id']}", headers=auth())).get_json()
    assert user["linked"] is True
    assert sorted(i["platform"] for i in user["identities"]) == ["discord", "slack", "twitch"]

    again = await _start(client, "twitch")
    providers.grant("twitch", "c2", {"id": "1001", "login": "amy"})
    second = await (await _callback(client, "twitch", "c2", again[0])).get_json()
    assert second["user_id"] == login["user_id"] and second["created"] is False


async def test_a_refused_code_and_unknown_providers(oauth_client: Any, providers: Any) -> None:
    client = oauth_client
    state, _ = await _start(client, "slack")
    refused = await _callback(client, "slack", "never-granted", state)
    assert refused.status_code == 400 and (await refused.get_json())["error"]["code"] == "oauth_failed"
    state, _ = await _start(client, "discord")
    assert (await _callback(client, "discord", "never-granted", state)).status_code == 400
    state, _ = await _start(client, "twitch")
    assert (await _callback(client, "twitch", "never-granted", state)).status_code == 400
    missing = await client.get(f"{BASE}/oauth/myspace/start?redirect_uri={REDIRECT}", headers=auth())
    assert missing.status_code == 404
    no_user = await client.get(
        f"{BASE}/oauth/twitch/start?redirect_uri={REDIRECT}&purpose=link", headers=auth()
    )
    assert no_user.status_code == 404


async def test_oauth_needs_configured_credentials(client: Any) -> None:
    answer = await client.get(f"{BASE}/oauth/twitch/start?redirect_uri={REDIRECT}", headers=auth())
    assert answer.status_code == 404
    assert "TWITCH_CLIENT_ID" in (await answer.get_json())["error"]["message"]
