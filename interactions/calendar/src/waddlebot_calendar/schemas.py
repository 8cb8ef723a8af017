"""Request and response models of the calendar API (quart-schema + pydantic)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from .service import Event, Rsvp

Cursor = Annotated[str, StringConstraints(max_length=200)]


class EventOut(BaseModel):
    id: int
    community_id: int
    title: str
    starts_at: datetime
    next_start: datetime | None
    tz: str
    max_seats: int | None
    rrule: str | None
    status: Literal["scheduled", "pending", "cancelled"]
    going: int
    waiting: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, e: Event, now: datetime) -> EventOut:
        return cls(
            id=e.id, community_id=e.community_id, title=e.title, starts_at=e.starts_at,
            next_start=e.next_start(now) if e.status != "cancelled" else None, tz=e.tz,
            max_seats=e.max_seats, rrule=e.rrule, status=e.status,  # type: ignore[arg-type]
            going=e.going, waiting=e.waiting, created_at=e.created_at, updated_at=e.updated_at,
        )  # fmt: skip


Title = Annotated[str, StringConstraints(max_length=400)]  # cleaned, then at most TITLE_MAX
Zone = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Seats = Annotated[int, Field(ge=1, le=1_000_000)]
ChatId = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Creator(BaseModel):
    """Who made it (the portal sends its signed-in user)."""

    platform: Annotated[str, StringConstraints(max_length=16)]
    user_id: Annotated[str, StringConstraints(max_length=120)]
    username: Annotated[str, StringConstraints(max_length=100)]


class EventIn(BaseModel):
    """`POST …/events`, the portal's `!event create`: a `starts_at` without an offset is wall-clock
    time in `tz` (default: the community's zone). Reminders post to `platform/server_id/
    channel_id`; without them, where the community's latest event posts."""

    model_config = ConfigDict(extra="forbid")
    title: Title
    starts_at: datetime
    tz: Zone | None = None
    max_seats: Seats | None = None
    rrule: Literal["FREQ=WEEKLY"] | None = None
    needs_approval: bool = False
    platform: Literal["twitch", "discord", "slack"] | None = None
    server_id: ChatId | None = None
    channel_id: ChatId | None = None
    created_by: Creator | None = None

    @model_validator(mode="after")
    def _whole_chat(self) -> EventIn:
        given = [v is not None for v in (self.platform, self.server_id, self.channel_id)]
        if any(given) and not all(given):
            raise ValueError("platform, server_id and channel_id go together")
        return self


class EventPatch(BaseModel):
    """`PATCH …/events/<id>`: what is sent changes; `max_seats: null` is no limit, `rrule: null`
    once. Fewer seats than are taken is a 409 `seats_taken`; more seats promote the waitlist."""

    model_config = ConfigDict(extra="forbid")
    title: Title | None = None
    starts_at: datetime | None = None
    tz: Zone | None = None
    max_seats: Seats | None = None
    rrule: Literal["FREQ=WEEKLY"] | None = None


class EventQuery(BaseModel):
    """`GET …/events?limit=&cursor=&q=&sort=&status=`."""

    limit: int = Field(default=20, ge=1, le=100)
    cursor: Cursor | None = None
    q: Annotated[str, StringConstraints(max_length=200)] | None = None
    sort: Literal["starts_at", "-starts_at", "created_at", "-created_at", "title"] = "starts_at"
    status: Literal["scheduled", "pending", "cancelled"] | None = None


class EventPage(BaseModel):
    items: list[EventOut]
    next_cursor: str | None = None


class RsvpOut(BaseModel):
    id: int
    user: str
    username: str
    state: Literal["going", "waitlist"]

    @classmethod
    def of(cls, r: Rsvp) -> RsvpOut:
        return cls(id=r.id, user=r.user_key, username=r.username, state=r.state)  # type: ignore[arg-type]


class RsvpQuery(BaseModel):
    limit: int = Field(default=50, ge=1, le=100)
    cursor: Cursor | None = None
    q: Annotated[str, StringConstraints(max_length=100)] | None = None
    sort: Literal["joined"] = "joined"


class RsvpPage(BaseModel):
    items: list[RsvpOut]
    next_cursor: str | None = None


class FeedOut(BaseModel):
    """The community's iCalendar feed address (keep it private: anyone with it can read the feed)."""

    url: str
