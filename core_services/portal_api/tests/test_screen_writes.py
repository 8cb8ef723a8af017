"""Writes of the calendar, inventory and members screens through the portal: a signed-in
broadcaster with CSRF, the owning services behind the real proxy, audit entries with
before and after, and 403 where the screen's write role says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from flask_core.testing import service_headers
from waddlebot_calendar.app import create_app as create_calendar
from waddlebot_calendar.settings import CalendarSettings
from waddlebot_community import service as community_service
from waddlebot_community.app import create_app as create_community
from waddlebot_community.settings import CommunitySettings
from waddlebot_inventory import service as inventory_service
from waddlebot_inventory.app import create_app as create_inventory
from waddlebot_inventory.settings import InventorySettings


@pytest.fixture(params=["embedded"])
def backend(request: Any, data_dir: Any) -> dict[str, Any]:
    """One backend: the services' own tests cover both; this is the portal's path."""
    return {"database_url": f"sqlite://{(data_dir / 'test.sqlite').resolve()}"}


@pytest.fixture
def extra_apps(make_settings: Any, common: dict[str, Any]) -> dict[str, Any]:
    """The owners of the three screens, beside the router and memories of `portal_fleet`."""
    return {
        "calendar": create_calendar(make_settings(CalendarSettings, **common)),
        "inventory": create_inventory(make_settings(InventorySettings, **common)),
        "community": create_community(make_settings(CommunitySettings, **common)),
    }


async def signed_in(pf: Any, role: str) -> tuple[Any, int]:
    community = await pf.community()
    await pf.user(f"{role}@example.com", roles={community: role})
    browser = pf.browser()
    assert (await browser.login(f"{role}@example.com")).status_code == 200
    return browser, community


async def audit(browser: Any, c: int, resource: str) -> list[dict[str, Any]]:
    page = await browser.get(f"/communities/{c}/audit", params={"resource": resource})
    assert page.status_code == 200, page.text
    return list(reversed(page.json()["items"]))  # oldest first


async def test_a_calendar_event_is_created_changed_and_deleted_with_audit(portal_fleet: Any) -> None:
    browser, c = await signed_in(portal_fleet, "broadcaster")
    start = (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0, tzinfo=None)
    body = {"title": "Game night", "starts_at": start.isoformat(), "max_seats": 3,
            "platform": "twitch", "server_id": "s1", "channel_id": "s1"}  # fmt: skip
    refused = await browser.send("POST", f"/communities/{c}/calendar", body, csrf=False)
    assert refused.status_code == 403
    created = await browser.send("POST", f"/communities/{c}/calendar", body)
    assert created.status_code == 201, created.text
    event = created.json()
    assert (event["title"], event["max_seats"], event["status"], event["going"]) == (
        "Game night",
        3,
        "scheduled",
        0,
    )

    bad = await browser.send("POST", f"/communities/{c}/calendar", {**body, "starts_at": "2020-01-01T10:00"})
    assert bad.status_code == 422 and bad.json()["error"]["details"]["errors"][0]["loc"] == ["starts_at"]
    changed = await browser.send(
        "PATCH", f"/communities/{c}/calendar/{event['id']}", {"title": "Movie night"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["title"] == "Movie night"
    deleted = await browser.send("DELETE", f"/communities/{c}/calendar/{event['id']}")
    assert deleted.status_code == 204
    assert (await browser.get(f"/communities/{c}/calendar/{event['id']}")).status_code == 404

    entries = await audit(browser, c, "calendar")
    assert [e["action"] for e in entries] == ["create", "update", "delete"]
    assert entries[0]["after"]["title"] == "Game night" and entries[0]["before"] is None
    assert (entries[1]["before"]["title"], entries[1]["after"]["title"]) == ("Game night", "Movie night")
    assert entries[2]["before"]["title"] == "Movie night" and entries[2]["after"] is None
    stored = await portal_fleet.fleet.http.get(
        f"/calendar/api/v1/communities/{c}/events", headers=service_headers("calendar", issuer="portal")
    )
    assert stored.json()["items"] == []


async def test_an_inventory_item_is_renamed_and_deleted_with_audit(portal_fleet: Any) -> None:
    browser, c = await signed_in(portal_fleet, "broadcaster")
    added = await browser.send("POST", f"/communities/{c}/inventory", {"name": "sword", "qty": 2})
    assert added.status_code == 201, added.text
    item = added.json()
    renamed = await browser.send(
        "PATCH", f"/communities/{c}/inventory/{item['id']}", {"name": "Great sword", "description": "Sharp."}
    )
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["description"], renamed.json()["qty"]) == (
        "Great sword",
        "Sharp.",
        2,
    )
    taken = await browser.send("POST", f"/communities/{c}/inventory", {"name": "shield"})
    clash = await browser.send(
        "PATCH", f"/communities/{c}/inventory/{taken.json()['id']}", {"name": "great SWORD"}
    )
    assert clash.status_code == 409 and clash.json()["error"]["code"] == "name_taken"
    assert (
        await browser.send("PATCH", f"/communities/{c}/inventory/{item['id']}", {"qty": 9})
    ).status_code == 422
    assert (await browser.send("DELETE", f"/communities/{c}/inventory/{item['id']}")).status_code == 204
    entries = [e for e in await audit(browser, c, "inventory") if e["resource_id"] == str(item["id"])]
    assert [e["action"] for e in entries] == ["create", "update", "delete"]
    assert (entries[1]["before"]["name"], entries[1]["after"]["name"]) == ("sword", "Great sword")
    assert entries[2]["before"]["name"] == "Great sword"


async def test_a_held_item_is_deleted_through_the_portal_only_with_force(
    portal_fleet: Any, extra_apps: dict[str, Any]
) -> None:
    browser, c = await signed_in(portal_fleet, "broadcaster")
    added = await browser.send("POST", f"/communities/{c}/inventory", {"name": "mic", "qty": 1})
    item = added.json()
    res = extra_apps["inventory"].extensions["waddlebot.resources"]
    due = datetime.now(UTC) + timedelta(hours=2)
    where = inventory_service.Where("twitch", "s1", "c1")
    await inventory_service.checkout(res.db, c, "mic", "twitch:mod", "twitch:amy", "amy", due, where)

    held = await browser.send("DELETE", f"/communities/{c}/inventory/{item['id']}")
    assert held.status_code == 409 and held.json()["error"]["code"] == "item_held"
    assert "amy" in held.json()["error"]["message"]
    bad = await browser.send("DELETE", f"/communities/{c}/inventory/{item['id']}?force=maybe")
    assert bad.status_code == 422
    forced = await browser.send("DELETE", f"/communities/{c}/inventory/{item['id']}?force=true")
    assert forced.status_code == 204, forced.text
    assert (await browser.get(f"/communities/{c}/inventory/{item['id']}")).status_code == 404
    entries = [e for e in await audit(browser, c, "inventory") if e["resource_id"] == str(item["id"])]
    assert [e["action"] for e in entries] == ["create", "delete"]
    assert entries[1]["before"]["name"] == "mic" and entries[1]["after"] == {"force": True}


async def test_a_members_role_is_changed_by_the_broadcaster_only(portal_fleet: Any) -> None:
    browser, c = await signed_in(portal_fleet, "broadcaster")
    user = {"platform_user_id": "77", "username": "amy"}
    await portal_fleet.res.db.run(community_service.touch_member, c, "twitch", user, "everyone")
    [amy] = [
        m for m in (await browser.get(f"/communities/{c}/members")).json()["items"] if m["username"] == "amy"
    ]
    changed = await browser.send("PATCH", f"/communities/{c}/members/{amy['id']}", {"role": "moderator"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["role"], changed.json()["platform_role"]) == ("moderator", "everyone")
    assert (
        await browser.send("PATCH", f"/communities/{c}/members/{amy['id']}", {"role": "admin"})
    ).status_code == 422
    [entry] = await audit(browser, c, "members")
    assert entry["action"] == "update" and entry["resource_id"] == str(amy["id"])
    assert (entry["before"]["role"], entry["after"]["role"]) == ("everyone", "moderator")

    moderator = portal_fleet.browser()
    await portal_fleet.user("mod@example.com", roles={c: "moderator"})
    assert (await moderator.login("mod@example.com")).status_code == 200
    assert (await moderator.get(f"/communities/{c}/members")).status_code == 200  # may read
    refused = await moderator.send("PATCH", f"/communities/{c}/members/{amy['id']}", {"role": "vip"})
    assert refused.status_code == 403 and refused.json()["error"]["details"]["reason"] == "role"
    assert (await moderator.send("DELETE", f"/communities/{c}/members/{amy['id']}")).status_code == 403
    assert (await browser.send("DELETE", f"/communities/{c}/members/{amy['id']}")).status_code == 204


async def test_the_three_screens_are_typed_in_the_openapi(portal_fleet: Any) -> None:
    spec = (await portal_fleet.browser().http.get("/portal/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    paths = spec["paths"]

    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        return dict(schemas[schema["$ref"].rsplit("/", 1)[1]]) if "$ref" in schema else schema

    def body(path: str, method: str) -> dict[str, Any]:
        return resolve(paths[path][method]["requestBody"]["content"]["application/json"]["schema"])

    base = "/portal/api/v1/communities/{community_id}"
    create = body(f"{base}/calendar", "post")
    assert set(create["required"]) == {"title", "starts_at"} and create["additionalProperties"] is False
    assert "max_seats" in body(f"{base}/calendar/{{key}}", "patch")["properties"]
    assert set(body(f"{base}/inventory/{{key}}", "patch")["properties"]) == {"name", "description"}
    assert "moderator" in str(body(f"{base}/members/{{key}}", "patch")["properties"]["role"])
    for screen in ("calendar", "inventory", "members"):
        page = resolve(
            paths[f"{base}/{screen}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        )
        item = resolve(page["properties"]["items"]["items"])
        assert item.get("additionalProperties") is not True and "id" in item["properties"], screen
