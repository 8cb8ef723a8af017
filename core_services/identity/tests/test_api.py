"""The identity API: resolve, lookup, users, API keys (service token on every path)."""

from __future__ import annotations

import asyncio
from typing import Any

from flask_core.testing import service_headers

BASE = "/identity/api/v1"


def auth() -> dict[str, str]:
    return service_headers("identity", issuer="router")


async def resolve(client: Any, pid: str, username: str, platform: str = "twitch") -> dict[str, Any]:
    body = {"platform": platform, "platform_user_id": pid, "username": username}
    answer = await client.post(f"{BASE}/resolve", json=body, headers=auth())
    assert answer.status_code == 200, await answer.get_data(as_text=True)
    result: dict[str, Any] = await answer.get_json()
    return result


async def test_resolve_finds_or_creates_and_follows_renames(client: Any) -> None:
    first = await resolve(client, "42", "Amy")
    assert first["linked"] is False
    assert first["identities"] == [{"platform": "twitch", "platform_user_id": "42", "username": "Amy"}]
    renamed = await resolve(client, "42", "amy_new")
    assert renamed["user_id"] == first["user_id"]
    assert renamed["identities"][0]["username"] == "amy_new"
    found = await client.get(f"{BASE}/lookup?platform=twitch&username=AMY_NEW", headers=auth())
    assert (await found.get_json())["user_id"] == first["user_id"]
    gone = await client.get(f"{BASE}/lookup?platform=twitch&username=amy", headers=auth())
    assert gone.status_code == 404 and (await gone.get_json())["error"]["code"] == "not_found"
    by_id = await client.get(f"{BASE}/users/{first['user_id']}", headers=auth())
    assert (await by_id.get_json())["user_id"] == first["user_id"]
    assert (await client.get(f"{BASE}/users/999999", headers=auth())).status_code == 404
    assert (await client.get(f"{BASE}/users/abc", headers=auth())).status_code == 404
    assert (
        await client.post(f"{BASE}/resolve", json={"platform": "twitch"}, headers=auth())
    ).status_code == 422
    assert (await client.get(f"{BASE}/users/{first['user_id']}")).status_code == 401
    wrong = service_headers("router", issuer="router")
    assert (await client.get(f"{BASE}/users/{first['user_id']}", headers=wrong)).status_code == 401


async def test_resolve_batch_answers_in_order_new_known_renamed_and_repeated(client: Any) -> None:
    known = await resolve(client, "1", "old_name")
    same = await resolve(client, "2", "kept")
    body = {
        "identities": [
            {"platform": "twitch", "platform_user_id": "3", "username": "newbie"},
            {"platform": "twitch", "platform_user_id": "1", "username": "new_name"},  # renamed
            {"platform": "twitch", "platform_user_id": "2", "username": "kept"},
            {"platform": "twitch", "platform_user_id": "3", "username": "newbie"},  # twice in one batch
            {"platform": "discord", "platform_user_id": "3", "username": "newbie"},  # another platform
        ]
    }
    answer = await client.post(f"{BASE}/resolve:batch", json=body, headers=auth())
    assert answer.status_code == 200, await answer.get_data(as_text=True)
    users = (await answer.get_json())["users"]
    assert [u["identities"][0]["username"] for u in users] == [
        "newbie",
        "new_name",
        "kept",
        "newbie",
        "newbie",
    ]
    assert users[1]["user_id"] == known["user_id"] and users[2]["user_id"] == same["user_id"]
    assert users[0]["user_id"] == users[3]["user_id"]  # one user for the repeated identity
    assert len({users[0]["user_id"], users[1]["user_id"], users[2]["user_id"], users[4]["user_id"]}) == 4
    again = await resolve(client, "3", "newbie")
    assert again["user_id"] == users[0]["user_id"]


async def test_concurrent_batches_with_the_same_new_users_make_one_user_each(client: Any) -> None:
    body = {
        "identities": [
            {"platform": "twitch", "platform_user_id": f"c{i}", "username": f"c{i}"} for i in range(10)
        ]
    }

    async def batch() -> list[str]:
        answer = await client.post(f"{BASE}/resolve:batch", json=body, headers=auth())
        assert answer.status_code == 200, await answer.get_data(as_text=True)
        return [u["user_id"] for u in (await answer.get_json())["users"]]

    answers = await asyncio.gather(*(batch() for _ in range(5)))
    assert all(a == answers[0] for a in answers) and len(set(answers[0])) == 10


