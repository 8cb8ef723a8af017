"""Rate limits: sliding window, cooldown and token bucket.

On Redis each check is one atomic Lua script that reads the server clock
(`TIME`), so every replica agrees; keys live under `{prefix}rl:`. Without Redis an
in-process implementation has the same semantics. A blocked call consumes nothing.
`Decision.notify` is True only for the first blocked call of a block (a marker key
set NX for the remaining block time), so a user gets one notice, not one per
command. The limiter fails closed: when Redis cannot be reached every check raises
`DependencyUnavailable` (503); it never allows and never reports "rate limited".
"""

from __future__ import annotations

import math
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError, RedisError

from .errors import DependencyUnavailable
from .logging import get_logger
from .metrics import counter
from .settings import parse_rate

__all__ = ["Decision", "RateLimiter", "parse_rate"]

log = get_logger(__name__)

REJECTIONS = counter("waddlebot_ratelimit_rejections_total", "Calls blocked by a rate limit", ("kind",))
_SERVICE = "core"
_REDIS_ERRORS = (RedisError, OSError)

# Every script returns {allowed, remaining, retry_after_us, notify}.
_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
"""
_BLOCKED = """
local notify = 0
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', math.max(1, math.ceil(retry / 1000))) then
  notify = 1
end
return {0, 0, retry, notify}
"""
# KEYS: log (sorted set), marker. ARGV: limit, window_us, unique member.
WINDOW_LUA = f"""{_NOW}
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
  return {{1, limit - count - 1, 0, 0}}
end
local retry = window
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if oldest[2] then retry = tonumber(oldest[2]) + window - now end
{_BLOCKED}"""
# KEYS: deadline, marker. ARGV: period_us.
COOLDOWN_LUA = f"""{_NOW}
local period = tonumber(ARGV[1])
local stored = redis.call('GET', KEYS[1])
local deadline = stored and tonumber(stored)
if not deadline or deadline <= now then
  redis.call('SET', KEYS[1], now + period, 'PX', math.ceil(period / 1000))
  return {{1, 0, 0, 0}}
end
local retry = deadline - now
{_BLOCKED}"""
# KEYS: bucket (hash tokens/ts), marker. ARGV: rate per second, capacity, tokens.
BUCKET_LUA = f"""{_NOW}
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if not tokens or not ts then
  tokens = capacity
else
  tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate / 1000000)
end
if tokens >= wanted then
  tokens = tokens - wanted
  redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
  redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) * 1000 / rate) + 1)
  return {{1, math.floor(tokens), 0, 0}}
