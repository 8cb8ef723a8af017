"""Connections through the portal: the community's platform servers, and a one-time code
the broadcaster gets (shown once, never kept in the audit) that links another platform's
server when its owner types `!community link <code>` there."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from waddlebot_community.app import create_app as create_community
from waddlebot_community.settings import CommunitySettings


@pytest.fixture(params=["embedded"])
def backend(request: Any, data_dir: Any) -> dict[str, Any]:
    """One backend: the community service's own tests cover both; this is the portal's path."""
    return {"database_url": f"sqlite://{(data_dir / 'test.sqlite').resolve()}"}


@pytest.fixture
def extra_apps(make_settings: Any, common: dict[str, Any]) -> dict[str, Any]:
    return {"community": create_community(make_settings(CommunitySettings, **common))}


def _line(platform: str, server: str, text: str, roles: list[str]) -> dict[str, Any]:
    return {
        "event_id": f"{platform}:{uuid.uuid4()}", "platform": platform, "server_id": server,
        "channel_id": server, "type": "chat_message", "text": text, "reply": {"kind": "inline"},
        "user": {"platform_user_id": "owner", "username": "owner", "roles": roles},
    }  # fmt: skip


async def test_a_portal_link_code_joins_a_discord_server(portal_fleet: Any) -> None:
    c = await portal_fleet.community(server="twitchchan")
    await portal_fleet.user("owner@example.com", roles={c: "broadcaster"})
    await portal_fleet.user("mod@example.com", roles={c: "moderator"})
    owner, mod = portal_fleet.browser(), portal_fleet.browser()
    assert (await owner.login("owner@example.com")).status_code == 200
    assert (await mod.login("mod@example.com")).status_code == 200

    listed = (await mod.get(f"/communities/{c}/connections")).json()["items"]
    assert [(e["platform"], e["server_id"]) for e in listed] == [("twitch", "twitchchan")]
    assert (await mod.send("POST", f"/communities/{c}/connections/code")).status_code == 403
    issued = await owner.send("POST", f"/communities/{c}/connections/code")
    assert issued.status_code == 200, issued.text
    code = issued.json()["code"]
    assert issued.json()["command"] == f"!community link {code}" and issued.json()["expires_in"] > 0

    linked = await portal_fleet.fleet.post(
        _line("discord", "guild1", f"!community link {code}", ["broadcaster"])
    )
    assert linked.status_code == 200, linked.text
    assert "Linked!" in " ".join(r["text"] for r in linked.json()["responses"])
    again = await portal_fleet.fleet.post(
        _line("discord", "guild2", f"!community link {code}", ["broadcaster"])
    )
    assert "not valid" in " ".join(r["text"] for r in again.json()["responses"])  # single use

    listed = (await mod.get(f"/communities/{c}/connections")).json()["items"]
    assert sorted((e["platform"], e["server_id"]) for e in listed) == [
        ("discord", "guild1"),
        ("twitch", "twitchchan"),
    ]
    [entry] = (await owner.get(f"/communities/{c}/audit", params={"resource": "connections"})).json()["items"]
    assert entry["action"] == "code" and entry["after"] is None  # the code itself is never kept
    assert code not in str(entry)
