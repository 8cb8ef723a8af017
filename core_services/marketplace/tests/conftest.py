"""Fixtures for the marketplace tests: the app on both backends, and its started Resources."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from flask_core.testing import started
from waddlebot_marketplace.app import create_app
from waddlebot_marketplace.settings import MarketplaceSettings


@pytest.fixture
def app(make_settings: Any, backend: dict[str, Any]) -> Any:
    """The app on SQLite (embedded) and PostgreSQL + Redis (fleet)."""
    return create_app(make_settings(MarketplaceSettings, **backend))


@pytest_asyncio.fixture
async def res(app: Any) -> AsyncIterator[Any]:
    """The started app's Resources (migrated, empty tables), for service-level tests."""
    async with started(app, settings=app.extensions["waddlebot.settings"]) as resources:
        yield resources


@pytest.fixture
def command_body() -> Any:
    """`command_body(command, community_id="1")`: a command request as the router sends it."""

    def build(command: str, community_id: str = "1") -> dict[str, Any]:
        return {
            "event": {
                "event_id": f"twitch:{uuid.uuid4()}",
                "platform": "twitch",
                "server_id": "s1",
                "channel_id": "c1",
                "user": {"platform_user_id": "u1", "username": "amy", "display_name": "Amy"},
                "text": f"!{command}",
            },
            "community_id": community_id,
            "command": command,
            "invocation_id": uuid.uuid4().hex,
        }

    return build
