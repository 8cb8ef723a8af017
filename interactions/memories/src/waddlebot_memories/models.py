"""The tables the memories service owns (`quotes`; bookmarks and reminders come later)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydal import Field

from flask_core.database import ensure_index

QUOTE_MAX_LENGTH = 400
AUTHOR_MAX_LENGTH = 100
GAME_MAX_LENGTH = 200


def define_tables(db: Any) -> None:
    """Define `quotes`; numbers are unique per community and never reused (soft delete)."""
    db.define_table(
        "quotes",
        Field("community_id", "bigint", notnull=True),
        Field("number", "integer", notnull=True),
        Field("text", "text", notnull=True),
        Field("author", "string", length=AUTHOR_MAX_LENGTH),
        Field("game", "string", length=GAME_MAX_LENGTH),
        # Case-folded text + author, so search is Unicode case-insensitive on both
        # SQLite (whose LOWER/LIKE fold ASCII only) and PostgreSQL.
        Field("search_text", "text"),
        Field("created_by_platform", "string", length=16),
        Field("created_by_user_id", "string", length=200),
        Field("created_by_username", "string", length=100),
        Field("created_at", "datetime", notnull=True),
        Field("removed_at", "datetime"),
        Field("removed_by", "string", length=200),
    )
    ensure_index(db, "quotes", "quotes_community_number", ("community_id", "number"), unique=True)


@dataclass(frozen=True, slots=True)
class Creator:
    """Who added a quote: a platform user, or a calling service for REST writes."""

    platform: str
    user_id: str
    username: str


@dataclass(frozen=True, slots=True)
class QuoteDraft:
    """A validated, cleaned quote that is not stored yet."""

    text: str
    author: str
    game: str
    created_by: Creator


@dataclass(frozen=True, slots=True)
class Quote:
    """A stored quote; `created_at` is timezone-aware UTC."""

    community_id: int
    number: int
    text: str
    author: str
    game: str
    created_at: datetime
    created_by: Creator
