"""The calendar tables: events, RSVPs (seats and the waitlist) and each community's feed token."""

from __future__ import annotations

from typing import Any

from pydal import Field

from flask_core import ensure_index

TITLE_MAX = 200
SCHEDULED, PENDING, CANCELLED = "scheduled", "pending", "cancelled"
GOING, WAITLIST = "going", "waitlist"


def define_tables(db: Any) -> None:
    db.define_table(
        "calendar_events",
        Field("community_id", "bigint", notnull=True),
        Field("title", "string", length=TITLE_MAX, notnull=True),
        Field("starts_at", "datetime", notnull=True),  # naive UTC: the first start
        Field("tz", "string", length=64, notnull=True),  # the zone its wall-clock time is in
        Field("max_seats", "integer"),  # NULL: no limit
        Field("rrule", "string", length=100),  # FREQ=WEEKLY for `--every weekly`
        Field("status", "string", length=16, notnull=True),  # scheduled | pending | cancelled
        Field("platform", "string", length=16, notnull=True),  # where reminders post
        Field("server_id", "string", length=200, notnull=True),
        Field("channel_id", "string", length=200, notnull=True),
        Field("created_by", "string", length=120),
        Field("created_by_name", "string", length=100),
        Field("approved_by", "string", length=120),
        Field("reminder_job_id", "bigint"),
        Field("sequence", "integer", notnull=True, default=0),  # iCalendar SEQUENCE
        Field("created_at", "datetime", notnull=True),
        Field("updated_at", "datetime", notnull=True),
    )
    ensure_index(db, "calendar_events", "calendar_events_community", ("community_id", "starts_at"))
    db.define_table(
        "calendar_rsvps",
        Field("community_id", "bigint", notnull=True),
        Field("event_id", "bigint", notnull=True),
        Field("user_key", "string", length=120, notnull=True),  # `<platform>:<login>`
        Field("username", "string", length=100, notnull=True),
        Field("state", "string", length=16, notnull=True),  # going | waitlist
        Field("created_at", "datetime", notnull=True),
    )
    ensure_index(db, "calendar_rsvps", "calendar_rsvps_unique", ("event_id", "user_key"), unique=True)
    db.define_table(
        "calendar_feeds",
        Field("community_id", "bigint", notnull=True),
        Field("token", "string", length=100, notnull=True),
        Field("token_hash", "string", length=64, notnull=True),  # sha256 hex: looked up by it
        Field("created_at", "datetime", notnull=True),
    )
    ensure_index(db, "calendar_feeds", "calendar_feeds_community", ("community_id",), unique=True)
    ensure_index(db, "calendar_feeds", "calendar_feeds_hash", ("token_hash",), unique=True)
