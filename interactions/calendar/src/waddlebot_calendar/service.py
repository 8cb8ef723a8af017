"""Calendar domain logic: events, seats with a waitlist, approval, cancellation, feed tokens.

Seats: a join and a leave each run in one unit of work serialised per event (an advisory
lock on PostgreSQL; SQLite has one writer), so the seats taken never pass `max_seats`.
When someone going leaves, the first on the waitlist gets the seat in the same unit, and
a `calendar_promotion` job is added there too: the scheduler then tells them in chat
through the router (at least once, posted once per message id).

Reminders: a scheduled event has a `calendar_reminder` job at its start minus
`CALENDAR_REMINDER_MINUTES`; a weekly event's job recurs weekly on wall-clock time in the
event's zone (flask_core.scheduler). Cancelling cancels the job; an event that needs
approval gets its job when approved.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_core import AsyncDAL, get_logger, scheduler
from flask_core.database import is_integrity_error, serialize_on

from .models import CANCELLED, GOING, PENDING, SCHEDULED, TITLE_MAX, WAITLIST

log = get_logger(__name__)
REMINDER_KIND = "calendar_reminder"
PROMOTION_KIND = "calendar_promotion"
WEEKLY = "FREQ=WEEKLY"


class Refused(ValueError):
    """A change that cannot be made; the message is what chat shows."""


@dataclass(frozen=True, slots=True)
class Where:
    platform: str
    server_id: str
    channel_id: str


@dataclass(frozen=True, slots=True)
class Draft:
    title: str
    starts_at: datetime  # aware UTC
    tz: str
    max_seats: int | None
    rrule: str | None
    needs_approval: bool


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    community_id: int
    title: str
    starts_at: datetime  # aware UTC, the first start
    tz: str
    max_seats: int | None
    rrule: str | None
    status: str
    going: int
    waiting: int
    sequence: int
    platform: str
    server_id: str
    channel_id: str
    created_at: datetime
    updated_at: datetime

    def next_start(self, now: datetime) -> datetime | None:
        """The next start at or after `now` (a weekly event's next occurrence)."""
        if self.starts_at >= now:
            return self.starts_at
        if not self.rrule:
            return None
        anchor = self.starts_at.astimezone(scheduler.zone(self.tz)).replace(tzinfo=None)
        return scheduler.next_occurrence(self.rrule, self.tz, anchor, now - timedelta(seconds=1))


@dataclass(frozen=True, slots=True)
class Rsvp:
    id: int
    event_id: int
    user_key: str
    username: str
    state: str


@dataclass(frozen=True, slots=True)
class Joined:
    event: Event
    state: str  # going | waitlist | already-going | already-waitlist
    position: int  # on the waitlist (1 = next)


@dataclass(frozen=True, slots=True)
class Left:
    event: Event
    was: str
    promoted: Rsvp | None


def clean_title(title: str) -> str:
    kept = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in title)
    value = " ".join(kept.split())
    if not value:
        raise Refused("An event needs a title.")
    if len(value) > TITLE_MAX:
        raise Refused(f"Event titles are at most {TITLE_MAX} characters.")
    return value


