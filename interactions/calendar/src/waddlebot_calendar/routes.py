"""The calendar's HTTP surface.

- `GET /calendar/ical/<token>.ics`: the community's iCalendar feed (no service token: the
  unguessable token is the credential; a wrong one is 404).
- The portal's API (service token): §12 lists and writes that answer the new state; ids
  of another community are 404.
"""

from __future__ import annotations

from datetime import UTC, datetime

from quart import Blueprint, Response
from quart_schema import document_response, hide, validate_querystring, validate_request, validate_response

from flask_core import Conflict, NotFound, ValidationFailed, require_service, scheduler
from flask_core.app import resources
from flask_core.openapi import NoContent, error_responses
from flask_core.pagination import next_cursor, offset_of

from . import edits, service
from .commands import feed_url
from .models import CANCELLED, PENDING, SCHEDULED, WAITLIST
from .schemas import (
    EventIn,
    EventOut,
    EventPage,
    EventPatch,
    EventQuery,
    FeedOut,
    RsvpOut,
    RsvpPage,
    RsvpQuery,
)
from .settings import CalendarSettings
from .timezones import community_timezone

bp = Blueprint("calendar", __name__)

BASE = "/api/v1/communities/<int:community_id>"
EVENT = BASE + "/events/<int:event_id>"
MAX_ID = 2**63 - 1
FEED_EVENTS = 500


def _check(*ids: int) -> None:
    if any(not 0 < i <= MAX_ID for i in ids):
        raise NotFound("not found")


async def _event(community_id: int, event_id: int) -> service.Event:
    _check(community_id, event_id)
    event = await service.get(resources().db, community_id, event_id)
    if event is None:
        raise NotFound("no such event", details={"event_id": event_id})
    return event


@bp.get("/ical/<token>.ics")
@hide  # a calendar file for calendar apps (its token is the credential), not API
async def ical_feed(token: str) -> Response:
    """The community's events as iCalendar (RFC 5545), `text/calendar`."""
    from . import ical  # icalendar (≈ 80 modules) only for a calendar app's fetch, not at start-up

    res = resources()
    community_id = await service.community_of_token(res.db, token)
    if community_id is None:
        raise NotFound("no such feed")
    found, _ = await service.events(
        res.db, community_id, sort="starts_at", limit=FEED_EVENTS, statuses=(SCHEDULED, CANCELLED)
    )
    settings = res.settings
    minutes = settings.calendar_event_minutes if isinstance(settings, CalendarSettings) else 60
    body = ical.feed(
        found, name="WaddleBot events", public_url=settings.public_url or settings.self_url,
        minutes=minutes, now=datetime.now(UTC),
    )  # fmt: skip
    headers = {"Cache-Control": "private, max-age=60", "Content-Disposition": 'inline; filename="events.ics"'}
    return Response(body, status=200, content_type="text/calendar; charset=utf-8", headers=headers)


@bp.get(BASE + "/events")
@require_service
@validate_querystring(EventQuery)
@validate_response(EventPage)
async def list_events(community_id: int, query_args: EventQuery) -> EventPage:
    """The community's events (cancelled and pending included), by start by default."""
    _check(community_id)
    offset = offset_of(query_args.cursor)
    found, more = await service.events(
        resources().db, community_id, q=query_args.q or "", sort=query_args.sort, offset=offset,
        limit=query_args.limit, statuses=(query_args.status,) if query_args.status else None,
    )  # fmt: skip
    now = datetime.now(UTC)
    return EventPage(
        items=[EventOut.of(e, now) for e in found], next_cursor=next_cursor(offset, len(found), more)
    )


def _settings() -> CalendarSettings:
    settings = resources().settings
    return settings if isinstance(settings, CalendarSettings) else CalendarSettings()


def _invalid(field: str, message: str) -> ValidationFailed:
    """A 422 shaped like the schema's own (`details.errors[].loc`), so forms map it to the field."""
    return ValidationFailed(
        message, details={"errors": [{"loc": [field], "msg": message, "type": "value_error"}]}
    )


def _title(text: str) -> str:
    try:
        return service.clean_title(text)
    except service.Refused as exc:
        raise _invalid("title", str(exc)) from exc


def _zone(name: str) -> str:
    try:
        scheduler.zone(name)
    except scheduler.InvalidSchedule as exc:
        raise _invalid(
            "tz", f"Unknown time zone {name[:64]}: use an IANA name such as Europe/Berlin."
        ) from exc
    return name


def _start(when: datetime, tz: str) -> datetime:
    """Wall-clock time in `tz` when it has no offset; in the future, at most three years ahead."""
    aware = when.replace(tzinfo=scheduler.zone(tz)) if when.tzinfo is None else when
    try:
        return service.check_start(aware.astimezone(UTC), datetime.now(UTC))
    except service.Refused as exc:
        raise _invalid("starts_at", str(exc)) from exc


def _seats(value: int | None) -> int | None:
    limit = _settings().calendar_max_seats
    if value is not None and value > limit:
        raise _invalid("max_seats", f"An event has at most {limit} seats.")
    return value


