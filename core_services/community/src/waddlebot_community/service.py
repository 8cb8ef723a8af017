"""Community domain logic (no Quart): provisioning, settings, entities, members, link codes.

Sync functions take a pydal handle and run in one unit of work (`db.run`); the router
calls them directly when this service is not deployed beside it (decision 0053), so
they are the only code that writes these tables.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_core.errors import NotFound, ServiceError
from flask_core.logging import get_logger

log = get_logger(__name__)

#: Settings a community has, with their defaults (the router reads them, cached).
DEFAULTS: dict[str, Any] = {
    "command_prefix": "!",
    "time_zone": "UTC",
    "locale": "en",
    "default_user_cooldown": None,  # seconds; None = none per user
    "default_global_cooldown": None,  # seconds; None = ROUTER_DEFAULT_COOLDOWN
    "moderators_skip_limits": True,
}
#: Link codes: no 0/O, 1/I/L (read aloud, typed on another platform).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def entity_key(platform: str, server_id: str) -> str:
    """The router's cached community of one platform server; invalidated on `!community link`."""
    return f"community:entity:{platform}:{server_id}"


def roles_key(community_id: int) -> str:
    """The router's cached role overrides of one community; invalidated on every change."""
    return f"community:roles:{community_id}"


def settings_key(community_id: int) -> str:
    """The router's cached settings of one community; invalidated on every change."""
    return f"community:settings:{community_id}"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def effective(stored: dict[str, Any] | None) -> dict[str, Any]:
    stored = stored or {}
    return {name: stored.get(name, default) for name, default in DEFAULTS.items()}


def check_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ServiceError(
            "unknown time zone (expected an IANA name like Europe/Berlin)",
            code="validation_error", status=422, details={"time_zone": name[:64]},
        ) from None  # fmt: skip
    return name


# --- communities and entities --------------------------------------------------------


def find(db: Any, platform: str, server_id: str) -> int | None:
    query = (db.entities.platform == platform) & (db.entities.server_id == server_id)
    row = db(query).select(db.entities.community_id, limitby=(0, 1)).first()
    return int(row.community_id) if row is not None else None


def provision(db: Any, platform: str, server_id: str, owner: dict[str, Any] | None) -> tuple[int, bool]:
    """(community id, provisioned DEFAULT_MODULES already?) of a server, created when new.

    An integrity error means another replica created it first: the caller reads again.
    """
    query = (db.entities.platform == platform) & (db.entities.server_id == server_id)
    row = db(query).select(db.entities.community_id, limitby=(0, 1)).first()
    if row is not None:
        community = db.communities(row.community_id)
        # NULL: a community of the first wave, provisioned by the router back then.
        done = community is None or community.provisioned is None or bool(community.provisioned)
        return int(row.community_id), done
    now = _now()
    owner_id = (owner or {}).get("platform_user_id")
    # The Twitch broadcaster owns the channel's community; on Discord and Slack the
    # owner claims it in the portal (§4.1).
    is_owner = platform == "twitch" and owner_id == server_id
    community_id = db.communities.insert(
        name=f"{platform}:{server_id}"[:200],
        owner_platform=platform if is_owner else None,
        owner_platform_user_id=owner_id if is_owner else None,
        settings={},
        provisioned=False,
        created_at=now,
    )
    db.entities.insert(
        community_id=community_id, platform=platform, server_id=server_id, settings={}, created_at=now
    )
    if is_owner and owner is not None:
        _touch_member(db, int(community_id), platform, owner, "broadcaster")
    log.info("community.provisioned", community_id=community_id, platform=platform)
    return int(community_id), False


def mark_provisioned(db: Any, community_id: int) -> None:
    db(db.communities.id == community_id).update(provisioned=True)


def _community_row(db: Any, community_id: int) -> Any:
    row = db.communities(community_id) if 0 < community_id < 2**63 else None
    if row is None:
        raise NotFound("no such community", details={"community_id": community_id})
    return row


def exists(db: Any, community_id: int) -> bool:
    return 0 < community_id < 2**63 and db.communities(community_id) is not None