def check_start(starts: datetime, now: datetime) -> datetime:
    """An event's first start (aware): in the future and at most three years ahead."""
    if starts <= now:
        raise Refused("That time has passed.")
    if (starts - now).days > 3 * 366:
        raise Refused("Events can be at most three years ahead.")
    return starts


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _naive(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(tzinfo=None, microsecond=0)


def _aware(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC)


def _counts(d: Any, event_id: int) -> tuple[int, int]:
    r = d.calendar_rsvps
    going = d((r.event_id == event_id) & (r.state == GOING)).count()
    waiting = d((r.event_id == event_id) & (r.state == WAITLIST)).count()
    return int(going), int(waiting)


def _event(d: Any, row: Any) -> Event:
    going, waiting = _counts(d, row.id)
    return Event(
        id=int(row.id), community_id=int(row.community_id), title=str(row.title),
        starts_at=_aware(row.starts_at), tz=str(row.tz), max_seats=row.max_seats, rrule=row.rrule or None,
        status=str(row.status), going=going, waiting=waiting, sequence=int(row.sequence or 0),
        platform=str(row.platform), server_id=str(row.server_id), channel_id=str(row.channel_id),
        created_at=_aware(row.created_at), updated_at=_aware(row.updated_at),
    )  # fmt: skip


def _row(d: Any, community_id: int | None, event_id: int) -> Any:
    e = d.calendar_events
    query = e.id == event_id
    if community_id is not None:
        query &= e.community_id == community_id
    return d(query).select().first()


def _add_reminder(d: Any, row: Any, minutes: float) -> int:
    """The event's reminder job: start - minutes, weekly on wall-clock time when it recurs."""
    start = _aware(row.starts_at)
    first = start - timedelta(minutes=minutes)
    now = datetime.now(UTC)
    if row.rrule:
        # On wall-clock time in the event's zone, so it stays 15 minutes before across DST;
        # approved after the first reminder's time: from the next occurrence on.
        local = start.astimezone(scheduler.zone(row.tz)).replace(tzinfo=None) - timedelta(minutes=minutes)
        run_at = scheduler.next_occurrence(row.rrule, row.tz, local, now - timedelta(seconds=1)) or first
        return scheduler.add_job(d, REMINDER_KIND, run_at, {"event_id": row.id}, rrule=row.rrule, tz=row.tz)
    return scheduler.add_job(d, REMINDER_KIND, max(first, now), {"event_id": row.id})


async def create(
    db: AsyncDAL,
    community_id: int,
    draft: Draft,
    where: Where,
    by: str,
    by_name: str,
    reminder_minutes: float,
) -> Event:
    def unit(d: Any) -> Event:
        now = _now()
        event_id = d.calendar_events.insert(
            community_id=community_id, title=draft.title, starts_at=_naive(draft.starts_at), tz=draft.tz,
            max_seats=draft.max_seats, rrule=draft.rrule,
            status=PENDING if draft.needs_approval else SCHEDULED,
            platform=where.platform, server_id=where.server_id, channel_id=where.channel_id,
            created_by=by, created_by_name=by_name, reminder_job_id=None, sequence=0, created_at=now,
            updated_at=now,
        )  # fmt: skip
        row = d.calendar_events[event_id]
        if not draft.needs_approval:
            row.update_record(reminder_job_id=_add_reminder(d, row, reminder_minutes))
        return _event(d, d.calendar_events[event_id])

    event: Event = await db.run(unit)
    log.info("calendar.created", community_id=community_id, event_id=event.id, status=event.status)
    return event


async def get(db: AsyncDAL, community_id: int | None, event_id: int) -> Event | None:
    def select(d: Any) -> Event | None:
        row = _row(d, community_id, event_id)
        return None if row is None else _event(d, row)

    found: Event | None = await db.read(select)
    return found


_SORTS = {"starts_at": ("starts_at", False), "-starts_at": ("starts_at", True),
          "created_at": ("id", False), "-created_at": ("id", True), "title": ("title", False)}  # fmt: skip


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def events(
    db: AsyncDAL, community_id: int, *, q: str = "", sort: str = "starts_at", offset: int = 0,
    limit: int = 20, upcoming_after: datetime | None = None, include_cancelled: bool = True,
    statuses: tuple[str, ...] | None = None,
) -> tuple[list[Event], bool]:  # fmt: skip
    """A page of events; `upcoming_after`: only those with a start after it (or recurring)."""
    column, descending = _SORTS[sort]

    def select(d: Any) -> tuple[list[Event], bool]:
        e = d.calendar_events
        query = e.community_id == community_id
        if q:
            query &= e.title.lower().like(f"%{_escape(q.lower())}%", escape="\\")
        if upcoming_after is not None:
            query &= (e.starts_at >= _naive(upcoming_after)) | (e.rrule != None)  # noqa: E711
        if not include_cancelled:
            query &= e.status != CANCELLED
        if statuses is not None:
            query &= e.status.belongs(statuses)
        order = ~e[column] if descending else e[column]
        rows = d(query).select(orderby=order | e.id, limitby=(offset, offset + limit + 1))
        return [_event(d, r) for r in rows[:limit]], len(rows) > limit

    found: tuple[list[Event], bool] = await db.read(select)
    return found


async def attendees(db: AsyncDAL, event_id: int, state: str = GOING, limit: int = 50) -> list[Rsvp]:
    def select(d: Any) -> list[Rsvp]:
        r = d.calendar_rsvps
        rows = d((r.event_id == event_id) & (r.state == state)).select(orderby=r.id, limitby=(0, limit))
        return [
            Rsvp(int(x.id), int(x.event_id), str(x.user_key), str(x.username), str(x.state)) for x in rows
        ]

    found: list[Rsvp] = await db.read(select)
    return found


def _open_row(d: Any, community_id: int, event_id: int) -> Any:
    row = _row(d, community_id, event_id)
    if row is None:
        raise Refused(f"No event #{event_id}.")
    if row.status == CANCELLED:
        raise Refused(f"Event #{event_id} ({row.title}) was cancelled.")
    if row.status == PENDING:
        raise Refused(f"Event #{event_id} ({row.title}) is waiting for a moderator's approval.")
    return row


async def join(db: AsyncDAL, community_id: int, event_id: int, user_key: str, username: str) -> Joined:
    """Take a seat, or a place on the waitlist when the event is full."""

    def unit(d: Any) -> Joined:
        serialize_on(d, "calendar", event_id)
        row = _open_row(d, community_id, event_id)
        r = d.calendar_rsvps
        mine = d((r.event_id == event_id) & (r.user_key == user_key)).select().first()
        if mine is not None:
            position = d((r.event_id == event_id) & (r.state == WAITLIST) & (r.id <= mine.id)).count()
            return Joined(_event(d, row), f"already-{mine.state}", int(position))
        going, waiting = _counts(d, event_id)
        state = WAITLIST if row.max_seats is not None and going >= row.max_seats else GOING
        r.insert(
            community_id=community_id, event_id=event_id, user_key=user_key, username=username, state=state,
            created_at=_now(),
        )  # fmt: skip
        return Joined(_event(d, row), state, waiting + 1 if state == WAITLIST else 0)

    joined: Joined = await db.run(unit)
    return joined


async def leave(db: AsyncDAL, community_id: int, event_id: int, user_key: str) -> Left:
    """Give up a seat (the first on the waitlist gets it and is told) or a waitlist place."""

    def unit(d: Any) -> Left:
        serialize_on(d, "calendar", event_id)
        row = _row(d, community_id, event_id)
        if row is None:
            raise Refused(f"No event #{event_id}.")
        r = d.calendar_rsvps
        mine = d((r.event_id == event_id) & (r.user_key == user_key)).select().first()
        if mine is None:
            raise Refused(f"You are not going to event #{event_id}.")
        mine.delete_record()
        promoted = None
        if mine.state == GOING and row.status != CANCELLED:
            first = (
                d((r.event_id == event_id) & (r.state == WAITLIST))
                .select(orderby=r.id, limitby=(0, 1))
                .first()
            )
            if first is not None:
                first.update_record(state=GOING)
                promoted = Rsvp(int(first.id), event_id, str(first.user_key), str(first.username), GOING)
                scheduler.add_job(
                    d, PROMOTION_KIND, datetime.now(UTC), {"event_id": event_id, "rsvp_id": first.id}
                )
        return Left(_event(d, row), str(mine.state), promoted)

    left: Left = await db.run(unit)
    if left.promoted is not None:
        log.info("calendar.promoted", event_id=event_id, rsvp_id=left.promoted.id)
    return left


async def get_rsvp(db: AsyncDAL, rsvp_id: int) -> Rsvp | None:
    def select(d: Any) -> Any:
        return d.calendar_rsvps[rsvp_id]

    x = await db.read(select)
    return (
        None
        if x is None
        else Rsvp(int(x.id), int(x.event_id), str(x.user_key), str(x.username), str(x.state))
    )


async def cancel(db: AsyncDAL, community_id: int, event_id: int) -> Event:
    def unit(d: Any) -> Event:
        row = _row(d, community_id, event_id)
        if row is None:
            raise Refused(f"No event #{event_id}.")
        if row.status == CANCELLED:
            raise Refused(f"Event #{event_id} ({row.title}) is already cancelled.")
        if row.reminder_job_id:
            scheduler.cancel_job(d, row.reminder_job_id)
        row.update_record(status=CANCELLED, sequence=(row.sequence or 0) + 1, updated_at=_now())
        return _event(d, d.calendar_events[event_id])

    event: Event = await db.run(unit)
    log.info("calendar.cancelled", community_id=community_id, event_id=event_id)
    return event


async def approve(db: AsyncDAL, community_id: int, event_id: int, by: str, reminder_minutes: float) -> Event:
    def unit(d: Any) -> Event:
        row = _row(d, community_id, event_id)
        if row is None:
            raise Refused(f"No event #{event_id}.")
        if row.status != PENDING:
            raise Refused(f"Event #{event_id} ({row.title}) does not need approval.")
        row.update_record(
            status=SCHEDULED, approved_by=by, sequence=(row.sequence or 0) + 1, updated_at=_now()
        )
        row = d.calendar_events[event_id]
        row.update_record(reminder_job_id=_add_reminder(d, row, reminder_minutes))
        return _event(d, d.calendar_events[event_id])

    event: Event = await db.run(unit)
    return event


# --- the feed token ---------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def feed_token(db: AsyncDAL, community_id: int, *, rotate: bool = False) -> str:
    """The community's feed token (made on first use); `rotate` replaces it (the old one stops)."""

    def unit(d: Any) -> str:
        f = d.calendar_feeds
        row = d(f.community_id == community_id).select().first()
        if row is not None and not rotate:
            return str(row.token)
        token = secrets.token_urlsafe(32)
        if row is None:
            f.insert(community_id=community_id, token=token, token_hash=_hash(token), created_at=_now())
        else:
            row.update_record(token=token, token_hash=_hash(token), created_at=_now())
        return token

    for attempt in range(2):
        try:
            token: str = await db.run(unit)
            return token
        except Exception as exc:
            if attempt == 1 or not is_integrity_error(exc):
                raise  # a concurrent first use made it: read it again once
    raise AssertionError("unreachable")  # pragma: no cover


async def community_of_token(db: AsyncDAL, token: str) -> int | None:
    """The community whose feed token this is, compared in constant time; None otherwise."""
    if not 20 <= len(token) <= 100:
        return None

    def select(d: Any) -> Any:
        f = d.calendar_feeds
        return d(f.token_hash == _hash(token)).select().first()

    row = await db.read(select)
    if row is None or not hmac.compare_digest(str(row.token).encode(), token.encode()):
        return None
    return int(row.community_id)
