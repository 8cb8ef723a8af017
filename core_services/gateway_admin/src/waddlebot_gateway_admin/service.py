"""Kong consumers, key-auth credentials and ACL groups; keys shown once, stored hashed.

No Quart here: the Kong client, the database and the actor are passed in. Every change
is written to `gateway_audit` (who: the calling service and the actor it names; what;
before; after). A key is `wbk_<id>.<secret>` (ARCHITECTURE §12): Kong gets the whole key
(key-auth must match it), this service keeps only an HMAC-SHA256 of the secret under its
pepper, looked up by id, and answers the key once, when it is made.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_core import AsyncDAL, get_logger
from flask_core.errors import NotFound

from .kong import Kong, segment

log = get_logger(__name__)
KEY_PATTERN = re.compile(r"^wbk_([0-9a-f]{16})\.([A-Za-z0-9_-]{20,100})$")
TAG = "waddlebot"


@dataclass(frozen=True, slots=True)
class Actor:
    service: str | None
    name: str | None


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def digest(pepper: bytes, secret: str) -> str:
    return hmac.new(pepper, secret.encode(), hashlib.sha256).hexdigest()


async def audit(
    db: AsyncDAL, actor: Actor, action: str, resource: str, resource_id: str | None,
    before: Any = None, after: Any = None,
) -> None:  # fmt: skip
    def insert(d: Any) -> None:
        d.gateway_audit.insert(
            service=actor.service, actor=actor.name, action=action, resource=resource,
            resource_id=resource_id, before_value=before, after_value=after, created_at=_now(),
        )  # fmt: skip

    await db.run(insert)
    log.info("gateway_admin.changed", action=action, resource=resource, resource_id=resource_id)


def consumer_out(c: dict[str, Any]) -> dict[str, Any]:
    return {k: c.get(k) for k in ("id", "username", "custom_id", "tags", "created_at")}


async def list_consumers(
    kong: Kong, size: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    rows, following = await kong.page("/consumers", size, cursor)
    return [consumer_out(c) for c in rows], following


async def get_consumer(kong: Kong, consumer: str) -> dict[str, Any]:
    found: dict[str, Any] = await kong.call("GET", f"/consumers/{segment(consumer)}")
    return found


async def groups(kong: Kong, consumer_id: str) -> list[str]:
    names: list[str] = []
    offset: str | None = None
    while True:  # every page: a consumer's groups are few
        rows, offset = await kong.page(f"/consumers/{segment(consumer_id)}/acls", 1000, offset)
        names += [str(r["group"]) for r in rows if "group" in r]
        if offset is None:
            return sorted(names)


async def create_consumer(
    kong: Kong,
    db: AsyncDAL,
    actor: Actor,
    username: str,
    custom_id: str | None,
    kind: str,
    group_names: list[str],
) -> dict[str, Any]:
    body: dict[str, Any] = {"username": username, "tags": [TAG, f"kind:{kind}"]}
    if custom_id:
        body["custom_id"] = custom_id
    created = consumer_out(await kong.call("POST", "/consumers", json=body))
    for group in group_names:
        await kong.call(
            "POST", f"/consumers/{segment(created['id'])}/acls", json={"group": group, "tags": [TAG]}
        )
    created["groups"] = sorted(group_names)
    await audit(db, actor, "create", "consumer", created["id"], None, created)
    return created


async def delete_consumer(kong: Kong, db: AsyncDAL, actor: Actor, consumer: str) -> None:
    before = consumer_out(await get_consumer(kong, consumer))
    await kong.call("DELETE", f"/consumers/{segment(before['id'])}")

    def revoke(d: Any) -> None:
        t = d.gateway_keys
        d((t.consumer_id == before["id"]) & (t.revoked_at == None)).update(revoked_at=_now())  # noqa: E711

    await db.run(revoke)
    await audit(db, actor, "delete", "consumer", before["id"], before, None)


async def set_group(
    kong: Kong, db: AsyncDAL, actor: Actor, consumer: str, group: str, member: bool
) -> list[str]:
    found = await get_consumer(kong, consumer)
    cid = str(found["id"])
    before = await groups(kong, cid)
    if member and group not in before:
        await kong.call("POST", f"/consumers/{segment(cid)}/acls", json={"group": group, "tags": [TAG]})
    elif not member and group in before:
        await kong.call("DELETE", f"/consumers/{segment(cid)}/acls/{segment(group)}")
    elif not member:
        raise NotFound("the consumer is not in this group", details={"group": group})
    after = await groups(kong, cid)
    if after != before:
        await audit(db, actor, "add" if member else "remove", "acl", f"{cid}:{group}", before, after)
    return after


def _key_row(row: Any) -> dict[str, Any]:
    return {
        "id": row.key_id, "prefix": f"wbk_{row.key_id}", "consumer_id": row.consumer_id, "label": row.label,
        "created_by": row.created_by, "created_at": row.created_at.replace(tzinfo=UTC),
        "revoked_at": row.revoked_at.replace(tzinfo=UTC) if row.revoked_at else None,
    }  # fmt: skip


async def issue_key(
    kong: Kong, db: AsyncDAL, pepper: bytes, actor: Actor, consumer: str, label: str | None
) -> dict[str, Any]:
    """A new key for the consumer; the answer is the only time the whole key is shown."""
    found = await get_consumer(kong, consumer)
    key_id, secret = uuid.uuid4().hex[:16], secrets.token_urlsafe(32)
    key = f"wbk_{key_id}.{secret}"
    credential = await kong.call(
        "POST",
        f"/consumers/{segment(str(found['id']))}/key-auth",
        json={"key": key, "tags": [TAG, f"wbk:{key_id}"]},
    )

    def insert(d: Any) -> dict[str, Any]:
        new = d.gateway_keys.insert(
            key_id=key_id, secret_hmac=digest(pepper, secret), consumer_id=found["id"],
            consumer=found.get("username"), credential_id=credential.get("id"), label=label,
            created_by=actor.name or actor.service, created_at=_now(),
        )  # fmt: skip
        return _key_row(d.gateway_keys(new))

    row: dict[str, Any] = await db.run(insert)
    await audit(
        db, actor, "create", "key", key_id, None, {k: str(v) for k, v in row.items() if v is not None}
    )
    return {**row, "key": key}


async def list_keys(kong: Kong, db: AsyncDAL, consumer: str) -> list[dict[str, Any]]:
    found = await get_consumer(kong, consumer)

    def read(d: Any) -> list[dict[str, Any]]:
        t = d.gateway_keys
        return [_key_row(r) for r in d(t.consumer_id == found["id"]).select(orderby=t.id)]

    rows: list[dict[str, Any]] = await db.read(read)
    return rows


async def revoke_key(kong: Kong, db: AsyncDAL, actor: Actor, consumer: str, key_id: str) -> None:
    found = await get_consumer(kong, consumer)

    def read(d: Any) -> Any:
        t = d.gateway_keys
        return d((t.key_id == key_id) & (t.consumer_id == found["id"])).select().first()

    row = await db.read(read)
    if row is None or row.revoked_at is not None:
        raise NotFound("no such key", details={"id": key_id})
    if row.credential_id:
        path = f"/consumers/{segment(str(found['id']))}/key-auth/{segment(row.credential_id)}"
        with contextlib.suppress(NotFound):  # already gone from Kong: revoking here is what is left
            await kong.call("DELETE", path)
    before = _key_row(row)
    await db.run(lambda d: d(d.gateway_keys.id == row.id).update(revoked_at=_now()))
    await audit(
        db, actor, "revoke", "key", key_id, {k: str(v) for k, v in before.items() if v is not None}, None
    )


async def verify_key(db: AsyncDAL, pepper: bytes, key: str) -> dict[str, Any] | None:
    """The key's record when `key` is one this service issued and has not revoked."""
    found = KEY_PATTERN.fullmatch(key)
    if found is None:
        return None
    key_id, secret = found[1], found[2]

    def read(d: Any) -> Any:
        return d(d.gateway_keys.key_id == key_id).select().first()

    row = await db.read(read)
    expected = row.secret_hmac if row is not None else digest(pepper, "x" * 43)
    if not hmac.compare_digest(expected, digest(pepper, secret)) or row is None or row.revoked_at is not None:
        return None
    return _key_row(row)


async def audit_page(db: AsyncDAL, limit: int, cursor: int | None) -> tuple[list[dict[str, Any]], str | None]:
    def read(d: Any) -> tuple[list[dict[str, Any]], str | None]:
        t = d.gateway_audit
        where = t.id > 0 if cursor is None else t.id < cursor
        rows = list(d(where).select(orderby=~t.id, limitby=(0, limit + 1)))
        items = [
            {"id": r.id, "service": r.service, "actor": r.actor, "action": r.action, "resource": r.resource,
             "resource_id": r.resource_id, "before": r.before_value, "after": r.after_value,
             "created_at": r.created_at.replace(tzinfo=UTC)}
            for r in rows[:limit]
        ]  # fmt: skip
        return items, (str(items[-1]["id"]) if len(rows) > limit and items else None)

    page: tuple[list[dict[str, Any]], str | None] = await db.read(read)
    return page
