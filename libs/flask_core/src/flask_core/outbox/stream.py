"""The Redis stream behind `flask_core.outbox` (see its docstring for the whole design).

Keys: `{prefix}outbox:{platform}` (the stream, consumer group `outbox`), `…:delayed`
(sorted set of retries scored by due time), `…:dead` (dead letters, capped) and the
dedupe keys `{prefix}outbox-key:{platform}:{key}`. Each stream entry has one field,
`entry`: JSON {payload, attempts, created_at, last_error}. A keyed put is one Lua script
(SET NX + XADD), so the key is never taken without the entry being stored.
Production Redis needs AOF (`appendonly yes`): `check_durable` says whether it has it.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
import uuid
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from ..logging import get_logger
from ..metrics import counter
from ..resources import Resources
from .base import Outbox, OutboxEntry, OutboxPolicy, dead_letter_row

log = get_logger(__name__)
VANISHED = counter("waddlebot_outbox_stream_vanished_total", "Outbox streams found missing (data lost)")

GROUP = "outbox"
_STREAM_ID = re.compile(r"\d+-\d+")
DEAD_LETTER_MAXLEN = 10_000
MAX_BLOCK_MS = 1000  # below the client's 2 s socket timeout
STALE_CONSUMER_MS = 3600 * 1000

# KEYS: stream, delayed. ARGV: now (epoch seconds), limit. Due retries go back into the stream.
_PROMOTE_LUA = """
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do
  redis.call('XADD', KEYS[1], '*', 'entry', member)
  redis.call('ZREM', KEYS[2], member)
end
return #due
"""

# KEYS: stream, dedupe key. ARGV: entry JSON, key TTL in ms. The key and the entry, or neither.
_PUT_KEYED_LUA = """
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', tonumber(ARGV[2])) then
  return false
