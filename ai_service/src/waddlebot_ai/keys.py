"""User API keys for `/ai/v1` (verified by identity) and the usage counted per key.

`POST /identity/api/v1/keys:verify {key}` (service token) answers 200 `{key_id, user_id,
name, expires_at}` or 401. A positive answer is kept in this process for at most
`AI_KEY_CACHE_TTL` (≤ 30 s, never past `expires_at`), keyed by a SHA-256 of the key, so a
completion does not cost an identity round trip each time; refusals are never cached.

Usage (requests, prompt and completion tokens) is added up in memory and written every
`FLUSH_EVERY` seconds in one unit of work (and at shutdown), so counting costs the hot
path nothing; `ai_key_usage` holds the totals per key.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_core import DependencyUnavailable, Resources, get_logger

log = get_logger(__name__)
FLUSH_EVERY = 1.0
MAX_KEY_LENGTH = 512


@dataclass(slots=True, frozen=True)
class ApiKey:
    key_id: str
    user_id: str
    name: str = ""


class InvalidKey(Exception):
    """The key is missing, malformed, unknown, revoked or expired."""


def _expiry(value: Any) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


@dataclass(slots=True)
class Keys:
    res: Resources
    ttl: float
    _cache: dict[str, tuple[float, ApiKey]] = field(default_factory=dict)
    _usage: dict[str, list[Any]] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def verify(self, key: str) -> ApiKey:
        if not key or len(key) > MAX_KEY_LENGTH or not key.isascii():
            raise InvalidKey()
        digest = hashlib.sha256(key.encode()).hexdigest()
        now = time.time()
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        response = await self.res.http.for_service("ai").call(
            "identity", "POST", "/identity/api/v1/keys:verify", json={"key": key}, timeout=3.0, retries=1
        )
        if response.status_code in (400, 401, 403, 404, 422):
            self._cache.pop(digest, None)
            raise InvalidKey()
        if response.status_code != 200:
            raise DependencyUnavailable(
                "identity could not verify the key", details={"status": response.status_code}
            )
        data = response.json()
        found = ApiKey(str(data["key_id"]), str(data.get("user_id") or ""), str(data.get("name") or ""))
        until = now + self.ttl
        expires = _expiry(data.get("expires_at"))
        if expires is not None:
            if expires <= now:
                raise InvalidKey()
            until = min(until, expires)
        if len(self._cache) > 10_000:
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
        self._cache[digest] = (until, found)
        return found

    def count(self, key: ApiKey, prompt_tokens: int, completion_tokens: int) -> None:
        entry = self._usage.setdefault(key.key_id, [key.user_id, 0, 0, 0])
        entry[1] += 1
        entry[2] += prompt_tokens
        entry[3] += completion_tokens

    async def flush(self) -> None:
        async with self._lock:
            pending, self._usage = self._usage, {}
            if not pending:
                return
            try:
                await self.res.db.run(_add_usage, pending, time.time())
            except Exception as exc:  # keep the counts for the next flush
                log.warning("ai.usage_flush_failed", error=repr(exc)[:200])
                for key_id, (user, n, p, c) in pending.items():
                    entry = self._usage.setdefault(key_id, [user, 0, 0, 0])
                    entry[1] += n
                    entry[2] += p
                    entry[3] += c

    async def run_forever(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_EVERY)
            await self.flush()


def _add_usage(db: Any, pending: dict[str, list[Any]], now: float) -> None:
    t = db.ai_key_usage
    for key_id, (user_id, requests, prompt, completion) in pending.items():
        changed = db(t.key_id == key_id).update(
            requests=t.requests + requests,
            prompt_tokens=t.prompt_tokens + prompt,
            completion_tokens=t.completion_tokens + completion,
            last_used_at=now,
        )
        if not changed:
            t.insert(key_id=key_id, user_id=user_id, requests=requests, prompt_tokens=prompt,
                     completion_tokens=completion, last_used_at=now)  # fmt: skip


def read_usage(db: Any, key_id: str) -> dict[str, Any] | None:
    t = db.ai_key_usage
    row = db(t.key_id == key_id).select(limitby=(0, 1)).first()
    if row is None:
        return None
    return {
        "key_id": row.key_id,
        "user_id": row.user_id,
        "requests": int(row.requests or 0),
        "prompt_tokens": int(row.prompt_tokens or 0),
        "completion_tokens": int(row.completion_tokens or 0),
        "last_used_at": row.last_used_at,
    }
