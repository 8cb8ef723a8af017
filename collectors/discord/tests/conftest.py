"""Fixtures for the Discord collector: a local fake Discord (and router), signed requests.

Ed25519 keys are generated here; the fake (a `flask_core.testing.FakeHttpServer`) speaks
Discord's REST format on a free port (DISCORD_API_URL points at it), records every
request, and answers `POST /router/api/v1/events` when a test points ROUTER_URL at it.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from flask_core.testing import FakeHttpServer, Recorded
from waddlebot_discord.settings import DiscordSettings

FIXTURES = Path(__file__).parent / "fixtures"
APPLICATION_ID = "1100000000000000000"
BOT_TOKEN = "test-bot-token"
_PRIVATE_KEY = Ed25519PrivateKey.generate()
PUBLIC_KEY = _PRIVATE_KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def signed(
    body: bytes, *, key: Ed25519PrivateKey = _PRIVATE_KEY, timestamp: str | None = None
) -> dict[str, str]:
    """The headers Discord sends with `body`."""
    stamp = timestamp or str(int(time.time()))
    signature = key.sign(stamp.encode() + body).hex()
    return {
        "X-Signature-Ed25519": signature,
        "X-Signature-Timestamp": stamp,
        "Content-Type": "application/json",
    }


class FakeDiscord(FakeHttpServer):
    """Discord's REST API and (optionally) the router, on 127.0.0.1."""

    def __init__(self) -> None:
        super().__init__()
        self.router_answer: dict[str, Any] = {
            "status": "processed",
            "responses": [{"type": "chat", "text": "later"}],
        }

    def platform_calls(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.startswith("/api/")]

    async def default(self, call: Recorded) -> web.Response:
        body = call.json
        if call.path == "/router/api/v1/events":
            return web.json_response({"event_id": body["event_id"], **self.router_answer})
        if call.method == "PUT" and call.path.endswith("/commands"):
            return web.json_response([{**c, "id": str(1900 + i), "version": "1"} for i, c in enumerate(body)])
        if call.path.startswith("/api/v10/"):
            return web.json_response({"id": "1470000000000000000", "type": 0, **(body or {})})
        return web.json_response({"message": "404: Not Found", "code": 0}, status=404)


@pytest_asyncio.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord().serving() as fake:
        yield fake


@pytest.fixture
def discord_env(fake_discord: FakeDiscord, backend: dict[str, Any], free_port: int) -> dict[str, Any]:
    """Settings values shared by every app of a Discord test (scaled-down timings)."""
    return {
        "port": free_port,
        "discord_public_key": PUBLIC_KEY,
        "discord_application_id": APPLICATION_ID,
        "discord_api_url": f"{fake_discord.url}/api/v10",
        "discord_interaction_wait": 0.4,
        "discord_interaction_poll": 0.02,
        "outbox_poll_interval": 0.05,
        "outbox_backoff_base": 0.05,
        "delivery_retry_schedule": "10ms,20ms,50ms",
        **backend,
    }


@pytest.fixture
def app(make_settings: Any, discord_env: dict[str, Any], fake_discord: FakeDiscord) -> Any:
    """The collector alone; its outbox drains to the fake router."""
    from waddlebot_discord.app import create_app

    return create_app(make_settings(DiscordSettings, router_url=fake_discord.url, **discord_env))


def interaction(name: str = "application_command", **changes: Any) -> dict[str, Any]:
    """A recorded interaction with a fresh id (`args=` sets the `args` option)."""
    payload = copy.deepcopy(fixture(name))
    payload["id"] = str(int(payload["id"]) + int(time.time_ns() // 1000 % 10**9))
    if "args" in changes:
        args = changes.pop("args")
        payload["data"]["options"] = [{"name": "args", "type": 3, "value": args}] if args else []
    if "permissions" in changes:
        payload["member"]["permissions"] = str(changes.pop("permissions"))
    if "command" in changes:
        payload["data"]["name"] = changes.pop("command")
    payload.update(changes)
    return payload


@pytest.fixture
def load() -> Callable[[str], Any]:
    """`load(name)`: a recorded payload from tests/fixtures."""
    return fixture


@pytest.fixture
def make_interaction() -> Callable[..., dict[str, Any]]:
    """`make_interaction(name="application_command", args=, permissions=, command=)`."""
    return interaction


@pytest.fixture
def sign_headers() -> Callable[..., dict[str, str]]:
    """`sign_headers(body, key=, timestamp=)`: the signature headers Discord sends."""
    return signed


@pytest.fixture
def post_interaction(sign_headers: Any) -> Callable[..., Any]:
    """`await post_interaction(http, payload)`: POST it signed (test client or httpx)."""

    async def post(http: Any, payload: dict[str, Any]) -> Any:
        body = json.dumps(payload).encode()
        if hasattr(http, "app"):  # Quart's test client
            return await http.post("/discord/webhooks/interactions", data=body, headers=sign_headers(body))
        return await http.post("/discord/webhooks/interactions", content=body, headers=sign_headers(body))

    return post


class LiveGateway:
    """A gateway session the test feeds: `await gateway.say(MESSAGE_CREATE data)`."""

    def __init__(self) -> None:
        import asyncio

        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.guild: Any = None
        self.handled = 0  # messages the collector has stored (or dropped)

    def __call__(self) -> LiveGateway:  # the collector's session factory
        return self

    async def run(self, on_message: Any, on_ready: Any) -> None:
        on_ready()
        while True:
            await on_message(await self.queue.get(), self.guild)
            self.handled += 1

    async def close(self) -> None:
        return None

    async def say(self, data: dict[str, Any]) -> None:
        await self.queue.put(data)


@pytest.fixture
def live_gateway() -> LiveGateway:
    """A gateway session fed by the test (pass it as `gateway_factory`)."""
    return LiveGateway()
