"""The portal's PATCH and DELETE of items over HTTP, on both backends: rename and description
(audited), a name another item has is a 409, a held item is not deleted without `force`,
and the audit trail outlives the item."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask_core.testing import service_headers
from waddlebot_inventory import service
from waddlebot_inventory.service import Where

BASE = "/inventory/api/v1/communities"
WHERE = Where("twitch", "s1", "c1")


def auth() -> dict[str, str]:
    return service_headers("inventory", issuer="portal_api")


async def audit(client: Any, community_id: int) -> list[dict[str, Any]]:
    page = await (await client.get(f"{BASE}/{community_id}/audit?sort=created_at", headers=auth())).get_json()
    return list(page["items"])


async def test_rename_and_describe_an_item(client: Any, app: Any) -> None:
    res = app.extensions["waddlebot.resources"]
    sword = (await service.add(res.db, 3, "sword", 2, "twitch:mod")).item
    answer = await client.patch(
        f"{BASE}/3/items/{sword.id}",
        json={"name": "  Great   Sword ", "description": "Sharp."},
        headers=auth(),
    )
    assert answer.status_code == 200, await answer.get_data()
    item = await answer.get_json()
    assert (item["name"], item["description"], item["qty"]) == ("Great Sword", "Sharp.", 2)
    fetched = await (await client.get(f"{BASE}/3/items/{sword.id}", headers=auth())).get_json()
    assert fetched == item
    # chat finds it by its new name
    taken = await service.take(res.db, 3, "great sword", 1, "twitch:mod")
    assert taken.item.id == sword.id
    cleared = await (
        await client.patch(f"{BASE}/3/items/{sword.id}", json={"description": None}, headers=auth())
    ).get_json()
    assert cleared["description"] is None and cleared["name"] == "Great Sword"
    rename = next(a for a in await audit(client, 3) if a["action"] == "rename")
    assert rename["detail"] == "sword → Great Sword" and rename["actor"] == "service:portal_api"
    assert rename["stock_before"] == rename["stock_after"] == 2


async def test_bad_names_are_422_and_a_taken_name_409(client: Any, app: Any) -> None:
    res = app.extensions["waddlebot.resources"]
    sword = (await service.add(res.db, 3, "sword", 1, "x")).item
    await service.add(res.db, 3, "Shield", 1, "x")
    url = f"{BASE}/3/items/{sword.id}"
    for body in ({"name": "  "}, {"name": "x" * 61}, {"qty": 5}, {"description": "d" * 501}):
        answer = await client.patch(url, json=body, headers=auth())
        assert answer.status_code == 422, body
        assert (await answer.get_json())["error"]["details"]["errors"][0]["loc"], body
    taken = await client.patch(url, json={"name": "shield"}, headers=auth())
    assert taken.status_code == 409 and (await taken.get_json())["error"]["code"] == "name_taken"
    same = await (await client.patch(url, json={"name": "SWORD"}, headers=auth())).get_json()
    assert same["name"] == "SWORD"  # its own name in another case is a rename


async def test_another_communitys_item_is_404(client: Any, app: Any) -> None:
    res = app.extensions["waddlebot.resources"]
    other = (await service.add(res.db, 4, "sword", 1, "x")).item
    assert (
        await client.patch(f"{BASE}/3/items/{other.id}", json={"name": "mine"}, headers=auth())
    ).status_code == 404
    assert (await client.delete(f"{BASE}/3/items/{other.id}", headers=auth())).status_code == 404
    assert await service.get_item(res.db, 4, other.id) is not None


async def test_a_checked_out_item_is_deleted_only_with_force_and_its_audit_stays(
    client: Any, app: Any
) -> None:
    res = app.extensions["waddlebot.resources"]
    mic = (await service.add(res.db, 3, "mic", 2, "twitch:mod")).item
    due = datetime.now(UTC) + timedelta(hours=2)
    _, loan = await service.checkout(res.db, 3, "mic", "twitch:mod", "twitch:amy", "amy", due, WHERE)
    refused = await client.delete(f"{BASE}/3/items/{mic.id}", headers=auth())
    assert refused.status_code == 409
    error = (await refused.get_json())["error"]
    assert error["code"] == "item_held" and "amy" in error["message"]
    assert error["details"]["holders"] == [
        {"holder": "twitch:amy", "holder_name": "amy", "qty": 1, "checked_out": True}
    ]
    assert await service.get_item(res.db, 3, mic.id) is not None

    forced = await client.delete(f"{BASE}/3/items/{mic.id}?force=true", headers=auth())
    assert forced.status_code == 204
    assert (await client.get(f"{BASE}/3/items/{mic.id}", headers=auth())).status_code == 404
    job = await res.db.read(lambda d: d.scheduled_jobs[d.inventory_checkouts[loan.id].job_id])
    assert job.state == "cancelled"  # no overdue notice for an item that is gone
    actions = [a["action"] for a in await audit(client, 3)]
    assert actions == ["add", "checkout", "delete"]
    deleted = (await audit(client, 3))[-1]
    assert (deleted["item_name"], deleted["stock_before"], deleted["stock_after"]) == ("mic", 1, 0)
    assert deleted["detail"] == "forced: held by amy"


async def test_a_free_item_is_deleted_and_its_name_can_be_used_again(client: Any, app: Any) -> None:
    res = app.extensions["waddlebot.resources"]
    cup = (await service.add(res.db, 3, "cup", 4, "x")).item
    assert (await client.delete(f"{BASE}/3/items/{cup.id}", headers=auth())).status_code == 204
    again = (await service.add(res.db, 3, "cup", 1, "x")).item
    assert again.id != cup.id and again.qty == 1
    assert (await client.delete(f"{BASE}/3/items/{cup.id}", headers=auth())).status_code == 404
    assert (await client.delete(f"{BASE}/3/items/{cup.id}?force=maybe", headers=auth())).status_code == 422
