"""The community tables (decision 0053): communities, their entities, members, link codes.

`communities` and `entities` were the router's until this service existed (decision
0003); the router keeps a cached read only. The unique index on
`entities(platform, server_id)` settles provisioning races between replicas.
"""

from __future__ import annotations

from typing import Any

from pydal import Field

from flask_core import ensure_index


def define_tables(db: Any) -> None:
    if "communities" in db.tables:  # the router defines them too when it runs without us
        return
    db.define_table(
        "communities",
        Field("name", "string", length=200, notnull=True),
        Field("owner_platform", "string", length=16),
        Field("owner_platform_user_id", "string", length=200),
        Field("settings", "json"),
        Field("provisioned", "boolean", default=False),  # DEFAULT_MODULES installed
        Field("created_at", "datetime"),
    )
    db.define_table(
        "entities",
        Field("community_id", "bigint", notnull=True),
        Field("platform", "string", length=16, notnull=True),
        Field("server_id", "string", length=200, notnull=True),
        Field("settings", "json"),
        Field("created_at", "datetime"),
        Field("linked_at", "datetime"),  # when `!community link` moved it here
    )
    db.define_table(
        "community_members",
        Field("community_id", "bigint", notnull=True),
        Field("platform", "string", length=16, notnull=True),
        Field("platform_user_id", "string", length=200, notnull=True),
        Field("username", "string", length=100),
        Field("role", "string", length=16, default="everyone"),  # mirrored from the platform
        Field("role_override", "string", length=16),  # set in the portal; wins while set (0077)
        Field("first_seen", "datetime"),
        Field("last_seen", "datetime"),
    )
    db.define_table(
        "community_link_codes",
        Field("code_hash", "string", length=64, notnull=True, unique=True),
        Field("community_id", "bigint", notnull=True),
        Field("created_by", "string", length=240),  # platform:platform_user_id
        Field("expires_at", "datetime", notnull=True),
        Field("used_at", "datetime"),
        Field("used_by", "string", length=240),  # platform:server_id that it linked
    )
    ensure_index(db, "entities", "entities_platform_server", ("platform", "server_id"), unique=True)
    ensure_index(db, "entities", "entities_community", ("community_id",))
    ensure_index(
        db, "community_members", "community_members_unique", ("community_id", "platform", "platform_user_id"),
        unique=True,
    )  # fmt: skip
