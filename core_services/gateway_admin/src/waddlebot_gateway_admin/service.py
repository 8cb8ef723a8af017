"""Gateway admin domain logic: no Quart here; the database handle is passed in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_core import AsyncDAL, get_logger

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    community_id: int
    name: str


async def add_item(db: AsyncDAL, community_id: int, name: str) -> Item:
    """Store one item (one unit of work)."""

    def insert(d: Any) -> Item:
        now = datetime.now(UTC).replace(tzinfo=None)
        new_id = d.gateway_admin_items.insert(community_id=community_id, name=name, created_at=now)
        return Item(int(new_id), community_id, name)

    item = await db.run(insert)
    log.info("gateway_admin.item_added", community_id=community_id, item_id=item.id)
    return item


async def list_items(db: AsyncDAL, community_id: int, *, limit: int = 100) -> list[Item]:
    """The community's items, oldest first, at most `limit`."""

    def select(d: Any) -> list[Item]:
        table = d.gateway_admin_items
        rows = d(table.community_id == community_id).select(orderby=table.id, limitby=(0, limit))
        return [Item(int(r.id), int(r.community_id), str(r.name)) for r in rows]

    items: list[Item] = await db.read(select)
    return items
