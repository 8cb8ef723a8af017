"""Tables the Twitch collector owns: EventSub subscriptions and the channels it serves.

`twitch_channels.bot_is_moderator` decides the outbound limit (100/30 s instead of
20/30 s). It lives here rather than in the router's `entities.settings`, so the
collector never writes another service's table.
"""

from __future__ import annotations

from typing import Any

from pydal import Field

from flask_core.database import ensure_index


def define_tables(db: Any) -> None:
    db.define_table(
        "eventsub_subscriptions",
        Field("twitch_id", "string", length=64, notnull=True),
        Field("type", "string", length=64, notnull=True),
        Field("version", "string", length=8),
        Field("broadcaster_id", "string", length=64),
        Field("condition", "json"),
        Field("status", "string", length=64),
        Field("cost", "integer"),
        Field("created_at", "datetime"),
        Field("updated_at", "datetime"),
        Field("revoked_at", "datetime"),
        Field("revoked_reason", "string", length=128),
    )
    db.define_table(
        "twitch_channels",
        Field("broadcaster_id", "string", length=64, notnull=True),
        Field("login", "string", length=64),
        Field("bot_is_moderator", "boolean", default=False),
        Field("updated_at", "datetime"),
    )
    ensure_index(
        db, "eventsub_subscriptions", "eventsub_subscriptions_twitch_id", ("twitch_id",), unique=True
    )
    ensure_index(db, "twitch_channels", "twitch_channels_broadcaster", ("broadcaster_id",), unique=True)
