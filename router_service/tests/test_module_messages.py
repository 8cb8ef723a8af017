"""`POST /router/api/v1/messages` (§11, §12): module-initiated messages, once per message_id."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from flask_core.testing import FakeHttpServer, Recorded, service_headers
from waddlebot_cli.testing import run_fleet
from waddlebot_router.settings import RouterSettings

MESSAGE_ID = "memories:reminder:42:2026-12-01T09:00Z"


class FakeCollector:
    """The Twitch collector's delivery endpoint: stores (202) or cannot store (503)."""

    def __init__(self) -> None:
        self.server = FakeHttpServer()
        self.can_store = True
        self.stored: list[dict[str, Any]] = []
        self.server.route("POST", "/twitch/api/v1/messages", self.deliver)

    async def deliver(self, call: Recorded) -> web.Response:
        if not self.can_store:
            return web.json_response({"error": {"code": "dependency_unavailable"}}, status=503)
        self.stored.append(call.json)
        return web.json_response(
            {"queued": len(call.json["responses"]), "duplicates": 0, "skipped": 0}, status=202
        )


def message(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message_id": MESSAGE_ID,
        "community_id": 7,
        "platform": "twitch",
        "server_id": "1971641",
        "channel_id": "1971641",
        "responses": [{"type": "chat", "text": "@alice, reminder: stretch"}],
    }
    body.update(changes)
    return body


async def _fleet(
    make_settings: Any, backend: dict[str, Any], free_port: int, collector: FakeCollector
) -> Any:
    settings = make_settings(
        RouterSettings, port=free_port, default_modules=[], twitch_url=collector.server.url, **backend
    )
    from waddlebot_router.app import create_app

    return run_fleet(settings, {"router": create_app(settings)})


async def test_a_message_is_delivered_once_and_a_repeat_is_duplicate(
    make_settings: Any, backend: dict[str, Any], free_port: int
) -> None:
    collector = FakeCollector()
    async with (
        collector.server.serving(),
        await _fleet(make_settings, backend, free_port, collector) as fleet,
    ):
        first = await fleet.http.post(
            "/router/api/v1/messages", json=message(), headers=service_headers("router")
        )
        assert first.status_code == 200
        assert first.json() == {"message_id": MESSAGE_ID, "status": "delivered"}
        [stored] = collector.stored
        assert stored["invocation_id"] == MESSAGE_ID
        assert stored["reply"]["kind"] == "chat"
        assert (stored["server_id"], stored["channel_id"]) == ("1971641", "1971641")
        assert stored["responses"] == [{"type": "chat", "text": "@alice, reminder: stretch"}]
        again = await fleet.http.post(
            "/router/api/v1/messages", json=message(), headers=service_headers("router")
        )
        assert again.status_code == 200 and again.json()["status"] == "duplicate"
        other = message(message_id="memories:reminder:42:2026-12-02T09:00Z")  # the next occurrence
        assert (
            await fleet.http.post("/router/api/v1/messages", json=other, headers=service_headers("router"))
        ).json()["status"] == "delivered"
        assert len(collector.stored) == 2


async def test_concurrent_copies_deliver_once_and_in_flight_ones_are_told_to_retry(
    make_settings: Any, backend: dict[str, Any], free_port: int
) -> None:
    collector = FakeCollector()
    async with (
        collector.server.serving(),
        await _fleet(make_settings, backend, free_port, collector) as fleet,
    ):
        copies = await asyncio.gather(
            *(
                fleet.http.post("/router/api/v1/messages", json=message(), headers=service_headers("router"))
                for _ in range(5)
            )
        )
        assert all(c.status_code in (200, 503) for c in copies)
        assert [c.json()["status"] for c in copies if c.status_code == 200].count("delivered") == 1
        assert len(collector.stored) == 1


async def test_a_collector_that_cannot_store_it_gives_503_and_a_later_retry_delivers(
    make_settings: Any, backend: dict[str, Any], free_port: int
) -> None:
    collector = FakeCollector()
    collector.can_store = False
    async with (
        collector.server.serving(),
        await _fleet(make_settings, backend, free_port, collector) as fleet,
    ):
        failed = await fleet.http.post(
            "/router/api/v1/messages", json=message(), headers=service_headers("router")
        )
        assert failed.status_code == 503
        assert failed.json()["error"]["code"] == "dependency_unavailable"
        assert collector.stored == []
        collector.can_store = True
        retried = await fleet.http.post(
            "/router/api/v1/messages", json=message(), headers=service_headers("router")
        )
        assert retried.status_code == 200 and retried.json()["status"] == "delivered"
        assert len(collector.stored) == 1


async def test_bad_messages_are_refused(make_settings: Any, backend: dict[str, Any], free_port: int) -> None:
    collector = FakeCollector()
    async with (
        collector.server.serving(),
        await _fleet(make_settings, backend, free_port, collector) as fleet,
    ):
        post = fleet.http.post
        assert (await post("/router/api/v1/messages", json=message())).status_code == 401  # no service token
        for bad in (
            message(platform="web"),  # no chat to post to (§12)
            message(message_id="not an id"),
            message(responses=[]),
        ):
            answer = await post("/router/api/v1/messages", json=bad, headers=service_headers("router"))
            assert answer.status_code == 422, bad
        assert collector.stored == []
