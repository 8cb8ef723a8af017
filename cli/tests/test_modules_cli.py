"""`waddlebot modules enable|disable` and `waddlebot commands set` call the owner of the
settings: the marketplace, after the community service finds the community (decision 0053)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from flask_core.testing import service_headers
from waddlebot_cli.main import main
from waddlebot_cli.testing import Fleet


async def cli(*args: str) -> int:
    return await asyncio.to_thread(main, list(args))


async def say(fleet: Fleet, text: str, roles: list[str] | None = None) -> dict[str, Any]:
    event = {
        "event_id": f"twitch:cli-{uuid.uuid4()}", "platform": "twitch", "server_id": "9001", "channel_id": "9001",
        "user": {"platform_user_id": "u1", "username": "amy", "roles": roles or []}, "text": text,
        "reply": {"kind": "inline"},
    }  # fmt: skip
    body: dict[str, Any] = (await fleet.post(event)).json()
    return body


async def test_modules_and_commands_set_change_the_marketplaces_settings(
    whole_fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    url = whole_fleet.url
    assert await cli("modules", "disable", "twitch:9001", "memories", "--url", url) == 1
    assert "first chat message" in capsys.readouterr().err
    assert (await say(whole_fleet, "!quote"))["status"] == "processed"  # provisions the community

    assert await cli("modules", "disable", "twitch:9001", "memories", "--url", url) == 0
    assert capsys.readouterr().out.strip() == "memories disabled in twitch:9001"
    assert (await say(whole_fleet, "!quote"))["status"] == "ignored"
    assert await cli("modules", "enable", "twitch:9001", "memories", "--url", url) == 0
    assert (await say(whole_fleet, "!quote"))["status"] == "processed"
    assert await cli("modules", "enable", "twitch:9001", "nosuch", "--url", url) == 1
    assert "unknown module" in capsys.readouterr().err

    assert await cli("commands", "set", "twitch:9001", "quote", "--role", "moderator", "--url", url) == 0
    assert capsys.readouterr().out.strip() == "!quote in twitch:9001: role=moderator"
    assert (await say(whole_fleet, "!quote"))["status"] == "rejected"
    listed = await whole_fleet.http.get(
        "/marketplace/api/v1/communities/1/commands",
        params={"q": "quote"},
        headers=service_headers("marketplace"),
    )
    [quote] = [c for c in listed.json()["items"] if c["path"] == "quote"]
    assert quote["role"] == "moderator" and quote["module"] == "memories"