end
local retry = math.ceil((wanted - tokens) * 1000000 / rate)
{_BLOCKED}"""


@dataclass(slots=True, frozen=True)
class Decision:
    allowed: bool
    remaining: int  # calls or tokens left (0 when blocked)
    retry_after: float  # seconds until a call could be allowed (0.0 when allowed)
    notify: bool  # True only for the first blocked call of a block


def _micros(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1_000_000))


class _Memory:
    """The in-process limiter: plain synchronous code, so each check is atomic."""

    def __init__(self) -> None:
        self.windows: dict[str, tuple[deque[float], float]] = {}
        self.deadlines: dict[str, float] = {}
        self.buckets: dict[str, tuple[float, float, float]] = {}  # tokens, ts, full at
        self.markers: dict[str, float] = {}
        self._ops = 0

    def _blocked(self, marker: str, retry: float, now: float) -> Decision:
        notify = self.markers.get(marker, 0.0) <= now
        if notify:
            self.markers[marker] = now + retry
        return Decision(False, 0, retry, notify)

    def _tick(self, now: float) -> None:
        self._ops += 1
        if self._ops % 1024:
            return
        self.windows = {k: v for k, v in self.windows.items() if v[0] and v[0][-1] + v[1] > now}
        self.deadlines = {k: d for k, d in self.deadlines.items() if d > now}
        self.buckets = {k: b for k, b in self.buckets.items() if b[2] > now}
        self.markers = {k: e for k, e in self.markers.items() if e > now}

    def hit(self, key: str, marker: str, limit: int, window: float) -> Decision:
        now = time.monotonic()
        self._tick(now)
        entry = self.windows.get(key)
        calls: deque[float] = deque() if entry is None else entry[0]
        while calls and calls[0] <= now - window:
            calls.popleft()
        self.windows[key] = (calls, window)
        if len(calls) < limit:
            calls.append(now)
            return Decision(True, limit - len(calls), 0.0, False)
        retry = calls[0] + window - now if calls else window
        return self._blocked(marker, retry, now)

    def cooldown(self, key: str, marker: str, seconds: float) -> Decision:
        now = time.monotonic()
        self._tick(now)
        deadline = self.deadlines.get(key)
        if deadline is None or deadline <= now:
            self.deadlines[key] = now + seconds
            return Decision(True, 0, 0.0, False)
        return self._blocked(marker, deadline - now, now)

    def take(self, key: str, marker: str, rate: float, capacity: int, wanted: int) -> Decision:
        now = time.monotonic()
        self._tick(now)
        state = self.buckets.get(key)
        tokens = float(capacity) if state is None else state[0]
        if state is not None:
            tokens = min(float(capacity), tokens + max(0.0, now - state[1]) * rate)
        if tokens >= wanted:
            tokens -= wanted
            self.buckets[key] = (tokens, now, now + (capacity - tokens) / rate)
            return Decision(True, math.floor(tokens), 0.0, False)
        return self._blocked(marker, (wanted - tokens) / rate, now)


class RateLimiter:
    """Sliding window, cooldown and token bucket; on Redis or in-process."""

    def __init__(self, redis: Redis | None, *, prefix: str = "wb:") -> None:
        self._redis = redis
        self._prefix = f"{prefix}rl:"
        self._memory = _Memory()
        self._window: AsyncScript | None = None
        self._cooldown: AsyncScript | None = None
        self._bucket: AsyncScript | None = None
        if redis is not None:
            self._window = redis.register_script(WINDOW_LUA)
            self._cooldown = redis.register_script(COOLDOWN_LUA)
            self._bucket = redis.register_script(BUCKET_LUA)

    def _keys(self, kind: str, key: str) -> tuple[str, str]:
        return f"{self._prefix}{kind}:{key}", f"{self._prefix}notify:{kind}:{key}"

    async def hit(self, key: str, limit: int, window: float) -> Decision:
        """Allow at most `limit` calls in any `window` seconds (sliding window log)."""
        _check_window(limit, window)
        keys = self._keys("win", key)
        if self._window is None:
            return self._count("window", self._memory.hit(*keys, limit, window))
        args = (limit, _micros(window), uuid.uuid4().hex)
        return self._count("window", await self._eval(self._window, "window", keys, args))

    async def cooldown(self, key: str, seconds: float) -> Decision:
        """Allow one call, then block until `seconds` have passed."""
        if seconds <= 0:
            raise ValueError("cooldown seconds must be positive")
        keys = self._keys("cd", key)
        if self._cooldown is None:
            return self._count("cooldown", self._memory.cooldown(*keys, seconds))
        reply = await self._eval(self._cooldown, "cooldown", keys, (_micros(seconds),))
        return self._count("cooldown", reply)

    async def take(self, key: str, rate: float, capacity: int, tokens: int = 1) -> Decision:
        """Take `tokens` from a bucket refilled at `rate` tokens/s up to `capacity`."""
        if rate <= 0 or capacity < 1 or not 1 <= tokens <= capacity:
            raise ValueError("need rate > 0, capacity >= 1 and 1 <= tokens <= capacity")
        keys = self._keys("tb", key)
        if self._bucket is None:
            return self._count("bucket", self._memory.take(*keys, rate, capacity, tokens))
        reply = await self._eval(self._bucket, "bucket", keys, (rate, capacity, tokens))
        return self._count("bucket", reply)

    async def hit_many(self, checks: Sequence[tuple[str, int, float]]) -> list[Decision]:
        """Several `hit` checks (key, limit, window) in one Redis round trip."""
        for _, limit, window in checks:
            _check_window(limit, window)
        if self._window is None:
            return [await self.hit(key, limit, window) for key, limit, window in checks]
        if not checks:
            return []
        calls = [
            (self._keys("win", key), (limit, _micros(window), uuid.uuid4().hex))
            for key, limit, window in checks
        ]
        try:
            replies = await self._pipeline(self._window, calls)
        except _REDIS_ERRORS as exc:
            raise _unavailable("window", exc) from exc
        return [self._count("window", _decision(reply)) for reply in replies]

    # -- internals --------------------------------------------------------------------

    async def _eval(
        self, script: AsyncScript, kind: str, keys: tuple[str, str], args: tuple[Any, ...]
    ) -> Decision:
        try:
            reply = await script(keys=keys, args=args)
        except _REDIS_ERRORS as exc:
            raise _unavailable(kind, exc) from exc
        return _decision(reply)

    async def _pipeline(
        self, script: AsyncScript, calls: list[tuple[tuple[str, str], tuple[Any, ...]]]
    ) -> list[Any]:
        """EVALSHA every call in one pipeline; load the script and redo any NOSCRIPT."""
        assert self._redis is not None
        replies = await self._evalsha_all(script, calls)
        missing = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
        if missing:
            script.sha = await self._redis.script_load(script.script)
            retried = await self._evalsha_all(script, [calls[i] for i in missing])
            for i, reply in zip(missing, retried, strict=True):
                replies[i] = reply
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return replies

    async def _evalsha_all(
        self, script: AsyncScript, calls: list[tuple[tuple[str, str], tuple[Any, ...]]]
    ) -> list[Any]:
        assert self._redis is not None
        async with self._redis.pipeline(transaction=False) as pipe:
            for keys, args in calls:
                pipe.evalsha(script.sha, len(keys), *keys, *args)
            replies: list[Any] = await pipe.execute(raise_on_error=False)
        return replies

    @staticmethod
    def _count(kind: str, decision: Decision) -> Decision:
        if not decision.allowed:
            REJECTIONS.labels(_SERVICE, kind).inc()
        return decision


def _check_window(limit: int, window: float) -> None:
    if limit < 0 or window <= 0:
        raise ValueError("need limit >= 0 and window > 0")


def _decision(reply: Any) -> Decision:
    allowed, remaining, retry_us, notify = (int(part) for part in reply)
    if allowed:
        return Decision(True, max(0, remaining), 0.0, False)
    return Decision(False, 0, max(retry_us, 1) / 1_000_000, bool(notify))


def _unavailable(kind: str, exc: BaseException) -> DependencyUnavailable:
    log.warning("ratelimit.redis_unavailable", kind=kind, error=str(exc))
    return DependencyUnavailable("rate limiter unavailable")
