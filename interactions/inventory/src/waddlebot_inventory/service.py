"""Inventory domain logic: the stock, who holds what, checkouts and the audit trail.

Quantities never go below zero whatever the concurrency: every decrement is a
conditional `UPDATE … SET qty = qty - n WHERE id = ? AND qty >= n` whose row count says
whether it landed, never a read followed by a write. The change, the receiving user's
holding and the audit row (who, what, before, after, when) are written in that same
unit of work, so a change never exists without its audit row.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_core import AsyncDAL, get_logger, scheduler
from flask_core.database import is_integrity_error

from .models import DETAIL_MAX, MAX_QTY, NAME_MAX

log = get_logger(__name__)
OVERDUE_KIND = "inventory_overdue"


class Refused(ValueError):
    """A change that cannot be made; the message is what chat shows."""


class NotEnough(Refused):
    def __init__(self, name: str, have: int, wanted: int) -> None:
        super().__init__(f"Only {have} x {name} in stock (wanted {wanted}).")
        self.have = have


class UnknownItem(Refused):
    def __init__(self, name: str) -> None:
        super().__init__(f"There is no {name} in the inventory.")


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    community_id: int
    name: str
    qty: int
    created_at: datetime
    updated_at: datetime
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """One landed change: the item after it and the stock before/after."""

    item: Item
    qty: int
    stock_before: int
    stock_after: int
    held_after: int | None = None


@dataclass(frozen=True, slots=True)
class Holding:
    item_id: int
    item_name: str
    holder: str
    holder_name: str
    qty: int


@dataclass(frozen=True, slots=True)
class Checkout:
    id: int
    community_id: int
    item_id: int
    item_name: str
    holder: str
    holder_name: str
    due_at: datetime
    returned_at: datetime | None
    platform: str
    server_id: str
    channel_id: str


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    item_id: int
    item_name: str
    action: str
    actor: str
    holder: str | None
    qty: int
    stock_before: int
    stock_after: int
    held_before: int | None
    held_after: int | None
    created_at: datetime
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Where:
    """The chat a checkout was made in (its overdue notice goes there)."""

    platform: str
    server_id: str
    channel_id: str


def clean_name(name: str) -> str:
    kept = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    value = " ".join(kept.split())
    if not value:
        raise Refused("Which item?")
    if len(value) > NAME_MAX:
        raise Refused(f"Item names are at most {NAME_MAX} characters.")
    return value


def key_of(name: str) -> str:
    return name.casefold()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _aware(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC)


def _item(row: Any) -> Item:
    return Item(
        id=int(row.id), community_id=int(row.community_id), name=str(row.name), qty=int(row.qty),
        created_at=_aware(row.created_at), updated_at=_aware(row.updated_at),
        description=row.description or None,
    )  # fmt: skip


def _checkout(row: Any, item_name: str) -> Checkout:
    return Checkout(
        id=int(row.id), community_id=int(row.community_id), item_id=int(row.item_id), item_name=item_name,
        holder=str(row.holder), holder_name=str(row.holder_name), due_at=_aware(row.due_at),
        returned_at=_aware(row.returned_at) if row.returned_at else None, platform=str(row.platform),
        server_id=str(row.server_id), channel_id=str(row.channel_id),
    )  # fmt: skip


def _audit(
    d: Any, item: Any, action: str, actor: str, qty: int, before: int, after: int,
    holder: str | None = None, held_before: int | None = None, held_after: int | None = None,
    detail: str | None = None,
) -> None:  # fmt: skip
    d.inventory_audit.insert(
        community_id=item.community_id, item_id=item.id, item_name=item.name, action=action, actor=actor,
        holder=holder, qty=qty, stock_before=before, stock_after=after, held_before=held_before,
        held_after=held_after, detail=detail[:DETAIL_MAX] if detail else None, created_at=_now(),
    )  # fmt: skip


def _find(d: Any, community_id: int, name: str) -> Any:
    t = d.inventory_items
    return d((t.community_id == community_id) & (t.name_key == key_of(name))).select().first()


def _take_stock(d: Any, community_id: int, name: str, qty: int) -> tuple[Any, int]:
    """The conditional decrement: (the item row after it, stock before); NotEnough otherwise."""
    row = _find(d, community_id, name)
    if row is None:
        raise UnknownItem(name)
    t = d.inventory_items
    landed = d((t.id == row.id) & (t.qty >= qty)).update(qty=t.qty - qty, updated_at=_now())
    after = d.inventory_items[row.id]
    if not landed:
        raise NotEnough(after.name, int(after.qty), qty)
    return after, int(after.qty) + qty


def _hold(d: Any, item: Any, holder: str, holder_name: str, delta: int) -> tuple[int, int]:
    """Add `delta` to a user's holding (created when new): (before, after)."""
    h = d.inventory_holdings
    query = (h.community_id == item.community_id) & (h.item_id == item.id) & (h.holder == holder)
    if d(query).update(qty=h.qty + delta, holder_name=holder_name):
        after = int(d(query).select(h.qty).first().qty)
        return after - delta, after
    h.insert(
        community_id=item.community_id, item_id=item.id, holder=holder, holder_name=holder_name, qty=delta
    )
    return 0, delta


