"""One chat command the whole way: router + the real memories service, real HTTP, both backends."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

from flask_core.testing import live_server
from waddlebot_cli.dispatcher import Dispatcher
from waddlebot_cli.testing import run_fleet
from waddlebot_memories.app import create_app as create_memories
from waddlebot_memories.settings import MemoriesSettings
from waddlebot_router.settings import RouterSettings


def fleet_apps(settings: Any, router_factory: Any) -> dict[str, Any]:
    return {"router": router_factory(settings), "memories": create_memories(settings)}


def text(body: dict[str, Any]) -> str:
    return " | ".join(r["text"] for r in body["responses"])


async def test_quote_add_read_search_and_refusal(
    router_settings: Any, router_factory: Any, make_event: Any
) -> None:
    async with run_fleet(router_settings, fleet_apps(router_settings, router_factory)) as fleet:
        added = (
            await fleet.post(make_event("!quote add Never give up - Waddles", roles=["moderator"]))
        ).json()
        assert added["status"] == "processed"
        assert text(added) == "Quote #1 added."
        shown = (await fleet.post(make_event("!quote 1", user="viewer"))).json()
        assert shown["status"] == "processed"
        assert "Never give up" in text(shown) and "Waddles" in text(shown)
        found = (await fleet.post(make_event("!quote search GIVE", user="viewer"))).json()
        assert "#1" in text(found)
        random_quote = (await fleet.post(make_event("!quote", user="viewer"))).json()
        assert "Never give up" in text(random_quote)
        refused = (await fleet.post(make_event("!quote add sneaky", user="viewer"))).json()
        assert refused["status"] == "rejected"
        assert refused["responses"][0]["type"] == "error"
        removed_by_viewer = (await fleet.post(make_event("!quote remove 1", user="viewer"))).json()
        assert removed_by_viewer["status"] == "rejected"
        assert "Never give up" in text((await fleet.post(make_event("!quote 1"))).json())


async def test_quote_redelivery_and_concurrent_copies_add_once(
    router_settings: Any, router_factory: Any, make_event: Any
) -> None:
    async with run_fleet(router_settings, fleet_apps(router_settings, router_factory)) as fleet:
        ev = make_event("!quote add only once", roles=["moderator"])
        copies = await asyncio.gather(*(fleet.post(ev) for _ in range(4)))
        # one is processed; a copy that meets it in flight is told to retry (503), or, once
        # the first has finished, is a duplicate: none is dropped, none adds twice
        assert sorted(c.status_code for c in copies).count(200) >= 1
        assert [c.json()["status"] for c in copies if c.status_code == 200].count("processed") == 1
        assert all(c.status_code in (200, 503) for c in copies)
        assert (await fleet.post(ev)).json()["status"] == "duplicate"
        second = (await fleet.post(make_event("!quote add next one", roles=["moderator"]))).json()
        assert text(second) == "Quote #2 added."


async def test_batch_of_50_quote_commands(router_settings: Any, router_factory: Any, make_event: Any) -> None:
    async with run_fleet(router_settings, fleet_apps(router_settings, router_factory)) as fleet:
        await fleet.post(make_event("!quote add batch me", roles=["moderator"]))
        events = [make_event("!quote 1", user=f"viewer{i}") for i in range(50)]
        results = (await fleet.batch(events)).json()["results"]
        assert [r["status"] for r in results] == ["processed"] * 50
        assert all("batch me" in r["responses"][0]["text"] for r in results)


async def test_stopped_memories_gives_the_unavailable_text_in_time(
    make_settings: Any, backend: Any, free_port: int, router_factory: Any, make_event: Any
) -> None:
    from flask_core.testing import free_tcp_port

    memories_port = free_tcp_port()  # reserved; live_server takes the socket over
    common = {"default_modules": ["memories"], "memories_url": f"http://127.0.0.1:{memories_port}", **backend}
    router_settings = make_settings(
        RouterSettings, port=free_port, router_module_timeout=1.0, router_manifest_interval=0.3, **common
    )
    memories_settings = make_settings(MemoriesSettings, port=memories_port, **common)
    memories = Dispatcher({"memories": create_memories(memories_settings)}, memories_settings)
    async with AsyncExitStack() as memories_up:
        await memories_up.enter_async_context(live_server(memories, memories_port))
        async with run_fleet(router_settings, {"router": router_factory(router_settings)}) as fleet:
            assert (await fleet.post(make_event("!quote add up", roles=["moderator"]))).json()[
                "status"
            ] == "processed"
            await memories_up.aclose()  # memories stops; the router keeps running
            # A manifest refresh while memories is down keeps what the router knew.
            await fleet.dispatcher.apps["router"].extensions["router.service"].registry.refresh()
            # A guard, not a measurement: a refused connection must not wait out any budget.
            async with asyncio.timeout(router_settings.router_module_timeout + 5):
                body = (await fleet.post(make_event("!quote"))).json()
            assert body["status"] == "processed"
            assert "memories is unavailable" in text(body)
