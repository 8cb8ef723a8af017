"""The timers' portal API through the real app and lifespan: pages, edits, tenancy, tokens."""

from __future__ import annotations

from typing import Any

from flask_core.app import resources
from flask_core.testing import service_headers
from waddlebot_timers import commands

BASE = "/timers/api/v1/communities"


def auth() -> dict[str, str]:
    return service_headers("timers", issuer="portal")


async def _add(app: Any, make_request: Any, *specs: str, community_id: str = "7") -> None:
    res = resources(app)
    for spec in specs:
        await commands.add(res, make_request("timer add", spec, community_id=community_id))


async def test_pages_search_and_sort(app: Any, client: Any, make_request: Any) -> None:
    await _add(app, make_request, "b 10 Bee", "a 5 Ay", "c 1 Sea")
    first = await (await client.get(f"{BASE}/7/timers?limit=2", headers=auth())).get_json()
    assert [t["name"] for t in first["items"]] == ["a", "b"] and first["next_cursor"]
    rest = await (
        await client.get(f"{BASE}/7/timers?limit=2&cursor={first['next_cursor']}", headers=auth())
    ).get_json()
    assert [t["name"] for t in rest["items"]] == ["c"] and rest["next_cursor"] is None
    by_minutes = await (await client.get(f"{BASE}/7/timers?sort=-minutes", headers=auth())).get_json()
    assert [t["minutes"] for t in by_minutes["items"]] == [10, 5, 1]
    found = await (await client.get(f"{BASE}/7/timers?q=sea", headers=auth())).get_json()
    assert [t["name"] for t in found["items"]] == ["c"]
    for bad in ("limit=0", "limit=101", "sort=text", "cursor=zzz"):
        answer = await client.get(f"{BASE}/7/timers?{bad}", headers=auth())
        assert answer.status_code in (400, 422), bad
        assert "error" in await answer.get_json()


async def test_edit_and_delete_answer_the_new_state(app: Any, client: Any, make_request: Any) -> None:
    await _add(app, make_request, "a 5 Ay")
    changed = await client.patch(
        f"{BASE}/7/timers/a", json={"minutes": 15, "text": " New text ", "enabled": False}, headers=auth()
    )
    assert changed.status_code == 200
    body = await changed.get_json()
    assert (body["minutes"], body["text"], body["enabled"]) == (15, "New text", False)
    assert (await client.patch(f"{BASE}/7/timers/a", json={"minutes": 0}, headers=auth())).status_code == 422
    assert (await client.delete(f"{BASE}/7/timers/a", headers=auth())).status_code == 204
    assert (await client.delete(f"{BASE}/7/timers/a", headers=auth())).status_code == 404


async def test_another_communitys_timer_is_not_found(app: Any, client: Any, make_request: Any) -> None:
    await _add(app, make_request, "a 5 Ay", community_id="7")
    assert (await (await client.get(f"{BASE}/8/timers", headers=auth())).get_json())["items"] == []
    assert (await client.patch(f"{BASE}/8/timers/a", json={"minutes": 3}, headers=auth())).status_code == 404
    assert (await client.delete(f"{BASE}/8/timers/a", headers=auth())).status_code == 404
    huge = 2**63
    assert (await client.get(f"{BASE}/{huge}/timers", headers=auth())).status_code == 404


async def test_the_api_needs_a_service_token_for_this_service(client: Any) -> None:
    assert (await client.get(f"{BASE}/7/timers")).status_code == 401
    wrong = service_headers("router", issuer="portal")
    assert (await client.get(f"{BASE}/7/timers", headers=wrong)).status_code == 401


async def test_the_manifest_lists_the_commands_and_subscriptions(client: Any) -> None:
    manifest = await (await client.get("/timers/api/v1/manifest", headers=auth())).get_json()
    assert {c["path"] for c in manifest["commands"]} == {
        "timer", "timer add", "timer remove", "timer list", "timer on", "timer off"
    }  # fmt: skip
    assert all(c["role"] == "moderator" for c in manifest["commands"])
    assert manifest["events"] == ["chat_message", "stream_online", "stream_offline"]
