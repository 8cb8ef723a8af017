"""The collector outbox on the SQLite table (embedded) and the Redis stream (fleet).

The router is a local `FakeHttpServer` that records each request and answers from a
script, so retries, dead letters and outages go through real HTTP.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web

from flask_core.auth import verify_service_token
from flask_core.errors import DependencyUnavailable
from flask_core.metrics import REGISTRY
from flask_core.outbox import (
    OutboxPolicy,
    OutboxSettings,
    OutboxWorker,
    define_tables,
    open_outbox,
    router_sender,
)
from flask_core.resources import Resources
from flask_core.testing import TEST_SECRET, FakeHttpServer, Recorded
from flask_core.testing import wait_until as eventually

EVENTS = "/router/api/v1/events"


class FakeRouter:
    """`POST /router/api/v1/events` and `/events/batch`: records the events; answers `script`
    statuses (one per call), then `default`."""

    def __init__(self) -> None:
        self.server = FakeHttpServer()
        self.server.route("POST", EVENTS, self.handle)
        self.server.route("POST", EVENTS + "/batch", self.handle_batch)
        self.script: list[int] = []
        self.default = 200
        self.answer: dict[str, Any] = {}  # more of the 2xx answer
        self.accepted: list[str] = []  # event ids answered 2xx

    @property
    def bodies(self) -> list[dict[str, Any]]:
        calls = self.server.calls(f"{EVENTS}(/batch)?")
        return [e for c in calls for e in (c.json["events"] if c.path.endswith("/batch") else [c.json])]

    @property
    def tokens(self) -> list[str]:
        calls = self.server.calls(f"{EVENTS}(/batch)?")
        return [c.headers.get("Authorization", "").removeprefix("Bearer ") for c in calls]

    async def handle_batch(self, call: Recorded) -> web.Response:
        status = self.script.pop(0) if self.script else self.default
        if status >= 300:
            return web.json_response({"status": "error"}, status=status)
        self.accepted.extend(e.get("event_id") for e in call.json["events"])
        answer = {"status": "processed", "responses": [], **self.answer}
        results = [{"event_id": e.get("event_id"), **answer} for e in call.json["events"]]
        return web.json_response({"results": results}, status=status)

    async def handle(self, call: Recorded) -> web.Response:
        status = self.script.pop(0) if self.script else self.default
        if status < 300:
            self.accepted.append(call.json.get("event_id"))
        answer = {"status": "processed", **self.answer} if status < 300 else {"status": "error"}
        return web.json_response({"event_id": call.json.get("event_id"), **answer}, status=status)

    def delivered(self) -> list[str]:
        return [b["event_id"] for b in self.bodies]


def entries(platform: str, outcome: str) -> float:
    labels = {"service": platform, "outcome": outcome}
    return REGISTRY.get_sample_value("waddlebot_outbox_entries_total", labels) or 0.0


@pytest.fixture
def platform() -> str:
    return "t" + uuid.uuid4().hex[:10]  # unique per test: the PostgreSQL table is shared


@pytest.fixture
def fast(make_settings: Any, backend: dict[str, Any], free_port: int) -> Callable[..., OutboxSettings]:
    def factory(**overrides: Any) -> OutboxSettings:
        values: dict[str, Any] = {
            "router_url": f"http://127.0.0.1:{free_port}",
            "outbox_backoff_base": 0.02,
            "outbox_backoff_cap": 0.1,
            "outbox_poll_interval": 0.05,
            "outbox_lease": 0.3,
            **backend,
            **overrides,
        }
        settings: OutboxSettings = make_settings(OutboxSettings, **values)
        return settings

    return factory


@asynccontextmanager
async def opened(settings: OutboxSettings) -> AsyncIterator[Resources]:
    res = await Resources.open(settings)
    res.http.reset_timeout = 0.2  # the breaker opens while the router is down; retry soon
    try:
        res.db.add_models(define_tables)
        await res.db.migrate()
        yield res
    finally:
        await res.close()


@asynccontextmanager
async def router(port: int) -> AsyncIterator[FakeRouter]:
    fake = FakeRouter()
    async with fake.server.serving(port):
        yield fake


@asynccontextmanager
async def working(worker: OutboxWorker) -> AsyncIterator[OutboxWorker]:
    worker.start()
    try:
        yield worker
    finally:
        await worker.stop()


def event(n: int) -> dict[str, Any]:
    return {"event_id": f"test:{n}", "platform": "twitch", "text": f"!hello {n}"}


async def test_stored_events_reach_the_router_with_a_service_token(
    fast: Callable[..., OutboxSettings], free_port: int, platform: str
) -> None:
    async with opened(fast()) as res, router(free_port) as fake:
        outbox = open_outbox(res, platform)
        assert type(outbox).__name__ == ("StreamOutbox" if res.redis else "TableOutbox")
        for n in range(3):
            await outbox.put(event(n))
        assert await outbox.pending() == 3
        async with working(OutboxWorker(outbox)):
            await eventually(lambda: len(fake.bodies) == 3)
            await eventually(lambda: _zero(outbox))
        assert sorted(fake.delivered()) == ["test:0", "test:1", "test:2"]
        claims = verify_service_token(fake.tokens[0], TEST_SECRET, "router")
        assert claims["iss"] == platform
        assert entries(platform, "delivered") == 3


async def _zero(outbox: Any) -> bool:
    return await outbox.pending() == 0


async def test_router_down_loses_nothing_and_delivers_each_event(
    fast: Callable[..., OutboxSettings], free_port: int, platform: str
) -> None:
    async with opened(fast()) as res:
        outbox = open_outbox(res, platform)
        async with working(OutboxWorker(outbox)):
            for n in range(20):
                await outbox.put(event(n))
            await eventually(lambda: entries(platform, "retried") >= 20)  # connection refused
            assert await outbox.pending() == 20
            async with router(free_port) as fake:
                fake.script = [503] * 5  # up, but failing for a moment
                await eventually(lambda: _zero(outbox))
        assert sorted(fake.accepted) == sorted(f"test:{n}" for n in range(20))  # each once
        assert await outbox.dead_letters() == []


@pytest.mark.parametrize("status", [408, 429, 500, 503], ids=str)
async def test_retryable_answers_are_retried_until_accepted(
    fast: Callable[..., OutboxSettings], free_port: int, platform: str, status: int
) -> None:
    async with opened(fast()) as res, router(free_port) as fake:
        fake.script = [status, status]
        outbox = open_outbox(res, platform)
        await outbox.put(event(1))
        async with working(OutboxWorker(outbox)):
            await eventually(lambda: _zero(outbox))
            # the ack commits before the worker counts it: wait for the count, not the row
            await eventually(lambda: entries(platform, "delivered") == 1)
        assert fake.delivered() == ["test:1"] * 3
        assert entries(platform, "retried") == 2
        assert entries(platform, "delivered") == 1


@pytest.mark.parametrize("status", [400, 401, 404, 422], ids=str)
async def test_client_errors_are_dead_lettered_at_once(
    fast: Callable[..., OutboxSettings], free_port: int, platform: str, status: int
) -> None:
    async with opened(fast()) as res, router(free_port) as fake:
        fake.default = status
        outbox = open_outbox(res, platform)
        await outbox.put(event(7))
        async with working(OutboxWorker(outbox)):
            await eventually(lambda: entries(platform, "dead_lettered") == 1)
        assert len(fake.bodies) == 1
        assert await outbox.pending() == 0
        [letter] = await outbox.dead_letters()
        assert letter["payload"]["event_id"] == "test:7"
        assert letter["attempts"] == 1
        assert letter["last_error"].startswith(f"http_{status}")


async def test_retries_end_in_the_dead_letters_after_the_max_age(
    fast: Callable[..., OutboxSettings], free_port: int, platform: str
) -> None:
    # the table keeps created_at to the second: expiry may come up to 1 s early
    async with opened(fast(outbox_max_age=1.2)) as res, router(free_port) as fake:
        fake.default = 503
        outbox = open_outbox(res, platform)
        await outbox.put(event(9))
        async with working(OutboxWorker(outbox)):
            await eventually(lambda: entries(platform, "dead_lettered") == 1)
        assert len(fake.bodies) >= 2
        [letter] = await outbox.dead_letters()
        assert letter["last_error"].startswith("expired after")
        assert await outbox.pending() == 0


async def test_a_failed_answer_status_is_retried(
    fast: Callable[..., OutboxSettings], free_port: int, platform: str
) -> None:
    sent: list[dict[str, Any]] = []

    async def send(payload: dict[str, Any]) -> Any:
        sent.append(payload)
        return ("retry", "router_failed") if len(sent) == 1 else ("ok", "processed")

    async with opened(fast()) as res:
        outbox = open_outbox(res, platform)
        await outbox.put(event(3))
        async with working(OutboxWorker(outbox, send)):
            await eventually(lambda: _zero(outbox))
        assert len(sent) == 2


async def test_the_answer_hook_sees_each_accepted_answer_once(
    fast: Callable[..., OutboxSettings], free_port: int, platform: str
) -> None:
    seen: list[tuple[dict[str, Any], dict[str, Any]]] = []

    async def on_answer(payload: dict[str, Any], answer: dict[str, Any]) -> None:
        seen.append((payload, answer))

    async with opened(fast()) as res, router(free_port) as fake:
        fake.answer = {"responses": [{"type": "chat", "text": "hi"}]}
        send = router_sender(res, platform, on_answer=on_answer)
        assert await send(event(1)) == ("ok", "processed")
        fake.answer = {"status": "failed"}
        assert await send(event(2)) == ("retry", "router_failed")
        fake.default = 503
        assert await send(event(3)) == ("retry", "unavailable:503")
    assert seen == [
        (
            event(1),
            {"event_id": "test:1", "status": "processed", "responses": [{"type": "chat", "text": "hi"}]},
        )
    ]


async def test_an_entry_whose_answer_hook_fails_is_retried(
    fast: Callable[..., OutboxSettings], free_port: int, platform: str
) -> None:
    calls: list[str] = []

    async def on_answer(payload: dict[str, Any], answer: dict[str, Any]) -> None:
        calls.append(payload["event_id"])
        if len(calls) == 1:
            raise RuntimeError("the hook failed")

    async with opened(fast()) as res, router(free_port) as fake:
        outbox = open_outbox(res, platform)
        await outbox.put(event(4))
        async with working(OutboxWorker(outbox, router_sender(res, platform, on_answer=on_answer))):
            await eventually(lambda: _zero(outbox))
        assert fake.delivered() == ["test:4", "test:4"]
    assert calls == ["test:4", "test:4"]
    assert entries(platform, "retried") == 1


async def test_entries_held_by_a_dead_worker_are_taken_over(
    fast: Callable[..., OutboxSettings], free_port: int, platform: str
) -> None:
    async with opened(fast()) as res, router(free_port) as fake:
        crashed = open_outbox(res, platform)
        for n in range(3):
            await crashed.put(event(n))
        held = await crashed.claim(10, 0)
        assert len(held) == 3  # ... and its worker dies without settling them
        survivor = open_outbox(res, platform)
        assert await survivor.claim(10, 0) == []  # still leased
        async with working(OutboxWorker(survivor)):
            await eventually(lambda: len(fake.bodies) == 3)
            await eventually(lambda: _zero(survivor))
        assert sorted(fake.delivered()) == ["test:0", "test:1", "test:2"]


async def test_the_table_outbox_works_on_postgresql(
    make_settings: Any, postgres_url: str, free_port: int, platform: str
) -> None:
    settings = make_settings(
        OutboxSettings, database_url=postgres_url, router_url=f"http://127.0.0.1:{free_port}",
        outbox_poll_interval=0.05,
    )  # fmt: skip
    async with opened(settings) as res, router(free_port) as fake:
        outbox = open_outbox(res, platform, use_redis=False)
        for n in range(5):
            await outbox.put(event(n))
        first, second = await asyncio.gather(outbox.claim(3, 0), outbox.claim(3, 0))
        assert not {e.id for e in first} & {e.id for e in second}  # never both
        rest = await outbox.claim(10, 0)
        assert len(first) + len(second) + len(rest) == 5
        for entry in first + second + rest:
            await outbox.retry(entry, "test", 0)
        async with working(OutboxWorker(outbox)):
            await eventually(lambda: len(fake.bodies) == 5)
            await eventually(lambda: _zero(outbox))


async def test_storing_fails_closed_when_redis_is_down(
    make_settings: Any, data_dir: Any, free_port: int, platform: str
) -> None:
    settings = make_settings(OutboxSettings, redis_url=f"redis://127.0.0.1:{free_port}/0")
    res = await Resources.open(settings)
    try:
        with pytest.raises(DependencyUnavailable):
            await open_outbox(res, platform).put(event(1))
    finally:
        await res.close()


async def test_stop_cancels_a_waiting_worker_cleanly(
    fast: Callable[..., OutboxSettings], platform: str
) -> None:
    async with opened(fast(outbox_poll_interval=1.0)) as res:
        worker = OutboxWorker(open_outbox(res, platform))
        worker.start()
        await asyncio.sleep(0.1)
        assert worker.running
        await worker.stop()
        assert not worker.running


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap() -> None:
    policy = OutboxPolicy(backoff_base=1.0, backoff_cap=8.0)
    for attempts, full in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, 8.0)]:
        delays = [policy.backoff(attempts) for _ in range(50)]
        assert all(full / 2 <= d <= full for d in delays)
        assert len(set(delays)) > 1


# --- keyed puts: the dedupe key and the entry in one atomic step (issue 9) -------------------------


async def test_a_keyed_put_stores_once_per_key_even_when_copies_race(
    fast: Callable[..., OutboxSettings], platform: str
) -> None:
    async with opened(fast()) as res:
        outbox = open_outbox(res, platform)
        first = await outbox.put(event(1), key="msg-1", key_ttl=60)
        assert first is not None
        assert await outbox.put(event(1), key="msg-1", key_ttl=60) is None  # a redelivery
        racing = await asyncio.gather(*(outbox.put(event(2), key="msg-2", key_ttl=60) for _ in range(10)))
        assert sum(1 for r in racing if r is not None) == 1
        assert await outbox.pending() == 2
        assert entries(platform, "duplicate") == 10


async def test_a_put_that_fails_takes_no_key_so_the_platforms_retry_is_stored(
    fast: Callable[..., OutboxSettings], platform: str
) -> None:
    """The crash between "claim" and "store" of the old design: now there is no such window."""
    async with opened(fast()) as res:
        outbox = open_outbox(res, platform)
        unstorable = {"event_id": "test:x", "bad": object()}  # not JSON: the store fails
        with pytest.raises(DependencyUnavailable):
            await outbox.put(unstorable, key="msg-x", key_ttl=60)
        assert await outbox.put(event(9), key="msg-x", key_ttl=60) is not None  # the retry is stored
        assert await outbox.pending() == 1


async def test_an_expired_key_may_be_stored_again(fast: Callable[..., OutboxSettings], platform: str) -> None:
    async with opened(fast()) as res:
        outbox = open_outbox(res, platform)
        assert await outbox.put(event(1), key="short", key_ttl=0.05) is not None
        await asyncio.sleep(0.15)
        assert await outbox.put(event(1), key="short", key_ttl=60) is not None


async def test_dead_letters_can_be_listed_and_replayed(
    fast: Callable[..., OutboxSettings], free_port: int, platform: str
) -> None:
    async with opened(fast()) as res, router(free_port) as fake:
        fake.default = 400
        outbox = open_outbox(res, platform)
        await outbox.put(event(5))
        async with working(OutboxWorker(outbox)):
            await eventually(lambda: _dead(outbox, 1))
        [letter] = await outbox.dead_letters()
        assert letter["payload"]["event_id"] == "test:5" and await outbox.dead_count() == 1
        fake.default = 200
        assert await outbox.replay(letter["id"]) == 1
        async with working(OutboxWorker(outbox)):
            await eventually(lambda: _zero(outbox))
        assert await outbox.dead_count() == 0
        assert fake.delivered() == ["test:5", "test:5"]


async def _dead(outbox: Any, n: int) -> bool:
    return bool(await outbox.dead_count() == n)


async def test_a_busy_outbox_drains_in_batches_one_router_call_each(
    fast: Callable[..., OutboxSettings], free_port: int, platform: str
) -> None:
    async with opened(fast(outbox_batch_size=100)) as res, router(free_port) as fake:
        outbox = open_outbox(res, platform)
        for n in range(150):
            await outbox.put(event(n))
        async with working(OutboxWorker(outbox)):
            await eventually(lambda: _zero(outbox))
        batches = fake.server.calls(EVENTS + "/batch")
        assert sorted(fake.delivered()) == sorted(f"test:{n}" for n in range(150))
        assert len(batches) <= 3 and max(len(c.json["events"]) for c in batches) == 100


async def test_a_batch_with_one_invalid_event_dead_letters_only_that_one(
    fast: Callable[..., OutboxSettings], free_port: int, platform: str
) -> None:
    async with opened(fast(outbox_batch_size=10)) as res, router(free_port) as fake:
        outbox = open_outbox(res, platform)
        for n in range(3):
            await outbox.put(event(n))
        fake.server.script(
            EVENTS + "/batch",
            web.json_response(
                {"error": {"code": "validation_error", "message": "bad event", "details": {"index": 1}}},
                status=422,
            ),
        )
        async with working(OutboxWorker(outbox)):
            await eventually(lambda: _zero(outbox))
        [letter] = await outbox.dead_letters()
        assert letter["payload"]["event_id"] == "test:1" and letter["last_error"].startswith("http_422")
