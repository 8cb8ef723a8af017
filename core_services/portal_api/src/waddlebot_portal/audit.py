"""The audit log: who changed what (before, after), when and from where. No Quart here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_core import AsyncDAL

from .schemas import AuditOut, AuditPage, AuditQuery


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change and from where (IP and user agent of the request)."""

    id: str | None
    name: str | None
    ip: str | None
    user_agent: str | None
    request_id: str | None = None


def _naive(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


async def record(
    db: AsyncDAL,
    actor: Actor,
    *,
    community_id: int | None,
    action: str,
    resource: str,
    resource_id: str | None = None,
    before: Any = None,
    after: Any = None,
) -> int:
    """One audit entry (its own unit of work)."""

    def insert(d: Any) -> int:
        return int(
            d.audit_log.insert(
                community_id=community_id, actor_id=actor.id, actor=actor.name, action=action,
                resource=resource, resource_id=resource_id, before_value=before, after_value=after,
                ip=(actor.ip or "")[:64] or None, user_agent=(actor.user_agent or "")[:300] or None,
                request_id=actor.request_id, created_at=datetime.now(UTC).replace(tzinfo=None),
            )
        )  # fmt: skip

    entry: int = await db.run(insert)
    return entry


def _out(row: Any) -> AuditOut:
    return AuditOut(
        id=int(row.id), community_id=row.community_id, actor_id=row.actor_id, actor=row.actor,
        action=row.action, resource=row.resource, resource_id=row.resource_id,
        before=row.before_value, after=row.after_value, ip=row.ip, user_agent=row.user_agent,
        created_at=row.created_at.replace(tzinfo=UTC),
    )  # fmt: skip


async def search(db: AsyncDAL, community_id: int | None, query: AuditQuery) -> AuditPage:
    """Newest first; filtered by actor (id or name), resource, action and since."""

    def read(d: Any) -> AuditPage:
        t = d.audit_log
        where = (t.community_id == community_id) if community_id is not None else (t.id > 0)
        if query.actor:
            where &= (t.actor == query.actor) | (t.actor_id == query.actor)
        if query.resource:
            where &= t.resource == query.resource
        if query.action:
            where &= t.action == query.action
        if query.since:
            where &= t.created_at >= _naive(query.since)
        if query.cursor:
            where &= t.id < int(query.cursor)
        rows = list(d(where).select(orderby=~t.id, limitby=(0, query.limit + 1)))
        items = [_out(r) for r in rows[: query.limit]]
        more = len(rows) > query.limit
        return AuditPage(items=items, next_cursor=str(items[-1].id) if more and items else None)

    page: AuditPage = await db.read(read)
    return page
