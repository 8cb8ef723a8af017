"""The identity tables (pydal): `users`, `identities` (§5), link codes, API keys, OAuth states."""

from __future__ import annotations

from typing import Any

from pydal import Field

from flask_core import ensure_index

USERNAME_MAX = 100


def define_tables(db: Any) -> None:
    db.define_table(
        "users",
        Field("display_name", "string", length=USERNAME_MAX),
        Field("created_at", "datetime"),
        # Set when this user was merged into another by !verify: the id keeps answering
        # with the surviving user (GET /users/{id}), and nothing points at it any more.
        Field("merged_into", "bigint"),
    )
    db.define_table(
        "identities",
        Field("user_id", "bigint", notnull=True),
        Field("platform", "string", length=16, notnull=True),
        Field("platform_user_id", "string", length=200, notnull=True),
        Field("username", "string", length=USERNAME_MAX, notnull=True),
        Field("username_folded", "string", length=USERNAME_MAX, notnull=True),
        Field("display_name", "string", length=USERNAME_MAX),
        Field("created_at", "datetime"),
        Field("updated_at", "datetime"),
    )
    ensure_index(db, "identities", "identities_platform_user", ("platform", "platform_user_id"), unique=True)
    ensure_index(db, "identities", "identities_username", ("platform", "username_folded"))
    ensure_index(db, "identities", "identities_user", ("user_id",))
    db.define_table(
        "identity_link_codes",
        Field("code", "string", length=8, notnull=True),
        Field("initiator_user_id", "bigint", notnull=True),
        Field("target_platform", "string", length=16, notnull=True),
        Field("target_username", "string", length=USERNAME_MAX, notnull=True),  # folded
        Field("attempts", "integer", default=0, notnull=True),
        Field("created_at", "double", notnull=True),
        Field("expires_at", "double", notnull=True),
        Field("used_at", "double"),
        Field("burned_at", "double"),
    )
    ensure_index(db, "identity_link_codes", "identity_link_codes_code", ("code",))
    ensure_index(
        db, "identity_link_codes", "identity_link_codes_target", ("target_platform", "target_username")
    )
    ensure_index(db, "identity_link_codes", "identity_link_codes_initiator", ("initiator_user_id",))
    db.define_table(
        "identity_api_keys",
        Field("key_id", "string", length=32, notnull=True),
        Field("user_id", "bigint", notnull=True),
        Field("name", "string", length=100, notnull=True),
        Field("secret_hash", "string", length=64, notnull=True),  # hex HMAC-SHA256
        Field("created_at", "datetime", notnull=True),
        Field("expires_at", "datetime", notnull=True),
        Field("revoked_at", "datetime"),
    )
    ensure_index(db, "identity_api_keys", "identity_api_keys_key_id", ("key_id",), unique=True)
    ensure_index(db, "identity_api_keys", "identity_api_keys_user", ("user_id",))
    db.define_table(
        "identity_oauth_states",
        Field("state", "string", length=64, notnull=True),
        Field("provider", "string", length=16, notnull=True),
        Field("purpose", "string", length=8, notnull=True),
        Field("user_id", "bigint"),
        Field("redirect_uri", "string", length=1000, notnull=True),
        Field("code_verifier", "string", length=128),
        Field("expires_at", "double", notnull=True),
        Field("used_at", "double"),
    )
    ensure_index(db, "identity_oauth_states", "identity_oauth_states_state", ("state",), unique=True)
    db.define_table(
        "identity_merges",
        Field("from_user_id", "bigint", notnull=True),
        Field("into_user_id", "bigint", notnull=True),
        Field("created_at", "double", notnull=True),
        Field("notified_at", "double"),  # reputation confirmed it
    )
    ensure_index(db, "identity_merges", "identity_merges_pending", ("notified_at",))
