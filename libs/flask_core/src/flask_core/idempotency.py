"""Claim-then-done idempotency keys: atomic in Redis, in-process without it.

`claim` takes a key for a short processing window (SET NX); `done` keeps it for a long
time after success; `release` gives it back after a failure so a retry can claim it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from enum import StrEnum

from redis.asyncio import Redis
from redis.exceptions import RedisError

from .errors import DependencyUnavailable
from .logging import get_logger
from .sweep import SweepSchedule

log = get_logger(__name__)


class ClaimState(StrEnum):
    CLAIMED = "claimed"  # this caller owns the key now
    IN_FLIGHT = "in_flight"  # another caller is processing it
    DONE = "done"  # already processed


class Claims:
    """Idempotency claims under `{prefix}idem:{namespace}:`."""

    def __init__(self, redis: Redis | None, *, prefix: str = "wb:", namespace: str = "events"):
        self._redis = redis
        self._base = f"{prefix}idem:{namespace}:"
        self._memory: dict[str, tuple[str, float]] = {}
        self._sweeps = SweepSchedule(100_000)

    def _key(self, key: str) -> str:
        return self._base + key

    async def claim(self, key: str, ttl: float = 60.0) -> ClaimState:
        return (await self.claim_many([key], ttl))[0]

    async def claim_many(self, keys: Sequence[str], ttl: float = 60.0) -> list[ClaimState]:
        """Claim several keys in one round trip (one Redis pipeline)."""
        if self._redis is None:
            return [self._claim_memory(key, ttl) for key in keys]
        try:
            # SET NX is the atomic claim; the GET after it tells "done" from "in flight".
            async with self._redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.set(self._key(key), "claimed", nx=True, px=int(ttl * 1000))
                    pipe.get(self._key(key))
                results = await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("idempotency.redis_unavailable", error=str(exc))
            raise DependencyUnavailable("idempotency store unavailable") from exc
        states: list[ClaimState] = []
        for claimed, value in zip(results[0::2], results[1::2], strict=True):
            if claimed:
                states.append(ClaimState.CLAIMED)
            elif value == b"done":
                states.append(ClaimState.DONE)
            else:
                states.append(ClaimState.IN_FLIGHT)
        return states

    async def done(self, key: str, ttl: float = 86400.0) -> None:
        await self.done_many([key], ttl)

    async def done_many(self, keys: Sequence[str], ttl: float = 86400.0) -> None:
        if self._redis is None:
            expires = time.monotonic() + ttl
            for key in keys:
                self._memory[key] = ("done", expires)
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.set(self._key(key), "done", px=int(ttl * 1000))
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("idempotency.redis_unavailable", error=str(exc))
            raise DependencyUnavailable("idempotency store unavailable") from exc

    async def release(self, key: str) -> None:
        """Give a claim back after a failure (best effort: it also expires by itself)."""
        if self._redis is None:
            self._memory.pop(key, None)
            return
        try:
            await self._redis.delete(self._key(key))
        except (RedisError, OSError) as exc:
            log.warning("idempotency.release_failed", error=str(exc))

    def _claim_memory(self, key: str, ttl: float) -> ClaimState:
        now = time.monotonic()
        if self._sweeps.due(len(self._memory)):
            self._memory = {k: v for k, v in self._memory.items() if v[1] > now}
            self._sweeps.swept(len(self._memory))
        current = self._memory.get(key)
        if current is not None and current[1] > now:
            return ClaimState.DONE if current[0] == "done" else ClaimState.IN_FLIGHT
        self._memory[key] = ("claimed", now + ttl)
        return ClaimState.CLAIMED
