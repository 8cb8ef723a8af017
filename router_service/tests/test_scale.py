"""Limits, cooldowns, late answers, fan-out and the batch path, on both backends."""

from __future__ import annotations

import asyncio
from typing import Any

from flask_core.testing import service_headers, wait_until
from waddlebot_cli.testing import run_fleet


def apps(settings: Any, router_factory: Any, module_factory: Any) -> dict[str, Any]:
    return {"router": router_factory(settings), "shoutout": module_factory(settings, "shoutout")}


async def test_burst_from_one_user_allows_exactly_the_limit_with_one_notice(
    router_settings: Any, router_factory: Any, module_factory: Any, make_event: Any
) -> None:
    async with run_fleet(router_settings, apps(router_settings, router_factory, module_factory)) as fleet:
        answers = [
            (await fleet.post(make_event(f"!shoutout_ping {i}", user="spammer"))).json() for i in range(25)
        ]
        statuses = [a["status"] for a in answers]
        assert statuses.count("processed") == 20
        assert statuses.count("rate_limited") == 5
        limited = [a for a in answers if a["status"] == "rate_limited"]
        assert len(limited[0]["responses"]) == 1
        assert "slow down" in limited[0]["responses"][0]["text"]
        assert all(a["responses"] == [] for a in limited[1:])
        other = (await fleet.post(make_event("!shoutout_ping", user="polite"))).json()
        assert other["status"] == "processed"


async def test_concurrent_burst_is_limited_atomically(
    router_settings: Any, router_factory: Any, module_factory: Any, make_event: Any
) -> None:
    async with run_fleet(router_settings, apps(router_settings, router_factory, module_factory)) as fleet:
        answers = await asyncio.gather(
            *(fleet.post(make_event("!shoutout_ping", user="racer")) for _ in range(40))
        )
        statuses = [a.json()["status"] for a in answers]
        assert statuses.count("processed") == 20
        assert sum(1 for a in answers if a.json()["status"] == "rate_limited" and a.json()["responses"]) == 1


async def test_community_limit(
    make_settings: Any,
    backend: Any,
    free_port: int,
    router_factory: Any,
    module_factory: Any,
    make_event: Any,
) -> None:
    from waddlebot_router.settings import RouterSettings

    settings = make_settings(
        RouterSettings,
        port=free_port,
        router_community_rate_limit="6/30s",
        default_modules=["shoutout"],
        **backend,
    )
    async with run_fleet(settings, apps(settings, router_factory, module_factory)) as fleet:
        statuses = [
            (await fleet.post(make_event("!shoutout_ping", user=f"u{i}"))).json()["status"] for i in range(8)
        ]
        assert statuses == ["processed"] * 6 + ["rate_limited"] * 2


async def test_user_and_global_cooldowns(
    router_settings: Any, router_factory: Any, module_factory: Any, make_event: Any
) -> None:
    async with run_fleet(router_settings, apps(router_settings, router_factory, module_factory)) as fleet:
        first = (await fleet.post(make_event("!shoutout_cd", user="amy"))).json()
        second = (await fleet.post(make_event("!shoutout_cd", user="amy"))).json()
        third = (await fleet.post(make_event("!shoutout_cd", user="amy"))).json()
        other_user = (await fleet.post(make_event("!shoutout_cd", user="bob"))).json()
        assert first["status"] == "processed"
        assert second == {**second, "status": "rate_limited", "responses": []}  # silence (§12)
        assert third == {**third, "status": "rate_limited", "responses": []}
        assert other_user["status"] == "processed"
        g1 = (await fleet.post(make_event("!shoutout_gcd", user="amy"))).json()
        g2 = (await fleet.post(make_event("!shoutout_gcd", user="bob"))).json()
        assert (g1["status"], g2["status"]) == ("processed", "rate_limited")
        rejected = (await fleet.post(make_event("!shoutout_mod", user="carl"))).json()
        assert rejected["status"] == "rejected"


