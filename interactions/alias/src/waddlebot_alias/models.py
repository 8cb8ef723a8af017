"""The alias table (pydal), migrated with every other service's by `waddlebot migrate`."""

from __future__ import annotations

from typing import Any

from pydal import Field

from flask_core import ensure_index


def define_tables(db: Any) -> None:
    db.define_table(
        "aliases",
        Field("community_id", "bigint", notnull=True),
        Field("name", "string", length=32, notnull=True),  # without the `!`, lower case
        Field("body", "text", notnull=True),  # the template as typed; `!…` = a command
        Field("role", "string", length=16, notnull=True, default="everyone"),
        Field("cooldown", "double"),  # seconds (global); None = the router's default
        Field("uses", "bigint", notnull=True, default=0),  # $(count)
        Field("created_by", "string", length=100),
        Field("created_at", "datetime"),
    )
    ensure_index(db, "aliases", "aliases_community_name", ("community_id", "name"), unique=True)
