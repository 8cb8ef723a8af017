"""Fixtures for the timers tests: the app on both backends, a router that records posts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from flask_core.events import CommandRequest, Event
from flask_core.testing import FakeHttpServer, Recorded, started
from waddlebot_timers.app import create_app
from waddlebot_timers.service import CLOCK_KEY
from waddlebot_timers.settings import TimersSettings

#: The tests' "now": a minute's tick is due at 18:01.
T0 = datetime(2026, 12, 1, 18, 0, 10, tzinfo=UTC)


class FakeRouter:
    """`POST /router/api/v1/messages`: records posts, answers `duplicate` for a repeated id."""

    def __init__(self) -> None:
        self.server = FakeHttpServer()
        self.posts: list[dict[str, Any]] = []
        self.seen: set[str] = set()
        self.server.route("POST", "/router/api/v1/messages", self.message)

    async def message(self, call: Recorded) -> web.Response:
        body = call.json
        status = "duplicate" if body["message_id"] in self.seen else "processed"
        if status == "processed":
            self.seen.add(body["message_id"])
            self.posts.append(body)
        return web.json_response({"message_id": body["message_id"], "status": status})

    def texts(self) -> list[str]:
        return [p["responses"][0]["text"] for p in self.posts]


@pytest_asyncio.fixture
async def router() -> AsyncIterator[FakeRouter]:
    fake = FakeRouter()
    async with fake.server.serving():
        yield fake


@pytest.fixture
def app(make_settings: Any, backend: dict[str, Any], router: FakeRouter) -> Any:
    """The app on SQLite (embedded) and PostgreSQL + Redis (fleet), posting to the fake router."""
    settings = make_settings(
        TimersSettings, router_url=router.server.url, timers_max_per_community=3, **backend
    )
    return create_app(settings)


@pytest.fixture
def clock(app: Any) -> dict[str, datetime]:
    """The clock of the app's commands and of its running scheduler: `clock["t"] = …` moves it.

    It is in place before the app starts: a scheduler reading the real time would find
    the tests' jobs (at T0, maybe in the past) due and fire them itself.
    """
    now = {"t": T0}
    app.extensions[CLOCK_KEY] = lambda: now["t"]
    return now


@pytest_asyncio.fixture
async def res(app: Any, clock: dict[str, datetime]) -> AsyncIterator[Any]:
    """The started app's Resources (migrated, empty tables), for service-level tests."""
    async with started(app, settings=app.extensions["waddlebot.settings"]) as resources:
        yield resources


def event(
    text: str = "",
    *,
    type_: str = "chat_message",
    platform: str = "twitch",
    server_id: str = "s1",
    channel_id: str = "c1",
    roles: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Event:
    return Event.model_validate(
        {
            "event_id": f"{platform}:{uuid.uuid4()}",
            "platform": platform,
            "server_id": server_id,
            "channel_id": channel_id,
            "type": type_,
            "user": {"platform_user_id": "u1", "username": "mod", "roles": roles or ["moderator"]},
            "text": text,
            "metadata": metadata or {"broadcaster_name": "Waddles"},
        }
    )


@pytest.fixture
def make_request() -> Callable[..., CommandRequest]:
    """`make_request("timer add", "hello 5 Hi", platform=…, community_id=…)`."""

    def build(command: str, args_text: str = "", *, community_id: str = "1", **kwargs: Any) -> CommandRequest:
        return CommandRequest(
            event=event(f"!{command} {args_text}".strip(), **kwargs),
            community_id=community_id,
            command=command,
            args=args_text.split(),
            args_text=args_text,
            invocation_id=uuid.uuid4().hex,
        )

    return build
