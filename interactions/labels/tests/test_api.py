"""The labels REST API through the real app (both backends): pages, system labels, search, tenancy."""

from __future__ import annotations

import asyncio
from typing import Any

from flask_core.testing import service_headers
from waddlebot_labels import service
from waddlebot_labels.service import Limits

BASE = "/labels/api/v1/communities"


def auth() -> dict[str, str]:
    return service_headers("labels", issuer="portal_api")


async def test_labels_pages_sorts_and_search_by_name(client: Any) -> None:
    for name in ("gamma", "alpha", "beta", "alphabet"):
        created = await client.post(
            f"{BASE}/7/labels", json={"name": name, "colour": "#FF0000"}, headers=auth()
        )
        assert created.status_code == 201, await created.get_data(as_text=True)
    body = await created.get_json()
    assert body["colour"] == "#ff0000" and body["category"] == "general" and body["system"] is False
    first = await (await client.get(f"{BASE}/7/labels?limit=3", headers=auth())).get_json()
    assert [i["name"] for i in first["items"]] == ["alpha", "alphabet", "beta"]
    rest = await (
        await client.get(f"{BASE}/7/labels?limit=3&cursor={first['next_cursor']}", headers=auth())
    ).get_json()
    assert [i["name"] for i in rest["items"]] == ["gamma"] and rest["next_cursor"] is None
    newest = await (await client.get(f"{BASE}/7/labels?sort=-created_at&q=ALPHA", headers=auth())).get_json()
    assert [i["name"] for i in newest["items"]] == ["alphabet", "alpha"]
    dup = await client.post(f"{BASE}/7/labels", json={"name": "Alpha"}, headers=auth())
    assert dup.status_code == 409 and (await dup.get_json())["error"]["code"] == "conflict"
    bad = await client.get(f"{BASE}/7/labels?cursor=nonsense!", headers=auth())
    assert bad.status_code == 422
    assert (
        await client.post(f"{BASE}/7/labels", json={"name": "x", "colour": "red"}, headers=auth())
    ).status_code == 422
    assert (await client.get(f"{BASE}/7/labels")).status_code == 401


async def test_system_labels_are_immutable_and_tenancy_is_404(client: Any) -> None:
    made = await client.post(f"{BASE}/7/labels", json={"name": "verified", "system": True}, headers=auth())
    system = await made.get_json()
    patched = await client.patch(
        f"{BASE}/7/labels/{system['id']}", json={"colour": "#000000"}, headers=auth()
    )
    assert patched.status_code == 409 and (await patched.get_json())["error"]["code"] == "system_label"
    assert (await client.delete(f"{BASE}/7/labels/{system['id']}", headers=auth())).status_code == 409
    plain = await (await client.post(f"{BASE}/7/labels", json={"name": "plain"}, headers=auth())).get_json()
    renamed = await client.patch(
        f"{BASE}/7/labels/{plain['id']}", json={"name": "Plain Jane", "category": "fun"}, headers=auth()
    )
    assert (await renamed.get_json())["name"] == "Plain Jane"
    # another community's ids
    assert (await client.get(f"{BASE}/8/labels/{plain['id']}", headers=auth())).status_code == 404
    assert (
        await client.patch(f"{BASE}/8/labels/{plain['id']}", json={"name": "x"}, headers=auth())
    ).status_code == 404
    assert (await client.delete(f"{BASE}/8/labels/{plain['id']}", headers=auth())).status_code == 404
    assert (
        await client.delete(f"{BASE}/8/entities/item/1/labels/{plain['id']}", headers=auth())
    ).status_code == 404
    assert (await client.get(f"{BASE}/7/entities/planet/1/labels", headers=auth())).status_code == 404
    assert (await client.delete(f"{BASE}/7/labels/{plain['id']}", headers=auth())).status_code == 204
    assert (await client.get(f"{BASE}/7/labels/{plain['id']}", headers=auth())).status_code == 404


