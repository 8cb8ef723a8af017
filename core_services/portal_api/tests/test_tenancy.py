"""The tenancy matrix, generated from the portal's own OpenAPI (not a hand-written list).

For every route under `/communities/{community_id}` and every method: a moderator of
community A gets 403 or 404 on community B's id, and a viewer-level member of A gets 403
on every write in A. A route added later is in the matrix without touching this file.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

#: The matrix checks routing and roles, not storage: one backend (the embedded one).
pytestmark = pytest.mark.parametrize("backend", ["embedded"], indirect=True)

UNSAFE = {"post", "put", "patch", "delete"}
PARAM = re.compile(r"\{([a-z_]+)\}")


def community_routes(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, operations in spec["paths"].items():
        if "/communities/{community_id}" not in path:
            continue
        for method, operation in operations.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                found.append((method, path, operation))
    return found


def reason(answer: Any) -> str | None:
    try:
        details = answer.json()["error"]["details"]
    except (ValueError, KeyError, TypeError):
        return None
    return details.get("reason") if isinstance(details, dict) else None


def concrete(path: str, community_id: int) -> str:
    def value(match: re.Match[str]) -> str:
        return str(community_id) if match[1] == "community_id" else "1"

    return PARAM.sub(value, path).removeprefix("/portal/api/v1")


async def test_no_route_crosses_communities_and_viewers_cannot_write(portal_fleet: Any) -> None:
    a = await portal_fleet.community(server="tenant-a")
    b = await portal_fleet.community(server="tenant-b")
    await portal_fleet.user("mod-a@example.com", roles={a: "moderator"})
    await portal_fleet.user("viewer-a@example.com", roles={a: "regular"})
    await portal_fleet.user("owner-b@example.com", roles={b: "broadcaster"})
    spec = (await portal_fleet.browser().http.get("/portal/openapi.json")).json()
    routes = community_routes(spec)
    # the matrix covers the screens of the table, the audit, the simulator and the feed
    covered = {
        path.split("{community_id}")[1].split("/")[1] if "{community_id}/" in path else ""
        for _, path, _ in routes
    }
    assert {
        "quotes",
        "commands",
        "modules",
        "aliases",
        "audit",
        "simulate",
        "events",
        "members",
        "ai",
    } <= covered
    assert len(routes) >= 30

    moderator = portal_fleet.browser()
    assert (await moderator.login("mod-a@example.com")).status_code == 200
    viewer = portal_fleet.browser()
    assert (await viewer.login("viewer-a@example.com")).status_code == 200
    crossings, viewer_writes = [], []
    for method, path, operation in routes:
        body = {} if "requestBody" in operation else None
        answer = await moderator.send(method.upper(), concrete(path, b), body)
        crossings.append((method, path, answer.status_code, reason(answer)))
        if method in UNSAFE:
            answer = await viewer.send(method.upper(), concrete(path, a), body)
            viewer_writes.append((method, path, answer.status_code, reason(answer)))
    assert [c for c in crossings if c[2:] not in ((403, "tenant"), (404, None))] == []
    assert [w for w in viewer_writes if w[2:] != (403, "role")] == []
    assert len(viewer_writes) >= 10
    # and the owner of B reaches B (the matrix refuses for the right reason)
    owner = portal_fleet.browser()
    assert (await owner.login("owner-b@example.com")).status_code == 200
    assert (await owner.get(f"/communities/{b}/quotes")).status_code == 200
    assert (await owner.get(f"/communities/{a}/quotes")).status_code == 403


async def test_admins_see_every_community_and_members_only_theirs(portal_fleet: Any) -> None:
    a = await portal_fleet.community(server="list-a")
    b = await portal_fleet.community(server="list-b")
    await portal_fleet.user("root@example.com", admin=True)
    await portal_fleet.user("member@example.com", roles={b: "vip"})
    admin = portal_fleet.browser()
    assert (await admin.login("root@example.com")).status_code == 200
    listed = (await admin.get("/communities", params={"limit": 1})).json()
    assert [c["id"] for c in listed["items"]] == [a] and listed["next_cursor"] == str(a)
    following = (await admin.get("/communities", params={"limit": 1, "cursor": listed["next_cursor"]})).json()
    assert [c["id"] for c in following["items"]] == [b]
    assert (
        following["items"][0]["role"] == "admin"
        and "commands:manage" in following["items"][0]["capabilities"]
    )
    assert (await admin.get(f"/communities/{a}/audit")).status_code == 200
    member = portal_fleet.browser()
    assert (await member.login("member@example.com")).status_code == 200
    mine = (await member.get("/communities")).json()["items"]
    assert [(c["id"], c["role"], c["name"]) for c in mine] == [(b, "vip", "twitch:list-b")]
    assert "quotes:view" in mine[0]["capabilities"] and "quotes:manage" not in mine[0]["capabilities"]
    assert (await member.get(f"/communities/{b}")).json()["role"] == "vip"
