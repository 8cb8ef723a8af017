"""The shoutout settings per community (pydal), migrated by `waddlebot migrate`."""

from __future__ import annotations

from typing import Any

from pydal import Field

from flask_core import ensure_index


def define_tables(db: Any) -> None:
    db.define_table(
        "shoutout_settings",
        Field("community_id", "bigint", notnull=True),
        Field("live_template", "text"),  # None = the default
        Field("offline_template", "text"),
        Field("auto_raid", "boolean"),  # None = on
        Field("cooldown", "double"),  # seconds per target; None = SHOUTOUT_COOLDOWN
        Field("updated_at", "datetime"),
    )
    ensure_index(db, "shoutout_settings", "shoutout_settings_community", ("community_id",), unique=True)
