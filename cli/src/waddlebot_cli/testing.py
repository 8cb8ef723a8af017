"""Test helpers for whole fleets: every app behind the real dispatcher and real HTTP.

run_fleet(settings, apps)   the given apps behind the dispatcher on settings.port
                            (a port from the `free_port` fixture is handed over, fd://)
every_service_env(...)      environment values that enable every installed service
                            (fake platform secrets, platform APIs at `platform_url`)
every_service()             {prefix: app} of every installed service, built from the
                            environment, as `waddlebot run` builds them
FakeHelix                   Twitch's Helix and token endpoint for subprocess fleets,
                            counting replies (the fault drills and `make load`)
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web
from quart import Quart

from flask_core.local_servers import free_tcp_port, release_tcp_port
from flask_core.settings import inherited_env
from flask_core.testing import TEST_PORTAL_SECRET, TEST_SECRET, live_server, reset_database, service_headers

from .dispatcher import Dispatcher
from .services import discover

#: Fake platform credentials for a test fleet (nothing is ever signed with them).
PLATFORM_SECRETS = {
    "TWITCH_EVENTSUB_SECRET": "eventsub-test-secret-0123456789",
    "TWITCH_CLIENT_ID": "test-client-id",
    "TWITCH_CLIENT_SECRET": "test-client-secret",
    "TWITCH_BOT_USER_ID": "id-bot",
    "SLACK_SIGNING_SECRET": "slack-signing-secret-0123456789",
    "SLACK_BOT_TOKEN": "xoxb-test",
    "DISCORD_PUBLIC_KEY": "a" * 64,
    "DISCORD_APPLICATION_ID": "app-1",
}


def every_service_env(data_dir: Path, port: int, platform_url: str, **extra: str) -> dict[str, str]:
    """ENV=test, fixed secrets, SQLite under `data_dir`, every platform enabled and faked."""
    env = {
        "ENV": "test",
        "PORT": str(port),
        "DATA_DIR": str(data_dir),
        "INTERNAL_JWT_SECRET": TEST_SECRET,
        "PORTAL_JWT_SECRET": TEST_PORTAL_SECRET,
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
        "ROUTER_DEFAULT_COOLDOWN": "0",
        "TWITCH_API_URL": f"{platform_url}/helix",
        "TWITCH_AUTH_URL": f"{platform_url}/oauth2",
        "SLACK_API_URL": f"{platform_url}/slack",
        "DISCORD_API_URL": f"{platform_url}/discord",
        **PLATFORM_SECRETS,
    }
    env.update(extra)
    return env


def every_service(only: list[str] | None = None) -> dict[str, Quart]:
    """Every installed service's app (or those in `only`), built from the environment."""
    return {name: factory() for name, factory in discover(only).items()}


class Fleet:
    """A real in-process fleet behind hypercorn; `post` sends events with a service token."""

    def __init__(self, url: str, dispatcher: Dispatcher) -> None:
        self.url = url
        self.dispatcher = dispatcher
        self.http = httpx.AsyncClient(base_url=url, timeout=30)

    async def post(self, event: dict[str, Any], *, headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.http.post(
            "/router/api/v1/events",
            json=event,
            headers=headers if headers is not None else service_headers("router"),
        )

    async def batch(self, events: list[dict[str, Any]]) -> httpx.Response:
        return await self.http.post(
            "/router/api/v1/events/batch", json={"events": events}, headers=service_headers("router")
        )


@asynccontextmanager
async def run_fleet(settings: Any, apps: dict[str, Quart]) -> AsyncIterator[Fleet]:
    await reset_database(settings, apps.values())
    dispatcher = Dispatcher(apps, settings)
    async with live_server(dispatcher, settings.port) as url:
        fleet = Fleet(url, dispatcher)
        try:
            yield fleet
        finally:
            await fleet.http.aclose()


def process_env(data_dir: Path, port: int, **extra: str) -> dict[str, str]:
    """The environment for a `waddlebot` / `make` subprocess in a test: this one's, without
    the developer's base URLs, ENV, DATA_DIR, PORT or cooldown, then `extra`."""
    dropped = ("ENV", "DATA_DIR", "PORT", "ROUTER_DEFAULT_COOLDOWN")
    env = inherited_env(lambda name: not name.endswith("_URL") and name not in dropped)
    env.update(PORT=str(port), DATA_DIR=str(data_dir), **extra)
    return env


@dataclass
class FakeHelix:
    """Helix for whole-fleet drills (faults, `make load`): records every chat message by
    `reply_parent_message_id` (and when it came); answers 500 while `failing_until`."""

    port: int = field(default_factory=free_tcp_port)
    replies: dict[str, int] = field(default_factory=dict)
    times: dict[str, list[float]] = field(default_factory=dict)  # when each reply arrived
    texts: dict[str, str] = field(default_factory=dict)
    attempts: int = 0
    failing_until: float = 0.0
    runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def chat(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.attempts += 1
        if time.monotonic() < self.failing_until:
            return web.json_response(
                {"error": "Internal Server Error", "status": 500, "message": ""}, status=500
            )
        parent = str(body.get("reply_parent_message_id") or "")
        self.replies[parent] = self.replies.get(parent, 0) + 1
        self.times.setdefault(parent, []).append(time.monotonic())
        self.texts.setdefault(parent, str(body.get("message", "")))
        return web.json_response(
            {"data": [{"message_id": uuid.uuid4().hex, "is_sent": True, "drop_reason": None}]}
        )

    async def token(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"access_token": "fault-user-token", "refresh_token": "fault-refresh", "expires_in": 14000,
             "scope": ["user:bot", "user:write:chat"], "token_type": "bearer"}
        )  # fmt: skip

    async def moderated(self, request: web.Request) -> web.Response:
        return web.json_response({"data": [], "pagination": {}})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/helix/chat/messages", self.chat)
        app.router.add_post("/oauth2/token", self.token)
        app.router.add_get("/helix/moderation/channels", self.moderated)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        release_tcp_port(self.port)  # reserved until now, so nothing else took it
        await web.TCPSite(self.runner, "127.0.0.1", self.port, reuse_address=True).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
