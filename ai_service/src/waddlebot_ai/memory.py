"""Conversation memory per (community, channel): the last N turns, forgotten after a TTL.

A turn is one question and its answer. With Redis the turns are a list under
`{prefix}ai:conversation:{community}:{platform}:{channel}`: one MULTI appends the pair,
trims to the last N turns and renews the TTL, so replicas share the memory and it ends
itself. Without Redis the same lives in this process (an embedded bot has one process).
A failing Redis is logged and treated as no memory: the question is still answered.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict

from redis.asyncio import Redis
from redis.exceptions import RedisError

from flask_core import get_logger

from .providers import Message

log = get_logger(__name__)
MAX_CONVERSATIONS = 20_000  # in-process: the least recently used are dropped beyond this


class Memory:
    def __init__(self, redis: Redis | None, prefix: str, turns: int, ttl: float) -> None:
        self._redis = redis
        self._prefix = f"{prefix}ai:conversation:"
        self.turns = turns
        self.ttl = ttl
        self._local: OrderedDict[str, tuple[float, list[Message]]] = OrderedDict()

    def key(self, community_id: str, platform: str, channel_id: str) -> str:
        return f"{self._prefix}{community_id}:{platform}:{channel_id}"

    async def history(self, key: str) -> list[Message]:
        """The remembered messages, oldest first (empty when expired or off)."""
        if self.turns <= 0:
            return []
        if self._redis is None:
            entry = self._local.get(key)
            if entry is None or entry[0] <= time.monotonic():
                self._local.pop(key, None)
                return []
            return list(entry[1])
        try:
            raw = await self._redis.lrange(key, 0, -1)
        except (RedisError, OSError) as exc:
            log.warning("ai.memory_unavailable", error=str(exc)[:200])
            return []
        messages: list[Message] = []
        for item in raw:
            try:
                value = json.loads(item)
            except ValueError:
                continue
            if isinstance(value, dict) and value.get("role") in ("user", "assistant"):
                messages.append({"role": str(value["role"]), "content": str(value.get("content", ""))})
        return messages

    async def remember(self, key: str, question: str, answer: str) -> None:
        """Append one turn, keep the last N, renew the TTL."""
        if self.turns <= 0:
            return
        pair: list[Message] = [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
        keep = 2 * self.turns
        if self._redis is None:
            entry = self._local.pop(key, None)
            old = entry[1] if entry is not None and entry[0] > time.monotonic() else []
            self._local[key] = (time.monotonic() + self.ttl, (old + pair)[-keep:])
            while len(self._local) > MAX_CONVERSATIONS:
                self._local.popitem(last=False)
            return
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.rpush(key, *(json.dumps(m, ensure_ascii=False) for m in pair))
                pipe.ltrim(key, -keep, -1)
                pipe.pexpire(key, max(1, int(self.ttl * 1000)))
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("ai.memory_unavailable", error=str(exc)[:200])

    async def forget(self, key: str) -> None:
        if self._redis is None:
            self._local.pop(key, None)
            return
        try:
            await self._redis.delete(key)
        except (RedisError, OSError) as exc:
            log.warning("ai.memory_unavailable", error=str(exc)[:200])
