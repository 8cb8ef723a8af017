"""The iCalendar feed (RFC 5545), written with the `icalendar` package.

One VEVENT per scheduled or cancelled event (events waiting for approval are left out):
UID, DTSTAMP, DTSTART/DTEND in UTC (`Z`) for one-off events; a weekly event keeps its
wall-clock time through daylight-saving changes, so it is written with `TZID` and its
VTIMEZONE (transitions from the earliest event to ten years ahead; UTC events stay
UTC) plus `RRULE:FREQ=WEEKLY`. Cancelled events carry
`STATUS:CANCELLED` and a higher SEQUENCE. Titles are untrusted text: the package escapes
them as TEXT values (`\\`, `;`, `,`, newlines) and folds long lines.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from icalendar import Calendar, vRecur
from icalendar import Event as VEvent

from flask_core import scheduler

from .models import CANCELLED
from .service import Event

PRODID = "-//WaddleBot//Calendar//EN"


def uid_of(event: Event, public_url: str) -> str:
    host = urlsplit(public_url).hostname or "waddlebot"
    return f"event-{event.id}@{host}"


def feed(events: list[Event], *, name: str, public_url: str, minutes: int, now: datetime) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for event in events:
        item = VEvent()
        item.add("uid", uid_of(event, public_url))
        item.add("dtstamp", now.astimezone(UTC).replace(microsecond=0))
        item.add("summary", event.title)
        start = event.starts_at.astimezone(UTC)
        if event.rrule and event.tz != "UTC":
            start = start.astimezone(scheduler.zone(event.tz))
        item.add("dtstart", start)
        item.add("dtend", start + timedelta(minutes=minutes))
        if event.rrule:
            item.add("rrule", vRecur.from_ical(event.rrule))
        item.add("status", "CANCELLED" if event.status == CANCELLED else "CONFIRMED")
        item.add("sequence", event.sequence)
        item.add("last-modified", event.updated_at.astimezone(UTC).replace(microsecond=0))
        cal.add_component(item)
    # VTIMEZONE transitions from the earliest event on, ten years past today (the
    # package's default stops at 2038).
    earliest = min((e.starts_at for e in events), default=now).date() - timedelta(days=1)
    cal.add_missing_timezones(first_date=earliest, last_date=now.date() + timedelta(days=3653))
    return bytes(cal.to_ical())
