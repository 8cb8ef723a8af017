"""Tables the router owns until community and marketplace exist (decision 0003)."""

from __future__ import annotations

from typing import Any

from pydal import Field

from flask_core.database import ensure_index


def define_tables(db: Any) -> None:
    db.define_table(
        "communities",
        Field("name", "string", length=200, notnull=True),
        Field("owner_platform", "string", length=16),
        Field("owner_platform_user_id", "string", length=200),
        Field("settings", "json"),
        Field("created_at", "datetime"),
    )
    db.define_table(
        "entities",
        Field("community_id", "reference communities", notnull=True, ondelete="CASCADE"),
        Field("platform", "string", length=16, notnull=True),
        Field("server_id", "string", length=200, notnull=True),
        Field("settings", "json"),
        Field("created_at", "datetime"),
    )
    db.define_table(
        "modules",
        Field("name", "string", length=64, notnull=True, unique=True),
        Field("version", "string", length=32),
        Field("description", "text"),
        Field("base_url", "string", length=500),
        Field("manifest", "json"),
        Field("last_seen", "datetime"),
    )
    db.define_table(
        "community_modules",
        Field("community_id", "reference communities", notnull=True, ondelete="CASCADE"),
        Field("module", "string", length=64, notnull=True),
        Field("enabled", "boolean", default=True),
        Field("settings", "json"),
        Field("updated_at", "datetime"),
    )
    db.define_table(
        "commands",
        Field("community_id", "reference communities", notnull=True, ondelete="CASCADE"),
        Field("path", "string", length=64, notnull=True),
        Field("module", "string", length=64),
        Field("role", "string", length=16, requires=None, default=None),
        Field("user_cooldown", "double"),
        Field("global_cooldown", "double"),
        Field("cost", "integer"),
        Field("enabled", "boolean"),
        Field("cooldown_message", "string", length=300),
        Field("updated_at", "datetime"),
    )
    ensure_index(db, "entities", "entities_platform_server", ("platform", "server_id"), unique=True)
    ensure_index(db, "community_modules", "community_modules_unique", ("community_id", "module"), unique=True)
    ensure_index(db, "commands", "commands_unique", ("community_id", "path"), unique=True)