async def _retrying[T](db: AsyncDAL, fn: Any, *args: Any) -> T:
    """A unit of work, run again when it lost an insert race (a unique index said no)."""
    for attempt in range(3):
        try:
            result: T = await db.run(fn, *args)
            return result
        except Exception as exc:
            if not is_integrity_error(exc) or attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


async def add(db: AsyncDAL, community_id: int, name: str, qty: int, actor: str) -> Change:
    """Add `qty` of `name` to the stock (the item is created when new)."""
    name = clean_name(name)

    def unit(d: Any) -> Change:
        t = d.inventory_items
        row = _find(d, community_id, name)
        now = _now()
        if row is None:
            item_id = t.insert(
                community_id=community_id, name=name, name_key=key_of(name), qty=qty, created_at=now,
                updated_at=now,
            )  # fmt: skip
        else:
            item_id = row.id
            if not d((t.id == item_id) & (t.qty <= MAX_QTY - qty)).update(qty=t.qty + qty, updated_at=now):
                raise Refused(f"That is more {row.name} than the inventory can count.")
        after = d.inventory_items[item_id]
        _audit(d, after, "add", actor, qty, int(after.qty) - qty, int(after.qty))
        return Change(_item(after), qty, int(after.qty) - qty, int(after.qty))

    change: Change = await _retrying(db, unit)
    log.info("inventory.added", community_id=community_id, item_id=change.item.id, qty=qty)
    return change


async def take(db: AsyncDAL, community_id: int, name: str, qty: int, actor: str) -> Change:
    """Remove `qty` of `name` from the stock (NotEnough when there is less)."""
    name = clean_name(name)

    def unit(d: Any) -> Change:
        after, before = _take_stock(d, community_id, name, qty)
        _audit(d, after, "take", actor, qty, before, int(after.qty))
        return Change(_item(after), qty, before, int(after.qty))

    change: Change = await db.run(unit)
    return change


async def give(
    db: AsyncDAL, community_id: int, name: str, qty: int, actor: str, holder: str, holder_name: str
) -> Change:
    """Move `qty` of `name` from the stock to a user, in one unit of work."""
    name = clean_name(name)

    def unit(d: Any) -> Change:
        after, before = _take_stock(d, community_id, name, qty)
        held_before, held_after = _hold(d, after, holder, holder_name, qty)
        _audit(d, after, "give", actor, qty, before, int(after.qty), holder, held_before, held_after)
        return Change(_item(after), qty, before, int(after.qty), held_after)

    change: Change = await _retrying(db, unit)
    log.info("inventory.given", community_id=community_id, item_id=change.item.id, qty=qty)
    return change