end
return redis.call('XADD', KEYS[1], '*', 'entry', ARGV[1])
"""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _encode(entry: OutboxEntry, error: str | None = None) -> str:
    return json.dumps(
        {
            "id": entry.id,  # keeps retries of identical payloads distinct in the sorted set
            "payload": entry.payload,
            "attempts": entry.attempts,
            "created_at": entry.created_at,
            "last_error": error if error is not None else entry.last_error,
        },
        separators=(",", ":"),
    )


def _decode(entry_id: Any, fields: dict[Any, Any]) -> OutboxEntry:
    raw = fields.get(b"entry", fields.get("entry"))
    data = json.loads(_text(raw)) if raw is not None else {}
    return OutboxEntry(
        _text(entry_id),
        data.get("payload", {}),
        int(data.get("attempts", 0)),
        float(data.get("created_at", time.time())),
        data.get("last_error"),
    )


class StreamOutbox(Outbox):
    """The outbox on a Redis stream with a consumer group."""

    def __init__(self, res: Resources, platform: str, policy: OutboxPolicy) -> None:
        super().__init__(res, platform, policy)
        if res.redis is None:
            raise ValueError("the stream outbox needs REDIS_URL")
        self.redis: Redis = res.redis
        self.key = res.key("outbox", platform)
        self.delayed_key = self.key + ":delayed"
        self.dead_key = self.key + ":dead"
        self.consumer = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._promote = self.redis.register_script(_PROMOTE_LUA)
        self._put_keyed = self.redis.register_script(_PUT_KEYED_LUA)
        self._group_ready = False

    async def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            await self.redis.xgroup_create(self.key, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True
        await self._prune_consumers()

    async def _prune_consumers(self) -> None:
        """Forget consumers of earlier processes that hold nothing (each start adds one)."""
        for consumer in await self.redis.xinfo_consumers(self.key, GROUP):
            name, pending, idle = consumer.get("name"), consumer.get("pending", 0), consumer.get("idle", 0)
            if name is not None and not pending and idle > STALE_CONSUMER_MS:
                await self.redis.xgroup_delconsumer(self.key, GROUP, name)

    async def _put(self, payload: dict[str, Any], key: str | None, key_ttl: float) -> str | None:
        raw = _encode(OutboxEntry("new", payload, 0, time.time()))
        if key is None:
            return _text(await self.redis.xadd(self.key, {"entry": raw}))
        dedupe = self.res.key("outbox-key", key)
        ttl_ms = max(1, int(key_ttl * 1000))
        entry_id = await self._put_keyed(keys=[self.key, dedupe], args=[raw, ttl_ms])
        return None if entry_id is None else _text(entry_id)

    async def claim(self, limit: int, wait: float) -> list[OutboxEntry]:
        await self._ensure_group()
        try:
            await self._promote(keys=[self.key, self.delayed_key], args=[time.time(), limit])
            entries = await self._reclaim(limit)
            if len(entries) < limit:
                block = None if entries or wait <= 0 else max(1, min(MAX_BLOCK_MS, int(wait * 1000)))
                reply = await self.redis.xreadgroup(
                    GROUP, self.consumer, {self.key: ">"}, count=limit - len(entries), block=block
                )
                entries.extend(self._parse_read(reply))
        except ResponseError as exc:
            if "NOGROUP" in str(exc):  # the stream vanished: Redis restarted without AOF
                self._group_ready = False
                VANISHED.labels(self.platform).inc()
                log.error("outbox.stream_vanished", platform=self.platform, key=self.key)
                return []
            raise
        return entries

    async def _reclaim(self, limit: int) -> list[OutboxEntry]:
        """Entries another (dead) worker held longer than the lease."""
        reply = await self.redis.xautoclaim(
            self.key, GROUP, self.consumer, min_idle_time=int(self.policy.lease * 1000), count=limit
        )
        claimed = reply[1] if len(reply) > 1 else []
        deleted = reply[2] if len(reply) > 2 else []
        if deleted:
            await self.redis.xack(self.key, GROUP, *deleted)
        return [_decode(entry_id, fields) for entry_id, fields in claimed if fields]

    @staticmethod
    def _parse_read(reply: Any) -> list[OutboxEntry]:
        """XREADGROUP's reply: [[stream, [(id, fields), ...]]] (RESP2)."""
        return [
            _decode(entry_id, fields)
            for _stream, messages in reply or []
            for entry_id, fields in messages
            if fields
        ]

    async def _settle(
        self, entry: OutboxEntry, *, delayed: float | None = None, dead: str | None = None
    ) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            if delayed is not None:
                pipe.zadd(self.delayed_key, {_encode(entry): delayed})
            if dead is not None:
                fields = {"entry": _encode(entry, dead)}
                pipe.xadd(self.dead_key, fields, maxlen=DEAD_LETTER_MAXLEN, approximate=True)  # type: ignore[arg-type]
            pipe.xack(self.key, GROUP, entry.id)
            pipe.xdel(self.key, entry.id)
            await pipe.execute()

    async def extend(self, entries: Sequence[OutboxEntry]) -> None:
        ids: list[Any] = [e.id for e in entries]
        if ids:  # XCLAIM with min-idle 0 resets the idle time: the lease starts again
            await self.redis.xclaim(self.key, GROUP, self.consumer, 0, ids, justid=True)

    async def release(self, entries: Sequence[OutboxEntry]) -> None:
        ids: list[Any] = [e.id for e in entries]
        if ids:  # idle "forever": the next claim's XAUTOCLAIM takes them, oldest first
            idle = int(self.policy.lease * 1000) * 10 + 1
            await self.redis.xclaim(self.key, GROUP, self.consumer, 0, ids, idle=idle, justid=True)

    async def ack(self, entry: OutboxEntry) -> None:
        await self._settle(entry)

    async def retry(self, entry: OutboxEntry, error: str, delay: float) -> None:
        entry.last_error = error
        await self._settle(entry, delayed=time.time() + delay)

    async def dead_letter(self, entry: OutboxEntry, error: str) -> None:
        await self._settle(entry, dead=error)

    async def pending(self) -> int:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xlen(self.key)
            pipe.zcard(self.delayed_key)
            stream, delayed = await pipe.execute()
        return int(stream) + int(delayed)

    async def dead_count(self) -> int:
        return int(await self.redis.xlen(self.dead_key))

    async def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        rows: Any = await self.redis.xrevrange(self.dead_key, count=limit)
        return [dead_letter_row(_decode(entry_id, fields or {})) for entry_id, fields in rows or []]

    async def waiting(self, limit: int = 100) -> list[dict[str, Any]]:
        rows: Any = await self.redis.xrange(self.key, count=limit)
        entries = [_decode(entry_id, fields or {}) for entry_id, fields in rows or []]
        for raw in await self.redis.zrange(self.delayed_key, 0, max(0, limit - len(entries) - 1)):
            data = json.loads(_text(raw))
            entries.append(
                OutboxEntry(
                    str(data.get("id", "delayed")), data.get("payload", {}), int(data.get("attempts", 0)),
                    float(data.get("created_at", 0.0)), data.get("last_error"),
                )
            )  # fmt: skip
        return [dead_letter_row(e) for e in entries[:limit]]

    async def replay(self, entry_id: str | None = None) -> int:
        if entry_id is None:
            rows: Any = await self.redis.xrange(self.dead_key)
        elif not _STREAM_ID.fullmatch(entry_id):
            return 0
        else:
            rows = await self.redis.xrange(self.dead_key, min=entry_id, max=entry_id)
        moved = 0
        for dead_id, fields in rows or []:
            entry = _decode(dead_id, fields or {})
            fresh = OutboxEntry("replayed", entry.payload, 0, time.time(), entry.last_error)
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.xadd(self.key, {"entry": _encode(fresh)})
                pipe.xdel(self.dead_key, dead_id)
                await pipe.execute()
            moved += 1
        return moved

    async def check_durable(self) -> tuple[bool, str]:
        config: Any = await self.redis.config_get("appendonly")
        value = _text(config.get("appendonly", config.get(b"appendonly", "no")) if config else "no")
        if value == "yes":
            return True, "redis appendonly yes"
        return False, "redis runs without appendonly: the outbox stream would not survive a restart"