async def test_late_answer_is_delivered_once(
    router_settings: Any, router_factory: Any, module_factory: Any, make_event: Any
) -> None:
    async with run_fleet(router_settings, apps(router_settings, router_factory, module_factory)) as fleet:
        body = (await fleet.post(make_event("!shoutout_late"))).json()
        assert body["status"] == "processed" and body["pending"] is True and body["responses"] == []
        inv = body["invocation_id"]
        module_headers = service_headers("router", issuer="shoutout")
        pending = await fleet.http.get(f"/router/api/v1/responses/{inv}", headers=module_headers)
        assert pending.json()["status"] == "pending"
        late = {"invocation_id": inv, "responses": [{"type": "chat", "text": "done thinking"}]}
        first = await fleet.http.post("/router/api/v1/responses", json=late, headers=module_headers)
        assert first.status_code == 202
        second = await fleet.http.post("/router/api/v1/responses", json=late, headers=module_headers)
        assert second.status_code == 409
        assert second.json()["error"]["code"] == "conflict"
        answered = (await fleet.http.get(f"/router/api/v1/responses/{inv}", headers=module_headers)).json()
        assert answered["responses"] == [{"type": "chat", "text": "done thinking"}]
        unknown = await fleet.http.post(
            "/router/api/v1/responses", json={**late, "invocation_id": "nope"}, headers=module_headers
        )
        assert unknown.status_code == 404


async def test_expired_invocation_is_refused(
    make_settings: Any,
    backend: Any,
    free_port: int,
    router_factory: Any,
    module_factory: Any,
    make_event: Any,
) -> None:
    from waddlebot_router.settings import RouterSettings

    settings = make_settings(
        RouterSettings, port=free_port, router_session_ttl=0.3, default_modules=["shoutout"], **backend
    )
    async with run_fleet(settings, apps(settings, router_factory, module_factory)) as fleet:
        inv = (await fleet.post(make_event("!shoutout_late"))).json()["invocation_id"]

        async def expired_session() -> bool:
            answer = await fleet.http.get(
                f"/router/api/v1/responses/{inv}", headers=service_headers("router")
            )
            return answer.status_code == 404

        await wait_until(expired_session)  # the session's 0.3 s TTL has run out
        late = {"invocation_id": inv, "responses": [{"type": "chat", "text": "too late"}]}
        expired = await fleet.http.post(
            "/router/api/v1/responses", json=late, headers=service_headers("router")
        )
        assert expired.status_code == 404


async def test_raid_reaches_the_subscribed_module_once(
    router_settings: Any, router_factory: Any, module_factory: Any, make_event: Any
) -> None:
    fleet_apps = apps(router_settings, router_factory, module_factory)
    fleet_apps["alias"] = module_factory(router_settings, "alias")  # subscribed, but not enabled here
    async with run_fleet(router_settings, fleet_apps) as fleet:
        raid = make_event("", type_="raid", metadata={"from": "bigstreamer", "viewers": 40})
        first = (await fleet.post(raid)).json()
        again = (await fleet.post(raid)).json()
        assert first["status"] == "processed"
        assert first["responses"] == [{"type": "chat", "text": "Welcome raiders from bigstreamer!"}]
        assert again["status"] == "duplicate"
        raids = [c for c in fleet_apps["shoutout"].extensions["test.calls"] if "raid" in c]
        assert len(raids) == 1
        assert fleet_apps["alias"].extensions["test.calls"] == []
        follow = (await fleet.post(make_event("", type_="follow"))).json()
        assert follow["status"] == "ignored"


