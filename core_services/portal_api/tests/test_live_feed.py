"""The dashboard's live feed carries live chat: a signed Twitch chat line and the bot's
answer reach the moderator's SSE stream, text as said, and only their community's."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask_core.app import resources
from flask_core.local_servers import free_tcp_port, release_tcp_port
from flask_core.testing import service_headers, wait_until
from waddlebot_cli.testing import Fleet, run_fleet
from waddlebot_memories.app import create_app as create_memories
from waddlebot_memories.settings import MemoriesSettings
from waddlebot_portal import accounts
from waddlebot_portal.app import create_app as create_portal
from waddlebot_portal.settings import PortalSettings
from waddlebot_twitch.testing import BROADCASTER, TwitchChat, twitch_chat

from .conftest import CHEAP_ARGON2, PASSWORD, Browser

XSS = '<img src=x onerror="alert(document.cookie)">'
PORTAL = {"portal_cookie_secure": False, "default_modules": ["memories"], **CHEAP_ARGON2}


class Listener:
    """A signed-in moderator's open `/events` stream, collecting its entries."""

    def __init__(self, browser: Browser, community_id: int) -> None:
        self.browser = browser
        self.path = f"/portal/api/v1/communities/{community_id}/events"
        self.entries: list[dict[str, Any]] = []
        self.raw: list[str] = []
        self.connected = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        async with self.browser.http.stream("GET", self.path) as stream:
            assert stream.status_code == 200 and stream.headers["content-type"].startswith(
                "text/event-stream"
            )
            async for line in stream.aiter_lines():
                if line.startswith(": connected"):
                    self.connected.set()
                if line.startswith("data: "):
                    self.raw.append(line)
                    self.entries.append(json.loads(line.removeprefix("data: ")))

    async def __aenter__(self) -> Listener:
        self.task = asyncio.create_task(self._run())
        async with asyncio.timeout(10):
            await self.connected.wait()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.task is not None
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task

    def chat(self, text: str) -> list[dict[str, Any]]:
        return [e for e in self.entries if e["kind"] == "chat" and e["data"]["text"] == text]

    async def wait_for(self, check: Callable[[], object], within: float = 10) -> None:
        await wait_until(check, within=within)


async def _moderator(portal: Any, url: str, email: str, community_id: int) -> Browser:
    res = resources(portal)
    account = await accounts.create_user(res.db, portal.extensions["waddlebot.settings"], email, PASSWORD)
    await accounts.grant(res.db, account.id, community_id, "moderator", by="test")
    browser = Browser(url)
    assert (await browser.login(email)).status_code == 200
    return browser


async def _community_of(fleet: Fleet, server: str) -> int:
    """The community the server's first chat line made (the collector's outbox sends it)."""
    found: list[int] = []

    async def made() -> bool:
        answer = await fleet.http.get(
            f"/router/api/v1/communities/by-platform/twitch/{server}", headers=service_headers("router")
        )
        if answer.status_code == 200:
            found.append(int(answer.json()["community_id"]))
        return bool(found)

    await wait_until(made, within=10)
    return found[0]


async def _other_line(fleet: Fleet, server: str, text: str) -> None:
    event = {
        "event_id": f"twitch:{uuid.uuid4()}", "platform": "twitch", "server_id": server, "channel_id": server,
        "type": "chat_message", "text": text, "reply": {"kind": "inline"},
        "user": {"platform_user_id": "id-bea", "username": "bea", "roles": []},
    }  # fmt: skip
    assert (await fleet.post(event)).status_code == 200


def _check_the_line(entry: dict[str, Any], answer: str) -> None:
    data = entry["data"]
    assert entry["kind"] == "chat" and isinstance(entry["community_id"], int)
    assert (data["platform"], data["channel"], data["username"]) == ("twitch", BROADCASTER, "mod")
    assert data["text"] == f"!quote add {XSS}"  # exactly as said: text, never markup
    assert (data["command"], data["status"]) == ("quote add", "processed")
    assert data["responses"] == [{"type": "chat", "text": answer}]  # the bot's answer, as posted


async def _scenario(chat: TwitchChat, portal: Any, portal_url: str) -> None:
    await chat.send("hello everyone", moderator=False)  # the first line provisions the community
    mine = await _community_of(chat.fleet, BROADCASTER)
    await _other_line(chat.fleet, "other-channel", "first in the other channel")
    theirs = await _community_of(chat.fleet, "other-channel")
    amy = await _moderator(portal, portal_url, "amy@example.com", mine)
    bea = await _moderator(portal, portal_url, "bea@example.com", theirs)
    try:
        refused = await bea.http.get(f"/portal/api/v1/communities/{mine}/events")
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
        async with Listener(amy, mine) as a, Listener(bea, theirs) as b:
            await a.wait_for(lambda: a.chat("hello everyone"))  # the recent lines come first
            [hello] = a.chat("hello everyone")
            assert (hello["data"]["status"], hello["data"]["command"], hello["data"]["responses"]) == (
                "ignored", None, []
            )  # fmt: skip
            answer = await chat.say(f"!quote add {XSS}")
            assert answer.startswith("Quote #1 added")
            await a.wait_for(lambda: a.chat(f"!quote add {XSS}"))
            [line] = a.chat(f"!quote add {XSS}")
            _check_the_line(line, answer)
            assert line["community_id"] == mine
            assert json.dumps(f"!quote add {XSS}") in "".join(a.raw)  # one JSON string, no HTML escaping
            await _other_line(chat.fleet, "other-channel", "only for bea")
            await b.wait_for(lambda: b.chat("only for bea"))
            await asyncio.sleep(0.3)  # a few flushes later
            assert not a.chat("only for bea") and not a.chat("first in the other channel")
            assert not b.chat(f"!quote add {XSS}") and not b.chat("hello everyone")  # tenancy
            assert {e["community_id"] for e in b.entries} == {theirs}
            assert {e["community_id"] for e in a.entries} == {mine}
    finally:
        await amy.aclose()
        await bea.aclose()


async def test_a_signed_twitch_chat_line_and_the_answer_reach_the_moderators_feed_embedded(
    make_settings: Any, data_dir: Path, free_port: int
) -> None:
    services = {"memories": (create_memories, MemoriesSettings), "portal": (create_portal, PortalSettings)}
    async with twitch_chat(make_settings, data_dir, free_port, services, **PORTAL) as chat:
        portal = chat.fleet.dispatcher.apps["portal"]
        await _scenario(chat, portal, chat.fleet.url)


async def test_with_redis_the_feed_crosses_app_instances(
    make_settings: Any, data_dir: Path, free_port: int, redis_url: str
) -> None:
    """The router's instance and a portal instance alone share only Redis (the fleet)."""
    services = {"memories": (create_memories, MemoriesSettings)}
    async with twitch_chat(
        make_settings, data_dir, free_port, services, redis_url=redis_url, **PORTAL
    ) as chat:
        port = free_tcp_port()
        try:
            settings = make_settings(
                PortalSettings, port=port, redis_url=redis_url,
                database_url=f"sqlite://{(data_dir / 'portal.sqlite').resolve()}", **PORTAL,
            )  # fmt: skip
            portal = create_portal(settings)
            async with run_fleet(settings, {"portal": portal}) as portal_fleet:
                assert "router" not in portal_fleet.dispatcher.apps
                await _scenario(chat, portal, portal_fleet.url)
        finally:
            release_tcp_port(port)
