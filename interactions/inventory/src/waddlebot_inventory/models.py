"""The inventory tables: items (the community's stock), holdings, checkouts and the audit trail."""

from __future__ import annotations

from typing import Any

from pydal import Field

from flask_core import ensure_index

NAME_MAX = 60
HOLDER_MAX = 120
MAX_QTY = 1_000_000_000
DESCRIPTION_MAX = 500
DETAIL_MAX = 300


def define_tables(db: Any) -> None:
    db.define_table(
        "inventory_items",
        Field("community_id", "bigint", notnull=True),
        Field("name", "string", length=NAME_MAX, notnull=True),
        Field("name_key", "string", length=NAME_MAX * 4, notnull=True),  # case-folded, unique
        Field("qty", "bigint", notnull=True, default=0),  # the stock; never below 0
        Field("description", "string", length=DESCRIPTION_MAX),  # the portal's; NULL: none
        Field("created_at", "datetime", notnull=True),
        Field("updated_at", "datetime", notnull=True),
    )
    ensure_index(db, "inventory_items", "inventory_items_name", ("community_id", "name_key"), unique=True)
    db.define_table(
        "inventory_holdings",
        Field("community_id", "bigint", notnull=True),
        Field("item_id", "bigint", notnull=True),
        Field("holder", "string", length=HOLDER_MAX, notnull=True),  # `<platform>:<login>`
        Field("holder_name", "string", length=100, notnull=True),
        Field("qty", "bigint", notnull=True, default=0),
    )
    ensure_index(
        db,
        "inventory_holdings",
        "inventory_holdings_unique",
        ("community_id", "item_id", "holder"),
        unique=True,
    )
    db.define_table(
        "inventory_checkouts",
        Field("community_id", "bigint", notnull=True),
        Field("item_id", "bigint", notnull=True),
        Field("holder", "string", length=HOLDER_MAX, notnull=True),
        Field("holder_name", "string", length=100, notnull=True),
        Field("due_at", "datetime", notnull=True),
        Field("job_id", "bigint", notnull=True),  # its overdue notice in scheduled_jobs
        Field("platform", "string", length=16, notnull=True),
        Field("server_id", "string", length=200, notnull=True),
        Field("channel_id", "string", length=200, notnull=True),
        Field("checked_out_by", "string", length=HOLDER_MAX),
        Field("created_at", "datetime", notnull=True),
        Field("returned_at", "datetime"),
        Field("announced_at", "datetime"),
    )
    ensure_index(db, "inventory_checkouts", "inventory_checkouts_item", ("community_id", "item_id"))
    db.define_table(
        "inventory_audit",
        Field("community_id", "bigint", notnull=True),
        Field("item_id", "bigint", notnull=True),
        Field("item_name", "string", length=NAME_MAX, notnull=True),
        # add | take | give | checkout | checkin | rename | describe | delete
        Field("action", "string", length=16, notnull=True),
        Field("actor", "string", length=HOLDER_MAX, notnull=True),  # who: `<platform>:<login>` or service
        Field("holder", "string", length=HOLDER_MAX),  # the user who received or returned it
        Field("qty", "bigint", notnull=True),
        Field("stock_before", "bigint", notnull=True),
        Field("stock_after", "bigint", notnull=True),
        Field("held_before", "bigint"),
        Field("held_after", "bigint"),
        Field("detail", "string", length=DETAIL_MAX),  # rename: `old → new`; a forced delete: who held it
        Field("created_at", "datetime", notnull=True),
    )
    ensure_index(db, "inventory_audit", "inventory_audit_community", ("community_id", "id"))
