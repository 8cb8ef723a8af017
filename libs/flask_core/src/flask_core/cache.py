"""Namespaced JSON cache on Redis, with an optional in-process layer and invalidation.

Keys live at `{prefix}{namespace}:{key}`. Without Redis an in-process backend gives
the same semantics. `get_or_set(..., local=True)` also keeps the value in this
process and serves it without Redis while fresh; `invalidate` deletes the keys in
Redis and publishes them on `{prefix}{namespace}:invalidate`, so every instance's
listener drops its local copy. The local layer is only served while the listener is
subscribed (an invalidation could otherwise be missed), and it is emptied whenever
the listener (re)subscribes. The cache is best-effort: Redis errors are logged and
behave like misses.

A load never stores what may be older than an invalidation: a key invalidated (here, or
by another instance's message) while `get_or_set` was loading it is handed to the
callers who asked before and not stored; and when another instance's invalidation
arrives for a key this instance stored from a load in the last `_RESTORE_WINDOW`
seconds, that stored copy is deleted from Redis again (the other instance's write may
have committed after this load read its source and deleted the key before this load
stored it). The local layer is bounded (`max_local_chars` of JSON text, oldest first).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from .logging import get_logger
from .metrics import counter
from .supervise import Supervised
from .sweep import SweepSchedule

log = get_logger(__name__)

CACHE_REQUESTS = counter("waddlebot_cache_requests_total", "Cache lookups by result", ("namespace", "result"))
_SERVICE = "core"
_PING_EVERY = 15.0  # seconds of silence before the listener checks its connection
_MAX_BACKOFF = 5.0
_REDIS_ERRORS = (RedisError, OSError)
#: A load's copy stored less than this long before another instance's invalidation of
#: its key arrived is deleted again (covers the pub/sub delivery delay with room to spare).
_RESTORE_WINDOW = 10.0
#: Default bound of the in-process layer of `get_or_set(local=True)`, in characters of JSON.
LOCAL_MAX_CHARS = 4_000_000


class _LeaderCancelled(Exception):
    """The caller loading a key was cancelled: waiters retry instead of failing."""


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _check_ttl(ttl: float | None) -> None:
    if ttl is not None and ttl <= 0:
        raise ValueError("ttl must be positive seconds or None")


class _Layer:
    """An in-process key -> JSON text store with per-key expiry (monotonic clock).

    `value` also keeps the decoded value of each text, so a hot key is decoded once per
    write instead of once per read (`get_or_set(shared=True)`). With `max_chars`, the
    oldest writes are dropped once the texts held add up to more (a copy of Redis may
    be forgotten; the whole backend, without Redis, is never bounded this way).
    """

    def __init__(self, max_chars: int | None = None) -> None:
        self.data: dict[str, tuple[str, float]] = {}
        self.decoded: dict[str, tuple[str, Any]] = {}
        self._writes = 0
        self.max_chars = max_chars
        self.chars = 0  # kept only when bounded

    def value(self, key: str) -> tuple[bool, Any]:
        """(found, decoded value) of a fresh key; the value is shared: read it, never change it."""
        raw = self.get(key)
        if raw is None:
            return False, None
        memo = self.decoded.get(key)
        if memo is not None and memo[0] is raw:  # the same text object: nothing was written since
            return True, memo[1]
        value = json.loads(raw)
        self.decoded[key] = (raw, value)
        return True, value

    def get(self, key: str) -> str | None:
        raw, expires = self.data.get(key, (None, math.inf))
        if raw is not None and expires <= time.monotonic():
            self.delete(key)
            return None
        return raw

    def set(self, key: str, raw: str, ttl: float | None) -> None:
        now = time.monotonic()
        if self.max_chars is not None:
            self.delete(key)  # re-inserted at the end: the oldest write is first in the dict
            if len(raw) > self.max_chars:
                return  # larger than the whole bound: not held (it would only empty the layer)
        self.data[key] = (raw, math.inf if ttl is None else now + ttl)
        self._writes += 1
        if self._writes % 1024 == 0:  # sweep expired entries now and then
            self.data = {k: v for k, v in self.data.items() if v[1] > now}
            self.decoded = {k: v for k, v in self.decoded.items() if k in self.data}
            if self.max_chars is not None:
                self.chars = sum(len(v[0]) for v in self.data.values())
        if self.max_chars is not None:
            self.chars += len(raw)
            while self.chars > self.max_chars and self.data:
                self.delete(next(iter(self.data)))

    def delete(self, key: str) -> None:
        entry = self.data.pop(key, None)
        self.decoded.pop(key, None)
        if entry is not None and self.max_chars is not None:
            self.chars -= len(entry[0])

    def clear(self) -> None:
        self.data.clear()
        self.decoded.clear()
        self.chars = 0


class Cache:
    """JSON cache; see the module docstring for the semantics."""

    def __init__(
        self,
        redis: Redis | None,
        *,
        prefix: str = "wb:",
        namespace: str = "cache",
        max_local_chars: int = LOCAL_MAX_CHARS,
    ) -> None:
        self._redis = redis
        self._namespace = namespace
        self._base = f"{prefix}{namespace}:"
        self.channel = f"{prefix}{namespace}:invalidate"
        self._memory = _Layer()  # the whole backend when redis is None
        self._local = _Layer(max_local_chars)  # the in-process layer of get_or_set(local=True)
        self._inflight: dict[str, asyncio.Future[Any]] = {}
        self._stale: set[str] = set()  # keys written or invalidated while being loaded here
        self._stored: dict[str, float] = {}  # key -> when a load here stored it in Redis
        self._stored_sweep = SweepSchedule(floor=1024)
        self._pubsub: PubSub | None = None
        self._task: Supervised | None = None
        self._listening = False
        self._warned_not_started = False
        self._hit = CACHE_REQUESTS.labels(_SERVICE, namespace, "hit")
        self._miss = CACHE_REQUESTS.labels(_SERVICE, namespace, "miss")

    async def start(self) -> None:
        """Subscribe to invalidations (once, before returning when Redis is up)."""
        if self._redis is None or self._task is not None:
            return
        try:
            await self._subscribe()
        except _REDIS_ERRORS as exc:
            log.warning("cache.subscribe_failed", namespace=self._namespace, error=str(exc))
            await self._drop_pubsub()
        self._task = Supervised(
            f"cache-listener:{self.channel}", self._listen_once, backoff_base=0.1, backoff_cap=_MAX_BACKOFF
        )
        self._task.start()

    async def close(self) -> None:
        """Stop the listener and close its connection."""
        task, self._task = self._task, None
        if task is not None:
            await task.stop()
        await self._drop_pubsub(unsubscribe=True)
        self._local.clear()

    @property
    def listening(self) -> bool:
        """True while invalidations are being received."""
        return self._listening

    async def get(self, key: str) -> Any | None:
        raw = await self._get_raw(key)
        (self._miss if raw is None else self._hit).inc()
        return None if raw is None else json.loads(raw)

    async def get_many(self, keys: list[str]) -> list[Any | None]:
        """`get` of several keys in one round trip (MGET), in order."""
        if not keys:
            return []
        if self._redis is None:
            raws: list[str | bytes | None] = [self._memory.get(key) for key in keys]
        else:
            try:
                raws = await self._redis.mget([self._base + key for key in keys])
            except _REDIS_ERRORS as exc:
                log.warning("cache.redis_unavailable", op="mget", keys=len(keys), error=str(exc))
                raws = [None] * len(keys)
        values: list[Any | None] = []
        for raw in raws:
            (self._miss if raw is None else self._hit).inc()
            values.append(None if raw is None else json.loads(raw))
        return values

    async def set_many(self, items: dict[str, Any], ttl: float | None = None) -> None:
        """`set` of several keys in one round trip (a pipeline)."""
        _check_ttl(ttl)
        if not items:
            return
        raws = {key: _dumps(value) for key, value in items.items()}
        self._drop_local(list(raws))
        if self._redis is None:
            for key, raw in raws.items():
                self._memory.set(key, raw, ttl)
            return
        px = None if ttl is None else max(1, round(ttl * 1000))
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key, raw in raws.items():
                    pipe.set(self._base + key, raw, px=px)
                await pipe.execute()
        except _REDIS_ERRORS as exc:
            log.warning("cache.redis_unavailable", op="set_many", keys=len(raws), error=str(exc))

    async def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        _check_ttl(ttl)
        raw = _dumps(value)
        self._drop_local([key])
        await self._set_raw(key, raw, ttl)

    async def delete(self, key: str) -> None:
        await self._remove((key,), broadcast=False)

    async def invalidate(self, *keys: str) -> None:
        """Delete `keys` and make every instance (any process) drop its local copy."""
        await self._remove(keys, broadcast=True)

    async def _remove(self, keys: tuple[str, ...], *, broadcast: bool) -> None:
        if not keys:
            return
        self._drop_local(keys)
        if self._redis is None:
            for key in keys:
                self._memory.delete(key)
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.delete(*(self._base + key for key in keys))
                if broadcast:
                    pipe.publish(self.channel, _dumps(list(keys)))
                await pipe.execute()
        except _REDIS_ERRORS as exc:
            log.error("cache.redis_unavailable", op="invalidate", keys=list(keys), error=str(exc))

    async def get_or_set(
        self,
        key: str,
        factory: Callable[[], Awaitable[Any]],
        ttl: float | None = None,
        *,
        local: bool = False,
        shared: bool = False,
    ) -> Any:
        """The cached value, or `await factory()` stored for `ttl` seconds.

        Concurrent callers for the same key in this process share one factory call.
        `shared=True` (a hot read model: a community's configuration): a value served from
        this process (the local layer, or the in-process backend) is decoded once per write
        and the same object is returned to every caller, who must not change it.
        """
        _check_ttl(ttl)
        while True:
            if shared and self._redis is None:
                found, value = self._memory.value(key)
                if found:
                    self._hit.inc()
                    return value
            if local and self._local_enabled():
                if shared:
                    found, value = self._local.value(key)
                    if found:
                        self._hit.inc()
                        return value
                raw = self._local.get(key)
                if raw is not None:
                    self._hit.inc()
                    return json.loads(raw)
            pending = self._inflight.get(key)
            if pending is None:
                break
            try:
                return await asyncio.shield(pending)
            except _LeaderCancelled:
                continue
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            value = await self._load(key, factory, ttl, local)
        except BaseException as exc:
            cancelled = isinstance(exc, asyncio.CancelledError)
            future.set_exception(_LeaderCancelled() if cancelled else exc)
            future.exception()  # retrieved: no "never retrieved" log when nobody waits
            raise
        else:
            future.set_result(value)
            return value
        finally:
            del self._inflight[key]
            self._stale.discard(key)

    def local_get(self, key: str) -> Any | None:
        """The local copy of `key`, if fresh (None otherwise)."""
        raw = self._local.get(key)
        return None if raw is None else json.loads(raw)

    def local_set(self, key: str, value: Any, ttl: float | None) -> None:
        """Keep `value` in this process for `ttl` seconds (dropped by `invalidate`)."""
        _check_ttl(ttl)
        self._local.set(key, _dumps(value), ttl)

    async def _load(
        self, key: str, factory: Callable[[], Awaitable[Any]], ttl: float | None, local: bool
    ) -> Any:
        raw = await self._get_raw(key)
        if raw is None:
            self._miss.inc()
            value = await factory()
            if key in self._stale:  # written or invalidated meanwhile: the value may be older
                return value
            raw = _dumps(value)
            await self._set_raw(key, raw, ttl)
            if self._redis is not None:
                self._note_stored(key)
                if key in self._stale:  # an invalidation arrived while storing: undo the copy
                    await self._forget_stored([key])
                    return value
        else:
            self._hit.inc()
            value = json.loads(raw)
        # Keep a local copy only if no invalidation arrived while we were loading.
        if local and self._local_enabled() and key not in self._stale:
            self._local.set(key, raw, ttl)
        return value

    def _note_stored(self, key: str) -> None:
        now = time.monotonic()
        self._stored.pop(key, None)
        self._stored[key] = now
        if self._stored_sweep.due(len(self._stored)):
            self._stored = {k: at for k, at in self._stored.items() if now - at < _RESTORE_WINDOW}
            self._stored_sweep.swept(len(self._stored))

    async def _forget_stored(self, keys: list[str]) -> None:
        """Delete this instance's recent copies of `keys` from Redis (no broadcast)."""
        assert self._redis is not None
        for key in keys:
            self._stored.pop(key, None)
        try:
            await self._redis.delete(*(self._base + key for key in keys))
        except _REDIS_ERRORS as exc:
            log.error("cache.redis_unavailable", op="forget", keys=keys, error=str(exc))

    def _local_enabled(self) -> bool:
        if self._redis is None:
            return False  # the backend itself is in-process
        if self._listening:
            return True
        if self._task is None and not self._warned_not_started:
            self._warned_not_started = True
            log.warning("cache.local_without_listener", namespace=self._namespace)
        return False

    async def _get_raw(self, key: str) -> str | None:
        if self._redis is None:
            return self._memory.get(key)
        try:
            raw: str | bytes | None = await self._redis.get(self._base + key)
        except _REDIS_ERRORS as exc:
            log.warning("cache.redis_unavailable", op="get", key=key, error=str(exc))
            return None
        return raw.decode() if isinstance(raw, bytes) else raw

    async def _set_raw(self, key: str, raw: str, ttl: float | None) -> None:
        if self._redis is None:
            self._memory.set(key, raw, ttl)
            return
        px = None if ttl is None else max(1, round(ttl * 1000))
        try:
            await self._redis.set(self._base + key, raw, px=px)
        except _REDIS_ERRORS as exc:
            log.warning("cache.redis_unavailable", op="set", key=key, error=str(exc))

    def _drop_local(self, keys: tuple[str, ...] | list[str]) -> None:
        for key in keys:
            self._local.delete(key)
            if key in self._inflight:
                self._stale.add(key)

    async def _on_message(self, data: str | bytes) -> None:
        try:
            keys = json.loads(data)
        except ValueError:
            log.warning("cache.bad_invalidation", channel=self.channel)
            return
        if not isinstance(keys, list):
            return
        names = [str(key) for key in keys]
        self._drop_local(names)
        now = time.monotonic()
        recent = [k for k in names if now - self._stored.get(k, -math.inf) < _RESTORE_WINDOW]
        if recent:
            await self._forget_stored(recent)

    async def _subscribe(self) -> None:
        assert self._redis is not None
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._pubsub = pubsub
        await pubsub.subscribe(self.channel)
        # redis-py reconnects and resubscribes on its own: forget local copies then.
        if pubsub.connection is not None:
            pubsub.connection.register_connect_callback(self._on_reconnect)
        await self._on_reconnect(None)
        self._listening = True

    async def _on_reconnect(self, connection: object) -> None:
        # Invalidations published while disconnected were missed: start from empty.
        if connection is not None:
            log.info("cache.listener_reconnected", namespace=self._namespace)
        self._stale.update(self._inflight)
        self._local.clear()

    async def _drop_pubsub(self, *, unsubscribe: bool = False) -> None:
        self._listening = False
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is None:
            return
        if pubsub.connection is not None:  # the connection goes back to the pool
            pubsub.connection.deregister_connect_callback(self._on_reconnect)
        if unsubscribe:
            with contextlib.suppress(*_REDIS_ERRORS):
                await pubsub.unsubscribe()
        with contextlib.suppress(*_REDIS_ERRORS):
            await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _listen_once(self) -> None:
        """One listening session, run under `Supervised` (restarted with backoff on failure)."""
        try:
            if self._pubsub is None:
                await self._subscribe()
                log.info("cache.resubscribed", namespace=self._namespace)
            await self._receive()
        except Exception as exc:  # Redis errors, or a bug: never die silently
            log.warning("cache.listener_error", namespace=self._namespace, error=repr(exc))
            await self._drop_pubsub()  # stops serving the local layer
            raise

    async def _receive(self) -> None:
        pubsub = self._pubsub
        assert pubsub is not None
        awaiting_pong = False
        while True:
            message = await pubsub.get_message(timeout=_PING_EVERY)
            if message is None:
                if awaiting_pong:
                    raise ConnectionError("no answer to the listener's ping")
                await pubsub.ping()
                awaiting_pong = True
                continue
            awaiting_pong = False
            if message["type"] == "message":
                await self._on_message(message["data"])
