"""Fan-out of overlay items to the WebSocket clients of every replica.

    hub = Hub(res, settings); await hub.start() … await hub.stop()
    await hub.publish(community_id, kind, item)   # every replica's clients of (community, kind)
    client = hub.join(community_id, kind)         # a bounded queue of items for one socket
    hub.leave(client); await hub.replay(community_id, kind) -> the last items, oldest first

With Redis, `publish` appends the item to the (community, kind) replay list (trimmed to
`browser_source_replay`) and PUBLISHes it in one MULTI; each replica's listener hands it
to its own clients. Without Redis both happen in process. Handing an item to a client
never waits: each client has a queue of `browser_source_queue` items, and a client whose
queue is full is marked slow and closed by its socket (close code SLOW), so one stalled
OBS never holds up the others (decision 0067).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from redis.exceptions import RedisError

from flask_core import Resources, counter, gauge, get_logger
from flask_core.supervise import cancel_and_wait

from .settings import BrowserSourceSettings

log = get_logger(__name__)
SLOW = 4408  # close code: the client did not keep up
ITEMS = counter("waddlebot_overlay_items_total", "Overlay items published, by kind", ("kind",))
DROPPED = counter(
    "waddlebot_overlay_clients_dropped_total", "Overlay clients dropped, by reason", ("reason",)
)
CLIENTS = gauge("waddlebot_overlay_clients", "Overlay WebSocket clients connected here")
KINDS = ("alerts", "ticker", "media", "now_playing", "chat")


@dataclass(eq=False, slots=True)
class Client:
    """One connected overlay page: its items wait in `queue` until its socket sends them."""

    community_id: int
    kind: str
    queue: asyncio.Queue[tuple[str, str]]  # (item id, its JSON text)
    slow: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, item_id: str, text: str) -> None:
        if self.slow.is_set():
            return
        try:
            self.queue.put_nowait((item_id, text))
        except asyncio.QueueFull:
            self.slow.set()
            DROPPED.labels("browser_source", "slow").inc()


class Hub:
    def __init__(self, res: Resources, settings: BrowserSourceSettings) -> None:
        self.res, self.settings = res, settings
        self.clients: dict[tuple[int, str], set[Client]] = {}
        self._replay: dict[tuple[int, str], deque[dict[str, Any]]] = {}
        self._channel = res.key("browser_source", "overlay")
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    # --- clients ---------------------------------------------------------------------

    def join(self, community_id: int, kind: str) -> Client:
        client = Client(community_id, kind, asyncio.Queue(self.settings.browser_source_queue))
        self.clients.setdefault((community_id, kind), set()).add(client)
        CLIENTS.labels("browser_source").inc()
        return client

    def leave(self, client: Client) -> None:
        group = self.clients.get((client.community_id, client.kind))
        if group is not None and client in group:
            group.discard(client)
            CLIENTS.labels("browser_source").dec()
            if not group:
                del self.clients[(client.community_id, client.kind)]

    def hand_out(self, community_id: int, kind: str, item: dict[str, Any]) -> int:
        """Offer an item to this replica's clients of (community, kind); never waits."""
        group = self.clients.get((community_id, kind), ())
        if group:
            text = json.dumps(item, separators=(",", ":"), ensure_ascii=False)  # once, not per client
            item_id = str(item.get("id"))
            for client in list(group):
                client.offer(item_id, text)
        return len(group)

    # --- publishing --------------------------------------------------------------------

    def _replay_key(self, community_id: int, kind: str) -> str:
        return self.res.key("browser_source", "replay", str(community_id), kind)

    async def publish(self, community_id: int, kind: str, item: dict[str, Any]) -> None:
        ITEMS.labels("browser_source", kind).inc()
        keep = self.settings.browser_source_replay
        redis = self.res.redis
        if redis is None:
            buffer = self._replay.setdefault((community_id, kind), deque(maxlen=keep))
            buffer.append(item)
            self.hand_out(community_id, kind, item)
            return
        raw = json.dumps(item, separators=(",", ":"), ensure_ascii=False)
        message = json.dumps({"c": community_id, "k": kind, "i": item}, separators=(",", ":"))
        key = self._replay_key(community_id, kind)
        async with redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, raw)
            pipe.ltrim(key, -keep, -1)
            pipe.expire(key, 7 * 86400)
            pipe.publish(self._channel, message)
            await pipe.execute()

    async def replay(self, community_id: int, kind: str) -> list[dict[str, Any]]:
        """The last items of (community, kind), oldest first."""
        redis = self.res.redis
        if redis is None:
            return list(self._replay.get((community_id, kind), ()))
        try:
            raws = await redis.lrange(self._replay_key(community_id, kind), 0, -1)
        except (RedisError, OSError) as exc:
            log.warning("browser_source.replay_failed", error=repr(exc))
            return []
        return [json.loads(raw) for raw in raws]

    # --- the listener ------------------------------------------------------------------

    async def start(self) -> None:
        if self.res.redis is None:
            self._subscribed.set()
            return
        self._listener = asyncio.create_task(self._listen(), name="browser_source:listener")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5.0):
                await self._subscribed.wait()

    async def stop(self) -> None:
        if self._listener is not None:
            await cancel_and_wait(self._listener)
            self._listener = None

    async def _listen(self) -> None:
        assert self.res.redis is not None
        pause = 0.1
        while True:
            pubsub = self.res.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._channel)
                self._subscribed.set()
                pause = 0.1
                while True:
                    message = await pubsub.get_message(timeout=15.0)
                    if message is None:
                        await pubsub.ping()
                        continue
                    if message.get("type") == "message":  # not the answer to a ping
                        self._dispatch(message.get("data"))
            except (RedisError, OSError) as exc:
                log.warning("browser_source.listener_lost", error=repr(exc))
                await asyncio.sleep(pause)
                pause = min(5.0, pause * 2)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _dispatch(self, data: Any) -> None:
        try:
            message = json.loads(data)
            self.hand_out(int(message["c"]), str(message["k"]), message["i"])
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("browser_source.bad_message", error=repr(exc))
