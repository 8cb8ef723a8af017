"""Aliases through the portal: added by a moderator (the rules of `!alias add`), used from
chat at once (the router's cached list is dropped), removed, each change audited."""

from __future__ import annotations

import uuid
from typing import Any

from flask_core.testing import service_headers


async def _say(pf: Any, server: str, text: str) -> list[str]:
    event = {
        "event_id": f"twitch:{uuid.uuid4()}", "platform": "twitch", "server_id": server,
        "channel_id": server, "type": "chat_message", "text": text,
        "user": {"platform_user_id": "v1", "username": "viewer", "roles": []}, "reply": {"kind": "inline"},
    }  # fmt: skip
    answer = await pf.fleet.post(event)
    assert answer.status_code == 200, answer.text
    return [r["text"] for r in answer.json()["responses"]]


async def test_an_alias_added_in_the_portal_answers_in_chat_and_is_removed(portal_fleet: Any) -> None:
    c = await portal_fleet.community(server="aliaschan")
    await portal_fleet.user("mod@example.com", roles={c: "moderator"})
    browser = portal_fleet.browser()
    assert (await browser.login("mod@example.com")).status_code == 200

    assert await _say(portal_fleet, "aliaschan", "!hi") == []  # not a command yet
    refused = await browser.send("POST", f"/communities/{c}/aliases", {"name": "!hi", "text": "Hello!"})
    assert refused.status_code == 422  # the name is written without "!"
    added = await browser.send("POST", f"/communities/{c}/aliases", {"name": "hi", "text": "Hello, $(user)!"})
    assert added.status_code == 201, added.text
    assert (added.json()["name"], added.json()["uses"]) == ("hi", 0)
    again = await browser.send("POST", f"/communities/{c}/aliases", {"name": "hi", "text": "Again"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert await _say(portal_fleet, "aliaschan", "!hi") == ["Hello, viewer!"]  # the router sees it at once

    listed = (await browser.get(f"/communities/{c}/aliases")).json()["items"]
    assert [(a["name"], a["role"]) for a in listed] == [("hi", "everyone")]
    stored = await portal_fleet.fleet.http.get(
        f"/alias/api/v1/communities/{c}/aliases/hi", headers=service_headers("alias", issuer="portal")
    )
    assert stored.status_code == 200 and stored.json()["text"] == "Hello, $(user)!"

    removed = await browser.send("DELETE", f"/communities/{c}/aliases/hi")
    assert removed.status_code == 204, removed.text
    assert (await browser.send("DELETE", f"/communities/{c}/aliases/hi")).status_code == 404
    assert await _say(portal_fleet, "aliaschan", "!hi") == []

    audit = (await browser.get(f"/communities/{c}/audit", params={"resource": "aliases"})).json()["items"]
    assert [e["action"] for e in reversed(audit)] == ["create", "delete"]
    assert audit[0]["before"]["text"] == "Hello, $(user)!" and audit[0]["after"] is None
    assert audit[1]["actor"] == "mod@example.com"


async def test_a_viewer_cannot_add_an_alias(portal_fleet: Any) -> None:
    c = await portal_fleet.community()
    await portal_fleet.user("viewer@example.com", roles={c: "everyone"})
    browser = portal_fleet.browser()
    assert (await browser.login("viewer@example.com")).status_code == 200
    refused = await browser.send("POST", f"/communities/{c}/aliases", {"name": "hi", "text": "Hello"})
    assert refused.status_code == 403
