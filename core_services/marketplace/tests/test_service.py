"""Marketplace domain logic against the real database (no HTTP)."""

from __future__ import annotations

from typing import Any

from waddlebot_marketplace import service


async def test_items_are_kept_per_community_in_order(res: Any) -> None:
    first = await service.add_item(res.db, 1, "first")
    second = await service.add_item(res.db, 1, "second")
    await service.add_item(res.db, 2, "elsewhere")
    assert await service.list_items(res.db, 1) == [first, second]
    assert await service.list_items(res.db, 1, limit=1) == [first]
