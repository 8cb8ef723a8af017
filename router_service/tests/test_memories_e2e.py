"""Bookmarks and reminders through the real router and memories (real HTTP, both backends):
a reminder fires through `POST /router/api/v1/messages` into the collector once, and a
collector that cannot store it gets it on a later retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from flask_core.app import resources
from flask_core.testing import FakeHttpServer, Recorded, service_headers
from waddlebot_cli.testing import run_fleet
from waddlebot_memories.app import create_app as create_memories
from waddlebot_memories.settings import MemoriesSettings
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings


class FakeCollector:
    """The Twitch collector's `POST /twitch/api/v1/messages`: 202 (stored) or 503."""

    def __init__(self) -> None:
        self.server = FakeHttpServer()
        self.can_store = True
        self.stored: list[dict[str, Any]] = []
        self.server.route("POST", "/twitch/api/v1/messages", self.deliver)

    async def deliver(self, call: Recorded) -> web.Response:
        if not self.can_store:
            return web.json_response({"error": {"code": "dependency_unavailable"}}, status=503)
        self.stored.append(call.json)
        return web.json_response({"queued": 1, "duplicates": 0, "skipped": 0}, status=202)


def text(body: dict[str, Any]) -> str:
    return " | ".join(r["text"] for r in body["responses"])


async def _fleet(
    make_settings: Any, backend: dict[str, Any], free_port: int, collector: FakeCollector
) -> Any:
    common = {"port": free_port, "default_modules": ["memories"], **backend}
    router = make_settings(
        RouterSettings, router_manifest_interval=0.5, twitch_url=collector.server.url, **common
    )
    memories = make_settings(MemoriesSettings, memories_scheduler_interval=0.05, **common)
    return run_fleet(router, {"router": create_router(router), "memories": create_memories(memories)})


async def test_bookmarks_in_chat(
    make_settings: Any, backend: dict[str, Any], free_port: int, make_event: Any
) -> None:
    collector = FakeCollector()
    async with (
        collector.server.serving(),
        await _fleet(make_settings, backend, free_port, collector) as fleet,
    ):
        refused = (
            await fleet.post(make_event("!bookmark add https://example.org/a A", user="viewer"))
        ).json()
        assert refused["status"] == "rejected"
        added = (
            await fleet.post(
                make_event("!bookmark add https://example.org/vod Best run", roles=["moderator"])
            )
        ).json()
        assert text(added) == "Bookmark #1 saved: Best run"
        inward = (
            await fleet.post(make_event("!bookmark add http://169.254.169.254/latest", roles=["moderator"]))
        ).json()
        assert text(inward) == "Bookmark #2 saved (no title found)."
        listed = (await fleet.post(make_event("!bookmark list", user="viewer"))).json()
        assert text(listed) == (
            "Bookmarks: #2 http://169.254.169.254/latest | #1 Best run — https://example.org/vod"
        )
        found = (await fleet.post(make_event("!bookmark search best", user="viewer"))).json()
        assert text(found) == "#1 Best run — https://example.org/vod"


async def test_a_reminder_reaches_its_chat_once_and_survives_a_collector_outage(
    make_settings: Any, backend: dict[str, Any], free_port: int, make_event: Any, eventually: Any
) -> None:
    collector = FakeCollector()
    async with (
        collector.server.serving(),
        await _fleet(make_settings, backend, free_port, collector) as fleet,
    ):
        set_ = (await fleet.post(make_event("!remind @bob in 1m raid time", server="chan9"))).json()
        assert set_["status"] == "processed" and text(set_).startswith("Reminder #1 set: I'll remind @bob")
        # `web` never provisions (§12): the portal names the community in a trusted field.
        unknown = (await fleet.post(make_event("!remind me in 1m x", platform="web"))).json()
        assert unknown["status"] == "ignored"
        found = await fleet.http.get(
            "/router/api/v1/communities/by-platform/twitch/chan9", headers=service_headers("router")
        )

        def portal() -> dict[str, Any]:
            return make_event(
                "!remind me in 1m x", platform="web", metadata={"community_id": found.json()["community_id"]}
            )

        as_portal = service_headers("router", issuer="portal")  # only the portal may name it
        assert (await fleet.post(portal())).json()["status"] == "ignored"
        assert "need a chat" in text((await fleet.post(portal(), headers=as_portal)).json())
        scheduler = fleet.dispatcher.apps["memories"].extensions["memories.scheduler"]
        scheduler.retry_base = scheduler.retry_cap = 0.1
        collector.can_store = False  # the router answers 503; the scheduler keeps the occurrence
        scheduler.clock = lambda: datetime.now(UTC) + timedelta(seconds=61)
        await eventually(lambda: len(collector.server.requests) >= 3)
        assert collector.stored == []
        collector.can_store = True
        await eventually(lambda: collector.stored)
        [stored] = collector.stored
        assert stored["invocation_id"].startswith("memories:reminder:1:")
        assert (stored["server_id"], stored["channel_id"], stored["reply"]["kind"]) == (
            "chan9",
            "chan9",
            "chat",
        )
        assert stored["responses"] == [{"type": "chat", "text": "@bob, reminder: raid time (from @alice)"}]
        # The loop records the firing just after the post; a pass before that would claim the
        # occurrence again (its lease counts by the moved clock), so wait for the record.
        memories_db = resources(fleet.dispatcher.apps["memories"]).db

        async def settled() -> bool:
            def done(db: Any) -> bool:
                return bool(db(db.scheduled_jobs.state == "done").count() == 1)

            return bool(await memories_db.read(done))

        await eventually(settled)
        scheduler.clock = lambda: datetime.now(UTC) + timedelta(hours=1)
        assert await scheduler.run_due() == 0
        listed = (await fleet.post(make_event("!remind list"))).json()
        assert text(listed).startswith("You have no reminders.")
        assert len(collector.stored) == 1
