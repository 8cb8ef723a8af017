"""The calendar tables (pydal), migrated with every other service's by `waddlebot migrate`."""

from __future__ import annotations

from typing import Any

from pydal import Field

from flask_core import ensure_index


def define_tables(db: Any) -> None:
    db.define_table(
        "calendar_items",
        Field("community_id", "bigint", notnull=True),
        Field("name", "string", length=200, notnull=True),
        Field("created_at", "datetime"),
    )
    ensure_index(db, "calendar_items", "calendar_items_community", ("community_id",))
