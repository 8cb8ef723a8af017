"""The gateway_admin tables (pydal): the keys it issued (hashed) and its audit log."""

from __future__ import annotations

from typing import Any

from pydal import Field

from flask_core import ensure_index


def define_tables(db: Any) -> None:
    db.define_table(
        "gateway_keys",
        Field("key_id", "string", length=32, notnull=True),  # the `<id>` of wbk_<id>.<secret>
        Field("secret_hmac", "string", length=64, notnull=True),  # HMAC-SHA256(pepper, secret), hex
        Field("consumer_id", "string", length=64, notnull=True),  # Kong's consumer id
        Field("consumer", "string", length=200),  # Kong's consumer username
        Field("credential_id", "string", length=64),  # Kong's key-auth credential id
        Field("label", "string", length=200),
        Field("created_by", "string", length=200),
        Field("created_at", "datetime"),
        Field("revoked_at", "datetime"),
    )
    db.define_table(
        "gateway_audit",
        Field("service", "string", length=64),  # the calling service (its token's iss)
        Field("actor", "string", length=200),  # who, as the caller says (X-Actor), e.g. a portal user
        Field("action", "string", length=32, notnull=True),
        Field("resource", "string", length=32, notnull=True),
        Field("resource_id", "string", length=200),
        Field("before_value", "json"),
        Field("after_value", "json"),
        Field("created_at", "datetime"),
    )
    ensure_index(db, "gateway_keys", "gateway_keys_key_id", ("key_id",), unique=True)
    ensure_index(db, "gateway_keys", "gateway_keys_consumer", ("consumer_id",))
