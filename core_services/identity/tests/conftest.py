"""Fixtures for the identity tests: the app on both backends, fake OAuth providers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from flask_core.testing import FakeHttpServer, Recorded, started
from waddlebot_identity.app import create_app
from waddlebot_identity.settings import IdentitySettings

CLIENTS = {
    "twitch": ("tw-client", "tw-secret"),
    "discord": ("dc-client", "dc-secret"),
    "slack": ("sl-client", "sl-secret"),
}


class FakeProviders:
    """Twitch, Discord and Slack token and user endpoints in their real wire formats.

    `grant(provider, code, user)` makes `code` valid once for that user.
    """

    def __init__(self) -> None:
        self.server = FakeHttpServer()
        self.codes: dict[tuple[str, str], dict[str, Any]] = {}
        self.tokens: dict[str, tuple[str, dict[str, Any]]] = {}
        self.token_forms: list[dict[str, str]] = []
        self.server.route("POST", "/twitch-auth/token", lambda c: self.token(c, "twitch"))
        self.server.route("GET", "/helix/users", self.twitch_users)
        self.server.route("POST", "/discord/oauth2/token", lambda c: self.token(c, "discord"))
        self.server.route("GET", "/discord/users/@me", self.discord_me)
        self.server.route("POST", "/slack/openid.connect.token", lambda c: self.token(c, "slack"))
        self.server.route("GET", "/slack/openid.connect.userInfo", self.slack_userinfo)

    def settings(self) -> dict[str, Any]:
        url = self.server.url
        values: dict[str, Any] = {
            "twitch_auth_url": f"{url}/twitch-auth", "twitch_api_url": f"{url}/helix",
            "discord_api_url": f"{url}/discord", "slack_api_url": f"{url}/slack",
        }  # fmt: skip
        for name, (client_id, secret) in CLIENTS.items():
            values[f"{name}_client_id"] = client_id
            values[f"{name}_client_secret"] = secret
        return values

    def grant(self, provider: str, code: str, user: dict[str, Any]) -> None:
        self.codes[(provider, code)] = user

    async def token(self, call: Recorded, provider: str) -> web.Response:
        form = dict(call.form)
        self.token_forms.append({"provider": provider, **form})
        client_id, secret = CLIENTS[provider]
        user = self.codes.pop((provider, form.get("code", "")), None)
        if form.get("client_id") != client_id or form.get("client_secret") != secret or user is None:
            if provider == "slack":
                return web.json_response({"ok": False, "error": "invalid_code"})
            if provider == "twitch":
                return web.json_response({"status": 400, "message": "Invalid authorization code"}, status=400)
            return web.json_response(
                {"error": "invalid_grant", "error_description": "Invalid code"}, status=400
            )
        access = uuid.uuid4().hex
        self.tokens[access] = (provider, user)
        match provider:
            case "twitch":
                body: dict[str, Any] = {"access_token": access, "expires_in": 14124, "refresh_token": "r",
                                        "scope": [], "token_type": "bearer"}  # fmt: skip
            case "discord":
                body = {"access_token": access, "token_type": "Bearer", "expires_in": 604800,
                        "refresh_token": "r", "scope": "identify"}  # fmt: skip
            case _:
                body = {"ok": True, "access_token": access, "token_type": "Bearer", "id_token": "x.y.z"}
        return web.json_response(body)

    def _user(self, call: Recorded, provider: str) -> dict[str, Any] | None:
        token = call.headers.get("Authorization", "").removeprefix("Bearer ")
        found = self.tokens.get(token)
        return found[1] if found and found[0] == provider else None

    async def twitch_users(self, call: Recorded) -> web.Response:
        user = self._user(call, "twitch")
        if user is None or call.headers.get("Client-Id") != CLIENTS["twitch"][0]:
            return web.json_response(
                {"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"}, status=401
            )
        data = {"id": user["id"], "login": user["login"], "display_name": user["login"].title(), "type": "",
                "broadcaster_type": "", "description": "", "profile_image_url": "", "offline_image_url": "",
                "view_count": 0, "created_at": "2016-12-14T20:32:28Z"}  # fmt: skip
        return web.json_response({"data": [data]})

    async def discord_me(self, call: Recorded) -> web.Response:
        user = self._user(call, "discord")
        if user is None:
            return web.json_response({"message": "401: Unauthorized", "code": 0}, status=401)
        return web.json_response({"id": user["id"], "username": user["username"], "global_name": None,
                                  "discriminator": "0", "avatar": None})  # fmt: skip

    async def slack_userinfo(self, call: Recorded) -> web.Response:
        user = self._user(call, "slack")
        if user is None:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        return web.json_response({
            "ok": True, "sub": user["id"], "https://slack.com/user_id": user["id"],
            "https://slack.com/team_id": "T0R7GR", "name": user["name"], "given_name": user["name"],
        })  # fmt: skip


@pytest_asyncio.fixture
async def providers() -> AsyncIterator[FakeProviders]:
    fake = FakeProviders()
    async with fake.server.serving():
        yield fake


@pytest.fixture
def app(make_settings: Any, backend: dict[str, Any]) -> Any:
    """The app on SQLite (embedded) and PostgreSQL + Redis (fleet), no OAuth configured."""
    return create_app(make_settings(IdentitySettings, **backend))


@pytest_asyncio.fixture
async def res(app: Any) -> AsyncIterator[Any]:
    async with started(app, settings=app.extensions["waddlebot.settings"]) as resources:
        yield resources
