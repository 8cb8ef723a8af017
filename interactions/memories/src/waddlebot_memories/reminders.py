"""`!remind`: reminders on the shared durable scheduler, posted back into their chat.

    !remind me in 10m <text>              in 90s, 10m, 2h, 1h30m, 1d (at most 365 days)
    !remind @user at 18:00 <text>         the next 18:00 in the community's time zone
    !remind me every day at 09:00 <text>  every day | weekday | monday … sunday (an RRULE)
    !remind list                          the caller's reminders (set by or for them)
    !remind cancel <id>                   by whoever set it, or a moderator

A reminder stores the platform, server, channel and user of the event that set it
(§12); one from `web` is refused (no chat to post to). Its job in `scheduled_jobs`
(flask_core.scheduler, kind `reminder`) fires it through the router's
`POST /router/api/v1/messages` with message id `memories:reminder:<id>:<occurrence>`,
so a replica that fires an occurrence again (a lost lease) never posts it twice.
The reminder row and its job are written in one unit of work, so a retried
`!remind me …` (the same invocation) adds once (flask_core.invocations).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from quart import Quart

from flask_core import scheduler
from flask_core.app import resources
from flask_core.events import CommandRequest, Role, highest_role, role_at_least
from flask_core.logging import get_logger
from flask_core.message_limits import fit
from flask_core.module import Responses
from flask_core.outbound import post_message
from flask_core.resources import Resources
from flask_core.scheduler import Job, Scheduler, next_occurrence, zone
from flask_core.supervise import supervise

from .commands import answer, community_of, parse_number
from .service import clean
from .settings import MemoriesSettings

log = get_logger(__name__)
KIND = "reminder"
PREFIX = "memories"
TEXT_MAX_LENGTH = 300
MAX_ACTIVE_PER_USER = 20
MAX_DELAY = timedelta(days=365)
LIST_SHOWN = 5
MODERATOR: Role = "moderator"
USAGES = {
    "remind": "!remind me|@user in 10m|at 18:00|every day at 09:00 <text>",
    "remind list": "!remind list",
    "remind cancel": "!remind cancel <id>",
}
ROLES: dict[str, Role] = {}
NO_CHAT = "Reminders need a chat to post to: set them from Twitch, Discord or Slack."

_DURATION = re.compile(
    r"(?:([0-9]{1,3})d)?(?:([0-9]{1,4})h)?(?:([0-9]{1,6})m(?:in)?)?(?:([0-9]{1,7})s)?", re.ASCII
)
_CLOCK = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])", re.ASCII)
_USER = re.compile(r"@?([A-Za-z0-9_][A-Za-z0-9_.-]{0,99})", re.ASCII)
_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600,
          "d": 86400, "day": 86400}  # fmt: skip
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_RULES = {
    "day": "FREQ=DAILY",
    "weekday": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
    **{day: f"FREQ=WEEKLY;BYDAY={day[:2].upper()}" for day in DAYS},
}

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class When:
    """When a reminder fires: the first occurrence, and an RRULE when it recurs."""

    first: datetime  # aware UTC
    rrule: str | None = None
    recurrence: str = ""


@dataclass(frozen=True, slots=True)
class Reminder:
    id: int
    community_id: int
    target: str
    text: str
    recurrence: str
    next_at: datetime | None
    set_by_username: str
    set_by_user_id: str
    platform: str
    server_id: str
    channel_id: str


class ParseError(ValueError):
    """What to tell the caller about arguments that do not say when."""


# --- parsing --------------------------------------------------------------------------------


def parse_duration(words: list[str]) -> tuple[timedelta, int] | None:
    """`10m`, `1h30m`, `90s` or `10 minutes` → (delay, words used); None when not a duration."""
    if not words:
        return None
    match = _DURATION.fullmatch(words[0].lower())
    if match and any(match.groups()):
        days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
        return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds), 1
    if len(words) >= 2 and words[0].isascii() and words[0].isdigit():
        unit = words[1].lower().rstrip("s") or "s"
        if unit in _UNITS:
            return timedelta(seconds=int(words[0]) * _UNITS[unit]), 2
    return None


def parse_clock(word: str) -> time | None:
    match = _CLOCK.fullmatch(word)
    return time(int(match.group(1)), int(match.group(2))) if match else None


def next_wall_time(at: time, tz: str, now: datetime) -> datetime:
    """The next `at` o'clock in `tz` after `now`, as aware UTC."""
    local_now = now.astimezone(zone(tz))
    candidate = datetime.combine(local_now.date(), at, tzinfo=zone(tz))
    if candidate <= local_now:
        candidate = datetime.combine(local_now.date() + timedelta(days=1), at, tzinfo=zone(tz))
    return candidate.astimezone(UTC)


