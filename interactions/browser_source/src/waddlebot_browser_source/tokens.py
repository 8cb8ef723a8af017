"""Overlay tokens: one current token per community, rotation with a grace period.

Tokens are 43 URL-safe characters from `secrets` (256 bits). They are stored as they
are, because the streamer is shown them again (`!overlay`, the portal), and checked in
constant time: the row is found by its first `LOOKUP` characters, then the whole token
is compared with `hmac.compare_digest` (ARCHITECTURE §12; decision 0066). Rotation
issues a new token and lets the old one work for `grace` seconds more.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_core import AsyncDAL, get_logger

log = get_logger(__name__)
LOOKUP = 8
TOKEN_BYTES = 32
MAX_TOKEN = 128


@dataclass(frozen=True, slots=True)
class Grant:
    """What a valid token opens: its community, and until when (None: no end)."""

    community_id: int
    expires_at: datetime | None


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def _current(d: Any, community_id: int) -> Any:
    table = d.browser_source_tokens
    query = (table.community_id == community_id) & (table.retired_at == None)  # noqa: E711
    return d(query).select(orderby=~table.id, limitby=(0, 1)).first()


def _insert(d: Any, community_id: int) -> str:
    token = new_token()
    d.browser_source_tokens.insert(
        community_id=community_id, lookup=token[:LOOKUP], token=token, created_at=_now()
    )
    return token


def _get_or_create(d: Any, community_id: int) -> str:
    from flask_core.database import serialize_on

    serialize_on(d, "browser_source_tokens", community_id)  # two replicas never make two
    row = _current(d, community_id)
    return str(row.token) if row is not None else _insert(d, community_id)


def _rotate(d: Any, community_id: int, grace: float) -> str:
    from flask_core.database import serialize_on

    serialize_on(d, "browser_source_tokens", community_id)
    now = _now()
    table = d.browser_source_tokens
    live = (table.community_id == community_id) & (table.retired_at == None)  # noqa: E711
    d(live).update(retired_at=now, expires_at=now + timedelta(seconds=grace))
    # Tokens retired earlier than that stop now: only the one just replaced has a grace.
    older = (table.community_id == community_id) & (table.expires_at > now + timedelta(seconds=grace))
    d(older).update(expires_at=now)
    return _insert(d, community_id)


def _find(d: Any, token: str) -> Grant | None:
    table = d.browser_source_tokens
    found: Grant | None = None
    for row in d(table.lookup == token[:LOOKUP]).select():
        # Every candidate is compared (no early exit on the first match).
        if hmac.compare_digest(str(row.token).encode(), token.encode()):
            found = Grant(int(row.community_id), row.expires_at)
    return found


async def current(db: AsyncDAL, community_id: int) -> str:
    """The community's current token (made on first use)."""
    token: str = await db.run(_get_or_create, community_id)
    return token


async def rotate(db: AsyncDAL, community_id: int, grace: float) -> str:
    """A new current token; the old one keeps working for `grace` seconds."""
    token: str = await db.run(_rotate, community_id, grace)
    log.info("browser_source.token_rotated", community_id=community_id, grace=grace)
    return token


class TokenCheck:
    """`await check(token)` → the community it opens, or None (unknown or expired).

    Answers are kept in process for `ttl` seconds so 1,000 overlay clients reconnecting
    at once make one query per token, not 1,000.
    """

    def __init__(self, db: AsyncDAL, ttl: float) -> None:
        self.db, self.ttl = db, ttl
        self._known: dict[str, tuple[float, Grant | None]] = {}

    async def __call__(self, token: str) -> int | None:
        if not token or len(token) > MAX_TOKEN or len(token) < LOOKUP:
            return None
        now = time.monotonic()
        hit = self._known.get(token)
        if hit is None or hit[0] <= now:
            grant: Grant | None = await self.db.read(_find, token)
            if len(self._known) > 10_000:
                self._known.clear()
            self._known[token] = hit = (now + self.ttl, grant)
        grant = hit[1]
        if grant is None:
            return None
        if grant.expires_at is not None and grant.expires_at <= _now():
            return None
        return grant.community_id

    def forget(self) -> None:
        self._known.clear()


def mask(token: str) -> str:
    """A token as the portal lists it: enough to tell tokens apart, not to use one."""
    return f"{token[:4]}…{token[-4:]}"
