"""Identity domain logic: users, platform identities, linking, merges. No Quart here.

A platform identity is keyed by (platform, platform user id); its username is kept up
to date (names change) and looked up case-insensitively. A user has at most one
identity per platform. Linking merges the target's user into the initiator's (see
README "Linking and merging").
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_core import AsyncDAL, get_logger, is_integrity_error
from flask_core.database import serialize_on
from flask_core.resources import Resources

log = get_logger(__name__)
SERVICE = "identity"
RESOLVE_ATTEMPTS = 3
#: Link codes: 6 characters without the ambiguous 0/O/1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
LINKABLE = ("twitch", "discord", "slack")


def resolve_key(platform: str, platform_user_id: str) -> str:
    """The cache key the router (and reputation) keep resolve answers under."""
    return f"identity:resolve:{platform}:{platform_user_id}"


def fold(username: str) -> str:
    """Usernames compare case-insensitively (and without a leading @)."""
    return username.strip().removeprefix("@").casefold()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class PlatformIdentity:
    platform: str
    platform_user_id: str
    username: str


@dataclass(frozen=True, slots=True)
class User:
    user_id: str
    identities: list[PlatformIdentity]

    @property
    def linked(self) -> bool:
        return len(self.identities) > 1

    def on(self, platform: str) -> PlatformIdentity | None:
        return next((i for i in self.identities if i.platform == platform), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "linked": self.linked,
            "identities": [
                {"platform": i.platform, "platform_user_id": i.platform_user_id, "username": i.username}
                for i in self.identities
            ],
        }


def _user(db: Any, user_id: int) -> User | None:
    """The user (following merges) with its identities, or None."""
    for _ in range(10):  # merges chain at most a few times
        row = db(db.users.id == user_id).select(db.users.id, db.users.merged_into, limitby=(0, 1)).first()
        if row is None:
            return None
        if row.merged_into is None:
            break
        user_id = int(row.merged_into)
    t = db.identities
    rows = db(t.user_id == user_id).select(t.platform, t.platform_user_id, t.username, orderby=t.id)
    return User(str(user_id), [PlatformIdentity(r.platform, r.platform_user_id, r.username) for r in rows])


def _find_identity(db: Any, platform: str, platform_user_id: str) -> Any:
    t = db.identities
    query = (t.platform == platform) & (t.platform_user_id == platform_user_id)
    return db(query).select(limitby=(0, 1)).first()


def _resolve_unit(db: Any, platform: str, platform_user_id: str, username: str, display: str) -> User:
    row = _find_identity(db, platform, platform_user_id)
    now = _now()
    if row is None:
        user_id = db.users.insert(display_name=display or username, created_at=now)
        db.identities.insert(
            user_id=user_id, platform=platform, platform_user_id=platform_user_id, username=username,
            username_folded=fold(username), display_name=display, created_at=now, updated_at=now,
        )  # fmt: skip
        log.info("identity.user_created", user_id=int(user_id), platform=platform)
        user = _user(db, int(user_id))
    else:
        if row.username != username or (display and row.display_name != display):
            row.update_record(
                username=username, username_folded=fold(username), display_name=display, updated_at=now
            )
        user = _user(db, int(row.user_id))
    assert user is not None
    return user


def _read_resolved(db: Any, platform: str, platform_user_id: str, username: str) -> User | None:
    """The user when the identity exists with this username already (no write needed)."""
    row = _find_identity(db, platform, platform_user_id)
    if row is None or row.username != username:
        return None
    return _user(db, int(row.user_id))


async def resolve(
    db: AsyncDAL, platform: str, platform_user_id: str, username: str, display_name: str = ""
) -> User:
    """Find or create the user of a platform identity; one user even for concurrent first calls."""
    found: User | None = await db.read(_read_resolved, platform, platform_user_id, username)
    if found is not None:
        return found
    for attempt in range(RESOLVE_ATTEMPTS):
        try:
            user: User = await db.run(_resolve_unit, platform, platform_user_id, username, display_name)
            return user
        except Exception as exc:  # a concurrent first call inserted the identity first
            if not is_integrity_error(exc) or attempt == RESOLVE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


#: (platform, platform_user_id, username, display_name) of one identity to resolve.
Wanted = tuple[str, str, str, str]


def _read_many(db: Any, items: list[Wanted]) -> list[User | None]:
    return [_read_resolved(db, platform, pid, username) for platform, pid, username, _ in items]


def _resolve_many_unit(db: Any, items: list[Wanted]) -> list[User]:
    return [_resolve_unit(db, *item) for item in items]


async def resolve_many(db: AsyncDAL, items: list[Wanted]) -> list[User]:
    """`resolve` for several identities, in order: one read for all of them and one unit of
    work for those that need a write (first sightings, changed names), instead of a read
    and a write per identity. A conflict with a concurrent first call falls back to
    `resolve` one by one, which retries it."""
    found: list[User | None] = await db.read(_read_many, items)
    missing = [index for index, user in enumerate(found) if user is None]
    if missing:
        try:
            written: list[User] = await db.run(_resolve_many_unit, [items[i] for i in missing])
        except Exception as exc:
            if not is_integrity_error(exc):
                raise
            written = [await resolve(db, *items[i]) for i in missing]
        for index, user in zip(missing, written, strict=True):
            found[index] = user
    return [user for user in found if user is not None]


async def lookup(db: AsyncDAL, platform: str, username: str) -> User | None:
    """The user whose identity on `platform` has this username (the latest known)."""

    def find(d: Any) -> User | None:
        t = d.identities
        query = (t.platform == platform) & (t.username_folded == fold(username))
        row = d(query).select(t.user_id, orderby=~t.updated_at | ~t.id, limitby=(0, 1)).first()
        return _user(d, int(row.user_id)) if row is not None else None

    user: User | None = await db.read(find)
    return user


async def get_user(db: AsyncDAL, user_id: str) -> User | None:
    if not user_id.isdigit() or len(user_id) > 18:
        return None
    user: User | None = await db.read(_user, int(user_id))
    return user


async def invalidate(res: Resources, *users: User | None) -> None:
    """Drop the cached resolve answers of every identity of these users (broadcast)."""
    keys = {resolve_key(i.platform, i.platform_user_id) for u in users if u is not None for i in u.identities}
    if keys:
        await res.cache.invalidate(*sorted(keys))


# --- link codes ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LinkOutcome:
    """What a !link or !verify did: `ok`, and a short text for the chat."""

    ok: bool
    text: str
    code: str | None = None
    wait: int = 0


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    return text.strip().upper()


def _live(t: Any, now: float) -> Any:
    return (t.used_at == None) & (t.burned_at == None) & (t.expires_at > now)  # noqa: E711


def _link_unit(
    db: Any, initiator: int, platform: str, username: str, ttl: float, resend: float
) -> LinkOutcome:
    serialize_on(db, "identity-link", initiator)
    t = db.identity_link_codes
    now = time.time()
    mine = (
        (t.initiator_user_id == initiator) & (t.target_platform == platform) & (t.target_username == username)
    )
    last = db(mine).select(t.created_at, orderby=~t.created_at, limitby=(0, 1)).first()
    if last is not None and now - float(last.created_at) < resend:
        wait = max(1, int(resend - (now - float(last.created_at)) + 0.999))
        return LinkOutcome(
            False, f"A code was sent moments ago; you can ask for a new one in {wait}s.", wait=wait
        )
    db(mine & _live(t, now)).update(burned_at=now)  # a new code replaces the old one
    code = new_code()
    while db((t.code == code) & _live(t, now)).count():
        code = new_code()
    t.insert(
        code=code, initiator_user_id=initiator, target_platform=platform, target_username=username,
        attempts=0, created_at=now, expires_at=now + ttl,
    )  # fmt: skip
    return LinkOutcome(True, "", code=code)


async def start_link(
    res: Resources, initiator: User, platform: str, username: str, *, ttl: float, resend: float
) -> LinkOutcome:
    """A code for linking `initiator` with the account `username` on `platform`."""
    if platform not in LINKABLE:
        return LinkOutcome(False, f"You can link {', '.join(LINKABLE)} accounts.")
    if initiator.on(platform) is not None:
        return LinkOutcome(False, f"You already have a {platform} account linked; !unlink {platform} first.")
    folded = fold(username)
    if not folded:
        return LinkOutcome(False, "Usage: !link <platform> <username>")
    outcome: LinkOutcome = await res.db.run(_link_unit, int(initiator.user_id), platform, folded, ttl, resend)
    return outcome


@dataclass(frozen=True, slots=True)
class Merge:
    from_user: User
    into_user: User


class _Refused(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _verify_unit(
    db: Any, code: str, platform: str, platform_user_id: str, username: str, attempts: int
) -> tuple[LinkOutcome, Merge | None]:
    t = db.identity_link_codes
    now = time.time()
    folded = fold(username)
    serialize_on(db, "identity-verify", platform, folded)
    row = db((t.code == code) & _live(t, now)).select(limitby=(0, 1)).first()
    if row is None or row.target_platform != platform or row.target_username != folded:
        # A wrong code: it counts against every live code meant for this account (and
        # against the code itself when someone else presents it).
        mine = (t.target_platform == platform) & (t.target_username == folded) & _live(t, now)
        targets = [r.id for r in db(mine).select(t.id)]
        if row is not None:
            targets.append(row.id)
        for code_id in targets:
            db(t.id == code_id).update(attempts=t.attempts + 1)
            db((t.id == code_id) & (t.attempts >= attempts)).update(burned_at=now)
        return LinkOutcome(False, "That code is not valid (wrong, used or expired)."), None
    initiator = _user(db, int(row.initiator_user_id))
    me_row = _find_identity(db, platform, platform_user_id)
    if initiator is None or me_row is None:
        return LinkOutcome(False, "That code is not valid (wrong, used or expired)."), None
    row.update_record(used_at=now)
    me = _user(db, int(me_row.user_id))
    assert me is not None
    if me.user_id == initiator.user_id:
        return LinkOutcome(True, "These accounts are already linked."), None
    clash = sorted({i.platform for i in me.identities} & {i.platform for i in initiator.identities})
    if clash:
        return LinkOutcome(
            False, f"Both accounts already have a {clash[0]} account linked; !unlink {clash[0]} first."
        ), None
    merge_users(db, int(me.user_id), int(initiator.user_id), now)
    return LinkOutcome(True, ""), Merge(me, initiator)


def merge_users(db: Any, from_id: int, into_id: int, now: float) -> None:
    """Move every identity and key of `from_id` to `into_id`; record the merge for reputation."""
    db(db.identities.user_id == from_id).update(user_id=into_id, updated_at=_now())
    db(db.identity_api_keys.user_id == from_id).update(user_id=into_id)
    db(db.users.id == from_id).update(merged_into=into_id)
    db(db.users.merged_into == from_id).update(merged_into=into_id)
    db.identity_merges.insert(from_user_id=from_id, into_user_id=into_id, created_at=now)
    log.info("identity.users_merged", from_user_id=from_id, into_user_id=into_id)


async def verify_link(
    res: Resources, code: str, platform: str, platform_user_id: str, username: str, *, attempts: int
) -> tuple[LinkOutcome, User | None]:
    """`!verify <code>` from (platform, username): link on a live code meant for them."""
    await resolve(res.db, platform, platform_user_id, username)
    outcome, merge = await res.db.run(
        _verify_unit, normalise_code(code), platform, platform_user_id, username, attempts
    )
    if merge is None:
        return outcome, None
    await invalidate(res, merge.from_user, merge.into_user)
    await notify_merges(res)
    merged = await get_user(res.db, merge.into_user.user_id)
    return outcome, merged


def _unlink_unit(db: Any, user_id: int, platform: str) -> tuple[User | None, User | None]:
    before = _user(db, user_id)
    if before is None:
        return None, None
    identity = before.on(platform)
    if identity is None or not before.linked:
        return before, None
    now = _now()
    new_id = db.users.insert(display_name=identity.username, created_at=now)
    t = db.identities
    db((t.platform == platform) & (t.platform_user_id == identity.platform_user_id)).update(
        user_id=new_id, updated_at=now
    )
    return before, _user(db, int(new_id))


async def unlink(res: Resources, user: User, platform: str) -> tuple[bool, User | None]:
    """Split the user's `platform` identity off into a user of its own (points stay)."""
    before, split = await res.db.run(_unlink_unit, int(user.user_id), platform)
    if split is None:
        return False, before
    await invalidate(res, before, split)
    log.info("identity.unlinked", user_id=user.user_id, platform=platform, new_user_id=split.user_id)
    return True, await get_user(res.db, user.user_id)


