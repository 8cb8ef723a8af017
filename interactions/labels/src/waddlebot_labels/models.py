"""The labels tables (pydal): `labels` (name, colour, category) and `label_assignments`."""

from __future__ import annotations

from typing import Any

from pydal import Field

from flask_core import ensure_index

NAME_MAX = 32
CATEGORY_MAX = 50
ENTITY_ID_MAX = 200
#: What labels may be put on (FEATURES.md): users, inventory items, calendar events,
#: quotes and commands.
ENTITY_TYPES = ("user", "item", "event", "quote", "command")


def define_tables(db: Any) -> None:
    db.define_table(
        "labels",
        Field("community_id", "bigint", notnull=True),
        Field("name", "string", length=NAME_MAX, notnull=True),
        Field("name_key", "string", length=NAME_MAX * 4, notnull=True),  # case-folded, unique
        Field("colour", "string", length=7, notnull=True),
        Field("category", "string", length=CATEGORY_MAX, notnull=True),
        Field("system", "boolean", notnull=True, default=False),
        Field("created_by", "string", length=200),
        Field("created_at", "datetime", notnull=True),
    )
    ensure_index(db, "labels", "labels_community_name", ("community_id", "name_key"), unique=True)
    db.define_table(
        "label_assignments",
        Field("community_id", "bigint", notnull=True),
        Field("label_id", "bigint", notnull=True),
        Field("entity_type", "string", length=16, notnull=True),
        Field("entity_id", "string", length=ENTITY_ID_MAX, notnull=True),
        Field("created_by", "string", length=200),
        Field("created_at", "datetime", notnull=True),
    )
    ensure_index(
        db,
        "label_assignments",
        "label_assignments_unique",
        ("community_id", "entity_type", "entity_id", "label_id"),
        unique=True,
    )
    ensure_index(db, "label_assignments", "label_assignments_label", ("label_id",))
