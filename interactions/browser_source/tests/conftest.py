"""Fixtures for the browser_source tests: fleets behind real HTTP, overlay sockets, events."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest

from flask_core.testing import free_tcp_port, release_tcp_port, service_headers
from waddlebot_browser_source.app import create_app as create_browser_source
from waddlebot_browser_source.settings import BrowserSourceSettings
from waddlebot_cli.testing import Fleet, run_fleet
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings

SERVER = "1337"  # the recorded raid fixture's channel


def event(text: str = "", *, type_: str = "chat_message", server: str = SERVER, user: str = "mod",
          display: str | None = None, roles: list[str] | None = None, **metadata: Any) -> dict[str, Any]:  # fmt: skip
    return {
        "event_id": f"twitch:{uuid.uuid4()}",
        "platform": "twitch",
        "server_id": server,
        "channel_id": server,
        "user": {
            "platform_user_id": f"id-{user}",
            "username": user,
            "display_name": display if display is not None else user.title(),
            "roles": roles if roles is not None else ["moderator"],
        },
        "type": type_,
        "text": text,
        "reply": {"kind": "inline"},
        "metadata": metadata,
    }


class Socket:
    """An overlay client: `await next_item()` is the next pushed item (pings answered)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.hello: dict[str, Any] = {}

    async def message(self, within: float = 5.0) -> dict[str, Any]:
        msg = await self.ws.receive(timeout=within)
        if msg.type != aiohttp.WSMsgType.TEXT:
            raise ConnectionError(f"closed: {msg.type} {self.ws.close_code}")
        value: dict[str, Any] = json.loads(msg.data)
        return value

    async def next_item(self, within: float = 5.0) -> dict[str, Any]:
        while True:
            found = await self.message(within)
            if found.get("type") == "item":
                return found

    async def until_ready(self) -> list[dict[str, Any]]:
        """The replayed items, up to the `ready` marker."""
        replayed = []
        while True:
            found = await self.message()
            if found["type"] == "ready":
                return replayed
            if found["type"] == "item":
                replayed.append(found)

    async def close_code(self, within: float = 5.0) -> int | None:
        async with asyncio.timeout(within):
            while True:
                msg = await self.ws.receive()
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                    return self.ws.close_code


class Overlays:
    """A running fleet (router + browser_source [+ more]) and helpers to talk to it."""

    def __init__(self, fleet: Fleet, session: aiohttp.ClientSession) -> None:
        self.fleet, self.session = fleet, session

    @property
    def url(self) -> str:
        return self.fleet.url

    async def say(self, text: str, **kwargs: Any) -> dict[str, Any]:
        answer = await self.fleet.post(event(text, **kwargs))
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def token(self, server: str = SERVER) -> str:
        """`!overlay` from a moderator: the token out of the dm'd URLs."""
        body = await self.say("!overlay", server=server)
        [dm] = body["responses"]
        assert dm["type"] == "dm"
        marker = "/browser_source/overlay/"
        start = dm["text"].index(marker) + len(marker)
        return str(dm["text"][start:].split("/", 1)[0])

    @asynccontextmanager
    async def socket(self, token: str, kind: str = "alerts", url: str | None = None) -> AsyncIterator[Socket]:
        base = (url or self.url).replace("http://", "ws://")
        async with self.session.ws_connect(f"{base}/browser_source/ws/{token}/{kind}") as ws:
            client = Socket(ws)
            first = await client.message()
            if first.get("type") == "hello":
                client.hello = first
            yield client


@pytest.fixture
def overlay_fleet(make_settings: Any, backend: dict[str, Any]) -> Callable[..., Any]:
    """`async with overlay_fleet(**settings) as o:` router + browser_source (+ `extra` apps)."""

    @asynccontextmanager
    async def start(
        extra: dict[str, Any] | None = None,
        port: int | None = None,
        router: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> AsyncIterator[Overlays]:
        own = port is None
        port = port or free_tcp_port()
        common = {"port": port, "default_modules": ["browser_source"], "public_url": "https://bot.example.com",
                  **backend}  # fmt: skip
        routing = make_settings(RouterSettings, router_manifest_interval=0.5, **common, **(router or {}))
        source = make_settings(BrowserSourceSettings, **common, **overrides)
        apps = {"router": create_router(routing), "browser_source": create_browser_source(source)}
        apps.update({name: factory(common) for name, factory in (extra or {}).items()})
        try:
            async with run_fleet(routing, apps) as fleet, aiohttp.ClientSession() as session:
                yield Overlays(fleet, session)
        finally:
            if own:
                release_tcp_port(port)

    return start


def portal_headers() -> dict[str, str]:
    return service_headers("browser_source", issuer="portal")
