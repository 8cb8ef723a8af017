"""Where a waiting interaction webhook and the router's delivery meet (§6, §10).

One key per interaction decides, with ONE atomic `SET NX`, how the first answer goes out:
- the delivery sets it to the answer → the webhook (still waiting) answers type 4 with it;
- the webhook sets it to `deferred` when its wait is over → it answers type 5, and the
  delivery edits `@original` instead.
Whoever loses reads the winner's value, so exactly one visible first answer exists.
With Redis the key lives there (a webhook on one replica and a delivery on another meet;
the waiter polls it); without Redis it lives in this process. Local waiters are woken
at once either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from enum import StrEnum
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from flask_core.errors import DependencyUnavailable
from flask_core.sweep import SweepSchedule

DEFERRED = "deferred"


class Offer(StrEnum):
    INLINE = "inline"  # this answer won: the webhook answers type 4 with it
    DEFERRED = "deferred"  # the webhook answered type 5: edit @original
    ANSWERED = "answered"  # an earlier answer won: send a follow-up


class KeyValue(Protocol):
    async def set_nx(self, key: str, value: str, ttl: float) -> bool: ...
    async def get(self, key: str) -> str | None: ...
    async def delete(self, key: str) -> None: ...


class RedisKeyValue:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def set_nx(self, key: str, value: str, ttl: float) -> bool:
        try:
            return bool(await self.redis.set(key, value, nx=True, px=int(ttl * 1000)))
        except (RedisError, OSError) as exc:
            raise DependencyUnavailable("interaction store unavailable") from exc

    async def get(self, key: str) -> str | None:
        try:
            raw = await self.redis.get(key)
        except (RedisError, OSError) as exc:
            raise DependencyUnavailable("interaction store unavailable") from exc
        return raw.decode() if isinstance(raw, bytes) else raw

    async def delete(self, key: str) -> None:
        with contextlib.suppress(RedisError, OSError):
            await self.redis.delete(key)


class MemoryKeyValue:
    """The same semantics in one process (the event loop makes each call atomic)."""

    def __init__(self) -> None:
        self.data: dict[str, tuple[str, float]] = {}
        self._sweeps = SweepSchedule(10_000)

    async def set_nx(self, key: str, value: str, ttl: float) -> bool:
        now = time.monotonic()
        current = self.data.get(key)
        if current is not None and current[1] > now:
            return False
        if self._sweeps.due(len(self.data)):
            self.data = {k: v for k, v in self.data.items() if v[1] > now}
            self._sweeps.swept(len(self.data))
        self.data[key] = (value, now + ttl)
        return True

    async def get(self, key: str) -> str | None:
        current = self.data.get(key)
        return current[0] if current is not None and current[1] > time.monotonic() else None

    async def delete(self, key: str) -> None:
        self.data.pop(key, None)


class Rendezvous:
    def __init__(self, redis: Redis | None, *, prefix: str, ttl: float, poll: float) -> None:
        self.kv: KeyValue = RedisKeyValue(redis) if redis is not None else MemoryKeyValue()
        self.base = f"{prefix}discord:interaction:"
        self.ttl = ttl
        self.poll = poll
        self._waiters: dict[str, asyncio.Event] = {}

    async def offer(self, interaction_id: str, answer: dict[str, Any]) -> Offer:
        """The delivery side: try to be the first answer (type 4)."""
        key = self.base + interaction_id
        if await self.kv.set_nx(key, json.dumps(answer), self.ttl):
            waiter = self._waiters.get(interaction_id)
            if waiter is not None:
                waiter.set()
            return Offer.INLINE
        return Offer.DEFERRED if await self.kv.get(key) == DEFERRED else Offer.ANSWERED

    async def wait(self, interaction_id: str, timeout: float) -> dict[str, Any] | None:  # noqa: ASYNC109
        """The webhook side: the answer that arrived within `timeout`, else None (deferred)."""
        key = self.base + interaction_id
        waiter = self._waiters.setdefault(interaction_id, asyncio.Event())
        deadline = asyncio.get_running_loop().time() + timeout
        try:
            while (left := deadline - asyncio.get_running_loop().time()) > 0:
                raw = await self.kv.get(key)
                if raw is not None and raw != DEFERRED:
                    return _answer(raw)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(self.poll, left)):
                        await waiter.wait()
            if await self.kv.set_nx(key, DEFERRED, self.ttl):
                return None
            raw = await self.kv.get(key)
            return None if raw is None or raw == DEFERRED else _answer(raw)
        finally:
            self._waiters.pop(interaction_id, None)

    async def mark_responded(self, interaction_id: str) -> None:
        """The webhook answered type 4: follow-ups may go out now."""
        await self.kv.set_nx(self.base + interaction_id + ":responded", "1", self.ttl)

    async def responded(self, interaction_id: str) -> bool:
        return await self.kv.get(self.base + interaction_id + ":responded") is not None

    async def claim_original(self, interaction_id: str) -> bool:
        """After a type 5: True for the one sender that edits `@original`."""
        return await self.kv.set_nx(self.base + interaction_id + ":original", "1", self.ttl)

    async def release_original(self, interaction_id: str) -> None:
        await self.kv.delete(self.base + interaction_id + ":original")


def _answer(raw: str) -> dict[str, Any]:
    value = json.loads(raw)
    return value if isinstance(value, dict) else {"content": str(value)}