async def checkout(
    db: AsyncDAL, community_id: int, name: str, actor: str, holder: str, holder_name: str,
    due: datetime, where: Where,
) -> tuple[Change, Checkout]:  # fmt: skip
    """Lend one `name` from the stock to a user until `due`; its overdue notice is scheduled
    in the same unit of work (flask_core.scheduler, kind `inventory_overdue`)."""
    name = clean_name(name)

    def unit(d: Any) -> tuple[Change, Checkout]:
        after, before = _take_stock(d, community_id, name, 1)
        checkout_id = d.inventory_checkouts.insert(
            community_id=community_id, item_id=after.id, holder=holder, holder_name=holder_name,
            due_at=due.astimezone(UTC).replace(tzinfo=None, microsecond=0), job_id=0,
            platform=where.platform, server_id=where.server_id, channel_id=where.channel_id,
            checked_out_by=actor, created_at=_now(),
        )  # fmt: skip
        job_id = scheduler.add_job(d, OVERDUE_KIND, due, {"checkout_id": checkout_id})
        d(d.inventory_checkouts.id == checkout_id).update(job_id=job_id)
        _audit(d, after, "checkout", actor, 1, before, int(after.qty), holder, 0, 1)
        return Change(_item(after), 1, before, int(after.qty)), _checkout(
            d.inventory_checkouts[checkout_id], after.name
        )

    result: tuple[Change, Checkout] = await db.run(unit)
    return result


async def checkin(
    db: AsyncDAL, community_id: int, name: str, actor: str, holder: str | None = None
) -> tuple[Change, Checkout]:
    """Return the item's oldest open checkout (that user's, when given) to the stock."""
    name = clean_name(name)

    def unit(d: Any) -> tuple[Change, Checkout]:
        item = _find(d, community_id, name)
        if item is None:
            raise UnknownItem(name)
        c, t = d.inventory_checkouts, d.inventory_items
        query = (c.community_id == community_id) & (c.item_id == item.id) & (c.returned_at == None)  # noqa: E711
        if holder is not None:
            query &= c.holder == holder
        for row in d(query).select(orderby=c.id):
            # Conditional: a concurrent checkin of the same loan returns it once.
            if d((c.id == row.id) & (c.returned_at == None)).update(returned_at=_now()):  # noqa: E711
                scheduler.cancel_job(d, row.job_id)
                d(t.id == item.id).update(qty=t.qty + 1, updated_at=_now())
                after = d.inventory_items[item.id]
                _audit(d, after, "checkin", actor, 1, int(after.qty) - 1, int(after.qty), row.holder, 1, 0)
                return Change(_item(after), 1, int(after.qty) - 1, int(after.qty)), _checkout(
                    c[row.id], after.name
                )
        raise Refused(f"No {item.name} is checked out" + (" to that user." if holder else "."))

    result: tuple[Change, Checkout] = await db.run(unit)
    return result


# --- reads -----------------------------------------------------------------------------------


_SORTS = {"name": ("name_key", False), "-name": ("name_key", True), "qty": ("qty", False),
          "-qty": ("qty", True), "created_at": ("id", False), "-created_at": ("id", True)}  # fmt: skip


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def items(
    db: AsyncDAL, community_id: int, *, q: str = "", sort: str = "name", offset: int = 0, limit: int = 20,
    in_stock: bool = False, ids: list[int] | None = None,
) -> tuple[list[Item], bool]:  # fmt: skip
    """A page of the community's items (and whether there are more)."""
    column, descending = _SORTS[sort]

    def select(d: Any) -> tuple[list[Item], bool]:
        t = d.inventory_items
        query = t.community_id == community_id
        if q:
            query &= t.name_key.like(f"%{_escape(key_of(q))}%", escape="\\")
        if in_stock:
            query &= t.qty > 0
        if ids is not None:
            query &= t.id.belongs(ids)
        order = ~t[column] if descending else t[column]
        rows = d(query).select(orderby=order | t.id, limitby=(offset, offset + limit + 1))
        return [_item(r) for r in rows[:limit]], len(rows) > limit

    found: tuple[list[Item], bool] = await db.read(select)
    return found


async def get_item(db: AsyncDAL, community_id: int, item_id: int) -> Item | None:
    def select(d: Any) -> Any:
        t = d.inventory_items
        return d((t.id == item_id) & (t.community_id == community_id)).select().first()

    row = await db.read(select)
    return None if row is None else _item(row)


async def adjust(db: AsyncDAL, community_id: int, item_id: int, delta: int, actor: str) -> Change | None:
    """Change an item's stock by `delta` (REST); None when the item is not the community's."""
    item = await get_item(db, community_id, item_id)
    if item is None:
        return None
    if delta >= 0:
        return await add(db, community_id, item.name, delta, actor)
    return await take(db, community_id, item.name, -delta, actor)


