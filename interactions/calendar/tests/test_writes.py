"""The portal's writes of events over HTTP (POST, PATCH, DELETE …/events), on both backends:
the chat command's rules (community zone, seats, approval), seats when `max_seats` moves,
the reminder following the start and stopping on delete, tenancy and the error shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask_core.testing import service_headers, started
from waddlebot_calendar import service
from waddlebot_calendar.app import create_app
from waddlebot_calendar.service import Draft, Where
from waddlebot_calendar.settings import CalendarSettings

BASE = "/calendar/api/v1/communities"
WHERE = Where("twitch", "s1", "c1")
CHANNEL = {"platform": "twitch", "server_id": "s1", "channel_id": "c1"}


def auth() -> dict[str, str]:
    return service_headers("calendar", issuer="portal_api")


def later(days: int = 3) -> str:
    """A wall-clock time (no offset) `days` ahead, as the portal's form sends it."""
    return (
        (datetime.now(UTC) + timedelta(days=days)).replace(second=0, microsecond=0, tzinfo=None).isoformat()
    )


async def reminder_jobs(res: Any, event_id: int) -> list[Any]:
    def select(d: Any) -> list[Any]:
        j = d.scheduled_jobs
        rows = d((j.kind == service.REMINDER_KIND) & (j.state == "scheduled")).select(orderby=j.id)
        return [r for r in rows if f'"event_id": {event_id}' in r.payload]

    found: list[Any] = await res.db.read(select)
    return found


async def test_create_update_delete_an_event_with_its_reminder(client: Any, app: Any) -> None:
    res = app.extensions["waddlebot.resources"]
    body = {"title": "  Game   night ", "starts_at": later(), "max_seats": 2, **CHANNEL}
    created = await client.post(f"{BASE}/3/events", json=body, headers=auth())
    assert created.status_code == 201, await created.get_data()
    event = await created.get_json()
    assert (event["title"], event["tz"], event["max_seats"], event["status"]) == (
        "Game night",
        "UTC",
        2,
        "scheduled",
    )
    [job] = await reminder_jobs(res, event["id"])
    assert job.next_run_at.replace(tzinfo=UTC) == datetime.fromisoformat(event["starts_at"]) - timedelta(
        minutes=15
    )

    moved = (datetime.now(UTC) + timedelta(days=5)).replace(second=0, microsecond=0, tzinfo=None)
    patched = await client.patch(
        f"{BASE}/3/events/{event['id']}", json={"starts_at": moved.isoformat(), "title": "Movie night"},
        headers=auth(),
    )  # fmt: skip
    assert patched.status_code == 200, await patched.get_data()
    after = await patched.get_json()
    assert after["title"] == "Movie night" and after["starts_at"].startswith(moved.isoformat())
    [new_job] = await reminder_jobs(res, event["id"])  # the old one is cancelled
    assert new_job.id != job.id and new_job.next_run_at == moved - timedelta(minutes=15)

    deleted = await client.delete(f"{BASE}/3/events/{event['id']}", headers=auth())
    assert deleted.status_code == 204
    assert await reminder_jobs(res, event["id"]) == []
    assert (await client.get(f"{BASE}/3/events/{event['id']}", headers=auth())).status_code == 404


async def test_the_community_zone_and_approval_apply_as_in_chat(
    make_settings: Any, backend: dict[str, Any]
) -> None:
    settings = make_settings(CalendarSettings, calendar_timezone="America/New_York", **backend)
    app = create_app(settings)
    async with started(app, settings=settings):
        client = app.test_client()
        body = {"title": "Late show", "starts_at": "2027-01-10T21:00", "needs_approval": True, **CHANNEL}
        answer = await client.post(f"{BASE}/1/events", json=body, headers=auth())
        event = await answer.get_json()
        assert answer.status_code == 201 and event["tz"] == "America/New_York"
        assert event["starts_at"].startswith("2027-01-11T02:00") and event["status"] == "pending"
        assert await reminder_jobs(app.extensions["waddlebot.resources"], event["id"]) == []  # when approved
        berlin = {**body, "tz": "Europe/Berlin", "needs_approval": False}
        event = await (await client.post(f"{BASE}/1/events", json=berlin, headers=auth())).get_json()
        assert event["tz"] == "Europe/Berlin" and event["starts_at"].startswith("2027-01-10T20:00")


