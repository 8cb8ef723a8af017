"""Invocation sessions (§4.4a): the reply context of each command, kept 15 minutes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from flask_core.errors import Conflict, DependencyUnavailable, NotFound
from flask_core.resources import Resources

# Marks a session answered exactly once: 'missing', 'answered', or the stored context.
_ANSWER_LUA = """
local ctx = redis.call('GET', KEYS[1])
if not ctx then return 'missing' end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[1]) then return ctx end
return 'answered'
"""


class Sessions:
    def __init__(self, res: Resources, ttl: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock  # the in-process store's expiry (tests pass their own)
        self._redis: Redis | None = res.redis
        self._prefix = res.settings.redis_key_prefix + "router:session:"
        self._ttl_ms = int(ttl * 1000)
        self._memory: dict[str, tuple[float, dict[str, Any]]] = {}
        self._answers: dict[str, tuple[float, list[dict[str, Any]]]] = {}
        self._script = self._redis.register_script(_ANSWER_LUA) if self._redis is not None else None

    def _key(self, invocation_id: str) -> str:
        return self._prefix + invocation_id

    async def put_many(self, contexts: Sequence[dict[str, Any]]) -> None:
        """Store reply contexts (each has `invocation_id`) in one round trip."""
        if not contexts:
            return
        if self._redis is None:
            expires = self._clock() + self._ttl_ms / 1000
            self._sweep()
            for ctx in contexts:
                self._memory.pop(ctx["invocation_id"], None)  # a put again goes to the back
                self._memory[ctx["invocation_id"]] = (expires, ctx)
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for ctx in contexts:
                    pipe.set(self._key(ctx["invocation_id"]), json.dumps(ctx), px=self._ttl_ms)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise DependencyUnavailable("session store unavailable") from exc

    async def answer(self, invocation_id: str, responses: list[dict[str, Any]]) -> dict[str, Any]:
        """Claim the one late answer of an invocation; 404 unknown/expired, 409 repeated."""
        if self._redis is None or self._script is None:
            return self._answer_memory(invocation_id, responses)
        try:
            result = await self._script(
                keys=[self._key(invocation_id), self._key(invocation_id) + ":answer"],
                args=[self._ttl_ms, json.dumps(responses)],
            )
        except (RedisError, OSError) as exc:
            raise DependencyUnavailable("session store unavailable") from exc
        text = result.decode() if isinstance(result, bytes) else str(result)
        if text == "missing":
            raise NotFound("unknown or expired invocation", details={"invocation_id": invocation_id})
        if text == "answered":
            raise Conflict("this invocation was already answered", details={"invocation_id": invocation_id})
        ctx: dict[str, Any] = json.loads(text)
        return ctx

    async def late_answer(self, invocation_id: str) -> tuple[bool, list[dict[str, Any]]]:
        """(known, responses) for an inline invocation; responses empty while pending."""
        if self._redis is None:
            self._sweep()
            if invocation_id not in self._memory:
                return False, []
            stored = self._answers.get(invocation_id)
            return True, _shown(self._memory[invocation_id][1], stored[1] if stored else [])
        try:
            ctx, answer = await self._redis.mget(
                self._key(invocation_id), self._key(invocation_id) + ":answer"
            )
        except (RedisError, OSError) as exc:
            raise DependencyUnavailable("session store unavailable") from exc
        if ctx is None:
            return False, []
        return True, _shown(json.loads(ctx), json.loads(answer) if answer else [])

    def _answer_memory(self, invocation_id: str, responses: list[dict[str, Any]]) -> dict[str, Any]:
        self._sweep()
        entry = self._memory.get(invocation_id)
        if entry is None:
            raise NotFound("unknown or expired invocation", details={"invocation_id": invocation_id})
        if invocation_id in self._answers:
            raise Conflict("this invocation was already answered", details={"invocation_id": invocation_id})
        self._answers[invocation_id] = (entry[0], responses)
        return entry[1]

    async def release_answer(self, invocation_id: str) -> None:
        """Give a late answer back after its delivery failed, so the module's retry is taken."""
        if self._redis is None:
            self._answers.pop(invocation_id, None)
            return
        try:
            await self._redis.delete(self._key(invocation_id) + ":answer")
        except (RedisError, OSError) as exc:
            raise DependencyUnavailable("session store unavailable") from exc

    def _sweep(self) -> None:
        """Drop the expired sessions (and their answers) of the in-process store.

        Every session lives the same `ttl` from when it was put, so the dict's insertion
        order is expiry order: the expired ones are at the front, and a sweep costs what it
        removes, however many sessions 15 minutes of a busy chat keep (it used to copy the
        whole store on every put once it held 50,000).
        """
        now = self._clock()
        memory = self._memory
        while memory:
            invocation_id, (expires, _ctx) = next(iter(memory.items()))
            if expires > now:
                break
            del memory[invocation_id]
            self._answers.pop(invocation_id, None)

    def expire_now(self, invocation_id: str) -> None:
        """Test hook for the in-process store: make a session look expired."""
        self._memory.pop(invocation_id, None)


def _shown(ctx: dict[str, Any], responses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Only an `inline` invocation's answer shows its `dm` responses (§12)."""
    if (ctx.get("reply") or {}).get("kind", "inline") == "inline":
        return responses
    return [r for r in responses if r.get("type") != "dm"]