def _out(db: Any, row: Any) -> dict[str, Any]:
    platforms = sorted(
        {e.platform for e in db(db.entities.community_id == row.id).select(db.entities.platform)}
    )
    return {
        "id": int(row.id),
        "name": row.name,
        "owner_platform": row.owner_platform,
        "owner_platform_user_id": row.owner_platform_user_id,
        "settings": effective(row.settings),
        "platforms": platforms,
        "created_at": row.created_at.isoformat() if row.created_at else None,
    }


def get(db: Any, community_id: int) -> dict[str, Any]:
    return _out(db, _community_row(db, community_id))


def settings_of(db: Any, community_id: int) -> dict[str, Any]:
    return effective(_community_row(db, community_id).settings)


def patch(db: Any, community_id: int, name: str | None, values: dict[str, Any]) -> dict[str, Any]:
    row = _community_row(db, community_id)
    if "time_zone" in values and values["time_zone"] is not None:
        check_time_zone(values["time_zone"])
    stored = dict(row.settings or {})
    for key, value in values.items():
        if value is None:
            stored.pop(key, None)  # null: back to the default
        else:
            stored[key] = value
    update: dict[str, Any] = {"settings": stored}
    if name is not None:
        update["name"] = name
    row.update_record(**update)
    return _out(db, db.communities(community_id))


def all_communities(db: Any) -> list[dict[str, Any]]:
    return [_out(db, r) for r in db(db.communities).select(orderby=db.communities.id)]


def entities(db: Any, community_id: int) -> list[dict[str, Any]]:
    _community_row(db, community_id)
    rows = db(db.entities.community_id == community_id).select(orderby=db.entities.id)
    return [_entity(r) for r in rows]


def _entity(r: Any) -> dict[str, Any]:
    return {
        "id": int(r.id),
        "community_id": int(r.community_id),
        "platform": r.platform,
        "server_id": r.server_id,
        "created_at": r.created_at.isoformat() if r.created_at else None,
        "linked_at": r.linked_at.isoformat() if r.linked_at else None,
    }


def entity(db: Any, community_id: int, entity_id: int) -> dict[str, Any]:
    row = db.entities(entity_id) if 0 < entity_id < 2**63 else None
    if row is None or int(row.community_id) != community_id:  # another community's: not here
        raise NotFound("no such entity in this community", details={"entity_id": entity_id})
    return _entity(row)


# --- members -------------------------------------------------------------------------


def _touch_member(db: Any, community_id: int, platform: str, user: dict[str, Any], role: str) -> None:
    table = db.community_members
    query = (
        (table.community_id == community_id)
        & (table.platform == platform)
        & (table.platform_user_id == user["platform_user_id"])
    )
    now = _now()
    row = db(query).select().first()
    if row is None:
        table.insert(
            community_id=community_id, platform=platform, platform_user_id=user["platform_user_id"],
            username=user.get("username"), role=role, first_seen=now, last_seen=now,
        )  # fmt: skip
    else:
        row.update_record(username=user.get("username"), role=role, last_seen=now)


def touch_member(db: Any, community_id: int, platform: str, user: dict[str, Any], role: str) -> None:
    _touch_member(db, community_id, platform, user, role)


def _member(r: Any) -> dict[str, Any]:
    return {
        "id": int(r.id),
        "community_id": int(r.community_id),
        "platform": r.platform,
        "platform_user_id": r.platform_user_id,
        "username": r.username,
        "role": r.role_override or r.role,
        "platform_role": r.role,
        "role_override": r.role_override or None,
        "last_seen": r.last_seen.isoformat() if r.last_seen else None,
    }


def members(db: Any, community_id: int) -> list[dict[str, Any]]:
    _community_row(db, community_id)
    rows = db(db.community_members.community_id == community_id).select(orderby=db.community_members.id)
    return [_member(r) for r in rows]


def member(db: Any, community_id: int, member_id: int) -> dict[str, Any]:
    return _member(_member_row(db, community_id, member_id))