async def holdings(
    db: AsyncDAL,
    community_id: int,
    *,
    holder: str | None = None,
    q: str = "",
    offset: int = 0,
    limit: int = 20,
) -> tuple[list[Holding], bool]:
    def select(d: Any) -> tuple[list[Holding], bool]:
        h, t = d.inventory_holdings, d.inventory_items
        query = (h.community_id == community_id) & (h.item_id == t.id) & (h.qty > 0)
        if holder is not None:
            query &= h.holder == holder
        if q:
            query &= t.name_key.like(f"%{_escape(key_of(q))}%", escape="\\")
        rows = d(query).select(
            h.ALL, t.name, orderby=h.holder | t.name_key, limitby=(offset, offset + limit + 1)
        )
        out = []
        for r in rows[:limit]:
            held = r.inventory_holdings
            out.append(
                Holding(int(held.item_id), str(r.inventory_items.name), str(held.holder),
                        str(held.holder_name), int(held.qty))
            )  # fmt: skip  # fmt: skip
        return out, len(rows) > limit

    found: tuple[list[Holding], bool] = await db.read(select)
    return found


async def checkouts(
    db: AsyncDAL, community_id: int, *, holder: str | None = None, overdue_at: datetime | None = None,
    open_only: bool = True, offset: int = 0, limit: int = 20, checkout_id: int | None = None,
) -> tuple[list[Checkout], bool]:  # fmt: skip
    """Checkouts, soonest due first; `overdue_at`: only those due before it."""

    def select(d: Any) -> tuple[list[Checkout], bool]:
        c, t = d.inventory_checkouts, d.inventory_items
        query = (c.community_id == community_id) & (c.item_id == t.id)
        if open_only:
            query &= c.returned_at == None  # noqa: E711
        if holder is not None:
            query &= c.holder == holder
        if overdue_at is not None:
            query &= c.due_at <= overdue_at.astimezone(UTC).replace(tzinfo=None)
        if checkout_id is not None:
            query &= c.id == checkout_id
        rows = d(query).select(c.ALL, t.name, orderby=c.due_at | c.id, limitby=(offset, offset + limit + 1))
        out = [_checkout(r.inventory_checkouts, str(r.inventory_items.name)) for r in rows[:limit]]
        return out, len(rows) > limit

    found: tuple[list[Checkout], bool] = await db.read(select)
    return found


async def get_checkout(db: AsyncDAL, checkout_id: int) -> Checkout | None:
    def select(d: Any) -> Any:
        c, t = d.inventory_checkouts, d.inventory_items
        return d((c.id == checkout_id) & (c.item_id == t.id)).select(c.ALL, t.name).first()

    row = await db.read(select)
    return None if row is None else _checkout(row.inventory_checkouts, str(row.inventory_items.name))


async def mark_announced(db: AsyncDAL, checkout_id: int) -> None:
    def unit(d: Any) -> None:
        c = d.inventory_checkouts
        d((c.id == checkout_id) & (c.announced_at == None)).update(announced_at=_now())  # noqa: E711

    await db.run(unit)


async def audit(
    db: AsyncDAL, community_id: int, *, q: str = "", descending: bool = True, offset: int = 0, limit: int = 20
) -> tuple[list[AuditEntry], bool]:
    def select(d: Any) -> tuple[list[AuditEntry], bool]:
        a = d.inventory_audit
        query = a.community_id == community_id
        if q:
            query &= a.item_name.lower().like(f"%{_escape(q.lower())}%", escape="\\")
        rows = d(query).select(orderby=~a.id if descending else a.id, limitby=(offset, offset + limit + 1))
        out = [
            AuditEntry(
                id=int(r.id),
                item_id=int(r.item_id),
                item_name=str(r.item_name),
                action=str(r.action),
                actor=str(r.actor),
                holder=r.holder,
                qty=int(r.qty),
                stock_before=int(r.stock_before),
                stock_after=int(r.stock_after),
                held_before=r.held_before,
                held_after=r.held_after,
                created_at=_aware(r.created_at),
                detail=r.detail or None,
            )
            for r in rows[:limit]
        ]
        return out, len(rows) > limit

    found: tuple[list[AuditEntry], bool] = await db.read(select)
    return found
