"""Fixtures for the community tests: the app on both backends, a chat fleet of two
platforms (signed Twitch EventSub and Discord interaction webhooks against one recording
fake of Helix and Discord's REST API), and helpers to speak in each chat."""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from flask_core.testing import FakeHttpServer, Recorded, service_headers, started, wait_until
from waddlebot_cli.testing import Fleet, run_fleet
from waddlebot_community.app import create_app
from waddlebot_community.settings import CommunitySettings
from waddlebot_discord.app import create_app as create_discord
from waddlebot_discord.settings import DiscordSettings
from waddlebot_marketplace.app import create_app as create_marketplace
from waddlebot_marketplace.settings import MarketplaceSettings
from waddlebot_memories.app import create_app as create_memories
from waddlebot_memories.settings import MemoriesSettings
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings
from waddlebot_twitch.eventsub import signed_headers
from waddlebot_twitch.settings import TwitchSettings

FIXTURES = Path(__file__).parent / "fixtures"
EVENTSUB_SECRET = "eventsub-test-secret-0123456789"
BROADCASTER = "1971641"  # the recorded chat fixture's channel
GUILD = "1300000000000000000"  # the recorded interaction's guild
ADMINISTRATOR = 1 << 3
_KEY = Ed25519PrivateKey.generate()
PUBLIC_KEY = _KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


@pytest.fixture
def app(make_settings: Any, backend: dict[str, Any]) -> Any:
    """The app on SQLite (embedded) and PostgreSQL + Redis (fleet)."""
    return create_app(make_settings(CommunitySettings, **backend))


@pytest_asyncio.fixture
async def res(app: Any) -> AsyncIterator[Any]:
    """The started app's Resources (migrated, empty tables), for service-level tests."""
    async with started(app, settings=app.extensions["waddlebot.settings"]) as resources:
        yield resources


class FakePlatforms(FakeHttpServer):
    """Helix (OAuth, chat messages) and Discord's REST API, recording every request."""

    async def default(self, call: Recorded) -> web.StreamResponse:
        if call.path.endswith("/oauth2/token"):
            return web.json_response(
                {"access_token": "app-token", "expires_in": 5000000, "token_type": "bearer"}
            )
        if call.path == "/helix/chat/messages":
            sent = {"message_id": uuid.uuid4().hex, "is_sent": True, "drop_reason": None}
            return web.json_response({"data": [sent]})
        if call.path.startswith("/helix/"):
            return web.json_response({"data": [], "total": 0, "pagination": {}})
        if call.path.startswith("/discord/"):
            return web.json_response({"id": "1470000000000000000", "type": 0, **(call.json or {})})
        return web.json_response({"message": "not found"}, status=404)

    def twitch_chat(self) -> list[str]:
        return [str(r.json["message"]) for r in self.calls("/helix/chat/messages", "POST")]


