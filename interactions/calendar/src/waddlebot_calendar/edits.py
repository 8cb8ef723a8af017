"""Changing and deleting events (the portal's PATCH and DELETE; decision 0076).

- A change of start, zone or repetition moves the reminder: the old job is cancelled and
  a new one added in the same unit of work (a pending event gets its job when approved).
- Seats: more seats (or no limit) hand the new seats to the waitlist in order, each with
  a `calendar_promotion` notice, as a leave does; fewer seats than are taken is refused
  (`SeatsTaken`, a 409): nobody who was told "you're going" loses the seat silently.
- Delete removes the event, its RSVPs and its reminder; a promotion notice still queued
  finds no event and posts nothing. (`:cancel` keeps the event, marked cancelled in the feed.)

Every write runs serialised per event, like join and leave, so seats never pass the limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask_core import AsyncDAL, get_logger, scheduler
from flask_core.database import serialize_on

from .models import CANCELLED, GOING, SCHEDULED, WAITLIST
from .service import PROMOTION_KIND, Event, Refused, _add_reminder, _counts, _event, _naive, _now, _row

log = get_logger(__name__)
#: Fields a change may carry; `max_seats` and `rrule` may be None (no limit, once).
FIELDS = ("title", "starts_at", "tz", "max_seats", "rrule")


class Gone(LookupError):
    """No such event in this community."""


class SeatsTaken(Refused):
    def __init__(self, going: int, wanted: int) -> None:
        super().__init__(f"{going} people are going: the event needs at least {going} seats.")
        self.going, self.wanted = going, wanted


def _promote(d: Any, event_id: int, seats: int | None) -> int:
    """Give free seats to the waitlist in order (each told through a promotion job)."""
    r = d.calendar_rsvps
    going, _ = _counts(d, event_id)
    free = None if seats is None else max(seats - going, 0)
    if free == 0:
        return 0
    limit = (0, free) if free is not None else None
    waiting = d((r.event_id == event_id) & (r.state == WAITLIST)).select(orderby=r.id, limitby=limit)
    for row in waiting:
        row.update_record(state=GOING)
        scheduler.add_job(d, PROMOTION_KIND, datetime.now(UTC), {"event_id": event_id, "rsvp_id": row.id})
    return len(waiting)


async def update(
    db: AsyncDAL, community_id: int, event_id: int, changes: Mapping[str, Any], reminder_minutes: float
) -> Event:
    """Apply `changes` (already checked: a clean title, an aware future start, a known zone)."""

    def unit(d: Any) -> Event:
        serialize_on(d, "calendar", event_id)
        row = _row(d, community_id, event_id)
        if row is None:
            raise Gone(event_id)
        if row.status == CANCELLED:
            raise Refused(f"Event #{event_id} ({row.title}) was cancelled.")
        values: dict[str, Any] = {k: v for k, v in changes.items() if k in FIELDS}
        if "starts_at" in values:
            values["starts_at"] = _naive(values["starts_at"])
        if "max_seats" in values and values["max_seats"] is not None:
            going, _ = _counts(d, event_id)
            if values["max_seats"] < going:
                raise SeatsTaken(going, int(values["max_seats"]))
        moved = any(values.get(k, row[k]) != row[k] for k in ("starts_at", "tz", "rrule"))
        row.update_record(**values, sequence=(row.sequence or 0) + 1, updated_at=_now())
        row = d.calendar_events[event_id]
        promoted = _promote(d, event_id, row.max_seats) if "max_seats" in values else 0
        if moved and row.status == SCHEDULED:
            if row.reminder_job_id:
                scheduler.cancel_job(d, row.reminder_job_id)
            row.update_record(reminder_job_id=_add_reminder(d, row, reminder_minutes))
        log.info("calendar.updated", community_id=community_id, event_id=event_id, moved=moved,
                 promoted=promoted)  # fmt: skip
        return _event(d, d.calendar_events[event_id])

    event: Event = await db.run(unit)
    return event


async def delete(db: AsyncDAL, community_id: int, event_id: int) -> None:
    """Remove the event, its RSVPs and its reminder (Gone when it is not this community's)."""

    def unit(d: Any) -> None:
        serialize_on(d, "calendar", event_id)
        row = _row(d, community_id, event_id)
        if row is None:
            raise Gone(event_id)
        if row.reminder_job_id:
            scheduler.cancel_job(d, row.reminder_job_id)
        d(d.calendar_rsvps.event_id == event_id).delete()
        row.delete_record()

    await db.run(unit)
    log.info("calendar.deleted", community_id=community_id, event_id=event_id)


async def last_place(db: AsyncDAL, community_id: int) -> tuple[str, str, str] | None:
    """Where the community's latest event posts its reminders (platform, server, channel)."""

    def select(d: Any) -> Any:
        e = d.calendar_events
        return d(e.community_id == community_id).select(orderby=~e.id, limitby=(0, 1)).first()

    row = await db.read(select)
    return None if row is None else (str(row.platform), str(row.server_id), str(row.channel_id))