async def test_without_a_channel_the_last_events_chat_is_used(client: Any, app: Any) -> None:
    res = app.extensions["waddlebot.resources"]
    body = {"title": "Quiz", "starts_at": later()}
    refused = await client.post(f"{BASE}/3/events", json=body, headers=auth())
    assert refused.status_code == 422
    [error] = (await refused.get_json())["error"]["details"]["errors"]
    assert error["loc"] == ["channel_id"]
    first = await service.create(res.db, 3, draft(), Where("discord", "g1", "general"), "x", "x", 15)
    created = await (await client.post(f"{BASE}/3/events", json=body, headers=auth())).get_json()
    stored = await service.get(res.db, 3, created["id"])
    assert stored is not None and (stored.platform, stored.channel_id) == ("discord", "general")
    assert first.id != created["id"]


def draft(seats: int | None = 2, **changes: Any) -> Draft:
    values = {"title": "Game night", "starts_at": datetime.now(UTC) + timedelta(days=3), "tz": "UTC",
              "max_seats": seats, "rrule": None, "needs_approval": False, **changes}  # fmt: skip
    return Draft(**values)


async def test_bad_input_is_a_422_in_the_error_shape(client: Any) -> None:
    cases = {
        "past": {"title": "Old", "starts_at": "2020-01-01T10:00", **CHANNEL},
        "no title": {"title": " \n ", "starts_at": later(), **CHANNEL},
        "unknown zone": {"title": "X", "starts_at": later(), "tz": "Mars/Olympus", **CHANNEL},
        "seats": {"title": "X", "starts_at": later(), "max_seats": 0, **CHANNEL},
        "extra field": {"title": "X", "starts_at": later(), "colour": "red", **CHANNEL},
        "too far": {"title": "X", "starts_at": later(days=4 * 366), **CHANNEL},
        "rrule": {"title": "X", "starts_at": later(), "rrule": "FREQ=SECONDLY", **CHANNEL},
    }
    for name, body in cases.items():
        answer = await client.post(f"{BASE}/3/events", json=body, headers=auth())
        assert answer.status_code == 422, name
        error = (await answer.get_json())["error"]
        assert error["code"] == "validation_error" and error["details"]["errors"][0]["loc"], name
    page = await (await client.get(f"{BASE}/3/events", headers=auth())).get_json()
    assert page["items"] == []  # nothing half-written


async def test_another_communitys_event_is_404_and_a_cancelled_one_409(client: Any, app: Any) -> None:
    res = app.extensions["waddlebot.resources"]
    other = await service.create(res.db, 4, draft(), WHERE, "twitch:mod", "mod", 15)
    assert (
        await client.patch(f"{BASE}/3/events/{other.id}", json={"title": "Mine"}, headers=auth())
    ).status_code == 404
    assert (await client.delete(f"{BASE}/3/events/{other.id}", headers=auth())).status_code == 404
    assert (await service.get(res.db, 4, other.id)) is not None
    await service.cancel(res.db, 4, other.id)
    answer = await client.patch(f"{BASE}/4/events/{other.id}", json={"title": "Again"}, headers=auth())
    assert answer.status_code == 409 and (await answer.get_json())["error"]["code"] == "conflict"
    assert (
        await client.patch(f"{BASE}/4/events/{other.id}", json={"max_seats": -1}, headers=auth())
    ).status_code == 422


async def test_fewer_seats_than_taken_is_refused_and_more_seats_promote_the_waitlist(
    client: Any, app: Any
) -> None:
    res = app.extensions["waddlebot.resources"]
    event = await service.create(res.db, 3, draft(seats=2), WHERE, "twitch:mod", "mod", 15)
    for n in range(5):
        await service.join(res.db, 3, event.id, f"twitch:u{n}", f"u{n}")
    url = f"{BASE}/3/events/{event.id}"
    refused = await client.patch(url, json={"max_seats": 1}, headers=auth())
    assert refused.status_code == 409
    error = (await refused.get_json())["error"]
    assert error["code"] == "seats_taken" and error["details"] == {"going": 2, "max_seats": 1}
    grown = await (await client.patch(url, json={"max_seats": 4}, headers=auth())).get_json()
    assert (grown["going"], grown["waiting"]) == (4, 1)
    going = [r.username for r in await service.attendees(res.db, event.id)]
    assert going == ["u0", "u1", "u2", "u3"]  # the waitlist in order
    jobs = await res.db.read(lambda d: d(d.scheduled_jobs.kind == service.PROMOTION_KIND).count())
    assert jobs == 2  # each promoted user is told in chat
    unlimited = await (await client.patch(url, json={"max_seats": None}, headers=auth())).get_json()
    assert (unlimited["max_seats"], unlimited["going"], unlimited["waiting"]) == (None, 5, 0)
