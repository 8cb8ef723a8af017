"""Twitch chat for other services' tests: say things through signed EventSub webhooks.

    async with twitch_chat(make_settings, data_dir, port, {"labels": (create_app, LabelsSettings)}) as chat:
        answer = await chat.say("!label add @amy vip")      # the bot's one answer to it
        await chat.send("hello", moderator=False)            # a line that expects no answer
        texts = await chat.posted(3)                         # everything the bot posted so far

The router, this collector and the given services run in one process behind real HTTP
(the cli dispatcher); what the bot posts is read from a recording fake Helix (`ChatHelix`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from aiohttp import web

from flask_core.testing import FakeHttpServer, Recorded, wait_until

from .eventsub import signed_headers

if TYPE_CHECKING:
    from waddlebot_cli.testing import Fleet

SECRET = "eventsub-test-secret-0123456789"
CLIENT_ID, CLIENT_SECRET = "test-client-id", "test-client-secret"
BROADCASTER = "1971641"
WEBHOOK = "/twitch/webhooks/eventsub"


class ChatHelix:
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

    def __init__(self, fleet: Fleet, helix: ChatHelix) -> None:
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


@asynccontextmanager
async def twitch_chat(
    make_settings: Any, data_dir: Path, port: int, services: dict[str, tuple[Any, Any]], **overrides: Any
) -> AsyncIterator[TwitchChat]:
    """Router, the Twitch collector and `services` ({prefix: (create_app, Settings)}) in one
    process on `port` (SQLite under `data_dir`), the platform a recording `ChatHelix`."""
    from waddlebot_cli.testing import run_fleet
    from waddlebot_router.app import create_app as create_router
    from waddlebot_router.settings import RouterSettings

    from .app import create_app as create_twitch
    from .settings import TwitchSettings

    helix = ChatHelix()
    bot = str(900_000_000 + uuid.uuid4().int % 99_999_999)
    common: dict[str, Any] = {
        "port": port, "database_url": f"sqlite://{(data_dir / 'chat.sqlite').resolve()}",
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