def parse_when(words: list[str], tz: str, now: datetime) -> tuple[When, list[str]]:
    """`in 10m …`, `at 18:00 …` or `every day at 09:00 …` → (When, the remaining words)."""
    if not words:
        raise ParseError("when?")
    keyword, rest = words[0].lower(), words[1:]
    if keyword == "in":
        duration = parse_duration(rest)
        if duration is None or duration[0] <= timedelta(0):
            raise ParseError("Say how long, e.g. in 10m, in 2h or in 1h30m.")
        if duration[0] > MAX_DELAY:
            raise ParseError("Reminders can be at most 365 days ahead.")
        return When((now + duration[0]).replace(microsecond=0)), rest[duration[1] :]
    if keyword == "at":
        at = parse_clock(rest[0]) if rest else None
        if at is None:
            raise ParseError("Say the time as HH:MM (24 hours), e.g. at 18:00.")
        return When(next_wall_time(at, tz, now)), rest[1:]
    if keyword == "every":
        what = rest[0].lower() if rest else ""
        at = parse_clock(rest[2]) if len(rest) >= 3 and rest[1].lower() == "at" else None
        if what not in _RULES or at is None:
            raise ParseError("Say e.g. every day at 09:00, every weekday at 09:00 or every monday at 18:00.")
        rule = _RULES[what]
        anchor = datetime.combine(now.astimezone(zone(tz)).date(), at)  # today, local wall time
        first = next_occurrence(rule, tz, anchor, now - timedelta(seconds=1))
        assert first is not None  # these rules never end
        return When(first, rule, f"every {what} at {at:%H:%M}"), rest[3:]
    raise ParseError("when?")


def describe(when: datetime, tz: str, now: datetime) -> str:
    """`18:00 UTC (in 10 minutes)`, or with the date when it is not today."""
    local, local_now = when.astimezone(zone(tz)), now.astimezone(zone(tz))
    label = f"{local:%H:%M}" if local.date() == local_now.date() else f"{local:%Y-%m-%d %H:%M}"
    seconds = max(0, round((when - now).total_seconds()))
    if seconds < 120:
        ahead = f"{seconds} seconds"
    elif seconds < 7200:
        ahead = f"{round(seconds / 60)} minutes"
    elif seconds < 2 * 86400:
        ahead = f"{round(seconds / 3600)} hours"
    else:
        ahead = f"{round(seconds / 86400)} days"
    return f"{label} {tz} (in {ahead})"


# --- storage (sync units of work) -------------------------------------------------------------


