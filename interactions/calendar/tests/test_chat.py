"""`!event` from Twitch chat (signed EventSub webhooks in, Helix out): seats and the waitlist
with promotion, approval, cancellation, a reminder posted once, and the private feed URL
whose iCalendar the `icalendar` package parses."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Calendar

from waddlebot_calendar.app import create_app
from waddlebot_calendar.settings import CalendarSettings

CALENDAR = {"calendar": (create_app, CalendarSettings)}
BROADCASTER = "1971641"


def inline(text: str, user: str = "mod") -> dict[str, Any]:
    """The same channel as the webhooks, answered in the HTTP reply (as the CLI or simulator is)."""
    return {
        "event_id": f"twitch:{uuid.uuid4()}", "platform": "twitch", "server_id": BROADCASTER,
        "channel_id": BROADCASTER, "type": "chat_message", "text": text, "reply": {"kind": "inline"},
        "user": {"platform_user_id": f"id-{user}", "username": user, "roles": ["moderator"]},
    }  # fmt: skip


async def test_events_from_chat(twitch_chat: Any) -> None:
    day = (datetime.now(UTC) + timedelta(days=2)).date()
    start = datetime(day.year, day.month, day.day, 20, 0, tzinfo=UTC)
    async with twitch_chat(CALENDAR, calendar_scheduler_interval=0.05) as chat:
        viewer = {"moderator": False}
        refused = await chat.say(f'!event create "Sneaky" {day} 20:00', user="amy", **viewer)
        assert "moderator" in refused
        made = await chat.say(f'!event create "Raid night; bring snacks, please" {day} 20:00 --max 1')
        assert made == (f"Event #1 created: Raid night; bring snacks, please, {day} 20:00 UTC (1 seats). "
                        "Join with !event join 1")  # fmt: skip
        assert await chat.say("!event join 1", user="amy", **viewer) == (
            "You're going to Raid night; bring snacks, please (#1): 1/1 going."
        )
        assert await chat.say("!event join #1", user="bob", **viewer) == (
            "Raid night; bring snacks, please (#1) is full: you're #1 on the waitlist."
        )
        assert (await chat.say("!event join 1", user="bob", **viewer)).startswith(
            "You're already #1 on the waitlist"
        )
        listed = await chat.say("!event list", user="cid", **viewer)
        assert (
            listed == f"Events: #1 Raid night; bring snacks, please — {day} 20:00 UTC (1/1 going, 1 waiting)"
        )

        # amy leaves: bob gets the seat, and is told in chat by the scheduler through the router
        before = len(chat.helix.chat)
        await chat.send("!event leave 1", user="amy", moderator=False)
        texts = await chat.posted(before + 2)
        assert "You left Raid night; bring snacks, please (#1). @bob gets the seat." in texts[before:]
        told = [t for t in texts[before:] if t.startswith("@bob, a seat opened up")]
        assert told == [
            f"@bob, a seat opened up: you're going to Raid night; bring snacks, please (#1) on {day} 20:00 UTC."
        ]
        assert await chat.say("!event leave 1", user="amy", **viewer) == "You are not going to event #1."

        # weekly, in another zone, needing approval
        made = await chat.say(
            f'!event create "Weekly <b>show</b>" {day} 18:30 Europe/Berlin --every weekly --approval'
        )
        assert (
            made.startswith("Event #2 created: Weekly <b>show</b>, ")
            and "needs a moderator's approval" in made
        )
        assert "waiting for a moderator's approval" in await chat.say("!event join 2", user="amy", **viewer)
        assert "moderator" in await chat.say("!event approve 2", user="amy", **viewer)
        assert (
            await chat.say("!event approve 2")
            == "Event #2 (Weekly <b>show</b>) approved. Join with !event join 2"
        )
        assert (await chat.say("!event join 2", user="amy", **viewer)).startswith("You're going to Weekly")
        await chat.say(f'!event create "Doomed" {day} 21:00')
        assert "moderator" in await chat.say("!event cancel 3", user="amy", **viewer)
        assert await chat.say("!event cancel 3") == "Event #3 (Doomed) cancelled."
        assert await chat.say("!event join 3", user="amy", **viewer) == "Event #3 (Doomed) was cancelled."

        # the reminders, 15 minutes before each start (18:30 in Berlin is before 20:00 UTC): once each
        scheduler = chat.fleet.dispatcher.apps["calendar"].extensions["calendar.scheduler"]
        before = len(chat.helix.chat)
        scheduler.clock = lambda: start - timedelta(minutes=14)
        texts = await chat.posted(before + 2)
        assert sorted(texts[before:]) == [
            f"Reminder: Raid night; bring snacks, please (#1) starts at {day} 20:00 UTC (in 15 minutes). Going: @bob",
            f"Reminder: Weekly <b>show</b> (#2) starts at {day} 18:30 Europe/Berlin (in 15 minutes). Going: @amy",
        ]
        scheduler.clock = lambda: start - timedelta(minutes=1)
        assert await scheduler.run_due() == 0  # the cancelled event has no job; #1's is done, #2's next week
        assert len([t for t in chat.helix.texts() if t.startswith("Reminder:")]) == 2

        # the feed: privately to a moderator, never in the channel
        assert "moderator" in await chat.say("!event feed", user="amy", **viewer)
        before = len(chat.helix.chat)
        await chat.send("!event feed")
        assert await chat.say("!event list", user="cid", **viewer)
        assert "/calendar/ical/" not in " ".join(chat.helix.texts()[before:])
        answer = (await chat.fleet.post(inline("!event feed"))).json()
        [dm] = answer["responses"]
        assert dm["type"] == "dm" and dm["text"].startswith(
            "Calendar feed (keep it private): https://bot.example.com/calendar/ical/"
        )
        url = dm["text"].rsplit(" ", 1)[1]
        path = url.removeprefix("https://bot.example.com")
        served = await chat.http.get(path)
        assert served.status_code == 200 and served.headers["content-type"].startswith("text/calendar")
        feed = Calendar.from_ical(served.content)
        events = {str(e["uid"]).split("@")[0]: e for e in feed.walk("VEVENT")}
        assert set(events) == {"event-1", "event-2", "event-3"}
        first = events["event-1"]
        assert str(first["summary"]) == "Raid night; bring snacks, please"
        assert b"SUMMARY:Raid night\\; bring snacks\\, please" in served.content  # escaped per RFC 5545
        assert first.decoded("dtstart") == start and first.decoded("dtstart").utcoffset() == timedelta(0)
        assert str(first["status"]) == "CONFIRMED"
        weekly = events["event-2"]
        assert weekly["rrule"].to_ical() == b"FREQ=WEEKLY"
        berlin = weekly.decoded("dtstart")
        assert berlin.astimezone(UTC) == datetime(
            day.year, day.month, day.day, 18, 30, tzinfo=berlin.tzinfo
        ).astimezone(UTC)
        assert b"BEGIN:VTIMEZONE" in served.content and b"TZID:Europe/Berlin" in served.content
        assert str(events["event-3"]["status"]) == "CANCELLED"
        assert (await chat.http.get("/calendar/ical/" + "x" * 43 + ".ics")).status_code == 404

        rotated = (await chat.fleet.post(inline("!event feed rotate"))).json()["responses"][0]["text"]
        assert rotated.startswith("New calendar feed") and url not in rotated
        assert (await chat.http.get(path)).status_code == 404
        new_path = rotated.rsplit(" ", 1)[1].removeprefix("https://bot.example.com")
        assert (await chat.http.get(new_path)).status_code == 200
