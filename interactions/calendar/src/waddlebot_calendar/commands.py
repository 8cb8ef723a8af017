"""`!event` from chat.

    !event create "<title>" <YYYY-MM-DD HH:MM> [tz] [--max N] [--every weekly] [--approval]
                                moderator; the zone defaults to the community's
    !event list                 everyone: upcoming events
    !event join <id>            everyone: a seat, or the waitlist when full
    !event leave <id>           everyone: the first on the waitlist gets the seat and is told
    !event cancel <id>          moderator
    !event approve <id>         moderator: an event created with --approval becomes open
    !event feed [rotate]        moderator: the iCalendar URL, privately (`dm`)

Titles from chat are values in the answers, never templates.
"""

from __future__ import annotations

import re
import shlex
from datetime import UTC, datetime

from flask_core import CommandRequest, Resources, Responses, ValidationFailed, chat, scheduler
from flask_core.events import Role, highest_role, role_at_least
from flask_core.message_limits import fit

from . import service
from .models import PENDING
from .service import Draft, Event, Refused, Where
from .settings import CalendarSettings
from .timezones import community_timezone

USAGES = {
    "event create": '!event create "<title>" <YYYY-MM-DD HH:MM> [tz] [--max N] [--every weekly] [--approval]',
    "event list": "!event list",
    "event join": "!event join <id>",
    "event leave": "!event leave <id>",
    "event cancel": "!event cancel <id>",
    "event approve": "!event approve <id>",
    "event feed": "!event feed [rotate]",
}
ROLES: dict[str, Role] = {path: "everyone" for path in USAGES}
ROLES.update({"event create": "moderator", "event cancel": "moderator", "event approve": "moderator",
              "event feed": "moderator"})  # fmt: skip
LISTED = 5
_COMMUNITY = re.compile(r"[1-9][0-9]{0,18}", re.ASCII)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])", re.ASCII)
_ID = re.compile(r"#?([1-9][0-9]{0,17})", re.ASCII)
_SEATS = re.compile(r"[1-9][0-9]{0,5}", re.ASCII)


class Usage(ValueError):
    """The arguments do not parse; the message (when any) says why."""


def community_of(request: CommandRequest) -> int:
    if not _COMMUNITY.fullmatch(request.community_id):
        raise ValidationFailed("community_id must be a positive integer", details={"field": "community_id"})
    return int(request.community_id)


def answer(request: CommandRequest, text: str) -> Responses:
    return chat(fit(text, request.event.platform))


def is_moderator(request: CommandRequest) -> bool:
    return role_at_least(highest_role(request.event.user.roles), "moderator")


def user_key(request: CommandRequest) -> str:
    return f"{request.event.platform}:{request.event.user.username.casefold()}"


def settings_of(res: Resources) -> CalendarSettings:
    s = res.settings
    return s if isinstance(s, CalendarSettings) else CalendarSettings()


def when(event: Event, at: datetime) -> str:
    """`2026-12-05 20:00 UTC` in the event's zone."""
    return f"{at.astimezone(scheduler.zone(event.tz)):%Y-%m-%d %H:%M} {event.tz}"


def seats(event: Event) -> str:
    taken = (
        f"{event.going}/{event.max_seats} going" if event.max_seats is not None else f"{event.going} going"
    )
    return taken + (f", {event.waiting} waiting" if event.waiting else "")


