"""Portal accounts: argon2id passwords, per-community roles, identity links. No Quart here."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask_core import AsyncDAL, get_logger
from flask_core.database import is_integrity_error
from flask_core.errors import Conflict, NotFound, ValidationFailed
from flask_core.events import ROLE_RANK

from .settings import PortalSettings

if TYPE_CHECKING:  # argon2 loads on the first sign-in, not at start-up
    from argon2 import PasswordHasher

log = get_logger(__name__)
#: Roles a membership may hold (`admin` is an account flag, never a community role).
MEMBER_ROLES = tuple(r for r in ROLE_RANK if r != "admin")
MAX_PASSWORD = 1024
MIN_PASSWORD = 8


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    email: str | None
    display_name: str
    admin: bool
    disabled: bool
    identity_user_id: str | None


@functools.lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def hasher(settings: PortalSettings) -> PasswordHasher:
    return _hasher(
        settings.portal_argon2_time_cost,
        settings.portal_argon2_memory_cost,
        settings.portal_argon2_parallelism,
    )


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320 or email.startswith("@") or email.endswith("@"):
        raise ValidationFailed("not an email address", details={"field": "email"})
    return email


def check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationFailed(
            f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters", details={"field": "password"}
        )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _account(row: Any) -> Account:
    return Account(
        id=int(row.id),
        email=row.email,
        display_name=str(row.display_name or row.email or f"user {row.id}"),
        admin=bool(row.admin),
        disabled=bool(row.disabled),
        identity_user_id=row.identity_user_id,
    )


async def create_user(
    db: AsyncDAL, settings: PortalSettings, email: str, password: str, *, admin: bool = False
) -> Account:
    """A new local account; Conflict when the email is taken."""
    email = normalise_email(email)
    check_password(password)
    hashed = hasher(settings).hash(password)  # CPU-bound, but a CLI or admin action

    def insert(d: Any) -> Account:
        if d(d.portal_users.email == email).count():
            raise Conflict("an account with this email exists", details={"email": email})
        new_id = d.portal_users.insert(
            email=email, password_hash=hashed, display_name=email, admin=admin, created_at=_now()
        )
        return _account(d.portal_users(new_id))

    try:
        account: Account = await db.run(insert)
    except Exception as exc:
        if is_integrity_error(exc):
            raise Conflict("an account with this email exists", details={"email": email}) from None
        raise
    log.info("portal.user_created", user_id=account.id, admin=admin)
    return account


async def get_user(db: AsyncDAL, user_id: int) -> Account | None:
    def read(d: Any) -> Account | None:
        row = d.portal_users(user_id)
        return _account(row) if row else None

    found: Account | None = await db.read(read)
    return found


async def find_by_email(db: AsyncDAL, email: str) -> Account | None:
    email = normalise_email(email)

    def read(d: Any) -> Account | None:
        row = d(d.portal_users.email == email).select(limitby=(0, 1)).first()
        return _account(row) if row else None

    found: Account | None = await db.read(read)
    return found


#: Verified against when the account does not exist, so both cases cost the same time.
_DUMMY: dict[tuple[int, int, int], str] = {}


async def authenticate(db: AsyncDAL, settings: PortalSettings, email: str, password: str) -> Account | None:
    """The account when the email and password match (and it is not disabled), else None."""
    try:
        email = normalise_email(email)
    except ValidationFailed:
        return None
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    ph = hasher(settings)

    def read(d: Any) -> tuple[Account, str] | None:
        row = d(d.portal_users.email == email).select(limitby=(0, 1)).first()
        return (_account(row), str(row.password_hash or "")) if row else None

    found = await db.read(read)
    key = (
        settings.portal_argon2_time_cost,
        settings.portal_argon2_memory_cost,
        settings.portal_argon2_parallelism,
    )
    stored = found[1] if found and found[1] else _DUMMY.setdefault(key, ph.hash("not a password"))
    try:
        ph.verify(stored, password[:MAX_PASSWORD])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if found is None or not found[1] or found[0].disabled:
        return None
    account = found[0]
    if ph.check_needs_rehash(stored):
        rehashed = ph.hash(password)
        await db.run(lambda d: d(d.portal_users.id == account.id).update(password_hash=rehashed))
    await db.run(lambda d: d(d.portal_users.id == account.id).update(last_login_at=_now()))
    return account


async def grant(db: AsyncDAL, user_id: int, community_id: int, role: str, *, by: str) -> str | None:
    """Give the user `role` in the community; answers the role it had before (None: none)."""
    if role not in MEMBER_ROLES:
        raise ValidationFailed(f"unknown role {role!r}", details={"roles": list(MEMBER_ROLES)})

    def upsert(d: Any) -> str | None:
        if d.portal_users(user_id) is None:
            raise NotFound("no such user", details={"user_id": user_id})
        table = d.portal_memberships
        query = (table.user_id == user_id) & (table.community_id == community_id)
        row = d(query).select(limitby=(0, 1)).first()
        if row is None:
            table.insert(user_id=user_id, community_id=community_id, role=role, granted_by=by,
                         created_at=_now(), updated_at=_now())  # fmt: skip
            return None
        before = str(row.role)
        row.update_record(role=role, granted_by=by, updated_at=_now())
        return before

    before: str | None = await db.run(upsert)
    log.info("portal.role_granted", user_id=user_id, community_id=community_id, role=role)
    return before


async def memberships(db: AsyncDAL, user_id: int) -> dict[int, str]:
    """{community_id: role} of the user."""

    def read(d: Any) -> dict[int, str]:
        rows = d(d.portal_memberships.user_id == user_id).select(orderby=d.portal_memberships.community_id)
        return {int(r.community_id): str(r.role) for r in rows}

    found: dict[int, str] = await db.read(read)
    return found


async def link_identity(db: AsyncDAL, identity_user_id: str, username: str, signed_in: int | None) -> Account:
    """The portal account of an identity user: the signed-in one (linked now), the one
    already linked, or a new OAuth-only account."""

    def link(d: Any) -> Account:
        table = d.portal_users
        row = d(table.identity_user_id == identity_user_id).select(limitby=(0, 1)).first()
        if row is not None:
            return _account(row)
        if signed_in is not None:
            current = table(signed_in)
            if current is None:
                raise NotFound("no such user")
            if not current.identity_user_id:
                current.update_record(identity_user_id=identity_user_id)
                return _account(table(signed_in))
        new_id = table.insert(
            email=None, password_hash=None, display_name=username[:200] or f"user {identity_user_id}",
            admin=False, identity_user_id=identity_user_id, created_at=_now(),
        )  # fmt: skip
        return _account(table(new_id))

    try:
        account: Account = await db.run(link)
    except Exception as exc:
        if not is_integrity_error(exc):
            raise
        account = await db.run(link)  # a concurrent sign-in linked it first
    return account
