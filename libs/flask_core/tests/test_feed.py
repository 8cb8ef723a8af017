"""flask_core.feed: buffered, bounded, one pipeline per flush, per-community delivery."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from flask_core import feed
from flask_core.local_servers import free_tcp_port, release_tcp_port
from flask_core.resources import Resources

XSS = '<img src=x onerror="alert(1)">'


@pytest_asyncio.fixture(params=["embedded", "redis"])
async def res(request: pytest.FixtureRequest, make_settings: Any) -> AsyncIterator[Resources]:
    extra = {"redis_url": request.getfixturevalue("redis_url")} if request.param == "redis" else {}
    opened = await Resources.open(make_settings(feed_flush_interval=0.02, **extra))
    try:
        yield opened
    finally:
        await opened.close()


async def _take(stream: AsyncIterator[str | None], count: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    async with asyncio.timeout(5):
        async for line in stream:
            if line is not None:
                found.append(json.loads(line))
                if len(found) == count:
                    return found
    return found


async def test_a_subscriber_gets_its_own_community_only_and_text_stays_text(res: Resources) -> None:
    f = feed.feed_of(res)
    mine, theirs = f.subscribe(1, heartbeat=0.05), f.subscribe(2, heartbeat=0.05)
    assert await anext(mine) is None and await anext(theirs) is None  # subscribed, idle
    f.offer(2, "chat", {"text": "for community 2 only"})
    f.offer(1, "chat", {"text": XSS})
    f.offer(2, "chat", {"text": "again 2"})
    f.offer(1, "chat", {"text": "second"})
    got = await _take(mine, 2)
    assert [e["data"]["text"] for e in got] == [XSS, "second"]  # exactly as said, in order
    assert {e["community_id"] for e in got} == {1} and got[0]["kind"] == "chat"
    other = await _take(theirs, 2)
    assert [e["data"]["text"] for e in other] == ["for community 2 only", "again 2"]
    # A new subscriber gets the recent entries first, still only its community's.
    late = await _take(f.subscribe(1, heartbeat=0.05), 2)
    assert [e["data"]["text"] for e in late] == [XSS, "second"]
    await mine.aclose()
    await theirs.aclose()


async def test_offer_never_waits_and_the_buffer_drops_the_oldest(make_settings: Any) -> None:
    port = free_tcp_port()
    release_tcp_port(port)  # nothing listens there: Redis is "down"
    opened = await Resources.open(
        make_settings(redis_url=f"redis://127.0.0.1:{port}/0", feed_buffer=100, feed_flush_interval=0.05)
    )
    try:
        f = feed.feed_of(opened)
        dropped = feed.DROPPED.labels(feed.SERVICE, "buffer_full")
        lost = feed.DROPPED.labels(feed.SERVICE, "redis")
        before, lost_before = dropped._value.get(), lost._value.get()
        started = time.perf_counter()
        for i in range(1000):
            f.offer(7, "chat", {"n": i})
        elapsed = time.perf_counter() - started
        assert elapsed < 0.1, elapsed  # 1,000 offers with Redis unreachable: no I/O on this path
        assert len(f.buffer) == 100 and f.buffer[0][2] == {"n": 900}  # the newest 100 kept
        assert dropped._value.get() - before == 900
        flusher = f.task
        assert flusher is not None
        await asyncio.wait_for(flusher, 10)
        assert lost._value.get() - lost_before == 100  # the flush failed: counted, not raised
        assert not f.buffer
    finally:
        await opened.close()


async def test_one_pipeline_per_flush(make_settings: Any, redis_url: str) -> None:
    opened = await Resources.open(make_settings(redis_url=redis_url, feed_flush_interval=0.05, feed_keep=3))
    try:
        assert opened.redis is not None
        pipelines: list[int] = []
        real = opened.redis.pipeline

        def counting(*args: Any, **kwargs: Any) -> Any:
            pipelines.append(1)
            return real(*args, **kwargs)

        opened.redis.pipeline = counting  # type: ignore[method-assign]
        f = feed.feed_of(opened)
        for i in range(50):
            f.offer(i % 2 + 1, "chat", {"n": i})
        assert pipelines == []  # nothing written yet: offers only buffer
        await f.aclose()
        assert pipelines == [1]  # fifty entries of two communities: one round trip
        assert [json.loads(line)["data"]["n"] for line in await f.recent(1)] == [44, 46, 48]  # FEED_KEEP
    finally:
        await opened.close()


async def test_an_entry_flushed_while_subscribing_is_delivered_once(
    make_settings: Any, redis_url: str
) -> None:
    """Subscribed, then the recent list is read: an entry flushed in between is in both (the
    list and the channel). The subscriber skips the live copy, and every entry has an id."""
    opened = await Resources.open(make_settings(redis_url=redis_url, feed_flush_interval=5))
    try:
        assert opened.redis is not None
        f = feed.feed_of(opened)
        f.offer(5, "chat", {"text": "in the gap"})
        real_recent = f.recent

        async def recent_after_a_flush(community_id: int) -> list[str]:
            await f.flush()  # lands after the SUBSCRIBE and before the LRANGE
            return await real_recent(community_id)

        f.recent = recent_after_a_flush  # type: ignore[method-assign]
        stream = f.subscribe(5, heartbeat=0.05)
        [first] = await _take(stream, 1)
        assert first["data"]["text"] == "in the gap" and len(first["id"]) == 32
        f.offer(5, "chat", {"text": "after"})
        await f.flush()
        [second] = await _take(stream, 1)
        assert second["data"]["text"] == "after"  # not the gap entry a second time
        assert second["id"] != first["id"]
        await stream.aclose()
    finally:
        await opened.close()