# --- merges, confirmed by reputation ----------------------------------------------------


def _pending(db: Any) -> list[tuple[int, int, int]]:
    t = db.identity_merges
    pending = t.notified_at == None  # noqa: E711
    rows = db(pending).select(t.id, t.from_user_id, t.into_user_id, orderby=t.id, limitby=(0, 50))
    return [(int(r.id), int(r.from_user_id), int(r.into_user_id)) for r in rows]


async def notify_merges(res: Resources) -> int:
    """Tell reputation about every merge it has not confirmed; the rest wait for a retry."""
    done = 0
    for merge_id, from_id, into_id in await res.db.read(_pending):
        try:
            answer = await res.http.for_service(SERVICE).call(
                "reputation", "POST", "/reputation/api/v1/users:merge",
                json={"from_user_id": str(from_id), "into_user_id": str(into_id)}, timeout=5.0, retries=2,
            )  # fmt: skip
        except Exception as exc:
            log.warning("identity.merge_notify_failed", merge_id=merge_id, error=repr(exc)[:200])
            return done
        if answer.status_code != 200:
            log.warning("identity.merge_notify_refused", merge_id=merge_id, status=answer.status_code)
            return done
        await res.db.run(
            lambda d, mid=merge_id: d(d.identity_merges.id == mid).update(notified_at=time.time())
        )
        done += 1
    return done
