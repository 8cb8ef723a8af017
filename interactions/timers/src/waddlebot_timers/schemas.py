"""Request and response models of the timers API (quart-schema + pydantic)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from .service import MAX_LINES, MAX_MINUTES, TEXT_MAX, Timer

Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]


class TimerOut(BaseModel):
    id: int
    name: str
    minutes: int
    min_lines: int
    text: str
    enabled: bool
    follow_live: bool
    platform: str
    server_id: str
    channel_id: str
    last_posted_at: datetime | None
    posts: int

    @classmethod
    def of(cls, timer: Timer) -> TimerOut:
        return cls(
            id=timer.id,
            name=timer.name,
            minutes=timer.minutes,
            min_lines=timer.min_lines,
            text=timer.text,
            enabled=timer.enabled,
            follow_live=timer.follow_live,
            platform=timer.chat.platform,
            server_id=timer.chat.server_id,
            channel_id=timer.chat.channel_id,
            last_posted_at=timer.last_posted_at,
            posts=timer.posts,
        )


class TimerList(BaseModel):
    items: list[TimerOut]
    next_cursor: str | None = None


class TimerPatch(BaseModel):
    """What the portal may change; a timer is added from the chat it posts in."""

    enabled: bool | None = None
    minutes: int | None = Field(default=None, ge=1, le=MAX_MINUTES)
    min_lines: int | None = Field(default=None, ge=0, le=MAX_LINES)
    text: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TEXT_MAX)] | None
    ) = None


class ListQuery(BaseModel):
    limit: int = Field(default=50, ge=1, le=100)
    cursor: str | None = None
    q: str = ""
    sort: str = "name"
