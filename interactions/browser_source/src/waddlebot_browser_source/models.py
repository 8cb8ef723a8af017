"""The browser_source tables (pydal), migrated with every other service's by `waddlebot migrate`.

`browser_source_tokens`: one row per overlay token a community was given. The current
token has `retired_at` NULL; a rotated-out one keeps working until `expires_at`. Tokens
are stored as they are (ARCHITECTURE §12: they are shown again) and found by `lookup`,
their first characters, then compared whole in constant time (decision 0066).
"""

from __future__ import annotations

from typing import Any

from pydal import Field

from flask_core import ensure_index


def define_tables(db: Any) -> None:
    db.define_table(
        "browser_source_tokens",
        Field("community_id", "bigint", notnull=True),
        Field("lookup", "string", length=16, notnull=True),
        Field("token", "string", length=128, notnull=True),
        Field("created_at", "datetime", notnull=True),
        Field("retired_at", "datetime"),
        Field("expires_at", "datetime"),
    )
    ensure_index(db, "browser_source_tokens", "browser_source_tokens_lookup", ("lookup",))
    ensure_index(db, "browser_source_tokens", "browser_source_tokens_community", ("community_id",))
