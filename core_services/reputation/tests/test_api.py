"""The reputation API: charges (once per id, 409 when short, refunds), merges, lists, tenancy."""

from __future__ import annotations

from typing import Any

from flask_core.testing import service_headers
from waddlebot_reputation import service

BASE = "/reputation/api/v1"


def auth() -> dict[str, str]:
    return service_headers("reputation", issuer="router")


async def _fund(client: Any, community: int, user: str, amount: int) -> None:
    res = client.app.extensions["waddlebot.resources"]
    await service.add_points(res.db, community, user, amount, "test", "t", user)


async def test_a_charge_debits_once_refuses_when_short_and_refunds_once(client: Any) -> None:
    await _fund(client, 1, "7", 50)
    url = f"{BASE}/communities/1/charges"
    body = {"charge_id": "inv-1", "user_id": "7", "amount": 30, "reason": "!song"}
    first = await client.post(url, json=body, headers=auth())
    assert first.status_code == 200 and await first.get_json() == {"charge_id": "inv-1", "balance": 20}
    repeat = await client.post(url, json=body, headers=auth())
    assert await repeat.get_json() == {"charge_id": "inv-1", "balance": 20}  # debited once
    short = await client.post(url, json={**body, "charge_id": "inv-2"}, headers=auth())
    assert short.status_code == 409
    error = (await short.get_json())["error"]
    assert error["code"] == "insufficient_points" and error["details"] == {"balance": 20, "cost": 30}
    refund = f"{url}/inv-1:refund"
    refunded = await client.post(refund, headers=auth())
    assert await refunded.get_json() == {"charge_id": "inv-1", "balance": 50, "refunded": True}
    again = await client.post(refund, headers=auth())
    assert await again.get_json() == {"charge_id": "inv-1", "balance": 50, "refunded": True}
    assert (await client.post(f"{url}/nope:refund", headers=auth())).status_code == 404
    res = client.app.extensions["waddlebot.resources"]
    assert await service.get_balance(res.db, 1, "7") == 50


async def test_another_communitys_ids_are_refused(client: Any) -> None:
    await _fund(client, 1, "7", 50)
    body = {"charge_id": "inv-9", "user_id": "7", "amount": 10}
    assert (await client.post(f"{BASE}/communities/1/charges", json=body, headers=auth())).status_code == 200
    # community 2 knows neither the charge nor the balance of community 1
    assert (
        await client.post(f"{BASE}/communities/2/charges/inv-9:refund", headers=auth())
    ).status_code == 404
    other = await client.post(f"{BASE}/communities/2/charges", json=body, headers=auth())
    assert other.status_code == 409
    assert (await other.get_json())["error"]["details"] == {"balance": 0, "cost": 10}
    board = await (await client.get(f"{BASE}/communities/2/leaderboard", headers=auth())).get_json()
    assert board == {"items": [], "next_cursor": None}
    ledger = await (await client.get(f"{BASE}/communities/2/ledger", headers=auth())).get_json()
    assert ledger == {"items": [], "next_cursor": None}
    assert (await client.get(f"{BASE}/communities/0/ledger", headers=auth())).status_code == 404
    assert (await client.get(f"{BASE}/communities/1/ledger")).status_code == 401


async def test_a_merge_moves_balances_and_ledger_once(client: Any) -> None:
    await _fund(client, 1, "7", 50)
    await _fund(client, 1, "8", 5)
    await _fund(client, 2, "8", 9)
    merge = {"from_user_id": "8", "into_user_id": "7"}
    done = await client.post(f"{BASE}/users:merge", json=merge, headers=auth())
    assert await done.get_json() == {"merged": True}
    repeat = await client.post(f"{BASE}/users:merge", json=merge, headers=auth())
    assert await repeat.get_json() == {"merged": False}
    res = client.app.extensions["waddlebot.resources"]
    assert await service.get_balance(res.db, 1, "7") == 55
    assert await service.get_balance(res.db, 2, "7") == 9
    assert await service.get_balance(res.db, 1, "8") == 0
    ledger = await (await client.get(f"{BASE}/communities/1/ledger?q=7", headers=auth())).get_json()
    assert sorted(i["amount"] for i in ledger["items"]) == [5, 50]


async def test_lists_page_with_cursors_and_weights_are_per_community(client: Any) -> None:
    for i in range(5):
        await _fund(client, 3, str(i + 1), (i + 1) * 10)
    page = await (await client.get(f"{BASE}/communities/3/leaderboard?limit=2", headers=auth())).get_json()
    assert [i["balance"] for i in page["items"]] == [50, 40] and page["next_cursor"] == "2"
    url = f"{BASE}/communities/3/leaderboard?limit=2&cursor=4"
    last = await (await client.get(url, headers=auth())).get_json()
    assert [i["balance"] for i in last["items"]] == [10] and last["next_cursor"] is None
    ledger = await (await client.get(f"{BASE}/communities/3/ledger?limit=3", headers=auth())).get_json()
    assert len(ledger["items"]) == 3 and ledger["next_cursor"]
    url = f"{BASE}/communities/3/ledger?limit=3&cursor={ledger['next_cursor']}"
    rest = await (await client.get(url, headers=auth())).get_json()
    assert len(rest["items"]) == 2 and rest["next_cursor"] is None
    weights = await (await client.get(f"{BASE}/communities/3/weights", headers=auth())).get_json()
    assert weights["chat_message"] == 1 and weights["follow"] == 10
    changed = await client.put(f"{BASE}/communities/3/weights", json={**weights, "follow": 3}, headers=auth())
    assert (await changed.get_json())["follow"] == 3
    other = await (await client.get(f"{BASE}/communities/4/weights", headers=auth())).get_json()
    assert other["follow"] == 10
    bad = await client.put(f"{BASE}/communities/3/weights", json={"follow": -1}, headers=auth())
    assert bad.status_code == 422


async def test_concurrent_debits_never_go_below_zero(res: Any) -> None:
    import asyncio

    await service.add_points(res.db, 5, "1", 100, "test", "t", "one")

    async def take() -> bool:
        try:
            await service.remove_points(res.db, 5, "1", 10, "test", "t")
            return True
        except service.Insufficient:
            return False

    results = await asyncio.gather(*(take() for _ in range(20)))
    assert results.count(True) == 10
    assert await service.get_balance(res.db, 5, "1") == 0
