"""Calendar settings: the core names of ARCHITECTURE §2 plus this service's own (CALENDAR_*)."""

from __future__ import annotations

from flask_core import CoreSettings


class CalendarSettings(CoreSettings):
    """`CALENDAR_TIMEZONE` (IANA name, default UTC): every community's time zone until the
    community service exposes one per community (read through `timezones.community_timezone`);
    `CALENDAR_REMINDER_MINUTES` (default 15): how long before the start the reminder posts;
    `CALENDAR_EVENT_MINUTES` (default 60): the length written to the iCalendar feed;
    `CALENDAR_SCHEDULER_INTERVAL` (seconds between scheduler polls, default 1);
    `CALENDAR_MAX_SEATS` (the largest `--max`, default 10000). The feed's URL starts with
    `PUBLIC_URL`."""

    calendar_timezone: str = "UTC"
    calendar_reminder_minutes: float = 15.0
    calendar_event_minutes: int = 60
    calendar_scheduler_interval: float = 1.0
    calendar_max_seats: int = 10_000
