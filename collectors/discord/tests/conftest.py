"""Fixtures for the Discord collector: a local fake Discord (and router), signed requests.

Ed25519 keys are generated here; the fake speaks Discord's REST format on a free port
(DISCORD_API_URL points at it), records every request, and answers
`POST /router/api/v1/events` when a test points ROUTER_URL at it.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import re
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

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


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    at: float = field(default_factory=time.monotonic)


@dataclass
class FakeDiscord:
    """Discord's REST API and (optionally) the router, on 127.0.0.1."""

    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    scripted: dict[str, list[Callable[[], web.Response]]] = field(default_factory=dict)
    router_answer: dict[str, Any] = field(
        default_factory=lambda: {"status": "processed", "responses": [{"type": "chat", "text": "later"}]}
    )

    def script(self, path: str, *responses: Callable[[], web.Response]) -> None:
        """Answer the next requests to `path` with these, in order (then the defaults)."""
        self.scripted.setdefault(path, []).extend(responses)

    def calls(self, pattern: str, method: str | None = None) -> list[Recorded]:
        return [
            r
            for r in self.requests
            if re.fullmatch(pattern, r.path) and (method is None or r.method == method)
        ]

    def platform_calls(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.startswith("/api/")]

    async def wait_for(self, pattern: str, count: int = 1, within: float = 5.0) -> list[Recorded]:
        """The calls to `pattern` once there are `count` of them (or `within` seconds passed)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                while len(self.calls(pattern)) < count:
                    self.changed.clear()
                    await self.changed.wait()
        return self.calls(pattern)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body = json.loads(raw) if raw else None
        self.requests.append(Recorded(request.method, request.path, dict(request.headers), body))
        self.changed.set()
        queued = self.scripted.get(request.path)
        if queued:
            return queued.pop(0)()
        if request.path == "/router/api/v1/events":
            return web.json_response({"event_id": body["event_id"], **self.router_answer})
        if request.method == "PUT" and request.path.endswith("/commands"):
            return web.json_response([{**c, "id": str(1900 + i), "version": "1"} for i, c in enumerate(body)])
        if request.path.startswith("/api/v10/"):
            return web.json_response({"id": "1470000000000000000", "type": 0, **(body or {})})
        return web.json_response({"message": "404: Not Found", "code": 0}, status=404)


@pytest_asyncio.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = _port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    fake.url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        await runner.cleanup()


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
        "delivery_retry_base": 0.01,
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
