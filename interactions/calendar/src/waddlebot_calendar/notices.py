"""What the calendar posts in chat on its own, through the router (flask_core.outbound):

- **reminders** (`calendar_reminder` jobs, start minus CALENDAR_REMINDER_MINUTES):
  `Reminder: <title> (#id) starts at 20:00 UTC (in 15 minutes). Going: @amy, @bob`,
  message id `calendar:reminder:<event id>:<occurrence>`;
- **promotions** (`calendar_promotion` jobs, added when a seat is handed to the first on
  the waitlist): `@bob, a seat opened up: you're going to <title> (#id) on …`,
  message id `calendar:promotion:<rsvp id>:<occurrence>`.

Each is posted once per message id, however often a replica fires the job again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from quart import Quart

from flask_core import Resources, get_logger
from flask_core.app import resources
from flask_core.message_limits import fit
from flask_core.outbound import post_message
from flask_core.scheduler import Job, Scheduler
from flask_core.supervise import supervise

from . import service
from .commands import when
from .models import GOING, SCHEDULED
from .service import PROMOTION_KIND, REMINDER_KIND, Event
from .settings import CalendarSettings

log = get_logger(__name__)
PREFIX = "calendar"
MENTIONED = 20


def _minutes(res: Resources) -> float:
    s = res.settings
    return s.calendar_reminder_minutes if isinstance(s, CalendarSettings) else 15.0


async def _post(res: Resources, event: Event, message_id: str, text: str) -> None:
    await post_message(
        res, PREFIX, message_id=message_id, community_id=event.community_id, platform=event.platform,
        server_id=event.server_id, channel_id=event.channel_id,
        responses=[{"type": "chat", "text": fit(text, event.platform)}],
    )  # fmt: skip


async def remind(res: Resources, job: Job) -> None:
    event = await service.get(res.db, None, int(job.payload.get("event_id", 0)))
    if event is None or event.status != SCHEDULED or job.occurrence is None:
        return
    # A weekly event's occurrence is its reminder time; a one-off reminder may have been
    # scheduled late (an event created, or approved, less than the lead time ahead).
    start = job.occurrence + timedelta(minutes=_minutes(res)) if event.rrule else event.starts_at
    if datetime.now(UTC) > start:
        log.info("calendar.reminder_stale", event_id=event.id)  # fired only after the start
        return
    minutes = round((start - job.occurrence).total_seconds() / 60)
    going = await service.attendees(res.db, event.id, GOING, limit=MENTIONED)
    ahead = f"{minutes} minutes" if minutes > 1 else "a minute" if minutes == 1 else "a moment"
    text = f"Reminder: {event.title} (#{event.id}) starts at {when(event, start)} (in {ahead})."
    if going:
        text += " Going: " + ", ".join(f"@{r.username}" for r in going)
    await _post(res, event, f"{PREFIX}:reminder:{event.id}:{job.occurrence_key}", text)


async def promote(res: Resources, job: Job) -> None:
    rsvp = await service.get_rsvp(res.db, int(job.payload.get("rsvp_id", 0)))
    event = await service.get(res.db, None, int(job.payload.get("event_id", 0)))
    if rsvp is None or event is None or rsvp.state != GOING:
        return  # left again before the notice went out
    start = event.next_start(datetime.now(UTC)) or event.starts_at
    text = (
        f"@{rsvp.username}, a seat opened up: you're going to {event.title} (#{event.id}) "
        f"on {when(event, start)}."
    )
    await _post(res, event, f"{PREFIX}:promotion:{rsvp.id}:{job.occurrence_key}", text)


def install(app: Quart, settings: CalendarSettings) -> None:
    """Run the calendar's scheduler (its kinds only) under supervision while the app serves."""

    async def body() -> None:
        res = resources(app)

        async def on_reminder(job: Job) -> None:
            await remind(res, job)

        async def on_promotion(job: Job) -> None:
            await promote(res, job)

        handlers = {REMINDER_KIND: on_reminder, PROMOTION_KIND: on_promotion}
        runner = Scheduler(res.db, handlers, interval=settings.calendar_scheduler_interval)
        app.extensions["calendar.scheduler"] = runner
        await runner.run()

    supervise(app, "scheduler", body)