async def test_assign_answers_the_new_state_and_search_any_or_all(client: Any) -> None:
    async def tag(etype: str, eid: str, label: str) -> Any:
        r = await client.post(
            f"{BASE}/7/entities/{etype}/{eid}/labels", json={"label": label}, headers=auth()
        )
        assert r.status_code == 200, await r.get_data(as_text=True)
        return await r.get_json()

    state = await tag("item", "1", "red")
    state = await tag("item", "1", "big")
    assert [i["name"] for i in state["items"]] == ["big", "red"] and state["entity_id"] == "1"
    await tag("item", "2", "red")
    await tag("event", "9", "big")
    await tag("quote", "3", "red")
    await tag("command", "hug", "big")

    async def find(query: str) -> list[tuple[str, str]]:
        page = await (await client.get(f"{BASE}/7/entities?{query}", headers=auth())).get_json()
        return [(i["entity_type"], i["entity_id"]) for i in page["items"]]

    assert await find("labels=red,big&match=all") == [("item", "1")]
    assert await find("labels=red,big") == [
        ("command", "hug"),
        ("event", "9"),
        ("item", "1"),
        ("item", "2"),
        ("quote", "3"),
    ]
    assert await find("labels=RED&type=item") == [("item", "1"), ("item", "2")]
    assert await find("labels=red,nope&match=all") == []
    assert await find("labels=big&limit=1") == [("command", "hug")]
    page = await (await client.get(f"{BASE}/7/entities?labels=big&limit=2", headers=auth())).get_json()
    more = await (
        await client.get(f"{BASE}/7/entities?labels=big&limit=2&cursor={page['next_cursor']}", headers=auth())
    ).get_json()
    assert [i["entity_id"] for i in more["items"]] == ["1"]
    assert await find("labels=red&q=2") == [("item", "2")]
    assert (
        await find("labels=red") != []
        and (await client.get(f"{BASE}/8/entities?labels=red", headers=auth())).status_code == 200
    )
    assert await (await client.get(f"{BASE}/8/entities?labels=red", headers=auth())).get_json() == {
        "items": [],
        "next_cursor": None,
    }
    red = state["items"][1]["id"]
    off = await client.delete(f"{BASE}/7/entities/item/1/labels/{red}", headers=auth())
    assert [i["name"] for i in (await off.get_json())["items"]] == ["big"]
    no_create = await client.post(
        f"{BASE}/7/entities/item/1/labels", json={"label": "new", "create": False}, headers=auth()
    )
    assert no_create.status_code == 404


async def test_the_limit_holds_under_concurrency(res: Any) -> None:
    limits = Limits(per_user=5, per_entity=3)

    async def one(n: int) -> bool:
        try:
            await service.assign(res.db, 1, "user", "twitch:bob", f"l{n}", limits=limits)
        except service.LimitReached:
            return False
        return True

    outcomes = await asyncio.gather(*(one(n) for n in range(10)))
    assert sum(outcomes) == 5
    assert len(await service.entity_labels(res.db, 1, "user", "twitch:bob")) == 5
    for n in range(3):
        await service.assign(res.db, 1, "item", "7", f"l{n}", limits=limits)
    try:
        await service.assign(res.db, 1, "item", "7", "l9", limits=limits)
        raise AssertionError("the 4th label on an item passed the limit")
    except service.LimitReached as exc:
        assert exc.details == {"limit": 3}


async def test_system_labels_cannot_be_given_from_chat(res: Any, make_request: Any) -> None:
    from waddlebot_labels import commands

    await service.create_label(res.db, 1, "staff", system=True)
    said = await commands.add(res, make_request("label add", "@bob staff"))
    assert said == [
        {"type": "chat", "text": "staff is a system label: it cannot be given or taken from chat."}
    ]
    await service.assign(res.db, 1, "user", "twitch:bob", "staff", limits=Limits())  # a service may
    said = await commands.remove(res, make_request("label remove", "@bob staff"))
    assert "system label" in said[0]["text"]
    assert (await commands.show(res, make_request("labels", "@bob", roles=[])))[0]["text"] == "@bob: staff"
    usage = await commands.add(res, make_request("label add", "bob"))
    assert usage[0]["text"] == "Usage: !label add @user <label>"
    bad = await commands.add(res, make_request("label add", "@bob <b>x</b>"))
    assert bad[0]["text"].startswith("A label name is")
