"""The stock on both backends: 10 concurrent gives of the last item land once; the audit trail;
overdue checkouts; the REST API (lists, writes that answer the new state, tenancy)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_core.module import run_command
from flask_core.testing import service_headers
from waddlebot_inventory import commands, service
from waddlebot_inventory.manifest import SPEC
from waddlebot_inventory.service import Where

BASE = "/inventory/api/v1/communities"


def text(responses: list[dict[str, Any]]) -> str:
    assert len(responses) == 1 and responses[0]["type"] == "chat"
    return str(responses[0]["text"])


async def test_ten_concurrent_gives_of_the_last_item_land_exactly_once(res: Any, make_request: Any) -> None:
    await run_command(SPEC, res, make_request("inv add", "crown 1"))
    answers = await asyncio.gather(
        *(run_command(SPEC, res, make_request("inv give", f"@viewer{n} crown")) for n in range(10))
    )
    landed = [text(a) for a in answers if text(a).startswith("Gave ")]
    refused = [text(a) for a in answers if text(a).startswith("Only 0 x crown")]
    assert len(landed) == 1 and len(refused) == 9, [text(a) for a in answers]
    [item], _ = await service.items(res.db, 1)
    assert item.qty == 0
    held, _ = await service.holdings(res.db, 1)
    assert [(h.item_name, h.qty) for h in held] == [("crown", 1)]
    trail, _ = await service.audit(res.db, 1, descending=False)
    assert [(a.action, a.stock_before, a.stock_after) for a in trail] == [("add", 0, 1), ("give", 1, 0)]
    give = trail[1]
    assert (
        give.actor == "twitch:mod"
        and give.holder == held[0].holder
        and (give.held_before, give.held_after) == (0, 1)
    )


async def test_concurrent_takes_and_adds_never_go_negative(res: Any) -> None:
    await service.add(res.db, 1, "Arrow", 5, "twitch:mod")

    async def take() -> bool:
        try:
            await service.take(res.db, 1, "arrow", 2, "twitch:mod")
        except service.NotEnough:
            return False
        return True

    outcomes = await asyncio.gather(
        *(take() for _ in range(6)), service.add(res.db, 1, "arrow", 1, "twitch:mod")
    )
    [item], _ = await service.items(res.db, 1)
    landed = sum(o is True for o in outcomes)
    assert landed in (2, 3) and item.qty == 6 - 2 * landed >= 0 and item.name == "Arrow"
    trail, _ = await service.audit(res.db, 1, descending=False)
    assert len(trail) == 2 + landed  # two adds and each landed take: every change audited
    assert all(a.stock_after >= 0 and a.stock_before >= 0 for a in trail)


async def test_overdue_and_checkin(res: Any, make_request: Any) -> None:
    await service.add(res.db, 1, "lamp", 2, "twitch:mod")
    past = datetime.now(UTC) - timedelta(minutes=5)
    where = Where("twitch", "s1", "c1")
    await service.checkout(res.db, 1, "lamp", "twitch:mod", "twitch:bob", "bob", past, where)
    late = text(await commands.overdue(res, make_request("inv overdue")))
    assert late == f"Overdue: lamp — @bob (due {past:%Y-%m-%d %H:%M} UTC)"
    assert text(await commands.checkin(res, make_request("inv checkin", "lamp @amy"))) == (
        "No lamp is checked out to that user."
    )
    back = text(await commands.checkin(res, make_request("inv checkin", "lamp @bob")))
    assert back == "lamp returned by @bob (it was overdue) (stock: 2)."
    assert text(await commands.overdue(res, make_request("inv overdue"))) == "Nothing is overdue."
    web = make_request("inv checkout", "lamp @bob", platform="web")
    assert "need a chat" in text(await commands.checkout(res, web))
    assert "hours" in text(await commands.checkout(res, make_request("inv checkout", "lamp @bob 9999")))
    assert text(await commands.checkout(res, make_request("inv checkout", "@bob"))).startswith("Usage:")
    assert text(await commands.give(res, make_request("inv give", "bob lamp"))).startswith("Usage:")
    assert text(await commands.add(res, make_request("inv add", "lamp -3"))).startswith("Usage:")
    assert text(await commands.add(res, make_request("inv add", "x --label"))).startswith("Usage:")
    assert (
        text(await commands.search(res, make_request("inv search", "100%"))) == "No item matches that search."
    )
    assert (
        text(await commands.list_items(res, make_request("inv list", "@nobody"))) == "@nobody has no items."
    )
    viewer = make_request("inv give", "@amy lamp", roles=[])
    assert text(await commands.give(res, viewer)) == "Only moderators can use !inv give."


def auth() -> dict[str, str]:
    return service_headers("inventory", issuer="portal_api")


async def test_the_rest_api(client: Any) -> None:
    made = await client.post(f"{BASE}/4/items", json={"name": "Potion", "qty": 3}, headers=auth())
    assert made.status_code == 201, await made.get_data(as_text=True)
    potion = await made.get_json()
    assert (potion["name"], potion["qty"]) == ("Potion", 3)
    for name in ("elixir", "bomb"):
        await client.post(f"{BASE}/4/items", json={"name": name}, headers=auth())
    page = await (await client.get(f"{BASE}/4/items?limit=2", headers=auth())).get_json()
    assert [i["name"] for i in page["items"]] == ["bomb", "elixir"] and page["next_cursor"]
    rest = await (
        await client.get(f"{BASE}/4/items?limit=2&cursor={page['next_cursor']}", headers=auth())
    ).get_json()
    assert [i["name"] for i in rest["items"]] == ["Potion"] and rest["next_cursor"] is None
    by_qty = await (await client.get(f"{BASE}/4/items?sort=-qty&q=o", headers=auth())).get_json()
    assert [i["name"] for i in by_qty["items"]] == ["Potion", "bomb"]
    less = await client.post(f"{BASE}/4/items/{potion['id']}/stock", json={"delta": -2}, headers=auth())
    assert (await less.get_json())["qty"] == 1
    too_many = await client.post(f"{BASE}/4/items/{potion['id']}/stock", json={"delta": -2}, headers=auth())
    assert (
        too_many.status_code == 409 and (await too_many.get_json())["error"]["code"] == "insufficient_stock"
    )
    assert (await client.get(f"{BASE}/5/items/{potion['id']}", headers=auth())).status_code == 404
    other = await client.post(f"{BASE}/5/items/{potion['id']}/stock", json={"delta": 1}, headers=auth())
    assert other.status_code == 404
    trail = await (await client.get(f"{BASE}/4/audit?q=pot", headers=auth())).get_json()
    assert [(a["action"], a["stock_before"], a["stock_after"], a["actor"]) for a in trail["items"]] == [
        ("take", 3, 1, "service:portal_api"), ("add", 0, 3, "service:portal_api"),
    ]  # fmt: skip
    assert (await (await client.get(f"{BASE}/5/audit", headers=auth())).get_json())["items"] == []
    for path in ("holdings", "checkouts", "checkouts?state=overdue", "checkouts?state=all"):
        listed = await client.get(f"{BASE}/4/{path}", headers=auth())
        assert listed.status_code == 200 and (await listed.get_json()) == {"items": [], "next_cursor": None}
    assert (await client.get(f"{BASE}/4/items?cursor=zz", headers=auth())).status_code == 422
    assert (await client.get(f"{BASE}/4/items")).status_code == 401
