"""The timers tables (pydal), migrated with every other service's by `waddlebot migrate`.

`timers`          one row per timer: where it posts (the chat it was added in), every how
                  many minutes, after how many chat lines, its text, and when it last posted
                  (`last_posted_at`, the tick's occurrence) with the channel's line count
                  then (`lines_mark`).
`timer_channels`  one row per chat that has timers: whether it is live (Twitch
                  stream.online/offline; Discord and Slack chats are always on), since when,
                  and the id of its tick job in `scheduled_jobs` (flask_core.scheduler).
"""

from __future__ import annotations

from typing import Any

from pydal import Field

from flask_core import ensure_index


def define_tables(db: Any) -> None:
    db.define_table(
        "timers",
        Field("community_id", "bigint", notnull=True),
        Field("name", "string", length=32, notnull=True),
        Field("minutes", "integer", notnull=True),
        Field("min_lines", "integer", notnull=True, default=5),
        Field("text", "text", notnull=True),
        Field("enabled", "boolean", notnull=True, default=True),
        Field("follow_live", "boolean", notnull=True, default=False),
        Field("platform", "string", length=16, notnull=True),
        Field("server_id", "string", length=200, notnull=True),
        Field("channel_id", "string", length=200, notnull=True),
        Field("channel_name", "string", length=100),
        Field("created_by", "string", length=100),
        Field("created_at", "datetime", notnull=True),
        Field("armed_at", "datetime", notnull=True),  # counting starts here (added, on, went live)
        Field("last_posted_at", "datetime"),
        Field("lines_mark", "bigint", notnull=True, default=0),
        Field("posts", "integer", notnull=True, default=0),
    )
    ensure_index(db, "timers", "timers_name", ("community_id", "name"), unique=True)
    ensure_index(db, "timers", "timers_channel", ("platform", "channel_id"))
    db.define_table(
        "timer_channels",
        Field("community_id", "bigint", notnull=True),
        Field("platform", "string", length=16, notnull=True),
        Field("server_id", "string", length=200, notnull=True),
        Field("channel_id", "string", length=200, notnull=True),
        Field("live", "boolean", notnull=True, default=False),
        Field("live_since", "datetime"),
        Field("job_id", "bigint"),
        Field("updated_at", "datetime", notnull=True),
    )
    ensure_index(
        db, "timer_channels", "timer_channels_chat", ("community_id", "platform", "channel_id"), unique=True
    )
