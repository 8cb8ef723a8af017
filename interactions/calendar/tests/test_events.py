"""Calendar storage on both backends: seats never overbooked, the waitlist promoted in order
(with its notice job), approval and cancellation, feed tokens, the REST API and tenancy."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from icalendar import Calendar

from flask_core.scheduler import Job
from flask_core.testing import FakeHttpServer, Recorded, service_headers, started, wait_until
from waddlebot_calendar import commands, notices, service
from waddlebot_calendar.app import create_app
from waddlebot_calendar.commands import Usage, parse_create
from waddlebot_calendar.service import Draft, Where
from waddlebot_calendar.settings import CalendarSettings

BASE = "/calendar/api/v1/communities"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
WHERE = Where("twitch", "s1", "c1")


def text(responses: list[dict[str, Any]]) -> str:
    assert len(responses) == 1 and responses[0]["type"] == "chat"
    return str(responses[0]["text"])


def draft(seats: int | None = 2, **changes: Any) -> Draft:
    values = {"title": "Game night", "starts_at": datetime.now(UTC) + timedelta(days=3), "tz": "UTC",
              "max_seats": seats, "rrule": None, "needs_approval": False, **changes}  # fmt: skip
    return Draft(**values)


async def test_concurrent_joins_never_overbook_and_leaving_promotes_in_order(res: Any) -> None:
    event = await service.create(res.db, 1, draft(seats=3), WHERE, "twitch:mod", "mod", 15)
    joined = await asyncio.gather(
        *(service.join(res.db, 1, event.id, f"twitch:u{n}", f"u{n}") for n in range(8))
    )
    assert sorted(j.state for j in joined) == ["going"] * 3 + ["waitlist"] * 5
    assert sorted(j.position for j in joined if j.state == "waitlist") == [1, 2, 3, 4, 5]
    waiting = await service.attendees(res.db, event.id, "waitlist")
    going = [r.user_key for r in await service.attendees(res.db, event.id)]
    left = await service.leave(res.db, 1, event.id, going[0])
    assert left.promoted is not None and left.promoted.user_key == waiting[0].user_key
    left_waiting = await service.leave(res.db, 1, event.id, waiting[1].user_key)
    assert left_waiting.was == "waitlist" and left_waiting.promoted is None
    now = await service.get(res.db, 1, event.id)
    assert now is not None and (now.going, now.waiting) == (3, 3)

    [job] = await res.db.read(lambda d: list(d(d.scheduled_jobs.kind == service.PROMOTION_KIND).select()))
    assert f'"rsvp_id": {waiting[0].id}' in job.payload


class FakeRouter:
    """`POST /router/api/v1/messages` answering like the router: `duplicate` for a seen id."""

    def __init__(self) -> None:
        self.server = FakeHttpServer()
        self.delivered: dict[str, dict[str, Any]] = {}
        self.server.route("POST", "/router/api/v1/messages", self.message)

    async def message(self, call: Recorded) -> web.Response:
        body = call.json
        status = "duplicate" if body["message_id"] in self.delivered else "delivered"
        self.delivered.setdefault(body["message_id"], body)
        return web.json_response({"message_id": body["message_id"], "status": status})


async def test_the_promotion_notice_is_posted_once_even_when_fired_again(
    make_settings: Any, backend: dict[str, Any]
) -> None:
    router = FakeRouter()
    async with router.server.serving():
        settings = make_settings(
            CalendarSettings, router_url=router.server.url, calendar_scheduler_interval=0.05, **backend
        )
        async with started(create_app(settings), settings=settings) as res:
            res.extras["router"] = router
            await _promote_twice(res)
    [(message_id, body)] = router.delivered.items()
    assert len(router.server.requests) == 2  # posted twice, delivered once
    assert message_id.startswith("calendar:promotion:2:") and body["platform"] == "twitch"
    assert body["responses"][0]["text"].startswith(
        "@Bob, a seat opened up: you're going to Game night (#1) on "
    )


async def _promote_twice(res: Any) -> None:
    event = await service.create(res.db, 1, draft(seats=1), WHERE, "twitch:mod", "mod", 15)
    await service.join(res.db, 1, event.id, "twitch:amy", "amy")
    await service.join(res.db, 1, event.id, "twitch:bob", "Bob")
    await service.leave(res.db, 1, event.id, "twitch:amy")
    router: FakeRouter = res.extras["router"]
    await wait_until(lambda: router.delivered)  # the app's own scheduler fired it

    def done(d: Any) -> Any:
        return d(d.scheduled_jobs.kind == service.PROMOTION_KIND).select().first()

    await wait_until(lambda: _state(res, done))
    row = await res.db.read(done)
    job = dataclasses.replace(Job.of(row), occurrence=row.last_occurrence.replace(tzinfo=UTC))
    await notices.promote(res, job)  # a replica whose lease ran out fires it again


async def _state(res: Any, done: Any) -> bool:
    row = await res.db.read(done)
    return row is not None and row.state == "done"


def test_parse_create() -> None:
    d = parse_create('"Big raid" 2026-12-24 18:00 America/New_York --max 50 --every weekly', "UTC", 100, NOW)
    assert (d.title, d.tz, d.max_seats, d.rrule, d.needs_approval) == (
        "Big raid",
        "America/New_York",
        50,
        "FREQ=WEEKLY",
        False,
    )
    assert d.starts_at == datetime(2026, 12, 24, 23, 0, tzinfo=UTC)
    assert parse_create(
        "Unquoted title 2026-12-24 18:00 --approval", "Europe/Berlin", 100, NOW
    ).starts_at == (datetime(2026, 12, 24, 17, 0, tzinfo=UTC))
    for args, why in [
        ('"x" 2026-12-24', ""), ('"x" 2026-12-24 18:00 Mars/Base', "Unknown time zone"),
        ('"x" 2026-12-24 18:00 --max 0', "--max takes"), ('"x" 2026-12-24 18:00 --max 101', "--max takes"),
        ('"x" 2026-12-24 18:00 --every daily', "Only --every weekly"), ('"x" 2026-02-30 18:00', "That date does not exist"),
        ('"x" 2026-11-30 18:00', "That time has passed"), ('"x 2026-12-24 18:00', ""), ('"x" 2026-12-24 18:00 --loud', ""),
        ("2026-12-24 18:00", ""), ('"x" 2030-12-24 18:00', "Events can be at most three years"),
    ]:  # fmt: skip
        with pytest.raises(Usage) as caught:
            parse_create(args, "UTC", 100, NOW)
        assert str(caught.value).startswith(why), args


async def test_commands_refuse_and_explain(res: Any, make_request: Any) -> None:
    assert "post their reminders in chat" in text(
        await commands.create(res, make_request("event create", '"x" 2030-01-01 10:00', platform="web"))
    )
    viewer = make_request("event create", '"x" 2030-01-01 10:00', roles=[])
    assert text(await commands.create(res, viewer)) == "Only moderators can use !event create."
    assert text(await commands.join(res, make_request("event join", "abc"))) == "Usage: !event join <id>"
    assert text(await commands.join(res, make_request("event join", "9"))) == "No event #9."
    assert text(await commands.list_events(res, make_request("event list"))) == "No upcoming events."
    event = await service.create(res.db, 1, draft(), WHERE, "twitch:mod", "mod", 15)
    assert text(await commands.join(res, make_request("event join", str(event.id), community_id="2"))) == (
        f"No event #{event.id}."
    )  # another community's event
    assert text(await commands.approve(res, make_request("event approve", "1"))).endswith(
        "does not need approval."
    )
    assert (
        text(await commands.cancel(res, make_request("event cancel", "1")))
        == "Event #1 (Game night) cancelled."
    )
    assert text(await commands.cancel(res, make_request("event cancel", "1"))).endswith("already cancelled.")
    assert (
        text(await commands.feed(res, make_request("event feed", "please"))) == "Usage: !event feed [rotate]"
    )
    assert (
        text(await commands.feed(res, make_request("event feed", roles=[])))
        == "Only moderators can use !event feed."
    )


def auth() -> dict[str, str]:
    return service_headers("calendar", issuer="portal_api")


async def test_the_rest_api_and_feed_tokens(client: Any, app: Any) -> None:
    res = app.extensions["waddlebot.resources"]
    first = await service.create(res.db, 3, draft(title="Alpha", seats=None), WHERE, "twitch:mod", "mod", 15)
    await service.create(res.db, 3, draft(title="Beta", needs_approval=True), WHERE, "twitch:mod", "mod", 15)
    other = await service.create(res.db, 4, draft(title="Elsewhere"), WHERE, "twitch:mod", "mod", 15)
    await service.join(res.db, 3, first.id, "twitch:amy", "amy")
    page = await (await client.get(f"{BASE}/3/events?limit=1&sort=title", headers=auth())).get_json()
    assert [e["title"] for e in page["items"]] == ["Alpha"] and page["next_cursor"]
    rest = await (
        await client.get(f"{BASE}/3/events?limit=1&sort=title&cursor={page['next_cursor']}", headers=auth())
    ).get_json()
    assert [(e["title"], e["status"]) for e in rest["items"]] == [("Beta", "pending")] and rest[
        "next_cursor"
    ] is None
    assert [
        e["title"]
        for e in (await (await client.get(f"{BASE}/3/events?q=alp", headers=auth())).get_json())["items"]
    ] == ["Alpha"]
    approved = await (await client.post(f"{BASE}/3/events/2:approve", headers=auth())).get_json()
    assert approved["status"] == "scheduled"
    rsvps = await (await client.get(f"{BASE}/3/events/{first.id}/rsvps", headers=auth())).get_json()
    assert rsvps == {
        "items": [{"id": 1, "user": "twitch:amy", "username": "amy", "state": "going"}],
        "next_cursor": None,
    }
    cancelled = await (await client.post(f"{BASE}/3/events/{first.id}:cancel", headers=auth())).get_json()
    assert cancelled["status"] == "cancelled" and cancelled["next_start"] is None
    for path in (f"events/{other.id}", f"events/{other.id}/rsvps"):
        assert (await client.get(f"{BASE}/3/{path}", headers=auth())).status_code == 404
    assert (await client.post(f"{BASE}/3/events/{other.id}:cancel", headers=auth())).status_code == 404
    assert (await client.get(f"{BASE}/3/events")).status_code == 401

    url = (await (await client.get(f"{BASE}/3/feed", headers=auth())).get_json())["url"]
    assert url == (await (await client.get(f"{BASE}/3/feed", headers=auth())).get_json())["url"]  # stable
    path = "/calendar/" + url.split("/calendar/", 1)[1]
    served = await client.get(path)
    assert served.status_code == 200 and served.mimetype == "text/calendar"
    feed = Calendar.from_ical(await served.get_data())
    assert sorted(str(e["summary"]) for e in feed.walk("VEVENT")) == ["Alpha", "Beta"]  # not 4's event
    assert b"DTSTART:" in await served.get_data() and b"Z\r\n" in await served.get_data()
    other_url = (await (await client.get(f"{BASE}/4/feed", headers=auth())).get_json())["url"]
    assert other_url != url
    rotated = (await (await client.post(f"{BASE}/3/feed:rotate", headers=auth())).get_json())["url"]
    assert rotated != url and (await client.get(path)).status_code == 404
    wrong = await client.get("/calendar/ical/not-a-real-token-at-all-0000000.ics")
    assert wrong.status_code == 404 and (await wrong.get_json())["error"]["code"] == "not_found"


async def test_the_community_time_zone_is_the_default(
    make_settings: Any, backend: dict[str, Any], make_request: Any
) -> None:
    settings = make_settings(CalendarSettings, calendar_timezone="America/New_York", **backend)
    async with started(create_app(settings), settings=settings) as res:
        said = text(await commands.create(res, make_request("event create", '"Late show" 2027-01-10 21:00')))
        assert (
            said == "Event #1 created: Late show, 2027-01-10 21:00 America/New_York. Join with !event join 1"
        )
        event = await service.get(res.db, 1, 1)
        assert event is not None and event.starts_at == datetime(2027, 1, 11, 2, 0, tzinfo=UTC)


async def test_a_reminder_inside_the_lead_time_says_how_long_is_left(
    make_settings: Any, backend: dict[str, Any]
) -> None:
    router = FakeRouter()
    async with router.server.serving():
        settings = make_settings(
            CalendarSettings, router_url=router.server.url, calendar_scheduler_interval=0.05, **backend
        )
        async with started(create_app(settings), settings=settings) as res:
            soon = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=7)
            await service.create(res.db, 1, draft(starts_at=soon), WHERE, "twitch:mod", "mod", 15)
            await wait_until(lambda: router.delivered)  # due at once: the app's scheduler posts it
    [(message_id, body)] = router.delivered.items()
    assert message_id.startswith("calendar:reminder:1:")
    said = body["responses"][0]["text"]
    assert said.startswith(f"Reminder: Game night (#1) starts at {soon:%Y-%m-%d %H:%M} UTC (in ")
    assert said.endswith(("(in 6 minutes).", "(in 7 minutes)."))
