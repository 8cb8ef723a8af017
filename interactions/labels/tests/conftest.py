"""Fixtures for the labels tests: the app on both backends, command requests, and Twitch chat.

`twitch_chat(apps)` runs the router, the Twitch collector and the given services in one
process behind real HTTP (SQLite) and says things in chat through signed EventSub
webhooks; what the bot answers is read from a recording fake Helix.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiohttp import web

from flask_core.events import CommandRequest
from flask_core.testing import FakeHttpServer, Recorded, started, wait_until
from waddlebot_cli.testing import Fleet, run_fleet
from waddlebot_labels.app import create_app
from waddlebot_labels.settings import LabelsSettings
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings
from waddlebot_twitch.app import create_app as create_twitch
from waddlebot_twitch.eventsub import signed_headers
from waddlebot_twitch.settings import TwitchSettings

SECRET = "eventsub-test-secret-0123456789"
CLIENT_ID, CLIENT_SECRET = "test-client-id", "test-client-secret"
BROADCASTER = "1971641"
WEBHOOK = "/twitch/webhooks/eventsub"


@pytest.fixture
def app(make_settings: Any, backend: dict[str, Any]) -> Any:
    """The app on SQLite (embedded) and PostgreSQL + Redis (fleet)."""
    return create_app(make_settings(LabelsSettings, **backend))


@pytest_asyncio.fixture
async def res(app: Any) -> AsyncIterator[Any]:
    """The started app's Resources (migrated, empty tables), for service-level tests."""
    async with started(app, settings=app.extensions["waddlebot.settings"]) as resources:
        yield resources


@pytest.fixture
def make_request() -> Callable[..., CommandRequest]:
    """`make_request(command, args_text, roles=…, community_id=…)`: a CommandRequest."""

    def build(
        command: str, args_text: str = "", *, roles: list[str] | None = None, community_id: str = "1",
        username: str = "mod",
    ) -> CommandRequest:  # fmt: skip
        return CommandRequest.model_validate(
            {
                "event": {
                    "event_id": f"twitch:{uuid.uuid4()}", "platform": "twitch", "server_id": "s1",
                    "channel_id": "c1", "text": f"!{command} {args_text}",
                    "user": {"platform_user_id": f"id-{username}", "username": username,
                             "roles": ["moderator"] if roles is None else roles},
                },
                "community_id": community_id, "command": command, "args": args_text.split(),
                "args_text": args_text, "invocation_id": uuid.uuid4().hex,
            }
        )  # fmt: skip

    return build


# --- Twitch chat through the real collector -------------------------------------------------


class FakeHelix:
    """Helix and OAuth as the collector uses them; records every chat message the bot sends."""

    def __init__(self) -> None:
        self.server = FakeHttpServer()
        self.chat: list[dict[str, Any]] = []
        self.server.route("POST", "/oauth2/token", self.token)
        self.server.route("POST", "/helix/chat/messages", self.chat_message)
        self.server.route("GET", "/helix/moderation/channels", self.empty)
        self.server.route("GET", "/helix/eventsub/subscriptions", self.empty)

    async def token(self, call: Recorded) -> web.Response:
        body = {"access_token": f"token-{uuid.uuid4().hex}", "refresh_token": "refresh-1",
                "expires_in": 14124, "token_type": "bearer"}  # fmt: skip
        return web.json_response(body)

    async def chat_message(self, call: Recorded) -> web.Response:
        body = call.json
        if len(body.get("message", "")) > 500 or not body.get("sender_id"):
            return web.json_response({"error": "Bad Request", "status": 400, "message": "bad"}, status=400)
        self.chat.append(body)
        return web.json_response({"data": [{"message_id": uuid.uuid4().hex, "is_sent": True}]})

    async def empty(self, call: Recorded) -> web.Response:
        return web.json_response({"data": [], "pagination": {}})

    def texts(self) -> list[str]:
        return [str(m["message"]) for m in self.chat]


