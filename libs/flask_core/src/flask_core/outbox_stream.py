"""The Redis stream behind `flask_core.outbox` (see its docstring for the whole design).

Keys: `{prefix}outbox:{platform}` (the stream, consumer group `outbox`), `…:delayed`
(sorted set of retries scored by due time) and `…:dead` (dead letters, capped). Each
stream entry has one field, `entry`: JSON {payload, attempts, created_at, last_error}.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from .outbox import Outbox, OutboxEntry, OutboxPolicy
from .resources import Resources

GROUP = "outbox"
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

    async def _put(self, payload: dict[str, Any]) -> str:
        entry = OutboxEntry("new", payload, 0, time.time())
        return _text(await self.redis.xadd(self.key, {"entry": _encode(entry)}))

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
            if "NOGROUP" in str(exc):  # the stream vanished (Redis restarted without AOF)
                self._group_ready = False
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

    async def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        rows: Any = await self.redis.xrevrange(self.dead_key, count=limit)
        letters: list[dict[str, Any]] = []
        for entry_id, fields in rows or []:
            entry = _decode(entry_id, fields or {})
            letters.append(
                {
                    "id": entry.id,
                    "payload": entry.payload,
                    "attempts": entry.attempts,
                    "last_error": entry.last_error,
                    "created_at": entry.created_at,
                }
            )
        return letters
