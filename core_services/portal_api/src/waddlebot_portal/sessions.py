"""Sessions: a short-lived access token and a rotating refresh token per sign-in.

The access token is a portal user token of flask_core.auth (`sub`, `admin`,
`communities` {id: role}, `typ: access`) plus `sid`, the refresh family it came from.
The refresh token is opaque (`<token_id>.<secret>`; only a SHA-256 of the secret is
stored). Each refresh uses it up and issues the next one in the same family; a token
used a second time means it was copied, so the whole family is revoked (decision 0069).
A revoked family is also remembered in the cache for the access tokens' lifetime, so a
logout or a detected reuse ends the session at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_core import AsyncDAL, get_logger, tokens
from flask_core.cache import Cache
from flask_core.errors import Unauthorized

from . import accounts
from .accounts import Account
from .settings import PortalSettings

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Issued:
    access: str
    refresh: str
    family: str
    account: Account
    communities: dict[int, str]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def revoked_key(family: str) -> str:
    return f"portal:revoked:{family}"


def mint_access(settings: PortalSettings, account: Account, communities: dict[int, str], family: str) -> str:
    now = int(time.time())
    claims = {
        "sub": str(account.id),
        "admin": account.admin,
        "communities": {str(cid): role for cid, role in communities.items()},
        "typ": "access",
        "sid": family,
        "name": account.email or account.display_name,
        "iat": now,
        "exp": now + settings.portal_access_ttl,
        "jti": uuid.uuid4().hex,
    }
    return tokens.encode(settings.secret("portal"), claims)


async def _new_refresh(db: AsyncDAL, settings: PortalSettings, user_id: int, family: str) -> str:
    token_id, secret = uuid.uuid4().hex, secrets.token_urlsafe(32)
    row = {
        "token_id": token_id, "secret_hash": _digest(secret), "family": family, "user_id": user_id,
        "created_at": _now(), "expires_at": _now() + timedelta(seconds=settings.portal_refresh_ttl),
    }  # fmt: skip
    await db.run(lambda d: d.portal_refresh_tokens.insert(**row))
    return f"{token_id}.{secret}"


async def start(db: AsyncDAL, settings: PortalSettings, account: Account) -> Issued:
    """A new session (a new refresh family) for a signed-in account."""
    family = uuid.uuid4().hex
    refresh = await _new_refresh(db, settings, account.id, family)
    communities = await accounts.memberships(db, account.id)
    log.info("portal.session_started", user_id=account.id, family=family)
    return Issued(mint_access(settings, account, communities, family), refresh, family, account, communities)


def _split(token: str) -> tuple[str, str]:
    token_id, sep, secret = token.partition(".")
    if not sep or not token_id or not secret or len(token) > 200:
        raise Unauthorized("invalid refresh token", details={"reason": "malformed"})
    return token_id, secret


async def rotate(db: AsyncDAL, cache: Cache, settings: PortalSettings, token: str) -> Issued:
    """Use up a refresh token and issue the next pair; a reused token revokes its family."""
    token_id, secret = _split(token)

    def use(d: Any) -> tuple[str, int, str]:
        table = d.portal_refresh_tokens
        row = d(table.token_id == token_id).select(limitby=(0, 1)).first()
        if row is None or not hmac.compare_digest(row.secret_hash, _digest(secret)):
            return ("unknown", 0, "")
        if row.revoked_at is not None:
            return ("revoked", int(row.user_id), str(row.family))
        if row.expires_at is not None and row.expires_at < _now():
            return ("expired", int(row.user_id), str(row.family))
        # One conditional update: of two concurrent uses only one finds it unused.
        fresh = d((table.id == row.id) & (table.used_at == None)).update(used_at=_now())  # noqa: E711
        if not fresh:
            d((table.family == row.family) & (table.revoked_at == None)).update(revoked_at=_now())  # noqa: E711
            return ("reused", int(row.user_id), str(row.family))
        return ("ok", int(row.user_id), str(row.family))

    state, user_id, family = await db.run(use)
    if state == "reused":
        await cache.set(revoked_key(family), True, ttl=settings.portal_access_ttl + 10)
        log.warning("portal.refresh_reused", user_id=user_id, family=family)
    if state != "ok":
        raise Unauthorized("invalid refresh token", details={"reason": state})
    account = await accounts.get_user(db, user_id)
    if account is None or account.disabled:
        raise Unauthorized("invalid refresh token", details={"reason": "account"})
    refresh = await _new_refresh(db, settings, user_id, family)
    communities = await accounts.memberships(db, user_id)
    return Issued(mint_access(settings, account, communities, family), refresh, family, account, communities)


async def end(db: AsyncDAL, cache: Cache, settings: PortalSettings, family: str) -> None:
    """Log out: revoke every refresh token of the family, and its access tokens at once."""

    def revoke(d: Any) -> None:
        table = d.portal_refresh_tokens
        d((table.family == family) & (table.revoked_at == None)).update(revoked_at=_now())  # noqa: E711

    await db.run(revoke)
    await cache.set(revoked_key(family), True, ttl=settings.portal_access_ttl + 10)
    log.info("portal.session_ended", family=family)


async def family_by_token(db: AsyncDAL, token: str) -> str | None:
    try:
        token_id, secret = _split(token)
    except Unauthorized:
        return None

    def read(d: Any) -> str | None:
        row = d(d.portal_refresh_tokens.token_id == token_id).select(limitby=(0, 1)).first()
        if row is None or not hmac.compare_digest(row.secret_hash, _digest(secret)):
            return None
        return str(row.family)

    found: str | None = await db.read(read)
    return found