def _naive(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(tzinfo=None, microsecond=0)


def _live(db: Any, community_id: int) -> Any:
    r, j = db.reminders, db.scheduled_jobs
    return (
        (r.community_id == community_id)
        & (r.cancelled_at == None)  # noqa: E711
        & (r.job_id == j.id)
        & (j.state == scheduler.SCHEDULED)
    )


def _to_reminder(row: Any) -> Reminder:
    r, j = row.reminders, row.scheduled_jobs
    return Reminder(
        id=r.id,
        community_id=r.community_id,
        target=r.target,
        text=r.text,
        recurrence=r.recurrence or "",
        next_at=j.next_run_at.replace(tzinfo=UTC) if j.next_run_at else None,
        set_by_username=r.set_by_username or "",
        set_by_user_id=r.set_by_user_id or "",
        platform=r.platform,
        server_id=r.server_id,
        channel_id=r.channel_id,
    )


def _active_count(db: Any, community_id: int, user_id: str) -> int:
    count: int = db(_live(db, community_id) & (db.reminders.set_by_user_id == user_id)).count()
    return count


def _insert(
    db: Any, request: CommandRequest, community_id: int, target: str, text: str, when: When, tz: str
) -> int:
    event = request.event
    now = _naive(datetime.now(UTC))
    reminder_id: int = db.reminders.insert(
        community_id=community_id,
        job_id=0,
        platform=event.platform,
        server_id=event.server_id,
        channel_id=event.channel_id,
        set_by_user_id=event.user.platform_user_id,
        set_by_username=event.user.username,
        target=target,
        text=text,
        recurrence=when.recurrence or None,
        created_at=now,
    )
    job_id = scheduler.add_job(db, KIND, when.first, {"reminder_id": reminder_id}, rrule=when.rrule, tz=tz)
    db(db.reminders.id == reminder_id).update(job_id=job_id)
    return reminder_id


def _mine(db: Any, community_id: int, user_id: str, username: str) -> tuple[list[Reminder], int]:
    r = db.reminders
    query = _live(db, community_id) & ((r.set_by_user_id == user_id) | (r.target == username))
    total: int = db(query).count()
    rows = db(query).select(orderby=db.scheduled_jobs.next_run_at, limitby=(0, LIST_SHOWN))
    return [_to_reminder(row) for row in rows], total


def _get(db: Any, reminder_id: int, community_id: int | None = None) -> Reminder | None:
    r, j = db.reminders, db.scheduled_jobs
    query = (r.id == reminder_id) & (r.job_id == j.id)
    if community_id is not None:
        query &= _live(db, community_id)
    row = db(query).select().first()
    return None if row is None else _to_reminder(row)


def _cancel(db: Any, reminder_id: int) -> bool:
    row = db(db.reminders.id == reminder_id).select().first()
    if row is None or row.cancelled_at is not None:
        return False
    row.update_record(cancelled_at=_naive(datetime.now(UTC)))
    scheduler.cancel_job(db, row.job_id)
    return True


# --- commands ----------------------------------------------------------------------------------


def _tz(res: Resources) -> str:
    settings = res.settings
    return settings.memories_timezone if isinstance(settings, MemoriesSettings) else "UTC"


def may_cancel_any(request: CommandRequest) -> bool:
    return role_at_least(highest_role(request.event.user.roles), MODERATOR)


async def remind(res: Resources, request: CommandRequest) -> Responses:
    """`!remind me|@user in …|at …|every … <text>`."""
    community_id = community_of(request)
    if request.event.platform == "web":
        return answer(request, NO_CHAT)
    words = request.args_text.split()
    user = request.event.user
    if not words:
        return answer(request, "Usage: " + USAGES["remind"])
    who = words[0]
    if who.lower() == "me":
        target = user.username
    elif (match := _USER.fullmatch(who)) is not None and who.startswith("@"):
        target = match.group(1)
    else:
        return answer(request, "Usage: " + USAGES["remind"])
    tz = _tz(res)
    now = datetime.now(UTC)
    try:
        when, rest = parse_when(words[1:], tz, now)
    except ParseError as exc:
        message = str(exc) if str(exc) != "when?" else "Usage: " + USAGES["remind"]
        return answer(request, message)
    text = clean(" ".join(rest))
    if not text:
        return answer(request, "What should I remind you of? " + "Usage: " + USAGES["remind"])
    if len(text) > TEXT_MAX_LENGTH:
        return answer(request, f"That reminder is too long ({TEXT_MAX_LENGTH} characters at most).")
    if await res.db.read(_active_count, community_id, user.platform_user_id) >= MAX_ACTIVE_PER_USER:
        return answer(request, f"You have {MAX_ACTIVE_PER_USER} reminders already; cancel one first.")
    reminder_id = await res.db.run(_insert, request, community_id, target, text, when, tz)
    log.info(
        "reminder.created", community_id=community_id, reminder_id=reminder_id, recurring=bool(when.rrule)
    )
    whom = "you" if target == user.username else f"@{target}"
    if when.rrule:
        return answer(
            request,
            f"Reminder #{reminder_id} set: I'll remind {whom} {when.recurrence} ({tz}), "
            f"first {describe(when.first, tz, now)}.",
        )
    return answer(
        request, f"Reminder #{reminder_id} set: I'll remind {whom} at {describe(when.first, tz, now)}."
    )


async def list_reminders(res: Resources, request: CommandRequest) -> Responses:
    """`!remind list`: the caller's next reminders, soonest first."""
    community_id = community_of(request)
    user = request.event.user
    found, total = await res.db.read(_mine, community_id, user.platform_user_id, user.username)
    if not found:
        return answer(request, "You have no reminders. Set one with !remind me in 10m <text>.")
    tz, now = _tz(res), datetime.now(UTC)
    parts = []
    for reminder in found:
        when = reminder.recurrence or (describe(reminder.next_at, tz, now) if reminder.next_at else "")
        whom = "" if reminder.target == user.username else f" (for @{reminder.target})"
        parts.append(f"#{reminder.id} {when}{whom}: {reminder.text}")
    more = f" (+{total - len(found)} more)" if total > len(found) else ""
    return answer(request, "Reminders: " + " | ".join(parts) + more)


async def cancel(res: Resources, request: CommandRequest) -> Responses:
    """`!remind cancel <id>`: by whoever set it, or a moderator."""
    community_id = community_of(request)
    reminder_id = parse_number(request.args[0]) if len(request.args) == 1 else None
    if reminder_id is None:
        return answer(request, "Usage: " + USAGES["remind cancel"])
    reminder = await res.db.read(_get, reminder_id, community_id)
    if reminder is None:
        return answer(request, f"No reminder #{reminder_id}.")
    if reminder.set_by_user_id != request.event.user.platform_user_id and not may_cancel_any(request):
        return answer(request, f"Only whoever set reminder #{reminder_id} or a moderator can cancel it.")
    if not await res.db.run(_cancel, reminder_id):
        return answer(request, f"No reminder #{reminder_id}.")
    log.info("reminder.cancelled", community_id=community_id, reminder_id=reminder_id)
    return answer(request, f"Reminder #{reminder_id} cancelled.")


# --- firing ------------------------------------------------------------------------------------


def reminder_text(reminder: Reminder) -> str:
    """`@amy, reminder: stretch` (+ `(from @bob)` when someone else set it), fitted."""
    source = "" if reminder.set_by_username == reminder.target else f" (from @{reminder.set_by_username})"
    return fit(f"@{reminder.target}, reminder: {reminder.text}{source}", reminder.platform)


async def fire(res: Resources, job: Job) -> None:
    """Post one occurrence into the reminder's chat; raise to have the scheduler retry it."""
    reminder = await res.db.read(_get, int(job.payload.get("reminder_id", 0)))
    if reminder is None:
        log.warning("reminder.missing", job_id=job.id)
        return
    message_id = job.message_id(PREFIX, reminder.id)
    outcome = await post_message(
        res,
        PREFIX,
        message_id=message_id,
        community_id=reminder.community_id,
        platform=reminder.platform,
        server_id=reminder.server_id,
        channel_id=reminder.channel_id,
        responses=[{"type": "chat", "text": reminder_text(reminder)}],
    )
    if outcome is None:
        # Refused for good (a bad request): retrying cannot help, so the occurrence is done.
        log.warning("reminder.refused", reminder_id=reminder.id)
        return
    log.info("reminder.fired", reminder_id=reminder.id, message_id=message_id, outcome=outcome)


def install(app: Quart, settings: MemoriesSettings) -> None:
    """Run the reminders' scheduler under supervision while the app serves."""

    async def body() -> None:
        res = resources(app)

        async def handler(job: Job) -> None:
            await fire(res, job)

        runner = Scheduler(res.db, {KIND: handler}, interval=settings.memories_scheduler_interval)
        app.extensions["memories.scheduler"] = runner
        await runner.run()

    supervise(app, "scheduler", body)