async def test_batch_of_100_is_one_module_call_in_order(
    make_settings: Any,
    backend: Any,
    free_port: int,
    router_factory: Any,
    module_factory: Any,
    make_event: Any,
) -> None:
    from waddlebot_router.settings import RouterSettings

    settings = make_settings(
        RouterSettings,
        port=free_port,
        router_user_rate_limit="1000/30s",
        default_modules=["shoutout"],
        **backend,
    )
    fleet_apps = apps(settings, router_factory, module_factory)
    async with run_fleet(settings, fleet_apps) as fleet:
        events = [make_event(f"!shoutout_ping n{i}", user=f"user{i % 7}") for i in range(98)]
        events.insert(10, dict(events[3]))  # a duplicate inside the batch
        events.append(make_event("!nothing"))
        batch_calls, single_calls = in_process("commands:batch"), in_process("commands")
        response = await fleet.batch(events)
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert [r["event_id"] for r in results] == [e["event_id"] for e in events]
        assert results[10]["status"] == "duplicate"
        assert results[3]["status"] == "processed"
        assert results[-1]["status"] == "ignored"
        processed = [r for r in results if r["status"] == "processed"]
        assert len(processed) == 98
        assert results[0]["responses"] == [{"type": "chat", "text": "pong n0"}]
        assert results[50]["responses"] == [{"type": "chat", "text": "pong n49"}]
        # one call for the module, answered in process (no HTTP request at all, decision 0007)
        assert in_process("commands:batch") - batch_calls == 1
        assert in_process("commands") == single_calls
        assert not any(
            p.startswith("/shoutout/api/v1/commands") for p in fleet_apps["shoutout"].extensions["test.hits"]
        )


async def test_batch_limits_and_validation(
    router_settings: Any, router_factory: Any, module_factory: Any, make_event: Any
) -> None:
    async with run_fleet(router_settings, apps(router_settings, router_factory, module_factory)) as fleet:
        too_big = await fleet.batch([make_event("!shoutout_ping") for _ in range(101)])
        assert too_big.status_code == 422
        assert too_big.json()["error"]["code"] == "batch_too_large"
        events = [make_event("!shoutout_ping") for _ in range(3)]
        events[1]["user"] = {"username": ""}
        invalid = await fleet.batch(events)
        assert invalid.status_code == 422
        assert invalid.json()["error"]["details"]["index"] == 1
        # nothing was processed: the valid events still go through afterwards
        again = await fleet.batch([events[0], events[2]])
        assert [r["status"] for r in again.json()["results"]] == ["processed", "processed"]


async def test_batch_with_a_down_module_gives_unavailable_per_event(
    router_settings: Any, router_factory: Any, module_factory: Any, make_event: Any
) -> None:
    async with run_fleet(router_settings, apps(router_settings, router_factory, module_factory)) as fleet:
        results = (await fleet.batch([make_event("!shoutout_slow") for _ in range(3)])).json()["results"]
        assert [r["status"] for r in results] == ["processed"] * 3
        assert all("unavailable" in r["responses"][0]["text"] for r in results)


async def test_a_module_never_gets_more_calls_than_its_bulkhead(
    make_settings: Any,
    backend: Any,
    free_port: int,
    router_factory: Any,
    module_factory: Any,
    make_event: Any,
) -> None:
    from waddlebot_router.settings import RouterSettings

    settings = make_settings(
        RouterSettings,
        port=free_port,
        router_module_concurrency=2,
        router_module_timeout=2.0,
        default_modules=["shoutout"],
        **backend,
    )
    fleet_apps = {
        "router": router_factory(settings),
        "shoutout": module_factory(settings, "shoutout", delay=0.2),
    }
    async with run_fleet(settings, fleet_apps) as fleet:
        answers = await asyncio.gather(
            *(fleet.post(make_event("!shoutout_slow", user=f"u{i}")) for i in range(6))
        )
    assert [a.json()["responses"][0]["text"] for a in answers] == ["done slowly"] * 6
    assert fleet_apps["shoutout"].extensions["test.in_flight"]["max"] == 2


def in_process(route: str) -> float:
    from flask_core.metrics import REGISTRY

    labels = {"service": "shoutout", "route": route}
    return REGISTRY.get_sample_value("waddlebot_module_in_process_calls_total", labels) or 0.0
