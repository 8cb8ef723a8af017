"""The tables the memories service owns: `quotes`, `bookmarks`, `reminders` (+ `scheduled_jobs`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydal import Field

from flask_core.database import ensure_index

QUOTE_MAX_LENGTH = 400
AUTHOR_MAX_LENGTH = 100
GAME_MAX_LENGTH = 200
URL_MAX_LENGTH = 2000
TITLE_MAX_LENGTH = 200


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
    db.define_table(
        "bookmarks",
        Field("community_id", "bigint", notnull=True),
        Field("url", "string", length=URL_MAX_LENGTH, notnull=True),
        Field("title", "string", length=TITLE_MAX_LENGTH),
        Field("search_text", "text"),  # case-folded url + title
        Field("created_by_platform", "string", length=16),
        Field("created_by_user_id", "string", length=200),
        Field("created_by_username", "string", length=100),
        Field("created_at", "datetime", notnull=True),
        Field("removed_at", "datetime"),
    )
    ensure_index(db, "bookmarks", "bookmarks_community", ("community_id",))
    db.define_table(
        "reminders",
        Field("community_id", "bigint", notnull=True),
        Field("job_id", "bigint", notnull=True),  # its row in scheduled_jobs (flask_core.scheduler)
        Field("platform", "string", length=16, notnull=True),
        Field("server_id", "string", length=200, notnull=True),
        Field("channel_id", "string", length=200, notnull=True),
        Field("set_by_user_id", "string", length=200),
        Field("set_by_username", "string", length=100),
        Field("target", "string", length=100, notnull=True),
        Field("text", "text", notnull=True),
        Field("recurrence", "string", length=100),  # "every day at 09:00", shown by !remind list
        Field("created_at", "datetime", notnull=True),
        Field("cancelled_at", "datetime"),
    )
    ensure_index(db, "reminders", "reminders_community", ("community_id",))


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
