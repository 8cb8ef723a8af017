"""Members' roles set in the portal (PATCH …/members/{id}) and removed members (DELETE), on
both backends, and through the real chat path: the router uses a changed role on the very
next command (decision 0077)."""

from __future__ import annotations

from typing import Any

from flask_core.testing import service_headers
from waddlebot_community import service

BASE = "/community/api/v1/communities"


def auth() -> dict[str, str]:
    return service_headers("community", issuer="portal_api")


async def community_with_members(client: Any, app: Any) -> tuple[int, dict[str, int]]:
    """Community 1 (Twitch 42, owned by `streamer`) with a viewer and a platform moderator."""
    owner = {"platform_user_id": "42", "username": "streamer"}
    body = {"platform": "twitch", "server_id": "42", "owner": owner}
    community_id = (await (await client.post(f"{BASE}:resolve", json=body, headers=auth())).get_json())[
        "community_id"
    ]
    res = app.extensions["waddlebot.resources"]
    await res.db.run(
        service.touch_member, community_id, "twitch", {"platform_user_id": "7", "username": "amy"}, "everyone"
    )
    await res.db.run(
        service.touch_member, community_id, "twitch", {"platform_user_id": "8", "username": "bo"}, "moderator"
    )
    listed = (await (await client.get(f"{BASE}/{community_id}/members", headers=auth())).get_json())["items"]
    return community_id, {m["username"]: m["id"] for m in listed}


async def test_a_role_set_in_the_portal_wins_over_mirroring_until_cleared(client: Any, app: Any) -> None:
    community_id, ids = await community_with_members(client, app)
    res = app.extensions["waddlebot.resources"]
    url = f"{BASE}/{community_id}/members/{ids['amy']}"
    answer = await client.patch(url, json={"role": "vip"}, headers=auth())
    assert answer.status_code == 200, await answer.get_data()
    amy = await answer.get_json()
    assert (amy["role"], amy["platform_role"], amy["role_override"]) == ("vip", "everyone", "vip")
    # Seen in chat again (mirroring writes the platform role): the override stays.
    await res.db.run(
        service.touch_member,
        community_id,
        "twitch",
        {"platform_user_id": "7", "username": "amy"},
        "subscriber",
    )
    amy = await (await client.get(url, headers=auth())).get_json()
    assert (amy["role"], amy["platform_role"], amy["role_override"]) == ("vip", "subscriber", "vip")
    overrides = await (await client.get(f"{BASE}/{community_id}/roles", headers=auth())).get_json()
    assert overrides == {
        "community_id": community_id,
        "items": [{"platform": "twitch", "platform_user_id": "7", "role": "vip"}],
    }
    # A platform moderator can be held to viewer in the bot.
    bo = await (
        await client.patch(
            f"{BASE}/{community_id}/members/{ids['bo']}", json={"role": "everyone"}, headers=auth()
        )
    ).get_json()
    assert (bo["role"], bo["platform_role"]) == ("everyone", "moderator")
    cleared = await (await client.patch(url, json={"role": None}, headers=auth())).get_json()
    assert (cleared["role"], cleared["role_override"]) == ("subscriber", None)


async def test_the_broadcaster_and_higher_roles_cannot_be_set(client: Any, app: Any) -> None:
    community_id, ids = await community_with_members(client, app)
    owner = await client.patch(
        f"{BASE}/{community_id}/members/{ids['streamer']}", json={"role": "vip"}, headers=auth()
    )
    assert owner.status_code == 409 and (await owner.get_json())["error"]["code"] == "broadcaster_role"
    for body in ({"role": "broadcaster"}, {"role": "admin"}, {"role": "king"}, {"colour": "red"}, {}):
        answer = await client.patch(f"{BASE}/{community_id}/members/{ids['amy']}", json=body, headers=auth())
        assert answer.status_code == 422, body
        assert (await answer.get_json())["error"]["code"] == "validation_error"
    assert (
        await client.delete(f"{BASE}/{community_id}/members/{ids['streamer']}", headers=auth())
    ).status_code == 409


async def test_another_communitys_member_is_404(client: Any, app: Any) -> None:
    community_id, ids = await community_with_members(client, app)
    body = {"platform": "discord", "server_id": "g1"}
    other = (await (await client.post(f"{BASE}:resolve", json=body, headers=auth())).get_json())[
        "community_id"
    ]
    assert (
        await client.patch(f"{BASE}/{other}/members/{ids['amy']}", json={"role": "vip"}, headers=auth())
    ).status_code == 404
    assert (await client.delete(f"{BASE}/{other}/members/{ids['amy']}", headers=auth())).status_code == 404
    assert (
        await client.get(f"{BASE}/{community_id}/members/{ids['amy']}", headers=auth())
    ).status_code == 200


async def test_deleting_a_member_removes_the_record_and_its_override(client: Any, app: Any) -> None:
    community_id, ids = await community_with_members(client, app)
    url = f"{BASE}/{community_id}/members/{ids['amy']}"
    await client.patch(url, json={"role": "moderator"}, headers=auth())
    assert (await client.delete(url, headers=auth())).status_code == 204
    assert (await client.get(url, headers=auth())).status_code == 404
    roles = await (await client.get(f"{BASE}/{community_id}/roles", headers=auth())).get_json()
    assert roles["items"] == []
    assert (await client.delete(url, headers=auth())).status_code == 404


async def test_the_router_uses_a_changed_role_on_the_next_command(chat_fleet: Any) -> None:
    async with chat_fleet() as chat:
        assert (await chat.twitch("!community info", user_id="555", login="amy")).startswith(
            "This community is on"
        )
        refused = await chat.twitch("!quote add Waddle on", user_id="555", login="amy")
        assert "moderator" in refused
        members = (await chat.call("GET", "/community/api/v1/communities/1/members")).json()["items"]
        amy = next(m for m in members if m["username"] == "amy")
        changed = await chat.call(
            "PATCH", f"/community/api/v1/communities/1/members/{amy['id']}", json={"role": "moderator"}
        )
        assert changed.status_code == 200, changed.text
        assert (await chat.twitch("!quote add Waddle on", user_id="555", login="amy")).startswith(
            "Quote #1 added"
        )
        removed = await chat.call("DELETE", f"/community/api/v1/communities/1/members/{amy['id']}")
        assert removed.status_code == 204
        assert "moderator" in await chat.twitch("!quote add Again", user_id="555", login="amy")