@dataclass
class Chat:
    fleet: Fleet
    http: httpx.AsyncClient
    platforms: FakePlatforms

    async def twitch(self, text: str, *, user_id: str = BROADCASTER, login: str = "streamer") -> str:
        """Say `text` in the Twitch channel (signed EventSub); the bot's answer in chat."""
        payload = json.loads((FIXTURES / "channel.chat.message.json").read_text())
        event = payload["event"]
        badges = [{"set_id": "broadcaster", "id": "1", "info": ""}] if user_id == BROADCASTER else []
        event.update(
            message_id=str(uuid.uuid4()), message={"text": text, "fragments": []}, badges=badges,
            chatter_user_id=user_id, chatter_user_login=login, chatter_user_name=login,
        )  # fmt: skip
        body = json.dumps(payload).encode()
        stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        headers = signed_headers(EVENTSUB_SECRET, str(uuid.uuid4()), stamp, body)
        before = len(self.platforms.twitch_chat())
        answer = await self.http.post("/twitch/webhooks/eventsub", content=body, headers=headers)
        assert answer.status_code == 204, answer.text
        await wait_until(lambda: len(self.platforms.twitch_chat()) > before)
        return self.platforms.twitch_chat()[-1]

    async def discord(
        self,
        command: str,
        args: str = "",
        *,
        guild: str = GUILD,
        permissions: int = 0,
        user_id: str = "1600000000000000000",
    ) -> str:
        """Run a slash command in a Discord guild (signed interaction); the visible answer."""
        ix = copy.deepcopy(json.loads((FIXTURES / "application_command.json").read_text()))
        ix["id"] = str(1250000000000000000 + time.time_ns() // 1000 % 10**12)
        ix["guild_id"] = ix["guild"]["id"] = ix["channel"]["guild_id"] = guild
        ix["data"]["name"] = command
        ix["data"]["options"] = [{"name": "args", "type": 3, "value": args}] if args else []
        ix["member"]["permissions"] = str(permissions)
        ix["member"]["user"]["id"] = user_id
        body = json.dumps(ix).encode()
        stamp = str(int(time.time()))
        headers = {
            "X-Signature-Ed25519": _KEY.sign(stamp.encode() + body).hex(),
            "X-Signature-Timestamp": stamp,
            "Content-Type": "application/json",
        }
        answer = await self.http.post("/discord/webhooks/interactions", content=body, headers=headers)
        assert answer.status_code == 200, answer.text
        content: str = answer.json()["data"]["content"]
        return content

    async def inline(
        self,
        text: str,
        *,
        platform: str = "twitch",
        server: str = BROADCASTER,
        user_id: str = BROADCASTER,
        roles: list[str] | None = None,
    ) -> dict[str, Any]:
        """An event with an `inline` reply (what `waddlebot chat` sends): the router's answer."""
        event = {
            "event_id": f"{platform}:cli-{uuid.uuid4()}", "platform": platform, "server_id": server,
            "channel_id": server, "user": {"platform_user_id": user_id, "username": "streamer", "roles": roles or []},
            "text": text, "reply": {"kind": "inline"},
        }  # fmt: skip
        answer = await self.fleet.post(event)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        prefix = path.split("/")[1]
        return await self.http.request(
            method, path, headers=service_headers(prefix, issuer="portal"), **kwargs
        )


@pytest.fixture
def chat_fleet(make_settings: Any, data_dir: Path, free_port: int) -> Callable[..., Any]:
    """`async with chat_fleet(**settings) as chat`: router, community, marketplace, memories,
    the Twitch and Discord collectors on one port (embedded backend), fake platforms."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Chat]:
        async with FakePlatforms().serving() as platforms:
            common: dict[str, Any] = {
                "port": free_port,
                "database_url": f"sqlite://{(data_dir / 'chat.sqlite').resolve()}",
                "default_modules": ["memories"],
                "outbox_poll_interval": 0.02, "outbox_backoff_base": 0.02, "outbox_backoff_cap": 0.2,
                "delivery_retry_schedule": "20ms,50ms,100ms",
                **overrides,
            }  # fmt: skip
            bot = "900000001"
            twitch = make_settings(
                TwitchSettings, twitch_eventsub_secret=EVENTSUB_SECRET, twitch_client_id="test-client-id",
                twitch_client_secret="test-client-secret", twitch_bot_user_id=bot,
                twitch_access_token="user-token-0", twitch_refresh_token="refresh-0",
                twitch_api_url=f"{platforms.url}/helix", twitch_auth_url=f"{platforms.url}/oauth2",
                public_url="https://bot.example.com", twitch_chat_rate_limit="100/1s",
                twitch_chat_rate_limit_mod="100/1s", **common,
            )  # fmt: skip
            discord = make_settings(
                DiscordSettings, discord_public_key=PUBLIC_KEY, discord_application_id="1100000000000000000",
                discord_api_url=f"{platforms.url}/discord/api/v10", discord_interaction_wait=3.0,
                discord_interaction_poll=0.02, **common,
            )  # fmt: skip
            router = make_settings(
                RouterSettings, twitch_bot_user_id=bot, router_user_rate_limit="100/30s", **common
            )
            apps = {
                "router": create_router(router),
                "community": create_app(make_settings(CommunitySettings, **common)),
                "marketplace": create_marketplace(
                    make_settings(MarketplaceSettings, marketplace_manifest_interval=0.3, **common)
                ),
                "memories": create_memories(make_settings(MemoriesSettings, **common)),
                "twitch": create_twitch_app(twitch),
                "discord": create_discord(discord),
            }
            async with (
                run_fleet(router, apps) as fleet,
                httpx.AsyncClient(base_url=fleet.url, timeout=15) as http,
            ):
                yield Chat(fleet, http, platforms)

    return start


def create_twitch_app(settings: TwitchSettings) -> Any:
    from waddlebot_twitch.app import create_app as create_twitch

    return create_twitch(settings)
