"""The community API: resolve (provisioning, never for `web`), settings with an IANA time
zone, the time-zone endpoint, lists with limit/cursor/q/sort, tenancy."""

from __future__ import annotations

import asyncio
from typing import Any

from flask_core.testing import service_headers
from waddlebot_community import service

BASE = "/community/api/v1"


def auth() -> dict[str, str]:
    return service_headers("community", issuer="router")


async def resolve(client: Any, platform: str, server_id: str, **extra: Any) -> Any:
    body = {"platform": platform, "server_id": server_id, **extra}
    return await client.post(f"{BASE}/communities:resolve", json=body, headers=auth())


async def test_resolve_provisions_once_and_never_for_web(client: Any) -> None:
    owner = {"platform_user_id": "42", "username": "streamer"}
    answers = await asyncio.gather(*(resolve(client, "twitch", "42", owner=owner) for _ in range(5)))
    # One community, however raced. Its id need not be 1: on PostgreSQL the losers' rolled
    # back inserts still used numbers of the sequence.
    ids = {(await a.get_json())["community_id"] for a in answers}
    assert len(ids) == 1
    [community_id] = ids
    web = await resolve(client, "web", "demo", provision=False)
    assert web.status_code == 404
    found = await (await client.get(f"{BASE}/communities/{community_id}", headers=auth())).get_json()
    assert found["owner_platform_user_id"] == "42" and found["platforms"] == ["twitch"]
    assert found["settings"] == service.DEFAULTS
    members = await (
        await client.get(f"{BASE}/communities/{community_id}/members", headers=auth())
    ).get_json()
    assert [(m["username"], m["role"]) for m in members["items"]] == [("streamer", "broadcaster")]
    discord = await resolve(client, "discord", "g1", owner={"platform_user_id": "7"})
    other = await (
        await client.get(f"{BASE}/communities/{(await discord.get_json())['community_id']}", headers=auth())
    ).get_json()
    assert other["owner_platform_user_id"] is None  # claimed in the portal on Discord (§4.1)


async def test_settings_time_zone_and_lists(client: Any) -> None:
    for server in ("a1", "b2", "c3"):
        await resolve(client, "twitch", server)
    bad = await client.patch(
        f"{BASE}/communities/1", json={"settings": {"time_zone": "Mars/Olympus"}}, headers=auth()
    )
    assert bad.status_code == 422 and (await bad.get_json())["error"]["code"] == "validation_error"
    prefix = await client.patch(
        f"{BASE}/communities/1", json={"settings": {"command_prefix": "#"}}, headers=auth()
    )
    assert prefix.status_code == 422  # `#` is the marketplace's sigil
    changed = await client.patch(
        f"{BASE}/communities/1",
        json={"name": "Waddle HQ", "settings": {"time_zone": "Europe/Berlin", "locale": "de", "default_global_cooldown": 3}},
        headers=auth(),
    )  # fmt: skip
    body = await changed.get_json()
    assert body["name"] == "Waddle HQ" and body["settings"]["time_zone"] == "Europe/Berlin"
    tz = await (await client.get(f"{BASE}/communities/1/time-zone", headers=auth())).get_json()
    assert tz == {"community_id": 1, "time_zone": "Europe/Berlin", "locale": "de"}
    reset = await client.patch(
        f"{BASE}/communities/1", json={"settings": {"time_zone": None}}, headers=auth()
    )
    assert (await reset.get_json())["settings"]["time_zone"] == "UTC"

    page = await (await client.get(f"{BASE}/communities?limit=2&sort=-id", headers=auth())).get_json()
    assert [c["id"] for c in page["items"]] == [3, 2] and page["next_cursor"]
    rest = await (
        await client.get(f"{BASE}/communities?limit=2&sort=-id&cursor={page['next_cursor']}", headers=auth())
    ).get_json()
    assert [c["id"] for c in rest["items"]] == [1] and rest["next_cursor"] is None
    named = await (await client.get(f"{BASE}/communities?q=waddle", headers=auth())).get_json()
    assert [c["name"] for c in named["items"]] == ["Waddle HQ"]
    assert (await client.get(f"{BASE}/communities?limit=0", headers=auth())).status_code == 422


async def test_another_communitys_ids_are_refused(client: Any) -> None:
    await resolve(client, "twitch", "42", owner={"platform_user_id": "42", "username": "s"})
    await resolve(client, "twitch", "99", owner={"platform_user_id": "99", "username": "t"})
    entities = await (await client.get(f"{BASE}/communities/2/entities", headers=auth())).get_json()
    [theirs] = entities["items"]
    assert (
        await client.get(f"{BASE}/communities/2/entities/{theirs['id']}", headers=auth())
    ).status_code == 200
    assert (
        await client.get(f"{BASE}/communities/1/entities/{theirs['id']}", headers=auth())
    ).status_code == 404
    member = (await (await client.get(f"{BASE}/communities/2/members", headers=auth())).get_json())["items"][
        0
    ]
    assert (
        await client.get(f"{BASE}/communities/1/members/{member['id']}", headers=auth())
    ).status_code == 404
    assert (
        await client.get(f"{BASE}/communities/2/members/{member['id']}", headers=auth())
    ).status_code == 200
    for path in ("", "/entities", "/members", "/time-zone"):
        assert (await client.get(f"{BASE}/communities/77{path}", headers=auth())).status_code == 404, path
    assert (
        await client.patch(f"{BASE}/communities/77", json={"name": "x"}, headers=auth())
    ).status_code == 404
    assert (await client.get(f"{BASE}/communities/1")).status_code == 401
