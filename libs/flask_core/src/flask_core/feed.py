"""A community's live feed: recent entries and live fan-out, for the portal's dashboard.

One primitive for every writer (the router's chat lines and answers, the portal's
simulations and changes) and the one reader (the portal's SSE stream):

    feed = feed_of(res)
    feed.offer(community_id, "chat", {...})      # sync, never blocks, never raises
    async for line in feed.subscribe(community_id, heartbeat=15): ...

`offer` only appends to a bounded in-process buffer (the oldest entry is dropped when
it is full, counted in `waddlebot_feed_dropped_total`) and starts a flusher once; the
flusher waits `FEED_FLUSH_INTERVAL` (~100 ms) and writes everything buffered in ONE
Redis pipeline (per community: LPUSH + LTRIM to `FEED_KEEP` + EXPIRE + PUBLISH), so the
hot path makes no network round trip per event and a Redis outage loses feed entries
(counted), never an event. Without `REDIS_URL` the flusher keeps the recent entries and
fans out in process. Subscribers get their own community's channel only (tenancy: the
community is part of the key and the channel, and the caller checks the membership).

Entries are JSON text (`{"kind", "community_id", "at", "data"}`); chat text stays a JSON
string, and the SPA renders it with `textContent`, never as HTML.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from . import metrics
from .logging import get_logger
from .resources import Resources

log = get_logger(__name__)
DROPPED = metrics.counter(
    "waddlebot_feed_dropped_total",
    "Live-feed entries dropped (buffer full, Redis down, slow reader)",
    ("reason",),
)
FLUSHED = metrics.counter("waddlebot_feed_flushed_total", "Live-feed entries written out", ())
SERVICE = "feed"
_BUFFER_FULL = DROPPED.labels(SERVICE, "buffer_full")
EXTRA = "flask_core.feed"
SUBSCRIBER_QUEUE = 1000
TTL = 86400  # a quiet community's recent entries expire after a day


class Feed:
    """The process's feed writer and reader (one per `Resources`, see `feed_of`)."""

    def __init__(self, res: Resources) -> None:
        self.res = res
        settings = res.settings
        self.keep = settings.feed_keep
        self.interval = settings.feed_flush_interval
        self.buffer: deque[tuple[int, str, dict[str, Any], float]] = deque()
        self.capacity = settings.feed_buffer
        self.task: asyncio.Task[None] | None = None
        # without Redis: the recent lines and the live subscribers of this process
        self.recent_lines: dict[int, deque[str]] = defaultdict(lambda: deque(maxlen=self.keep))
        self.subscribers: dict[int, set[asyncio.Queue[str]]] = defaultdict(set)

    # --- writing -------------------------------------------------------------------

    def offer(self, community_id: int, kind: str, data: dict[str, Any]) -> None:
        """Buffer one entry for the next flush; O(1), no I/O, never raises."""
        try:
            if len(self.buffer) >= self.capacity:
                self.buffer.popleft()
                _BUFFER_FULL.inc()
            self.buffer.append((community_id, kind, data, time.time()))  # formatted at the flush
            if self.task is None:
                self.task = asyncio.get_running_loop().create_task(self._run())
        except Exception as exc:  # the feed is best effort: an event never fails because of it
            log.warning("feed.offer_failed", error=type(exc).__name__)

    async def _run(self) -> None:
        try:
            while self.buffer:
                await asyncio.sleep(self.interval)
                await self.flush()
        finally:
            self.task = None

    async def flush(self) -> None:
        """Write out everything buffered: one Redis pipeline, or the in-process fan-out."""
        if not self.buffer:
            return
        taken = list(self.buffer)
        self.buffer.clear()
        lines: dict[int, list[str]] = defaultdict(list)
        for community_id, kind, data, at in taken:
            stamp = datetime.fromtimestamp(at, UTC).isoformat()
            entry = {"id": uuid.uuid4().hex, "kind": kind, "community_id": community_id, "at": stamp,
                     "data": data}  # fmt: skip
            lines[community_id].append(json.dumps(entry, default=str))
        redis = self.res.redis
        if redis is None:
            for community_id, batch in lines.items():
                self.recent_lines[community_id].extend(batch)
                for queue in list(self.subscribers.get(community_id, ())):
                    for line in batch:
                        try:
                            queue.put_nowait(line)
                        except asyncio.QueueFull:
                            DROPPED.labels(SERVICE, "slow_subscriber").inc()
            FLUSHED.labels(SERVICE).inc(len(taken))
            return
        try:
            async with redis.pipeline(transaction=False) as pipe:
                for community_id, batch in lines.items():
                    key, channel = self.keys(community_id)
                    pipe.lpush(key, *batch)  # newest first
                    pipe.ltrim(key, 0, self.keep - 1)
                    pipe.expire(key, TTL)
                    for line in batch:
                        pipe.publish(channel, line)
                await pipe.execute()
            FLUSHED.labels(SERVICE).inc(len(taken))
        except Exception as exc:  # Redis down: these entries are lost (counted), nothing else
            DROPPED.labels(SERVICE, "redis").inc(len(taken))
            log.warning("feed.flush_failed", error=type(exc).__name__, dropped=len(taken))

    async def aclose(self) -> None:
        """Flush what is left (at shutdown) and stop the flusher."""
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.flush()

    # --- reading -------------------------------------------------------------------

    def keys(self, community_id: int) -> tuple[str, str]:
        community = str(community_id)
        return self.res.key("portal", "feed", community), self.res.key("portal", "feed-ch", community)

    async def recent(self, community_id: int) -> list[str]:
        """The community's last `FEED_KEEP` entries, oldest first."""
        redis = self.res.redis
        if redis is None:
            return list(self.recent_lines.get(community_id, ()))
        key, _ = self.keys(community_id)
        found = await redis.lrange(key, 0, self.keep - 1)
        return [line.decode() if isinstance(line, bytes) else str(line) for line in reversed(found)]

    async def subscribe(self, community_id: int, heartbeat: float) -> AsyncIterator[str | None]:
        """The community's recent entries, then live ones; None after `heartbeat` seconds idle."""
        redis = self.res.redis
        if redis is None:
            queue: asyncio.Queue[str] = asyncio.Queue(maxsize=SUBSCRIBER_QUEUE)
            self.subscribers[community_id].add(queue)
            try:
                for line in await self.recent(community_id):
                    yield line
                while True:
                    try:
                        yield await asyncio.wait_for(queue.get(), heartbeat)
                    except TimeoutError:
                        yield None
            finally:
                self.subscribers[community_id].discard(queue)
                if not self.subscribers[community_id]:
                    del self.subscribers[community_id]
            return
        _, channel = self.keys(community_id)
        pubsub = redis.pubsub()
        await pubsub.subscribe(channel)
        try:
            # Subscribed first, then the recent entries: nothing falls between the two, but an
            # entry flushed in that gap arrives twice (in the list and live); the live copies
            # of entries already replayed are skipped, until the first newer one.
            replayed = set()
            for line in await self.recent(community_id):
                replayed.add(_entry_id(line))
                yield line
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=heartbeat)
                if message is None:
                    yield None
                    continue
                data = message.get("data")
                line = data.decode() if isinstance(data, bytes) else str(data)
                if replayed:
                    if _entry_id(line) in replayed:
                        continue
                    replayed.clear()  # pub/sub keeps publish order: everything after is newer
                yield line
        finally:
            await pubsub.unsubscribe(channel)
            await pubsub.aclose()  # type: ignore[no-untyped-call]


def _entry_id(line: str) -> str | None:
    try:
        found = json.loads(line).get("id")
    except (ValueError, AttributeError):
        return None
    return found if isinstance(found, str) else None


def feed_of(res: Resources) -> Feed:
    """The feed of these Resources (shared by every app of a single-process run)."""
    found = res.extras.get(EXTRA)
    if not isinstance(found, Feed):
        found = res.extras[EXTRA] = Feed(res)
    return found


def offer(res: Resources, community_id: int, kind: str, data: dict[str, Any]) -> None:
    """`feed_of(res).offer(...)`: buffer one entry for the community's live feed."""
    feed_of(res).offer(community_id, kind, data)