def parse_create(text: str, default_tz: str, max_seats: int, now: datetime) -> Draft:
    """The arguments of `!event create` → a Draft (Usage with a reason when they do not parse)."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise Usage("") from exc
    at = next(
        (i for i in range(len(words) - 1) if _DATE.fullmatch(words[i]) and _TIME.fullmatch(words[i + 1])),
        None,
    )
    if at is None or at == 0:
        raise Usage("")
    title = service.clean_title(" ".join(words[:at]))
    rest = words[at + 2 :]
    tz = default_tz
    if rest and not rest[0].startswith("--"):
        tz = rest.pop(0)
    try:
        zone = scheduler.zone(tz)
    except scheduler.InvalidSchedule as exc:
        raise Usage(f"Unknown time zone {tz}: use an IANA name such as Europe/Berlin.") from exc
    limit: int | None = None
    rrule: str | None = None
    approval = False
    while rest:
        flag = rest.pop(0)
        if flag == "--max" and rest and _SEATS.fullmatch(rest[0]) and int(rest[0]) <= max_seats:
            limit = int(rest.pop(0))
        elif flag == "--every" and rest and rest[0].lower() == "weekly":
            rest.pop(0)
            rrule = service.WEEKLY
        elif flag == "--approval":
            approval = True
        elif flag == "--max":
            raise Usage(f"--max takes a number of seats from 1 to {max_seats}.")
        elif flag == "--every":
            raise Usage("Only --every weekly is supported.")
        else:
            raise Usage("")
    try:
        local = datetime.strptime(f"{words[at]} {words[at + 1]}", "%Y-%m-%d %H:%M")
    except ValueError as exc:
        raise Usage("That date does not exist.") from exc
    starts = local.replace(tzinfo=zone).astimezone(UTC)
    try:
        service.check_start(starts, now)
    except Refused as exc:
        raise Usage(str(exc)) from exc
    return Draft(title, starts, tz, limit, rrule, approval)


def _event_id(request: CommandRequest) -> int | None:
    match = _ID.fullmatch(request.args[0]) if len(request.args) == 1 else None
    return int(match.group(1)) if match else None


def _moderators_only(request: CommandRequest, path: str) -> Responses | None:
    return None if is_moderator(request) else answer(request, f"Only moderators can use !{path}.")


async def create(res: Resources, request: CommandRequest) -> Responses:
    community_id = community_of(request)
    if (refused := _moderators_only(request, "event create")) is not None:
        return refused
    if request.event.platform == "web":
        return answer(
            request, "Events post their reminders in chat: create them from Twitch, Discord or Slack."
        )
    settings = settings_of(res)
    now = datetime.now(UTC)
    try:
        draft = parse_create(
            request.args_text, community_timezone(res, community_id), settings.calendar_max_seats, now
        )
    except Usage as exc:
        return answer(request, str(exc) or "Usage: " + USAGES["event create"])
    except Refused as exc:
        return answer(request, str(exc))
    where = Where(request.event.platform, request.event.server_id, request.event.channel_id)
    user = request.event.user
    event = await service.create(
        res.db,
        community_id,
        draft,
        where,
        user_key(request),
        user.username,
        settings.calendar_reminder_minutes,
    )
    details = [f"{event.max_seats} seats" if event.max_seats else "", "every week" if event.rrule else ""]
    extra = f" ({', '.join(d for d in details if d)})" if any(details) else ""
    head = f"Event #{event.id} created: {event.title}, {when(event, event.starts_at)}{extra}."
    if event.status == PENDING:
        return answer(request, f"{head} It needs a moderator's approval: !event approve {event.id}")
    return answer(request, f"{head} Join with !event join {event.id}")


async def list_events(res: Resources, request: CommandRequest) -> Responses:
    community_id = community_of(request)
    now = datetime.now(UTC)
    found, _ = await service.events(
        res.db, community_id, upcoming_after=now, include_cancelled=False, limit=100
    )
    upcoming = sorted(
        ((start, e) for e in found if (start := e.next_start(now)) is not None),
        key=lambda pair: (pair[0], pair[1].id),
    )
    if not upcoming:
        return answer(request, "No upcoming events.")
    parts = []
    for start, event in upcoming[:LISTED]:
        state = " (needs approval)" if event.status == PENDING else f" ({seats(event)})"
        again = ", weekly" if event.rrule else ""
        parts.append(f"#{event.id} {event.title} — {when(event, start)}{again}{state}")
    more = f" (+{len(upcoming) - LISTED} more)" if len(upcoming) > LISTED else ""
    return answer(request, "Events: " + " | ".join(parts) + more)


async def join(res: Resources, request: CommandRequest) -> Responses:
    community_id = community_of(request)
    event_id = _event_id(request)
    if event_id is None:
        return answer(request, "Usage: " + USAGES["event join"])
    try:
        joined = await service.join(
            res.db, community_id, event_id, user_key(request), request.event.user.username
        )
    except Refused as exc:
        return answer(request, str(exc))
    event, name = joined.event, f"{joined.event.title} (#{joined.event.id})"
    if joined.state == "going":
        return answer(request, f"You're going to {name}: {seats(event)}.")
    if joined.state == "waitlist":
        return answer(request, f"{name} is full: you're #{joined.position} on the waitlist.")
    if joined.state == "already-going":
        return answer(request, f"You're already going to {name}.")
    return answer(request, f"You're already #{joined.position} on the waitlist for {name}.")


async def leave(res: Resources, request: CommandRequest) -> Responses:
    community_id = community_of(request)
    event_id = _event_id(request)
    if event_id is None:
        return answer(request, "Usage: " + USAGES["event leave"])
    try:
        left = await service.leave(res.db, community_id, event_id, user_key(request))
    except Refused as exc:
        return answer(request, str(exc))
    name = f"{left.event.title} (#{left.event.id})"
    if left.was == "waitlist":
        return answer(request, f"You left the waitlist for {name}.")
    taker = f" @{left.promoted.username} gets the seat." if left.promoted else ""
    return answer(request, f"You left {name}.{taker}")


async def cancel(res: Resources, request: CommandRequest) -> Responses:
    community_id = community_of(request)
    if (refused := _moderators_only(request, "event cancel")) is not None:
        return refused
    event_id = _event_id(request)
    if event_id is None:
        return answer(request, "Usage: " + USAGES["event cancel"])
    try:
        event = await service.cancel(res.db, community_id, event_id)
    except Refused as exc:
        return answer(request, str(exc))
    return answer(request, f"Event #{event.id} ({event.title}) cancelled.")


async def approve(res: Resources, request: CommandRequest) -> Responses:
    community_id = community_of(request)
    if (refused := _moderators_only(request, "event approve")) is not None:
        return refused
    event_id = _event_id(request)
    if event_id is None:
        return answer(request, "Usage: " + USAGES["event approve"])
    try:
        event = await service.approve(
            res.db, community_id, event_id, user_key(request), settings_of(res).calendar_reminder_minutes
        )
    except Refused as exc:
        return answer(request, str(exc))
    return answer(request, f"Event #{event.id} ({event.title}) approved. Join with !event join {event.id}")


def feed_url(res: Resources, token: str) -> str:
    settings = res.settings
    base = (settings.public_url or settings.self_url).rstrip("/")
    return f"{base}/calendar/ical/{token}.ics"


async def feed(res: Resources, request: CommandRequest) -> Responses:
    """`!event feed [rotate]`: the feed's URL, only to the moderator who asked (`dm`)."""
    community_id = community_of(request)
    if (refused := _moderators_only(request, "event feed")) is not None:
        return refused
    words = [w.lower() for w in request.args]
    if words not in ([], ["rotate"]):
        return answer(request, "Usage: " + USAGES["event feed"])
    rotate = words == ["rotate"]
    token = await service.feed_token(res.db, community_id, rotate=rotate)
    lead = (
        "New calendar feed (the old address no longer works): "
        if rotate
        else "Calendar feed (keep it private): "
    )
    return [{"type": "dm", "text": lead + feed_url(res, token)}]
