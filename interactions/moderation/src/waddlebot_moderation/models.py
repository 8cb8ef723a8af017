"""The moderation tables (pydal), migrated with every other service's by `waddlebot migrate`."""

from __future__ import annotations

from typing import Any

from pydal import Field

from flask_core import ensure_index


def define_tables(db: Any) -> None:
    db.define_table(
        "moderation_rules",  # one row per community: its stored values over RULES_DEFAULTS
        Field("community_id", "bigint", notnull=True),
        Field("rules", "json"),
        Field("version", "bigint", notnull=True, default=1),
        Field("updated_at", "datetime"),
    )
    ensure_index(db, "moderation_rules", "moderation_rules_community", ("community_id",), unique=True)
    db.define_table(
        "moderation_permits",  # `!permit @user`: one link within the permit's time
        Field("community_id", "bigint", notnull=True),
        Field("username", "string", length=100, notnull=True),  # lower case
        Field("expires_at", "double", notnull=True),  # epoch seconds
        Field("granted_by", "string", length=100),
    )
    ensure_index(
        db, "moderation_permits", "moderation_permits_user", ("community_id", "username"), unique=True
    )
    db.define_table(
        "moderation_log",  # what the router's evaluator did: rule, message, action
        Field("community_id", "bigint", notnull=True),
        Field("event_id", "string", length=200, notnull=True),
        Field("platform", "string", length=16),
        Field("channel_id", "string", length=200),
        Field("user_id", "string", length=200),
        Field("username", "string", length=100),
        Field("rule", "string", length=32, notnull=True),
        Field("action", "string", length=16, notnull=True),
        Field("duration", "integer"),
        Field("message", "text"),
        Field("created_at", "datetime"),
    )
    ensure_index(db, "moderation_log", "moderation_log_event", ("community_id", "event_id"), unique=True)