class TwitchChat:
    """Say things in the channel as a viewer or a moderator; read what the bot posts."""

    def __init__(self, fleet: Fleet, helix: FakeHelix) -> None:
        self.fleet = fleet
        self.helix = helix
        self.http = httpx.AsyncClient(base_url=fleet.url, timeout=30)

    async def send(self, text: str, *, user: str = "mod", moderator: bool = True) -> None:
        payload = json.loads(json.dumps(_CHAT))
        badges = [{"set_id": "moderator", "id": "1", "info": ""}] if moderator else []
        payload["event"].update(
            message_id=str(uuid.uuid4()), message={"text": text, "fragments": []}, badges=badges,
            chatter_user_id=f"id-{user}", chatter_user_login=user, chatter_user_name=user,
        )  # fmt: skip
        body = json.dumps(payload).encode()
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"
        headers = signed_headers(SECRET, str(uuid.uuid4()), stamp, body)
        response = await self.http.post(WEBHOOK, content=body, headers=headers)
        assert response.status_code == 204, response.text

    async def say(self, text: str, *, user: str = "mod", moderator: bool = True) -> str:
        """Send a chat line and wait for the bot's one answer to it."""
        before = len(self.helix.chat)
        await self.send(text, user=user, moderator=moderator)
        await wait_until(lambda: len(self.helix.chat) > before, within=10)
        return self.helix.texts()[before]

    async def posted(self, count: int, within: float = 10) -> list[str]:
        """Wait until the bot has posted `count` messages in all; return them."""
        await wait_until(lambda: len(self.helix.chat) >= count, within=within)
        return self.helix.texts()


_CHAT: dict[str, Any] = {
    "subscription": {
        "id": "0b7f3361-672b-4d39-b307-dd5b576c9b27", "status": "enabled",
        "type": "channel.chat.message", "version": "1",
        "condition": {"broadcaster_user_id": BROADCASTER, "user_id": "2914196"},
        "transport": {"method": "webhook", "callback": "https://example.com/twitch/webhooks/eventsub"},
        "created_at": "2023-11-06T18:11:47.492253549Z", "cost": 0,
    },
    "event": {
        "broadcaster_user_id": BROADCASTER, "broadcaster_user_login": "streamer",
        "broadcaster_user_name": "streamer", "color": "#00FF7F", "message_type": "text",
        "cheer": None, "reply": None, "channel_points_custom_reward_id": None,
        "source_broadcaster_user_id": None, "source_message_id": None, "source_badges": None,
    },
}  # fmt: skip


@pytest.fixture
def twitch_chat(make_settings: Any, data_dir: Any, free_port: int) -> Callable[..., Any]:
    """`async with twitch_chat({"labels": (create_app, LabelsSettings)}, **settings) as chat`."""

    @asynccontextmanager
    async def start(services: dict[str, tuple[Any, Any]], **overrides: Any) -> AsyncIterator[TwitchChat]:
        helix = FakeHelix()
        bot = str(900_000_000 + uuid.uuid4().int % 99_999_999)
        common: dict[str, Any] = {
            "port": free_port, "database_url": f"sqlite://{(data_dir / 'chat.sqlite').resolve()}",
            "default_modules": list(services), "public_url": "https://bot.example.com",
            **overrides,
        }  # fmt: skip
        async with helix.server.serving():
            router = make_settings(
                RouterSettings, twitch_bot_user_id=bot, router_manifest_interval=0.5,
                router_user_rate_limit="1000/30s", router_community_rate_limit="1000/30s", **common,
            )  # fmt: skip
            twitch = make_settings(
                TwitchSettings, twitch_eventsub_secret=SECRET, twitch_client_id=CLIENT_ID,
                twitch_client_secret=CLIENT_SECRET, twitch_bot_user_id=bot,
                twitch_access_token="user-token-0", twitch_refresh_token="refresh-0",
                twitch_api_url=f"{helix.server.url}/helix", twitch_auth_url=f"{helix.server.url}/oauth2",
                twitch_chat_rate_limit="500/1s", twitch_chat_rate_limit_mod="500/1s",
                outbox_backoff_base=0.02, outbox_backoff_cap=0.2, outbox_poll_interval=0.02,
                delivery_retry_schedule="20ms,50ms,100ms", delivery_drain_timeout=0.5, **common,
            )  # fmt: skip
            apps = {"router": create_router(router), "twitch": create_twitch(twitch)}
            for name, (factory, settings_class) in services.items():
                apps[name] = factory(make_settings(settings_class, **common))
            async with run_fleet(twitch, apps) as fleet:
                chat = TwitchChat(fleet, helix)
                try:
                    yield chat
                finally:
                    await chat.http.aclose()

    return start
