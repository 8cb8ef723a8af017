"""The router's pipeline through real HTTP, on both backends (embedded and fleet)."""

from __future__ import annotations

import asyncio
from typing import Any

from flask_core.testing import service_headers
from waddlebot_cli.testing import run_fleet


async def test_module_command_is_processed_with_args(
    router_settings: Any, router_factory: Any, module_factory: Any, make_event: Any
) -> None:
    shoutout = module_factory(router_settings, "shoutout")
    async with run_fleet(
        router_settings, {"router": router_factory(router_settings), "shoutout": shoutout}
    ) as fleet:
        r = await fleet.post(make_event('!shoutout_ping "hello there" @bob'))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "processed"
        assert body["responses"] == [{"type": "chat", "text": 'pong "hello there" @bob'}]
        call = shoutout.extensions["test.calls"][0]
        assert call["command"] == "shoutout_ping"
        assert call["args"] == ["hello there", "@bob"]
        assert call["args_text"] == '"hello there" @bob'
        assert call["invocation_id"] == body["invocation_id"]


async def test_unknown_command_and_plain_chat_are_ignored(
    router_settings: Any, router_factory: Any, make_event: Any
) -> None:
    async with run_fleet(router_settings, {"router": router_factory(router_settings)}) as fleet:
        for text in ("!nosuchthing", "just chatting", "#market thing", "! spaced"):
            body = (await fleet.post(make_event(text))).json()
            assert body["status"] == "ignored", text
            assert body["responses"] == []


async def test_role_too_low_is_rejected_with_one_error(
    router_settings: Any, router_factory: Any, module_factory: Any, make_event: Any
) -> None:
    apps = {
        "router": router_factory(router_settings),
        "shoutout": module_factory(router_settings, "shoutout"),
    }
    async with run_fleet(router_settings, apps) as fleet:
        viewer = (await fleet.post(make_event("!shoutout_mod x", user="vic"))).json()
        assert viewer["status"] == "rejected"
        assert len(viewer["responses"]) == 1
        assert viewer["responses"][0]["type"] == "error"
        assert "moderator" in viewer["responses"][0]["text"]
        moderator = (await fleet.post(make_event("!shoutout_mod x", roles=["moderator"]))).json()
        assert moderator["status"] == "processed"
        broadcaster = (await fleet.post(make_event("!shoutout_mod x", roles=["broadcaster"]))).json()
        assert broadcaster["status"] == "processed"


async def test_admin_role_from_a_platform_is_stripped(
    router_settings: Any, router_factory: Any, module_factory: Any, make_event: Any
) -> None:
    apps = {
        "router": router_factory(router_settings),
        "shoutout": module_factory(router_settings, "shoutout"),
    }
    async with run_fleet(router_settings, apps) as fleet:
        spoofed = (await fleet.post(make_event("!shoutout_mod x", roles=["admin"]))).json()
        assert spoofed["status"] == "rejected"
        # The portal names the community in the trusted field (web never provisions, §12) and
        # may act as admin (on behalf of an admin); another caller's `web` event may do neither.
        trusted = {"community_id": 1}
        as_portal = service_headers("router", issuer="portal")

        def event() -> dict[str, Any]:
            return make_event("!shoutout_mod x", roles=["admin"], platform="web", metadata=trusted)

        assert (await fleet.post(event(), headers=as_portal)).json()["status"] == "processed"
        assert (await fleet.post(event())).json()["status"] == "ignored"  # no community named
        demo = make_event("!shoutout_mod x", roles=["admin"], platform="web", server="demo")
        assert (await fleet.post(demo)).json()["status"] == "rejected"  # admin stripped


async def test_bot_never_answers_itself(
    make_settings: Any,
    backend: Any,
    free_port: int,
    router_factory: Any,
    module_factory: Any,
    make_event: Any,
) -> None:
    from waddlebot_router.settings import RouterSettings

    settings = make_settings(
        RouterSettings, port=free_port, twitch_bot_user_id="id-bot", default_modules=["shoutout"], **backend
    )
    apps = {"router": router_factory(settings), "shoutout": module_factory(settings, "shoutout")}
    async with run_fleet(settings, apps) as fleet:
        assert (await fleet.post(make_event("!shoutout_ping", user="bot"))).json()["status"] == "ignored"
        slack_bot = make_event("!shoutout_ping", platform="slack", metadata={"bot_id": "B1"})
        assert (await fleet.post(slack_bot)).json()["status"] == "ignored"
        assert (await fleet.post(make_event("!shoutout_ping", user="human"))).json()["status"] == "processed"


async def test_redelivery_and_concurrent_copies_are_answered_once(
    router_settings: Any, router_factory: Any, module_factory: Any, make_event: Any
) -> None:
    shoutout = module_factory(router_settings, "shoutout")
    async with run_fleet(
        router_settings, {"router": router_factory(router_settings), "shoutout": shoutout}
    ) as fleet:
        ev = make_event("!shoutout_ping once")
        first = (await fleet.post(ev)).json()
        again = (await fleet.post(ev)).json()
        assert first["status"] == "processed"
        assert again == {"event_id": ev["event_id"], "status": "duplicate", "responses": [], "pending": False}
        twin = make_event("!shoutout_ping twin")
        answers = await asyncio.gather(*(fleet.post(twin) for _ in range(5)))
        # a copy that meets the first in flight is told to retry (503), never dropped
        assert all(a.status_code in (200, 503) for a in answers)
        statuses = [a.json()["status"] for a in answers if a.status_code == 200]
        assert statuses.count("processed") == 1 and set(statuses) <= {"processed", "duplicate"}
        assert (await fleet.post(twin)).json()["status"] == "duplicate"
        assert [c["args_text"] for c in shoutout.extensions["test.calls"]].count("twin") == 1