def _member_row(db: Any, community_id: int, member_id: int) -> Any:
    row = db.community_members(member_id) if 0 < member_id < 2**63 else None
    if row is None or int(row.community_id) != community_id:
        raise NotFound("no such member in this community", details={"member_id": member_id})
    return row


def _is_broadcaster(db: Any, row: Any) -> bool:
    """The community's owner, or whom the platform calls its broadcaster: never overridden."""
    community = db.communities(row.community_id)
    owns = community is not None and (community.owner_platform, community.owner_platform_user_id) == (
        row.platform, row.platform_user_id,
    )  # fmt: skip
    return owns or row.role in ("broadcaster", "admin")


def _refuse_broadcaster(db: Any, row: Any) -> None:
    if _is_broadcaster(db, row):
        raise ServiceError(
            "the broadcaster's role comes from the platform and cannot be changed",
            code="broadcaster_role", status=409, details={"member_id": int(row.id)},
        )  # fmt: skip


def set_role(db: Any, community_id: int, member_id: int, role: str | None) -> dict[str, Any]:
    """Override a member's role in this community (None: back to the platform's)."""
    row = _member_row(db, community_id, member_id)
    _refuse_broadcaster(db, row)
    row.update_record(role_override=role)
    log.info("community.member_role", community_id=community_id, member_id=member_id, role=role)
    return _member(db.community_members(member_id))


def remove_member(db: Any, community_id: int, member_id: int) -> None:
    """Forget a member (and its override); seen in chat again, it is mirrored afresh."""
    row = _member_row(db, community_id, member_id)
    _refuse_broadcaster(db, row)
    row.delete_record()
    log.info("community.member_removed", community_id=community_id, member_id=member_id)


def role_overrides(db: Any, community_id: int) -> list[dict[str, Any]]:
    """Every override of the community: what the router applies to each command's asker."""
    t = db.community_members
    rows = db((t.community_id == community_id) & (t.role_override != None)).select(orderby=t.id)  # noqa: E711
    return [
        {"platform": r.platform, "platform_user_id": r.platform_user_id, "role": r.role_override}
        for r in rows
    ]


# --- joining platforms ---------------------------------------------------------------


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def normalise_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())[:32]


def issue_code(db: Any, community_id: int, who: str, ttl: float) -> str:
    """A one-time code (single use, expires after `ttl` s); only its hash is stored."""
    _community_row(db, community_id)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    db.community_link_codes.insert(
        code_hash=_hash(code), community_id=community_id, created_by=who[:240],
        expires_at=_now() + timedelta(seconds=ttl),
    )  # fmt: skip
    return code


class LinkRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def link(db: Any, code: str, platform: str, server_id: str) -> tuple[int, int | None]:
    """Move the entity (platform, server_id) into the code's community: (new id, old id).

    The code is spent in the same unit of work (a conditional update: one winner), so a
    replayed code links nothing. The entity's earlier data stays with its old community.
    """
    table = db.community_link_codes
    now = _now()
    query = (table.code_hash == _hash(normalise_code(code))) & (table.used_at == None)  # noqa: E711
    row = db(query).select().first()
    if row is None or row.expires_at <= now:
        raise LinkRefused("invalid")
    target = int(row.community_id)
    current = find(db, platform, server_id)
    if current == target:
        raise LinkRefused("same")
    unused = table.used_at == None  # noqa: E711 - pydal builds IS NULL from this
    spent = db((table.id == row.id) & unused).update(used_at=now, used_by=f"{platform}:{server_id}"[:240])
    if spent != 1:
        raise LinkRefused("invalid")
    if current is None:
        db.entities.insert(
            community_id=target,
            platform=platform,
            server_id=server_id,
            settings={},
            created_at=now,
            linked_at=now,
        )
    else:
        query = (db.entities.platform == platform) & (db.entities.server_id == server_id)
        db(query).update(community_id=target, linked_at=now)
    log.info("community.linked", community_id=target, previous=current, platform=platform)
    return target, current
