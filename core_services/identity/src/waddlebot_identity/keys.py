"""User API keys (§12 "Keys and tokens"): `wbk_<id>.<secret>`, shown once.

The server keeps `HMAC-SHA256(pepper, "<id>.<secret>")` (the id salts each key) and
looks keys up by id; verification compares digests in constant time. A user has at
most `IDENTITY_MAX_KEYS` live keys (not revoked, not expired).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_core import AsyncDAL, Conflict, get_logger
from flask_core.database import serialize_on

log = get_logger(__name__)
PREFIX = "wbk_"
_KEY = re.compile(r"^wbk_([a-z0-9]{16})\.([A-Za-z0-9_-]{20,100})$")
#: Compared against when the key id is unknown, so a miss costs what a hit costs.
_DUMMY = "0" * 64


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    user_id: str
    name: str
    created_at: datetime
    expires_at: datetime
    revoked: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "user_id": self.user_id,
            "name": self.name,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "revoked": self.revoked,
        }


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def digest(pepper: bytes, key_id: str, secret: str) -> str:
    return hmac.new(pepper, f"{key_id}.{secret}".encode(), hashlib.sha256).hexdigest()


def _of(row: Any) -> ApiKey:
    return ApiKey(
        row.key_id, str(row.user_id), row.name, _aware(row.created_at), _aware(row.expires_at),
        row.revoked_at is not None,
    )  # fmt: skip


class TooManyKeys(Conflict):
    code = "too_many_keys"


async def create_key(
    db: AsyncDAL, pepper: bytes, user_id: int, name: str, days: int, max_live: int
) -> tuple[str, ApiKey]:
    """A new key (the full key is returned once; only its digest is stored)."""
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)

    def insert(d: Any) -> ApiKey:
        serialize_on(d, "identity-keys", user_id)
        t = d.identity_api_keys
        now = _now()
        live = d((t.user_id == user_id) & (t.revoked_at == None) & (t.expires_at > now)).count()  # noqa: E711
        if live >= max_live:
            raise TooManyKeys(
                f"a user has at most {max_live} live keys; revoke one first", details={"limit": max_live}
            )
        t.insert(
            key_id=key_id, user_id=user_id, name=name, secret_hash=digest(pepper, key_id, secret),
            created_at=now, expires_at=now + timedelta(days=days),
        )  # fmt: skip
        return _of(d(t.key_id == key_id).select(limitby=(0, 1)).first())

    key: ApiKey = await db.run(insert)
    log.info("identity.key_created", user_id=user_id, key_id=key_id)
    return f"{PREFIX}{key_id}.{secret}", key


async def list_keys(db: AsyncDAL, user_id: int) -> list[ApiKey]:
    def select(d: Any) -> list[ApiKey]:
        t = d.identity_api_keys
        return [_of(r) for r in d(t.user_id == user_id).select(orderby=t.id)]

    keys: list[ApiKey] = await db.read(select)
    return keys


async def revoke_key(db: AsyncDAL, user_id: int, key_id: str) -> bool:
    def revoke(d: Any) -> bool:
        t = d.identity_api_keys
        row = d((t.user_id == user_id) & (t.key_id == key_id)).select(limitby=(0, 1)).first()
        if row is None:
            return False
        if row.revoked_at is None:
            row.update_record(revoked_at=_now())
        return True

    found: bool = await db.run(revoke)
    if found:
        log.info("identity.key_revoked", user_id=user_id, key_id=key_id)
    return found


async def verify_key(db: AsyncDAL, pepper: bytes, key: str) -> ApiKey | None:
    """The key's record when `key` is live and its secret is right; None otherwise."""
    match = _KEY.fullmatch(key.strip())
    key_id, secret = (match.group(1), match.group(2)) if match else ("", key)

    def find(d: Any) -> Any:
        t = d.identity_api_keys
        return d(t.key_id == key_id).select(limitby=(0, 1)).first() if key_id else None

    row = await db.read(find)
    expected = row.secret_hash if row is not None else _DUMMY
    ok = hmac.compare_digest(expected, digest(pepper, key_id, secret))
    if row is None or not ok:
        return None
    found = _of(row)
    if found.revoked or found.expires_at <= datetime.now(UTC):
        return None
    return found
