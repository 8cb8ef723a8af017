"""Renaming, describing and deleting items (the portal's PATCH and DELETE; decision 0076).

The stock itself only moves through `add`/`take`/`give`/`checkout`/`checkin` (and the
REST `/stock` action), so every quantity change keeps its audit row. A rename and a
description change are audit rows too (`rename`, `describe`; qty 0, the stock unchanged).

Delete: an item someone holds (an open checkout, or a given holding) is refused with who
holds it, unless `force`: then the open checkouts are closed (their overdue notices
cancelled) and the holdings dropped, in the same unit of work. The audit trail keeps
every row of the item, plus a `delete` row; the name is free again afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_core import AsyncDAL, get_logger, scheduler

from .service import Item, Refused, _audit, _item, _now, clean_name, key_of

log = get_logger(__name__)
UNSET: Any = object()


class Gone(LookupError):
    """No such item in this community."""


class NameTaken(Refused):
    def __init__(self, name: str) -> None:
        super().__init__(f"There is already an item called {name}.")


@dataclass(frozen=True, slots=True)
class Holder:
    holder: str
    holder_name: str
    qty: int
    checked_out: bool


class Held(Refused):
    def __init__(self, name: str, holders: list[Holder]) -> None:
        who = ", ".join(f"@{h.holder_name}" for h in holders[:5])
        super().__init__(f"{name} is held by {who}: check it in first, or delete with force.")
        self.holders = holders


def _lock(d: Any, community_id: int, item_id: int) -> Any:
    """The item row, locked for this unit of work (PostgreSQL: a concurrent checkout waits)."""
    t = d.inventory_items
    query = (t.id == item_id) & (t.community_id == community_id)
    if not d(query).update(updated_at=_now()):
        raise Gone(item_id)
    return d(query).select().first()


def _holders(d: Any, community_id: int, item_id: int) -> list[Holder]:
    c, h = d.inventory_checkouts, d.inventory_holdings
    loans = d((c.community_id == community_id) & (c.item_id == item_id) & (c.returned_at == None)).select(  # noqa: E711
        orderby=c.id
    )
    out = [Holder(str(r.holder), str(r.holder_name), 1, True) for r in loans]
    given = d((h.community_id == community_id) & (h.item_id == item_id) & (h.qty > 0)).select(
        orderby=h.holder
    )
    return out + [Holder(str(r.holder), str(r.holder_name), int(r.qty), False) for r in given]


async def update(
    db: AsyncDAL, community_id: int, item_id: int, actor: str, *, name: str = UNSET, description: Any = UNSET
) -> Item:
    """Rename (`name`, cleaned; NameTaken when another item has it) and/or describe (None: none)."""
    new_name = clean_name(name) if name is not UNSET else None

    def unit(d: Any) -> Item:
        row = _lock(d, community_id, item_id)
        t = d.inventory_items
        if new_name is not None and new_name != row.name:
            clash = d((t.community_id == community_id) & (t.name_key == key_of(new_name)) & (t.id != item_id))
            if not clash.isempty():
                raise NameTaken(new_name)
            old = row.name
            row.update_record(name=new_name, name_key=key_of(new_name))
            _audit(d, row, "rename", actor, 0, int(row.qty), int(row.qty), detail=f"{old} → {new_name}")
        if description is not UNSET and (description or None) != row.description:
            row.update_record(description=description or None)
            _audit(d, row, "describe", actor, 0, int(row.qty), int(row.qty))
        return _item(d.inventory_items[item_id])

    item: Item = await db.run(unit)
    log.info("inventory.updated", community_id=community_id, item_id=item_id)
    return item


async def delete(db: AsyncDAL, community_id: int, item_id: int, actor: str, *, force: bool = False) -> None:
    """Remove the item (Held when someone holds it and not `force`); the audit rows stay."""

    def unit(d: Any) -> None:
        row = _lock(d, community_id, item_id)
        holders = _holders(d, community_id, item_id)
        if holders and not force:
            raise Held(str(row.name), holders)
        c = d.inventory_checkouts
        for loan in d((c.item_id == item_id) & (c.returned_at == None)).select():  # noqa: E711
            scheduler.cancel_job(d, loan.job_id)
            loan.update_record(returned_at=_now())
        d(d.inventory_holdings.item_id == item_id).delete()
        detail = "forced: held by " + ", ".join(h.holder_name for h in holders) if holders else None
        _audit(d, row, "delete", actor, int(row.qty), int(row.qty), 0, detail=detail)
        row.delete_record()

    await db.run(unit)
    log.info("inventory.deleted", community_id=community_id, item_id=item_id, force=force)