async def test_concurrent_first_resolves_make_one_user(client: Any) -> None:
    answers = await asyncio.gather(*(resolve(client, "77", "zed") for _ in range(20)))
    assert len({a["user_id"] for a in answers}) == 1


async def test_keys_create_verify_list_revoke_expire_and_limit(client: Any) -> None:
    user = await resolve(client, "5", "keymaker")
    keys = f"{BASE}/users/{user['user_id']}/keys"
    made = await client.post(keys, json={"name": "script", "expires_in_days": 30}, headers=auth())
    assert made.status_code == 201
    created = await made.get_json()
    assert created["key"].startswith(f"wbk_{created['key_id']}.")
    checked = await client.post(f"{BASE}/keys:verify", json={"key": created["key"]}, headers=auth())
    assert checked.status_code == 200
    assert (await checked.get_json())["user_id"] == user["user_id"]
    listed = await (await client.get(keys, headers=auth())).get_json()
    assert [k["key_id"] for k in listed["items"]] == [created["key_id"]]
    assert "key" not in listed["items"][0] and created["key"] not in str(listed)

    wrong_secret = created["key"][:-3] + ("aaa" if not created["key"].endswith("aaa") else "bbb")
    for bad in (wrong_secret, "wbk_0000000000000000.abcdefghijklmnopqrstuvwxyz", "nonsense"):
        refused = await client.post(f"{BASE}/keys:verify", json={"key": bad}, headers=auth())
        assert refused.status_code == 401 and (await refused.get_json())["error"]["code"] == "unauthorized"

    more = [await client.post(keys, json={"name": f"k{i}"}, headers=auth()) for i in range(4)]
    assert all(m.status_code == 201 for m in more)
    sixth = await client.post(keys, json={"name": "six"}, headers=auth())
    assert sixth.status_code == 409 and (await sixth.get_json())["error"]["code"] == "too_many_keys"

    revoked = await client.delete(f"{keys}/{created['key_id']}", headers=auth())
    assert revoked.status_code == 204
    after = await client.post(f"{BASE}/keys:verify", json={"key": created["key"]}, headers=auth())
    assert after.status_code == 401
    assert (await client.post(keys, json={"name": "replacement"}, headers=auth())).status_code == 201
    assert (await client.delete(f"{keys}/nope", headers=auth())).status_code == 404

    # an expired key is refused (and no longer counts as live)
    expiring = await (await client.get(keys, headers=auth())).get_json()
    victim = next(k for k in expiring["items"] if not k["revoked"])["key_id"]
    res = client.app.extensions["waddlebot.resources"]

    def expire(db: Any) -> None:
        from datetime import datetime

        db(db.identity_api_keys.key_id == victim).update(expires_at=datetime(2020, 1, 1))

    await res.db.run(expire)
    fresh = await client.post(keys, json={"name": "after expiry"}, headers=auth())
    assert fresh.status_code == 201
    other_user = await resolve(client, "6", "stranger")
    foreign = await client.delete(f"{BASE}/users/{other_user['user_id']}/keys/{victim}", headers=auth())
    assert foreign.status_code == 404  # another user's key


async def test_an_expired_key_does_not_verify(client: Any) -> None:
    user = await resolve(client, "8", "shortlived")
    made = await (
        await client.post(f"{BASE}/users/{user['user_id']}/keys", json={"name": "x"}, headers=auth())
    ).get_json()
    res = client.app.extensions["waddlebot.resources"]

    def expire(db: Any) -> None:
        from datetime import datetime

        db(db.identity_api_keys.key_id == made["key_id"]).update(expires_at=datetime(2020, 1, 1))

    await res.db.run(expire)
    refused = await client.post(f"{BASE}/keys:verify", json={"key": made["key"]}, headers=auth())
    assert refused.status_code == 401
