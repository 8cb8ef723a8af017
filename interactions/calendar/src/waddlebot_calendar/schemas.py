"""Request and response models of the calendar API (quart-schema + pydantic)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

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
