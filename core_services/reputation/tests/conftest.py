"""Fixtures for the reputation tests: the app alone, and a chat fleet (router + identity + reputation)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio

from flask_core.testing import started
from waddlebot_cli.testing import Fleet, run_fleet
from waddlebot_identity.app import create_app as create_identity
from waddlebot_identity.settings import IdentitySettings
from waddlebot_reputation.app import create_app
from waddlebot_reputation.settings import ReputationSettings
from waddlebot_router.app import create_app as create_router
from waddlebot_router.communities import find_community
from waddlebot_router.settings import RouterSettings


@pytest.fixture
def app(make_settings: Any, backend: dict[str, Any]) -> Any:
    """The app on SQLite (embedded) and PostgreSQL + Redis (fleet)."""
    return create_app(make_settings(ReputationSettings, **backend))


@pytest_asyncio.fixture
async def res(app: Any) -> AsyncIterator[Any]:
    async with started(app, settings=app.extensions["waddlebot.settings"]) as resources:
        yield resources


def chat_event(
    text: str,
    *,
    user: str = "amy",
    user_id: str | None = None,
    roles: list[str] | None = None,
    platform: str = "twitch",
    server: str = "tw1",
    type_: str = "chat_message",
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An event as a collector sends it (reply inline, so `dm` answers come back)."""
    return {
        "event_id": f"{platform}:{uuid.uuid4()}",
        "platform": platform,
        "server_id": server,
        "channel_id": server,
        "user": {
            "platform_user_id": user_id or f"{platform}-{user}",
            "username": user,
            "display_name": user,
            "roles": roles or [],
        },
        "type": type_,
        "text": text,
        "reply": {"kind": "inline"},
        "metadata": metadata or {},
    }


@pytest.fixture
def make_event() -> Callable[..., dict[str, Any]]:
    return chat_event


class ChatFleet:
    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet

    async def say(self, text: str, **kwargs: Any) -> dict[str, Any]:
        answer = await self.fleet.post(chat_event(text, **kwargs))
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def text(self, text: str, **kwargs: Any) -> str:
        body = await self.say(text, **kwargs)
        return " | ".join(r["text"] for r in body["responses"])

    @property
    def router_res(self) -> Any:
        return self.fleet.dispatcher.apps["router"].extensions["waddlebot.resources"]

    @property
    def reputation(self) -> Any:
        return self.fleet.dispatcher.apps["reputation"]

    async def join_platform(self, platform: str, server_id: str, into: tuple[str, str]) -> int:
        """Put a platform server into an existing community.

        Until the community service lands (`!community link`), this writes the router's
        own `entities` table, which is what the router resolves communities from.
        """
        community_id = await find_community(self.router_res, *into)
        assert community_id is not None

        def insert(db: Any) -> None:
            now = datetime.now(UTC).replace(tzinfo=None)
            db.entities.insert(
                community_id=community_id, platform=platform, server_id=server_id, created_at=now
            )

        await self.router_res.db.run(insert)
        return community_id


@pytest.fixture
def chat_fleet(make_settings: Any, backend: dict[str, Any], free_port: int) -> Any:
    """`async with chat_fleet(**reputation_overrides) as chat:` router + identity + reputation."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[ChatFleet]:
        common = {"port": free_port, **backend}
        router = make_settings(
            RouterSettings,
            default_modules=["identity", "reputation"],
            router_manifest_interval=0.5,
            router_user_rate_limit="1000/30s",
            router_community_rate_limit="5000/30s",
            **common,
        )
        identity = make_settings(IdentitySettings, identity_link_resend=60.0, **common)
        reputation = make_settings(
            ReputationSettings, **{"reputation_flush_interval": 0.05, **overrides, **common}
        )
        apps = {
            "router": create_router(router),
            "identity": create_identity(identity),
            "reputation": create_app(reputation),
        }
        async with run_fleet(router, apps) as fleet:
            yield ChatFleet(fleet)

    return start
