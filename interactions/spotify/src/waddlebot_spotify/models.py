"""The spotify tables: the shared song queue's and the connected accounts (one per community)."""

from __future__ import annotations

from typing import Any

from pydal import Field

from flask_core import song_queue


def define_tables(db: Any) -> None:
    song_queue.define_tables(db, "spotify")
    db.define_table(
        "spotify_accounts",
        Field("community_id", "bigint", notnull=True, unique=True),
        Field("access_token", "string", length=600),
        Field("refresh_token", "string", length=600),
        Field("expires_at", "double"),  # epoch seconds
        Field("scope", "string", length=500),
        Field("connected_at", "datetime"),
    )
