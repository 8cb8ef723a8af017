"""The windows where an answer could be lost or repeated (issue 9), one test each."""

from __future__ import annotations

import socket
from typing import Any

from aiohttp import web

from flask_core.app import create_app
from flask_core.errors import DependencyUnavailable
from flask_core.events import Manifest, ManifestCommand, invocation_id_for
from flask_core.module import ModuleSpec, chat, module_blueprint
from flask_core.testing import FakeHttpServer, Recorded, live_server
from waddlebot_cli.dispatcher import Dispatcher
from waddlebot_cli.testing import run_fleet
from waddlebot_memories.app import create_app as create_memories
from waddlebot_router.settings import RouterSettings


def texts(body: dict[str, Any]) -> list[str]:
    return [r["text"] for r in body["responses"]]


async def test_invocation_ids_come_from_the_event_id() -> None:
    assert invocation_id_for("twitch:abc") == invocation_id_for("twitch:abc")
    assert invocation_id_for("twitch:abc") != invocation_id_for("twitch:abd")
    assert invocation_id_for("twitch:abc", "shoutout") != invocation_id_for("twitch:abc")


async def test_an_event_processed_again_after_its_claim_is_lost_adds_one_quote(
    router_settings: Any, router_factory: Any, make_event: Any
) -> None:
    """A crash (or a lease that ran out) after the module ran: the outbox sends the event
    again, the router no longer holds its claim, and the module answers from its record."""
    apps = {"router": router_factory(router_settings), "memories": create_memories(router_settings)}
    async with run_fleet(router_settings, apps) as fleet:
        ev = make_event("!quote add said once", roles=["moderator"])
        first = (await fleet.post(ev)).json()
        router = apps["router"].extensions["router.service"]
        await router.claims.release(ev["event_id"])  # the claim is gone, as after a crash
        again = (await fleet.post(ev)).json()
        assert again["status"] == "processed"
        assert texts(again) == texts(first) == ["Quote #1 added."]
        assert again["invocation_id"] == first["invocation_id"] == invocation_id_for(ev["event_id"])
        nxt = (await fleet.post(make_event("!quote add the next one", roles=["moderator"]))).json()
        assert texts(nxt) == ["Quote #2 added."]  # nothing was added twice


async def test_a_copy_arriving_while_the_first_is_in_flight_is_retried_not_dropped(
    router_settings: Any, router_factory: Any, make_event: Any
) -> None:
    apps = {"router": router_factory(router_settings), "memories": create_memories(router_settings)}
    async with run_fleet(router_settings, apps) as fleet:
        ev = make_event("!quote add in flight", roles=["moderator"])
        router = apps["router"].extensions["router.service"]
        await router.claims.claim(ev["event_id"], 60)  # another process holds it (or died holding it)
        busy = await fleet.post(ev)
        assert busy.status_code == 503  # the outbox tries again; "duplicate" would drop it
        await router.claims.release(ev["event_id"])
        assert (await fleet.post(ev)).json()["status"] == "processed"
        assert (await fleet.post(ev)).json()["status"] == "duplicate"


def flaky_module(settings: Any, failures: dict[str, int]) -> Any:
    """`!flaky`: 503 (its database "restarting") the first `failures["left"]` times."""
    runs: list[str] = []

    async def flaky(res: Any, req: Any) -> list[dict[str, Any]]:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise DependencyUnavailable("database unavailable")
        runs.append(req.invocation_id)
        return chat("steady now")

    spec = ModuleSpec(Manifest(name="shoutout", commands=[ManifestCommand(path="flaky")]), {"flaky": flaky})
    app = create_app("shoutout", settings, [module_blueprint(spec)], "shoutout")
    app.extensions["test.runs"] = runs
    return app


async def test_a_module_down_for_a_moment_is_retried_in_process(
    router_settings: Any, router_factory: Any, make_event: Any
) -> None:
    failures = {"left": 3}
    module = flaky_module(router_settings, failures)
    async with run_fleet(
        router_settings, {"router": router_factory(router_settings), "shoutout": module}
    ) as fleet:
        body = (await fleet.post(make_event("!flaky"))).json()
    assert body["status"] == "processed" and texts(body) == ["steady now"]
    assert failures["left"] == 0 and len(module.extensions["test.runs"]) == 1


async def test_a_module_down_for_a_moment_is_retried_over_http(
    make_settings: Any, backend: dict[str, Any], free_port: int, router_factory: Any, make_event: Any
) -> None:
    """The fleet: the module is another process, reached over HTTP; a 503 is retried too."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        module_port = s.getsockname()[1]
    common = {"default_modules": ["shoutout"], "shoutout_url": f"http://127.0.0.1:{module_port}", **backend}
    settings = make_settings(RouterSettings, port=free_port, router_module_timeout=3.0, **common)
    failures = {"left": 3}
    module_settings = make_settings(RouterSettings, port=module_port, **common)
    module = flaky_module(module_settings, failures)
    remote = Dispatcher({"shoutout": module}, module_settings)
    async with (
        live_server(remote, module_port),
        run_fleet(settings, {"router": router_factory(settings)}) as fleet,
    ):
        body = (await fleet.post(make_event("!flaky"))).json()
    assert body["status"] == "processed" and texts(body) == ["steady now"]
    assert failures["left"] == 0 and len(module.extensions["test.runs"]) == 1


async def test_an_answer_the_collector_could_not_store_is_sent_again_on_the_retry(
    make_settings: Any,
    backend: dict[str, Any],
    free_port: int,
    router_factory: Any,
    module_factory: Any,
    make_event: Any,
) -> None:
    collector = FakeHttpServer()
    answers = [503, 503, 503]  # more than the delivery call's own retries

    async def messages(call: Recorded) -> web.Response:
        status = answers.pop(0) if answers else 202
        return web.json_response({"queued": 1}, status=status)

    collector.route("POST", "/twitch/api/v1/messages", messages)
    url = await collector.start()
    try:
        settings = make_settings(
            RouterSettings, port=free_port, router_module_timeout=1.0, twitch_url=url,
            default_modules=["shoutout"], **backend,
        )  # fmt: skip
        apps = {"router": router_factory(settings), "shoutout": module_factory(settings, "shoutout")}
        async with run_fleet(settings, apps) as fleet:
            ev = make_event("!shoutout_ping hi", reply={"kind": "chat", "message_id": "m-1"})
            first = await fleet.post(ev)
            assert first.status_code == 503  # not done: the outbox will send it again
            again = (await fleet.post(ev)).json()
            assert again["status"] == "processed"
            assert len(apps["shoutout"].extensions["test.calls"]) == 1  # the module ran once
    finally:
        await collector.stop()
    bodies = [c.json for c in collector.calls(r"/twitch/api/v1/messages")]
    assert len(bodies) == 4
    assert len({b["invocation_id"] for b in bodies}) == 1  # the collector dedupes on it


async def test_batch_items_a_module_could_not_answer_for_a_moment_are_asked_again(
    router_settings: Any, router_factory: Any, make_event: Any
) -> None:
    failures = {"left": 4}
    module = flaky_module(router_settings, failures)
    async with run_fleet(
        router_settings, {"router": router_factory(router_settings), "shoutout": module}
    ) as fleet:
        events = [make_event("!flaky", user=f"viewer{n}") for n in range(6)]
        results = (await fleet.batch(events)).json()["results"]
    assert [r["status"] for r in results] == ["processed"] * 6
    assert all(texts(r) == ["steady now"] for r in results)
    assert failures["left"] == 0 and len(module.extensions["test.runs"]) == 6  # each ran once
