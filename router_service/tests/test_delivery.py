"""Everything the router answers on a platform reaches that platform's collector."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, request

from flask_core.app import create_app
from flask_core.auth import require_service
from waddlebot_cli.testing import run_fleet


def fake_collector(settings: Any, prefix: str = "twitch") -> Any:
    bp = Blueprint("collector", __name__)
    received: list[dict[str, Any]] = []

    @bp.post("/api/v1/messages")
    @require_service
    async def messages() -> Any:
        received.append(await request.get_json())
        return {"accepted": True}, 202

    app = create_app(prefix, settings, [bp], prefix)
    app.extensions["test.received"] = received
    return app


def chat_event(make_event: Any, text: str, **kw: Any) -> dict[str, Any]:
    ev = make_event(text, **kw)
    ev["reply"] = {"kind": "chat", "message_id": "m-1"}
    return ev


async def test_answers_refusals_and_limit_notices_are_delivered(
    router_settings: Any, router_factory: Any, module_factory: Any, make_event: Any
) -> None:
    collector = fake_collector(router_settings)
    apps = {
        "router": router_factory(router_settings),
        "shoutout": module_factory(router_settings, "shoutout"),
        "twitch": collector,
    }
    async with run_fleet(router_settings, apps) as fleet:
        answered = (await fleet.post(chat_event(make_event, "!shoutout_ping hi"))).json()
        refused = (await fleet.post(chat_event(make_event, "!shoutout_mod", user="vic"))).json()
        await fleet.post(chat_event(make_event, "!shoutout_cd", user="amy"))
        limited = (await fleet.post(chat_event(make_event, "!shoutout_cd", user="amy"))).json()
        silent = (await fleet.post(chat_event(make_event, "!shoutout_cd", user="amy"))).json()
        ignored = (await fleet.post(chat_event(make_event, "!nothing"))).json()
    received = collector.extensions["test.received"]
    texts = [d["responses"][0]["text"] for d in received]
    assert answered["status"] == "processed" and "pong hi" in texts
    assert refused["status"] == "rejected" and any("moderator" in t for t in texts)
    assert limited["status"] == "rate_limited" and limited["responses"] == []  # on cooldown: silence (§12)
    assert silent["responses"] == [] and ignored["responses"] == []
    assert len(received) == 3  # ping, refusal, first cooldown use
    first = received[0]
    assert first["invocation_id"] == answered["invocation_id"]
    assert first["reply"]["kind"] == "chat" and first["reply"]["message_id"] == "m-1"
    assert first["server_id"] == "chan1" and first["channel_id"] == "chan1"


async def test_batch_delivers_each_answer(
    router_settings: Any, router_factory: Any, module_factory: Any, make_event: Any
) -> None:
    collector = fake_collector(router_settings)
    apps = {
        "router": router_factory(router_settings),
        "shoutout": module_factory(router_settings, "shoutout"),
        "twitch": collector,
    }
    async with run_fleet(router_settings, apps) as fleet:
        events = [chat_event(make_event, f"!shoutout_ping {i}", user=f"u{i}") for i in range(5)]
        events.append(chat_event(make_event, "!shoutout_mod", user="vic"))
        results = (await fleet.batch(events)).json()["results"]
    assert [r["status"] for r in results] == ["processed"] * 5 + ["rejected"]
    received = collector.extensions["test.received"]
    assert len(received) == 6
    delivered = {d["invocation_id"] for d in received}
    assert {r["invocation_id"] for r in results[:5]} <= delivered
    assert any("moderator" in d["responses"][0]["text"] for d in received)


async def test_a_late_answer_reaches_the_platform_once(
    router_settings: Any, router_factory: Any, module_factory: Any, make_event: Any
) -> None:
    from flask_core.testing import service_headers

    collector = fake_collector(router_settings)
    apps = {
        "router": router_factory(router_settings),
        "shoutout": module_factory(router_settings, "shoutout"),
        "twitch": collector,
    }
    async with run_fleet(router_settings, apps) as fleet:
        body = (await fleet.post(chat_event(make_event, "!shoutout_late"))).json()
        assert body["pending"] is True
        late = {
            "invocation_id": body["invocation_id"],
            "responses": [{"type": "chat", "text": "thought about it"}],
        }
        headers = service_headers("router", issuer="shoutout")
        first = await fleet.http.post("/router/api/v1/responses", json=late, headers=headers)
        again = await fleet.http.post("/router/api/v1/responses", json=late, headers=headers)
    assert first.status_code == 202 and first.json()["delivered"] is True
    assert again.status_code == 409
    received = collector.extensions["test.received"]
    assert [d["responses"][0]["text"] for d in received] == ["thought about it"]
    assert received[0]["invocation_id"] == body["invocation_id"]
    assert received[0]["reply"] == {"kind": "chat", "message_id": "m-1"} | {
        k: v for k, v in received[0]["reply"].items() if v is None
    }
    assert received[0]["server_id"] == "chan1"
