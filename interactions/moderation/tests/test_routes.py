"""The moderation HTTP API through the real app and lifespan (both backends)."""

from __future__ import annotations

from typing import Any

from flask_core.testing import service_headers

BASE = "/moderation/api/v1"
RULES = f"{BASE}/communities/7/rules"


def auth() -> dict[str, str]:
    return service_headers("moderation", issuer="router")


async def test_rules_start_from_the_defaults_and_change_piece_by_piece(client: Any) -> None:
    first = await (await client.get(RULES, headers=auth())).get_json()
    assert first["version"] == 0 and first["community_id"] == 7
    assert first["exempt_roles"] == ["moderator", "broadcaster"]
    assert first["filters"]["links"]["enabled"] is False
    patch = {"exempt_roles": ["moderator", "broadcaster", "vip"],
             "filters": {"links": {"enabled": True, "allow": ["YouTube.com"]},
                         "words": {"words": ["Darn", "darn ", "heck"]}},
             "escalation": {"timeouts": [30, 300, 3600]}}  # fmt: skip
    changed = await client.patch(RULES, json=patch, headers=auth())
    assert changed.status_code == 200, await changed.get_data(as_text=True)
    body = await changed.get_json()
    assert body["version"] == 1 and body["exempt_roles"][-1] == "vip"
    assert body["filters"]["links"] == {"enabled": True, "action": "delete", "allow": ["youtube.com"]}
    assert body["filters"]["words"]["words"] == ["darn", "heck"]
    assert body["escalation"] == {"timeouts": [30, 300, 3600], "window": 3600}
    again = await client.patch(
        RULES, json={"filters": {"caps": {"enabled": True, "ratio": 0.8}}}, headers=auth()
    )
    body = await again.get_json()
    assert body["version"] == 2 and body["filters"]["links"]["enabled"] is True  # kept
    assert body["filters"]["caps"]["ratio"] == 0.8
    other = await (await client.get(f"{BASE}/communities/8/rules", headers=auth())).get_json()
    assert other["version"] == 0 and other["filters"]["links"]["enabled"] is False


async def test_bad_rules_are_refused_in_the_error_shape(client: Any) -> None:
    for bad in (
        {"filters": {"nosuch": {"enabled": True}}},
        {"filters": {"caps": {"ratio": 3}}},
        {"filters": {"links": {"allow": ["not a domain"]}}},
        {"exempt_roles": ["superuser"]},
        {"surprise": 1},
    ):
        answer = await client.patch(RULES, json=bad, headers=auth())
        assert answer.status_code == 422, bad
        assert (await answer.get_json())["error"]["code"] == "validation_error"


async def test_risky_patterns_are_refused_when_saved_and_safe_ones_kept(client: Any) -> None:
    for pattern in (r"(a+)+$", r"(\w|\d)*x", r"(.*a){12}", r"(a)\1", "(unclosed"):
        answer = await client.patch(
            RULES, json={"filters": {"words": {"patterns": [pattern]}}}, headers=auth()
        )
        assert answer.status_code == 422, pattern
        error = (await answer.get_json())["error"]
        assert error["code"] == "catastrophic_pattern" and error["details"]["index"] == 0
    kept = await client.patch(RULES, json={"filters": {"words": {"patterns": [r"fr[e3]{2} ?v-?bucks"]}}},
                              headers=auth())  # fmt: skip
    assert (await kept.get_json())["filters"]["words"]["patterns"] == [r"fr[e3]{2} ?v-?bucks"]


async def test_the_log_takes_batches_once_and_pages_newest_first(client: Any) -> None:
    records = [{"community_id": 7, "event_id": f"twitch:m{i}", "platform": "twitch", "channel_id": "c",
                "user_id": "555", "username": "bob", "rule": "links", "action": "delete",
                "message": f"spam {i}"} for i in range(5)]  # fmt: skip
    first = await client.post(f"{BASE}/log:batch", json={"records": records}, headers=auth())
    assert (await first.get_json()) == {"stored": 5}
    again = await client.post(f"{BASE}/log:batch", json={"records": records[:2]}, headers=auth())
    assert (await again.get_json()) == {"stored": 0}  # a router's retry
    page = await (await client.get(f"{BASE}/communities/7/log?limit=3", headers=auth())).get_json()
    assert [e["message"] for e in page["items"]] == ["spam 4", "spam 3", "spam 2"]
    rest = await client.get(f"{BASE}/communities/7/log?limit=3&cursor={page['next_cursor']}", headers=auth())
    rest_body = await rest.get_json()
    assert [e["message"] for e in rest_body["items"]] == ["spam 1", "spam 0"] and rest_body[
        "next_cursor"
    ] is None
    none = await (await client.get(f"{BASE}/communities/7/log?q=amy", headers=auth())).get_json()
    assert none["items"] == []
    bad = await client.post(f"{BASE}/log:batch", json={"records": [{**records[0], "rule": "nope"}]},
                            headers=auth())  # fmt: skip
    assert bad.status_code == 422


async def test_the_api_needs_a_service_token_for_this_service(client: Any) -> None:
    assert (await client.get(RULES)).status_code == 401
    wrong = service_headers("router", issuer="router")
    assert (await client.get(RULES, headers=wrong)).status_code == 401
