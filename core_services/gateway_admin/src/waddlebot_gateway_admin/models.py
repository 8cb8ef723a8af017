"""The gateway_admin tables (pydal), migrated with every other service's by `waddlebot migrate`."""

from __future__ import annotations

from typing import Any

from pydal import Field

from flask_core import ensure_index


def define_tables(db: Any) -> None:
    db.define_table(
        "gateway_admin_items",
        Field("community_id", "bigint", notnull=True),
        Field("name", "string", length=200, notnull=True),
        Field("created_at", "datetime"),
    )
    ensure_index(db, "gateway_admin_items", "gateway_admin_items_community", ("community_id",))
