"""The portal tables (pydal), migrated with every other service's by `waddlebot migrate`."""

from __future__ import annotations

from typing import Any

from pydal import Field

from flask_core import ensure_index


def define_tables(db: Any) -> None:
    db.define_table(
        "portal_users",
        Field("email", "string", length=320),  # lower-cased; None for an OAuth-only account
        Field("password_hash", "string", length=300),
        Field("display_name", "string", length=200),
        Field("admin", "boolean", default=False),
        Field("disabled", "boolean", default=False),
        Field("identity_user_id", "string", length=64),  # identity's user, once linked (OAuth)
        Field("created_at", "datetime"),
        Field("last_login_at", "datetime"),
    )
    db.define_table(
        "portal_memberships",
        Field("user_id", "bigint", notnull=True),
        Field("community_id", "bigint", notnull=True),
        Field("role", "string", length=16, notnull=True),
        Field("granted_by", "string", length=200),
        Field("created_at", "datetime"),
        Field("updated_at", "datetime"),
    )
    db.define_table(
        "portal_refresh_tokens",
        Field("token_id", "string", length=64, notnull=True),
        Field("secret_hash", "string", length=64, notnull=True),  # sha256 hex of the secret part
        Field("family", "string", length=64, notnull=True),
        Field("user_id", "bigint", notnull=True),
        Field("created_at", "datetime"),
        Field("expires_at", "datetime"),
        Field("used_at", "datetime"),  # rotated: a second use revokes the whole family
        Field("revoked_at", "datetime"),
    )
    db.define_table(
        "audit_log",
        Field("community_id", "bigint"),  # None for changes outside a community
        Field("actor_id", "string", length=64),
        Field("actor", "string", length=320),
        Field("action", "string", length=32, notnull=True),  # create | update | delete | simulate ...
        Field("resource", "string", length=64, notnull=True),
        Field("resource_id", "string", length=200),
        Field("before_value", "json"),
        Field("after_value", "json"),
        Field("ip", "string", length=64),
        Field("user_agent", "string", length=300),
        Field("request_id", "string", length=128),
        Field("created_at", "datetime"),
    )
    ensure_index(db, "portal_users", "portal_users_email", ("email",), unique=True)
    ensure_index(db, "portal_users", "portal_users_identity", ("identity_user_id",), unique=True)
    ensure_index(
        db, "portal_memberships", "portal_memberships_unique", ("user_id", "community_id"), unique=True
    )
    ensure_index(db, "portal_refresh_tokens", "portal_refresh_tokens_id", ("token_id",), unique=True)
    ensure_index(db, "portal_refresh_tokens", "portal_refresh_tokens_family", ("family",))
    ensure_index(db, "audit_log", "audit_log_community", ("community_id", "id"))
