"""The community HTTP API through the real app and lifespan."""

from __future__ import annotations

from typing import Any

from flask_core.testing import service_headers

BASE = "/community/api/v1"
ITEMS = f"{BASE}/communities/7/items"


def auth() -> dict[str, str]:
    return service_headers("community", issuer="router")


async def test_an_added_item_is_listed(client: Any) -> None:
    created = await client.post(ITEMS, json={"name": "  first  "}, headers=auth())
    assert created.status_code == 201, await created.get_data(as_text=True)
    item = await created.get_json()
    assert item["name"] == "first" and item["community_id"] == 7
    listed = await client.get(ITEMS, headers=auth())
    assert (await listed.get_json())["items"] == [item]
    other = await client.get(f"{BASE}/communities/8/items", headers=auth())
    assert (await other.get_json())["items"] == []


async def test_the_api_needs_a_service_token_for_this_service(client: Any) -> None:
    assert (await client.get(ITEMS)).status_code == 401
    wrong = service_headers("router", issuer="router")
    assert (await client.get(ITEMS, headers=wrong)).status_code == 401


async def test_a_blank_name_is_a_validation_error(client: Any) -> None:
    response = await client.post(ITEMS, json={"name": "   "}, headers=auth())
    assert response.status_code == 422
    assert (await response.get_json())["error"]["code"] == "validation_error"
