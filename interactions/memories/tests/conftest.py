"""Fixtures for the memories tests: the app, its Resources and command requests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio

from flask_core.events import CommandRequest
from flask_core.testing import started
from waddlebot_memories.app import create_app
from waddlebot_memories.settings import MemoriesSettings


@pytest.fixture
def app(make_settings: Any, backend: dict[str, Any]) -> Any:
    return create_app(make_settings(MemoriesSettings, **backend))


@pytest_asyncio.fixture
async def res(app: Any) -> AsyncIterator[Any]:
    """The started app's Resources (migrated, empty tables), for service-level tests."""
    async with started(app, settings=app.extensions["waddlebot.settings"]) as resources:
        yield resources


def command_body(
    command: str,
    args_text: str = "",
    *,
    community_id: str = "1",
    username: str = "amy",
    display_name: str = "Amy",
    user_id: str = "u1",
    roles: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
    platform: str = "twitch",
) -> dict[str, Any]:
    """A CommandRequest body as the router sends it (§4.3)."""
    return {
        "event": {
            "event_id": f"{platform}:{uuid.uuid4()}",
            "platform": platform,
            "server_id": "s1",
            "channel_id": "c1",
            "user": {
                "platform_user_id": user_id,
                "username": username,
                "display_name": display_name,
                "roles": roles or [],
            },
            "text": f"!{command} {args_text}".strip(),
            "metadata": metadata or {},
        },
        "community_id": community_id,
        "command": command,
        "args": args_text.split(),
        "args_text": args_text,
        "identity": None,
        "invocation_id": uuid.uuid4().hex,
    }


@pytest.fixture
def make_body() -> Callable[..., dict[str, Any]]:
    """`make_body(command, args_text, **event_fields)`: a command request body."""
    return command_body


@pytest.fixture
def make_request() -> Callable[..., CommandRequest]:
    """`make_request(command, args_text, **event_fields)`: a parsed CommandRequest."""

    def factory(command: str, args_text: str = "", **kwargs: Any) -> CommandRequest:
        return CommandRequest.model_validate(command_body(command, args_text, **kwargs))

    return factory
