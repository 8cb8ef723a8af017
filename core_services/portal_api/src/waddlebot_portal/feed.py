"""The dashboard's feed of a community's recent events (simulations, changes) over SSE.

`publish` keeps the last PORTAL_FEED_KEEP events per community (a Redis list with
REDIS_URL, else in process) and fans them out over Redis pub/sub, so every portal
replica's subscribers see them; without Redis the fan-out stays in this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask_core.app import resources
from flask_core.logging import get_logger
from flask_core.resources import Resources

from .settings import PortalSettings
from .web import portal_settings

log = get_logger(__name__)


@dataclass(slots=True)
class _Local:
    """Without Redis: the recent lines and the subscribers, per process (in `Resources`)."""

    recent: dict[int, deque[str]] = field(default_factory=lambda: defaultdict(lambda: deque(maxlen=1000)))
    subscribers: dict[int, set[asyncio.Queue[str]]] = field(default_factory=lambda: defaultdict(set))


def _local(res: Resources) -> _Local:
    found = res.extras.get("portal.feed")
    if not isinstance(found, _Local):
        found = res.extras["portal.feed"] = _Local()
    return found


def _keys(res: Resources, community_id: int) -> tuple[str, str]:
    return res.key("portal", "feed", str(community_id)), res.key("portal", "feed-ch", str(community_id))


async def publish(community_id: int, kind: str, data: dict[str, Any]) -> None:
    line = json.dumps(
        {"kind": kind, "community_id": community_id, "at": datetime.now(UTC).isoformat(), "data": data},
        default=str,
    )
    keep = portal_settings().portal_feed_keep
    res = resources()
    redis = res.redis
    if redis is None:
        local = _local(res)
        recent = local.recent[community_id]
        recent.append(line)
        while len(recent) > keep:
            recent.popleft()
        for queue in list(local.subscribers[community_id]):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(line)
        return
    key, channel = _keys(res, community_id)
    try:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.lpush(key, line)
            pipe.ltrim(key, 0, keep - 1)
            pipe.expire(key, 86400)
            pipe.publish(channel, line)
            await pipe.execute()
    except Exception as exc:  # the feed is best effort: a change never fails because of it
        log.warning("portal.feed_publish_failed", error=type(exc).__name__)


async def recent(res: Resources, settings: PortalSettings, community_id: int) -> list[str]:
    keep = settings.portal_feed_keep
    redis = res.redis
    if redis is None:
        return list(_local(res).recent[community_id])[-keep:]
    key, _ = _keys(res, community_id)
    lines = await redis.lrange(key, 0, keep - 1)
    return [line.decode() if isinstance(line, bytes) else str(line) for line in reversed(lines)]


async def subscribe(res: Resources, settings: PortalSettings, community_id: int) -> AsyncIterator[str | None]:
    """Recent lines, then live ones; None every heartbeat interval without a line.

    Runs outside the request context (a streamed body): the handles are passed in.
    """
    heartbeat = settings.portal_feed_heartbeat
    redis = res.redis
    if redis is None:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1000)
        _local(res).subscribers[community_id].add(queue)
        try:
            for line in await recent(res, settings, community_id):
                yield line
            while True:
                try:
                    yield await asyncio.wait_for(queue.get(), heartbeat)
                except TimeoutError:
                    yield None
        finally:
            _local(res).subscribers[community_id].discard(queue)
        return
    _, channel = _keys(res, community_id)
    pubsub = redis.pubsub()
    await pubsub.subscribe(channel)
    try:
        for line in await recent(res, settings, community_id):
            yield line
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=heartbeat)
            if message is None:
                yield None
                continue
            data = message.get("data")
            yield data.decode() if isinstance(data, bytes) else str(data)
    finally:
        await pubsub.unsubscribe(channel)
        await pubsub.aclose()  # type: ignore[no-untyped-call]
