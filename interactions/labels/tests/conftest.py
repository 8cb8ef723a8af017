"""Fixtures for the labels tests: the app on both backends, command requests, and Twitch chat.

`twitch_chat(apps)` runs the router, the Twitch collector and the given services in one
process behind real HTTP (SQLite) and says things in chat through signed EventSub
webhooks; what the bot answers is read from a recording fake Helix.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio

from flask_core.events import CommandRequest
from flask_core.testing import started
from waddlebot_labels.app import create_app
from waddlebot_labels.settings import LabelsSettings
from waddlebot_twitch.testing import twitch_chat as start_twitch_chat


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


# --- Twitch chat through the real collector (waddlebot_twitch.testing) -----------------------


@pytest.fixture
def twitch_chat(make_settings: Any, data_dir: Any, free_port: int) -> Callable[..., Any]:
    """`async with twitch_chat({"labels": (create_app, LabelsSettings)}, **settings) as chat`."""
    return functools.partial(start_twitch_chat, make_settings, data_dir, free_port)
