"""Platform OAuth tokens in the `platform_tokens` table, refreshed single-flight.

Rows are keyed by (platform, name, subject), e.g. ("twitch", "user", <bot user id>), so
a new bot account starts a new row. Environment values only `seed` a row; once the row
exists it wins, and refreshed tokens are written back to it. `refresh(stale, refresher)`
runs at most one refresh at a time per store: callers that saw the same stale token
wait for that refresh and get its result. (Across processes the row is re-read before
refreshing, so a token another replica refreshed meanwhile is used as is.)
Tokens are stored as given; encrypt the database volume (tokens are never logged).
Refreshers call the platform through the shared HTTP client (budgets, retries, breaker),
not through an OAuth library's own client (decision 0022).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydal import Field

from .database import AsyncDAL, ensure_index, is_integrity_error


@dataclass(slots=True, frozen=True)
class PlatformToken:
    access_token: str
    refresh_token: str | None = None
    expires_at: float | None = None  # epoch seconds; None when unknown
    scopes: tuple[str, ...] = ()

    def expires_within(self, seconds: float) -> bool:
        return self.expires_at is not None and self.expires_at - time.time() < seconds


Refresher = Callable[[PlatformToken], Awaitable[PlatformToken]]


def define_tables(db: Any) -> None:
    db.define_table(
        "platform_tokens",
        Field("platform", "string", length=16, notnull=True),
        Field("name", "string", length=64, notnull=True),
        Field("subject", "string", length=200, notnull=True),
        Field("access_token", "text"),
        Field("refresh_token", "text"),
        Field("expires_at", "double"),
        Field("scopes", "json"),
        Field("updated_at", "datetime"),
    )
    ensure_index(db, "platform_tokens", "platform_tokens_key", ("platform", "name", "subject"), unique=True)


class TokenStore:
    """One token row, cached in this process."""

    def __init__(self, db: AsyncDAL, platform: str, name: str, subject: str) -> None:
        self.db = db
        self.platform, self.name, self.subject = platform, name, subject
        self._cached: PlatformToken | None = None
        self._lock = asyncio.Lock()

    def _query(self, db: Any) -> Any:
        t = db.platform_tokens
        return (t.platform == self.platform) & (t.name == self.name) & (t.subject == self.subject)

    async def load(self) -> PlatformToken | None:
        """The row as stored now (bypassing the cache)."""

        def select(db: Any) -> PlatformToken | None:
            row = db(self._query(db)).select(limitby=(0, 1)).first()
            if row is None or not row.access_token:
                return None
            return PlatformToken(row.access_token, row.refresh_token, row.expires_at, tuple(row.scopes or ()))

        self._cached = await self.db.run(select)
        return self._cached

    async def get(self) -> PlatformToken | None:
        return self._cached if self._cached is not None else await self.load()

    async def seed(self, access_token: str | None, refresh_token: str | None = None) -> PlatformToken | None:
        """Insert the environment's token unless a row exists (the row wins)."""
        if access_token and await self.load() is None:
            try:
                await self.db.run(self._insert, PlatformToken(access_token, refresh_token))
            except Exception as exc:
                if not is_integrity_error(exc):  # another process seeded it first
                    raise
        return await self.load()

    def _insert(self, db: Any, token: PlatformToken) -> None:
        db.platform_tokens.insert(
            platform=self.platform, name=self.name, subject=self.subject, **self._values(token)
        )

    @staticmethod
    def _values(token: PlatformToken) -> dict[str, Any]:
        return {
            "access_token": token.access_token,
            "refresh_token": token.refresh_token,
            "expires_at": token.expires_at,
            "scopes": list(token.scopes),
            "updated_at": datetime.now(UTC).replace(tzinfo=None),
        }

    async def save(self, token: PlatformToken) -> None:
        def upsert(db: Any) -> None:
            if not db(self._query(db)).update(**self._values(token)):
                self._insert(db, token)

        await self.db.run(upsert)
        self._cached = token

    async def refresh(self, stale: PlatformToken, refresher: Refresher) -> PlatformToken:
        """A fresh token: `refresher` runs once however many callers saw `stale` fail."""
        async with self._lock:
            current = await self.load()
            if current is not None and current.access_token != stale.access_token:
                return current
            fresh = await refresher(current or stale)
            await self.save(fresh)
            return fresh