async def test_slow_module_gives_the_unavailable_text_within_the_timeout(
    router_settings: Any, router_factory: Any, module_factory: Any, make_event: Any
) -> None:
    apps = {
        "router": router_factory(router_settings),
        "shoutout": module_factory(router_settings, "shoutout", delay=600),
    }
    async with run_fleet(router_settings, apps) as fleet:
        # The module would take 600 s: an answer at all means the router gave up at its budget.
        async with asyncio.timeout(router_settings.router_module_timeout + 10):
            body = (await fleet.post(make_event("!shoutout_slow"))).json()
        assert body["status"] == "processed"
        assert "unavailable" in body["responses"][0]["text"]
        failing = (await fleet.post(make_event("!shoutout_boom"))).json()
        assert failing["status"] == "processed"
        assert "unavailable" in failing["responses"][0]["text"]


async def test_bad_requests_get_clear_errors(
    router_settings: Any, router_factory: Any, make_event: Any
) -> None:
    async with run_fleet(router_settings, {"router": router_factory(router_settings)}) as fleet:
        headers = {**service_headers("router"), "Content-Type": "application/json"}
        malformed = await fleet.http.post("/router/api/v1/events", content=b"{nope", headers=headers)
        assert malformed.status_code == 400
        assert malformed.json()["error"]["code"] == "invalid_json"
        invalid = make_event("!x")
        invalid["platform"] = "myspace"
        del invalid["user"]
        bad = await fleet.post(invalid)
        assert bad.status_code == 422
        assert bad.json()["error"]["code"] == "validation_error"
        assert (await fleet.post(make_event("!x"), headers={})).status_code == 401
        wrong_audience = await fleet.post(make_event("!x"), headers=service_headers("memories"))
        assert wrong_audience.status_code == 401
        assert wrong_audience.json()["error"]["code"] == "unauthorized"


async def test_builtin_commands(
    router_settings: Any, router_factory: Any, module_factory: Any, make_event: Any
) -> None:
    apps = {
        "router": router_factory(router_settings),
        "shoutout": module_factory(router_settings, "shoutout"),
    }
    async with run_fleet(router_settings, apps) as fleet:
        commands = (await fleet.post(make_event("!commands"))).json()["responses"][0]["text"]
        assert commands.startswith("Commands: ")
        assert "!help" in commands and "!shoutout_ping" in commands
        helped = (await fleet.post(make_event("!help shoutout_mod"))).json()["responses"][0]["text"]
        assert "moderator" in helped
        unknown = (await fleet.post(make_event("!help nothing"))).json()["responses"][0]["text"]
        assert "No command !nothing" in unknown
        modules = (await fleet.post(make_event("!modules"))).json()["responses"][0]["text"]
        assert modules.startswith("Here I do: shoutout (!shoutout_boom, ")


async def test_disabled_module_and_patched_role(
    router_settings: Any, router_factory: Any, module_factory: Any, make_event: Any
) -> None:
    apps = {
        "router": router_factory(router_settings),
        "shoutout": module_factory(router_settings, "shoutout"),
    }
    async with run_fleet(router_settings, apps) as fleet:
        assert (await fleet.post(make_event("!shoutout_ping"))).json()["status"] == "processed"
        h = service_headers("router")
        listing = (await fleet.http.get("/router/api/v1/communities/1/commands", headers=h)).json()
        assert any(c["path"] == "shoutout_ping" for c in listing["commands"])
        patched = await fleet.http.patch(
            "/router/api/v1/communities/1/commands/shoutout_ping", json={"role": "vip"}, headers=h
        )
        assert patched.status_code == 200, patched.text
        assert (await fleet.post(make_event("!shoutout_ping"))).json()["status"] == "rejected"
        assert (await fleet.post(make_event("!shoutout_ping", roles=["vip"]))).json()["status"] == "processed"
        off = await fleet.http.put(
            "/router/api/v1/communities/1/modules/shoutout", json={"enabled": False}, headers=h
        )
        assert off.status_code == 200
        assert (await fleet.post(make_event("!shoutout_ping", roles=["vip"]))).json()["status"] == "ignored"
        bad = await fleet.http.patch(
            "/router/api/v1/communities/1/commands/shoutout_ping", json={"role": "god"}, headers=h
        )
        assert bad.status_code == 422
        missing = await fleet.http.put(
            "/router/api/v1/communities/999/modules/shoutout", json={"enabled": True}, headers=h
        )
        assert missing.status_code == 404


async def test_new_community_gets_the_default_modules(
    router_settings: Any, router_factory: Any, module_factory: Any, make_event: Any
) -> None:
    apps = {
        "router": router_factory(router_settings),
        "shoutout": module_factory(router_settings, "shoutout"),
        "alias": module_factory(router_settings, "alias"),
    }
    async with run_fleet(router_settings, apps) as fleet:
        body = (await fleet.post(make_event("!modules", server="brand-new"))).json()
        assert body["responses"][0]["text"].startswith("Here I do: shoutout (")
        assert (await fleet.post(make_event("!alias_ping", server="brand-new"))).json()["status"] == "ignored"
