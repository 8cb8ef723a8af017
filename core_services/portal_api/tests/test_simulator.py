"""The chat simulator answers exactly like `waddlebot chat`; changes are audited; the feed."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
from typing import Any

import pytest

from flask_core.testing import TEST_SECRET, service_headers
from waddlebot_cli import chat
from waddlebot_cli.client import CliSettings, RouterClient


def cli_answer(url: str, text: str, role: str = "everyone") -> tuple[dict[str, Any], str]:
    """What `waddlebot chat --server demo` gets from the router, and what it prints."""
    client = RouterClient(CliSettings(router_url=url, internal_jwt_secret=TEST_SECRET), None)
    args = argparse.Namespace(platform="web", server="demo", channel=None, user="viewer", role=role)
    body = client.call("POST", "/router/api/v1/events", chat.build_event(args, text)).body
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert chat.say(client, args, text) == 0
    return body, printed.getvalue()


async def test_a_line_is_answered_like_the_chat_cli_and_the_quote_is_audited(portal_fleet: Any) -> None:
    demo = await portal_fleet.community(platform="web", server="demo")
    await portal_fleet.user("streamer@example.com", roles={demo: "broadcaster"})
    browser = portal_fleet.browser()
    assert (await browser.login("streamer@example.com")).status_code == 200
    browser.http.headers["User-Agent"] = "portal-test/1.0"

    added = await browser.send(
        "POST", f"/communities/{demo}/quotes", {"text": "Never give up", "author": "Waddles"}
    )
    assert added.status_code == 201, added.text
    assert added.json()["number"] == 1
    assert added.json()["created_by"]["username"] == "streamer@example.com"

    simulated = await browser.send(
        "POST", f"/communities/{demo}/simulate", {"text": "!quote 1", "user": {"username": "viewer"}}
    )
    assert simulated.status_code == 200, simulated.text
    portal = simulated.json()
    body, printed = await asyncio.to_thread(cli_answer, portal_fleet.url, "!quote 1")
    assert portal["status"] == body["status"] == "processed"
    assert portal["responses"] == body["responses"]
    assert [r["text"] for r in portal["responses"]] == printed.splitlines()
    assert "Never give up" in printed and "Waddles" in printed
    assert portal["side_effects"] == [] and portal["role"] == "everyone"

    audit = (await browser.get(f"/communities/{demo}/audit")).json()["items"]
    [entry] = [e for e in audit if e["resource"] == "quotes"]
    assert entry["action"] == "create" and entry["resource_id"] == "1"
    assert entry["actor"] == "streamer@example.com" and entry["before"] is None
    assert entry["after"]["text"] == "Never give up"
    assert entry["ip"] == "127.0.0.1" and entry["user_agent"] == "portal-test/1.0"
    filtered = await browser.get(
        f"/communities/{demo}/audit", params={"resource": "quotes", "action": "delete"}
    )
    assert filtered.json()["items"] == []

    removed = await browser.send("DELETE", f"/communities/{demo}/quotes/1")
    assert removed.status_code == 204
    deleted = (await browser.get(f"/communities/{demo}/audit", params={"action": "delete"})).json()["items"]
    assert deleted[0]["before"]["text"] == "Never give up" and deleted[0]["after"] is None
    since = (await browser.get(f"/communities/{demo}/audit", params={"since": "2999-01-01T00:00:00Z"})).json()
    assert since["items"] == []


@pytest.mark.parametrize("backend", ["embedded"], indirect=True)
async def test_the_simulated_role_is_capped_at_the_callers_own(portal_fleet: Any) -> None:
    community = await portal_fleet.community()
    await portal_fleet.user("mod@example.com", roles={community: "moderator"})
    browser = portal_fleet.browser()
    assert (await browser.login("mod@example.com")).status_code == 200
    path = f"/communities/{community}/simulate"
    as_owner = await browser.send(
        "POST", path, {"text": "!quote add sneaky", "user": {"username": "x", "role": "admin"}}
    )
    assert as_owner.json()["role"] == "moderator"
    assert as_owner.json()["responses"][0]["text"] == "Quote #1 added."
    as_viewer = await browser.send(
        "POST", path, {"text": "!quote add nope", "user": {"username": "v", "role": "everyone"}}
    )
    assert as_viewer.json()["status"] == "rejected"
    bad = await browser.send("POST", path, {"text": "", "user": {"username": "v"}})
    assert bad.status_code == 422
    await portal_fleet.user("root@example.com", admin=True)
    admin = portal_fleet.browser()
    assert (await admin.login("root@example.com")).status_code == 200
    as_admin = await admin.send(
        "POST", path, {"text": "!quote 1", "user": {"username": "r", "role": "admin"}}
    )
    assert as_admin.json()["role"] == "admin" and as_admin.json()["status"] == "processed"
    # the simulated line stays in its community: the router provisioned nothing for `web`
    listed = (await portal_fleet.fleet.http.get("/router/api/v1/communities", headers=_router())).json()
    assert [c["name"] for c in listed["items"]] == [
        f"twitch:{listed['items'][0]['entities'][0]['server_id']}"
    ]


def _router() -> dict[str, str]:
    return service_headers("router", issuer="portal")


@pytest.mark.parametrize("backend", ["embedded"], indirect=True)
async def test_only_the_portal_may_name_a_web_events_community(portal_fleet: Any) -> None:
    community = await portal_fleet.community()
    event = {
        "event_id": "web:cli-spoof", "platform": "web", "server_id": "elsewhere", "channel_id": "elsewhere",
        "user": {"platform_user_id": "p", "username": "p", "roles": ["broadcaster"]}, "type": "chat_message",
        "text": "!quote add spoofed", "reply": {"kind": "inline"}, "metadata": {"community_id": community},
    }  # fmt: skip
    answered = (await portal_fleet.fleet.post(event)).json()  # a service token, but not the portal's
    # The field is dropped, and `web` never provisions (§12): nothing runs anywhere.
    assert (answered["status"], answered["responses"]) == ("ignored", [])
    found = await portal_fleet.fleet.http.get(
        "/router/api/v1/communities/by-platform/web/elsewhere", headers=_router()
    )
    assert found.status_code == 404
    quotes = await portal_fleet.fleet.http.get(
        f"/memories/api/v1/communities/{community}/quotes", headers=service_headers("memories")
    )
    assert quotes.json()["items"] == []


async def test_the_dashboard_feed_streams_simulations(portal_fleet: Any) -> None:
    community = await portal_fleet.community()
    await portal_fleet.user("owner@example.com", roles={community: "broadcaster"})
    browser = portal_fleet.browser()
    assert (await browser.login("owner@example.com")).status_code == 200
    seen: list[dict[str, Any]] = []
    connected = asyncio.Event()

    async def listen() -> None:
        async with browser.http.stream("GET", f"/portal/api/v1/communities/{community}/events") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            async for line in stream.aiter_lines():
                if line.startswith(": connected"):
                    connected.set()
                if line.startswith("data: "):
                    entry = json.loads(line.removeprefix("data: "))
                    if entry["kind"] == "simulation":  # the router's `chat` line "hello" came first
                        seen.append(entry)
                        return

    async with asyncio.timeout(10):
        task = asyncio.create_task(listen())
        await connected.wait()
        sent = await browser.send(
            "POST", f"/communities/{community}/simulate", {"text": "!quote", "user": {"username": "amy"}}
        )
        assert sent.status_code == 200
        await task
    assert seen[0]["kind"] == "simulation" and seen[0]["data"]["text"] == "!quote"
    assert seen[0]["community_id"] == community
