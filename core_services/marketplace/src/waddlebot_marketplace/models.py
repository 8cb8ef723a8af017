"""The marketplace's tables (decision 0053): the catalogue, installations, command settings.

They were the router's until the marketplace existed (decision 0003); the router keeps a
cached read only. `modules` is the catalogue (built-in modules from their manifests,
external ones registered by URL); `community_modules` one installation per (community,
module); `commands` a community's own settings of one command path.
"""

from __future__ import annotations

from typing import Any

from pydal import Field

from flask_core import ensure_index


def define_tables(db: Any) -> None:
    if "modules" in db.tables:  # the router defines them too when it runs without us
        return
    db.define_table(
        "modules",
        Field("name", "string", length=64, notnull=True, unique=True),
        Field("version", "string", length=32),
        Field("description", "text"),
        Field("base_url", "string", length=500),
        Field("manifest", "json"),
        Field("kind", "string", length=16, default="builtin"),  # builtin | external
        Field("secret", "string", length=128),  # external modules' own signing secret
        Field("last_seen", "datetime"),
    )
    db.define_table(
        "community_modules",
        Field("community_id", "bigint", notnull=True),
        Field("module", "string", length=64, notnull=True),
        Field("enabled", "boolean", default=True),
        Field("settings", "json"),
        Field("updated_at", "datetime"),
    )
    db.define_table(
        "commands",
        Field("community_id", "bigint", notnull=True),
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
    ensure_index(db, "community_modules", "community_modules_unique", ("community_id", "module"), unique=True)
    ensure_index(db, "commands", "commands_unique", ("community_id", "path"), unique=True)