@bp.post(BASE + "/events")
@require_service
@validate_request(EventIn)
@validate_response(EventOut, 201)
@error_responses(422)
async def create_event(community_id: int, data: EventIn) -> tuple[EventOut, int]:
    """`!event create` from the portal: the same checks; answers the event (201)."""
    _check(community_id)
    res = resources()
    tz = _zone(data.tz or community_timezone(res, community_id))
    draft = service.Draft(
        _title(data.title),
        _start(data.starts_at, tz),
        tz,
        _seats(data.max_seats),
        data.rrule,
        data.needs_approval,
    )
    if data.platform and data.server_id and data.channel_id:
        where = service.Where(data.platform, data.server_id, data.channel_id)
    elif (place := await edits.last_place(res.db, community_id)) is not None:
        where = service.Where(*place)
    else:
        raise _invalid("channel_id", "Name the chat the reminders post to (platform, server_id, channel_id).")
    by = data.created_by
    event = await service.create(
        res.db, community_id, draft, where, f"{by.platform}:{by.user_id}" if by else "service:portal",
        by.username if by else "portal", _settings().calendar_reminder_minutes,
    )  # fmt: skip
    return EventOut.of(event, datetime.now(UTC)), 201


@bp.patch(EVENT)
@require_service
@validate_request(EventPatch)
@validate_response(EventOut)
@error_responses(404, 409, 422)
async def update_event(community_id: int, event_id: int, data: EventPatch) -> EventOut:
    """Change title, start, zone, seats or repetition; answers the event. The reminder follows."""
    current = await _event(community_id, event_id)
    sent = data.model_fields_set
    changes: dict[str, object] = {}
    tz = _zone(data.tz) if "tz" in sent and data.tz else current.tz
    if tz != current.tz:
        changes["tz"] = tz
    if "title" in sent and data.title is not None:
        changes["title"] = _title(data.title)
    if "starts_at" in sent and data.starts_at is not None:
        changes["starts_at"] = _start(data.starts_at, tz)
    if "max_seats" in sent:
        changes["max_seats"] = _seats(data.max_seats)
    if "rrule" in sent:
        changes["rrule"] = data.rrule
    try:
        event = await edits.update(
            resources().db, community_id, event_id, changes, _settings().calendar_reminder_minutes
        )
    except edits.Gone:
        raise NotFound("no such event", details={"event_id": event_id}) from None
    except edits.SeatsTaken as exc:
        raise Conflict(
            str(exc), code="seats_taken", details={"going": exc.going, "max_seats": exc.wanted}
        ) from exc
    except service.Refused as exc:
        raise Conflict(str(exc)) from exc
    return EventOut.of(event, datetime.now(UTC))


@bp.delete(EVENT)
@require_service
@document_response(NoContent, 204)
@error_responses(404)
async def delete_event(community_id: int, event_id: int) -> Response:
    """Remove the event, its RSVPs and its reminder (`:cancel` keeps it, marked cancelled)."""
    _check(community_id, event_id)
    try:
        await edits.delete(resources().db, community_id, event_id)
    except edits.Gone:
        raise NotFound("no such event", details={"event_id": event_id}) from None
    return Response("", status=204)


@bp.get(EVENT)
@require_service
@validate_response(EventOut)
async def get_event(community_id: int, event_id: int) -> EventOut:
    return EventOut.of(await _event(community_id, event_id), datetime.now(UTC))


@bp.post(EVENT + ":cancel")
@require_service
@validate_response(EventOut)
async def cancel_event(community_id: int, event_id: int) -> EventOut:
    """Cancel (its reminder too); the feed then marks it STATUS:CANCELLED. Answers the event."""
    await _event(community_id, event_id)
    try:
        event = await service.cancel(resources().db, community_id, event_id)
    except service.Refused:
        event = await _event(community_id, event_id)  # already cancelled: the state is the answer
    return EventOut.of(event, datetime.now(UTC))


@bp.post(EVENT + ":approve")
@require_service
@validate_response(EventOut)
async def approve_event(community_id: int, event_id: int) -> EventOut:
    """Open an event that needs approval (its reminder is scheduled). Answers the event."""
    current = await _event(community_id, event_id)
    if current.status == PENDING:
        settings = resources().settings
        minutes = settings.calendar_reminder_minutes if isinstance(settings, CalendarSettings) else 15.0
        current = await service.approve(resources().db, community_id, event_id, "service:portal", minutes)
    return EventOut.of(current, datetime.now(UTC))


@bp.get(EVENT + "/rsvps")
@require_service
@validate_querystring(RsvpQuery)
@validate_response(RsvpPage)
async def list_rsvps(community_id: int, event_id: int, query_args: RsvpQuery) -> RsvpPage:
    """Who is going, then the waitlist in order."""
    await _event(community_id, event_id)
    offset = offset_of(query_args.cursor)
    everyone = await service.attendees(resources().db, event_id, limit=10_000)
    everyone += await service.attendees(resources().db, event_id, WAITLIST, limit=10_000)
    if query_args.q:
        everyone = [r for r in everyone if query_args.q.casefold() in r.username.casefold()]
    page = everyone[offset : offset + query_args.limit]
    more = len(everyone) > offset + query_args.limit
    return RsvpPage(items=[RsvpOut.of(r) for r in page], next_cursor=next_cursor(offset, len(page), more))


@bp.get(BASE + "/feed")
@require_service
@validate_response(FeedOut)
async def get_feed(community_id: int) -> FeedOut:
    _check(community_id)
    return FeedOut(url=feed_url(resources(), await service.feed_token(resources().db, community_id)))


@bp.post(BASE + "/feed:rotate")
@require_service
@validate_response(FeedOut)
async def rotate_feed(community_id: int) -> FeedOut:
    """A new feed address; the old one answers 404 from now on."""
    _check(community_id)
    token = await service.feed_token(resources().db, community_id, rotate=True)
    return FeedOut(url=feed_url(resources(), token))
