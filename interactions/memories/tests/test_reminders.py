"""!remind: parsing, set/list/cancel, and firing into the router's messages API once."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from flask_core.scheduler import Job, Scheduler
from flask_core.testing import FakeHttpServer, Recorded, service_headers, started
from waddlebot_memories import reminders
from waddlebot_memories.app import create_app
from waddlebot_memories.reminders import ParseError, parse_when
from waddlebot_memories.settings import MemoriesSettings

NOW = datetime(2026, 12, 1, 10, 30, 15, tzinfo=UTC)


def text_of(responses: list[dict[str, Any]]) -> str:
    assert len(responses) == 1 and responses[0]["type"] == "chat"
    return str(responses[0]["text"])


# --- parsing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "delay"),
    [("in 10m", 600), ("in 1h30m", 5400), ("in 90s", 90), ("in 10 minutes", 600), ("in 2 hours", 7200),
     ("in 1d", 86400), ("in 10min", 600)],
)  # fmt: skip
def test_in_a_while(words: str, delay: int) -> None:
    when, rest = parse_when([*words.split(), "stretch", "now"], "UTC", NOW)
    assert when.first == NOW + timedelta(seconds=delay) and when.rrule is None
    assert rest == ["stretch", "now"]


def test_at_a_time_is_the_next_one_in_the_community_zone() -> None:
    assert parse_when(["at", "18:00", "x"], "UTC", NOW)[0].first == datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    assert parse_when(["at", "09:00", "x"], "UTC", NOW)[0].first == datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    # 18:00 in New York (EST, UTC-5) is 23:00 UTC
    berlin = parse_when(["at", "18:00", "x"], "America/New_York", NOW)[0]
    assert berlin.first == datetime(2026, 12, 1, 23, 0, tzinfo=UTC)


def test_every_day_is_an_rrule_from_the_next_occurrence() -> None:
    when, rest = parse_when(["every", "day", "at", "09:00", "stand", "up"], "UTC", NOW)
    assert when.rrule == "FREQ=DAILY" and when.recurrence == "every day at 09:00"
    assert when.first == datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # today's 09:00 has passed
    assert rest == ["stand", "up"]
    weekday = parse_when(
        ["every", "weekday", "at", "11:00", "x"], "UTC", datetime(2026, 12, 5, 12, tzinfo=UTC)
    )[0]
    assert weekday.first == datetime(2026, 12, 7, 11, 0, tzinfo=UTC)  # Saturday → Monday
    friday = parse_when(["every", "friday", "at", "18:00", "x"], "UTC", NOW)[0]
    assert friday.rrule == "FREQ=WEEKLY;BYDAY=FR" and friday.first == datetime(2026, 12, 4, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "words",
    [
        "in",
        "in soon x",
        "in 0m x",
        "in 400d x",
        "at 25:00 x",
        "at noon x",
        "every day x",
        "every year at 09:00 x",
        "tomorrow x",
    ],
)
def test_unclear_times_are_refused(words: str) -> None:
    with pytest.raises(ParseError):
        parse_when(words.split(), "UTC", NOW)


# --- commands ----------------------------------------------------------------------------------


async def test_set_list_and_cancel(res: Any, make_request: Any) -> None:
    set_ = text_of(await reminders.remind(res, make_request("remind", "me in 10m stretch your legs")))
    assert set_.startswith("Reminder #1 set: I'll remind you at ") and "(in 10 minutes)" in set_
    for_bob = text_of(await reminders.remind(res, make_request("remind", "@bob at 18:00 start the raid")))
    assert for_bob.startswith("Reminder #2 set: I'll remind @bob at 18:00 UTC") or "@bob" in for_bob
    daily = text_of(await reminders.remind(res, make_request("remind", "me every day at 09:00 drink water")))
    assert daily.startswith("Reminder #3 set: I'll remind you every day at 09:00 (UTC), first ")
    listed = text_of(await reminders.list_reminders(res, make_request("remind list")))
    assert listed.startswith("Reminders: #1 ") and "stretch your legs" in listed
    assert "#2" in listed and "(for @bob)" in listed and "#3 every day at 09:00: drink water" in listed
    bobs = text_of(
        await reminders.list_reminders(res, make_request("remind list", username="bob", user_id="u2"))
    )
    assert "#2" in bobs and "#1" not in bobs  # bob sees the one for him
    refused = text_of(
        await reminders.cancel(res, make_request("remind cancel", "1", username="bob", user_id="u2"))
    )
    assert refused == "Only whoever set reminder #1 or a moderator can cancel it."
    assert (
        text_of(await reminders.cancel(res, make_request("remind cancel", "1"))) == "Reminder #1 cancelled."
    )
    assert text_of(await reminders.cancel(res, make_request("remind cancel", "1"))) == "No reminder #1."
    mod = make_request("remind cancel", "#3", username="mo", user_id="u3", roles=["moderator"])
    assert text_of(await reminders.cancel(res, mod)) == "Reminder #3 cancelled."
    assert "#1" not in text_of(await reminders.list_reminders(res, make_request("remind list")))
    assert text_of(await reminders.cancel(res, make_request("remind cancel", "2", community_id="9"))) == (
        "No reminder #2."
    )  # another community's reminder


async def test_refusals(res: Any, make_request: Any) -> None:
    web_ = text_of(await reminders.remind(res, make_request("remind", "me in 10m x", platform="web")))
    assert web_ == reminders.NO_CHAT
    assert text_of(await reminders.remind(res, make_request("remind", "me in 10m"))).startswith(
        "What should I"
    )
    assert text_of(await reminders.remind(res, make_request("remind", "bob in 10m x"))).startswith("Usage: ")
    assert "HH:MM" in text_of(await reminders.remind(res, make_request("remind", "me at 7pm x")))
    long = text_of(await reminders.remind(res, make_request("remind", "me in 1m " + "x" * 301)))
    assert long == "That reminder is too long (300 characters at most)."
    listed = text_of(await reminders.list_reminders(res, make_request("remind list")))
    assert listed.startswith("You have no reminders.")


async def test_a_retried_invocation_sets_one_reminder(app: Any, make_body: Any) -> None:
    async with started(app, settings=app.extensions["waddlebot.settings"]):
        client = app.test_client()
        body = make_body("remind", "me in 10m once")
        first = await client.post(
            "/memories/api/v1/commands/remind", json=body, headers=service_headers("memories")
        )
        again = await client.post(
            "/memories/api/v1/commands/remind", json=body, headers=service_headers("memories")
        )
        assert (await first.get_json()) == (await again.get_json())
        listed = make_body("remind list")
        shown = await client.post(
            "/memories/api/v1/commands/remind/list", json=listed, headers=service_headers("memories")
        )
        text = (await shown.get_json())["responses"][0]["text"]
        assert text.count("once") == 1 and "#1" in text and "#2" not in text


# --- firing ------------------------------------------------------------------------------------


class FakeRouter:
    """`POST /router/api/v1/messages`: records, answers like the router (503 while `down`)."""

    def __init__(self) -> None:
        self.server = FakeHttpServer()
        self.down = 0
        self.delivered: dict[str, dict[str, Any]] = {}
        self.server.route("POST", "/router/api/v1/messages", self.message)

    async def message(self, call: Recorded) -> web.Response:
        if self.down > 0:
            self.down -= 1
            return web.json_response({"error": {"code": "dependency_unavailable"}}, status=503)
        body = call.json
        status = "duplicate" if body["message_id"] in self.delivered else "delivered"
        self.delivered.setdefault(body["message_id"], body)
        return web.json_response({"message_id": body["message_id"], "status": status})


@pytest_asyncio.fixture
async def router() -> AsyncIterator[FakeRouter]:
    fake = FakeRouter()
    async with fake.server.serving():
        yield fake


@pytest_asyncio.fixture
async def fired_res(make_settings: Any, backend: dict[str, Any], router: FakeRouter) -> AsyncIterator[Any]:
    settings = make_settings(MemoriesSettings, router_url=router.server.url, **backend)
    app = create_app(settings)
    async with started(app, settings=settings) as res:
        yield res


class Clock:
    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def scheduler_for(res: Any, clock: Clock) -> Scheduler:
    async def handler(job: Job) -> None:
        await reminders.fire(res, job)

    return Scheduler(res.db, {"reminder": handler}, clock=clock, retry_base=1, retry_cap=1)


async def test_a_one_minute_reminder_fires_once_into_its_chat(
    fired_res: Any, make_request: Any, router: FakeRouter
) -> None:
    await reminders.remind(fired_res, make_request("remind", "@bob in 1m hydrate"))
    clock = Clock()
    s = scheduler_for(fired_res, clock)
    assert await s.run_due() == 0
    assert router.delivered == {}
    clock.offset = timedelta(seconds=61)
    assert await s.run_due() == 1
    clock.offset = timedelta(minutes=10)
    assert await s.run_due() == 0
    [(message_id, body)] = router.delivered.items()
    assert message_id.startswith("memories:reminder:1:") and message_id.endswith("Z")
    assert body["platform"] == "twitch" and (body["server_id"], body["channel_id"]) == ("s1", "c1")
    assert body["community_id"] == 1
    assert body["responses"] == [{"type": "chat", "text": "@bob, reminder: hydrate (from @amy)"}]
    assert len(router.server.requests) == 1
    listed = text_of(await reminders.list_reminders(fired_res, make_request("remind list")))
    assert listed.startswith("You have no reminders.")  # a fired one-off is gone


async def test_a_router_that_is_down_gets_the_reminder_later_once(
    fired_res: Any, make_request: Any, router: FakeRouter
) -> None:
    await reminders.remind(fired_res, make_request("remind", "me in 1m later"))
    router.down = 4  # 503 for the first attempt (the client retries once) and the second
    clock = Clock()
    clock.offset = timedelta(seconds=61)
    s = scheduler_for(fired_res, clock)
    assert await s.run_due() == 1  # failed: kept for a retry
    assert router.delivered == {}
    clock.offset += timedelta(seconds=2)
    assert await s.run_due() == 1  # failed again
    clock.offset += timedelta(seconds=2)
    assert await s.run_due() == 1
    clock.offset += timedelta(seconds=2)
    assert await s.run_due() == 0
    assert len(router.delivered) == 1


async def test_a_cancelled_reminder_never_fires(
    fired_res: Any, make_request: Any, router: FakeRouter
) -> None:
    await reminders.remind(fired_res, make_request("remind", "me in 1m nope"))
    await reminders.cancel(fired_res, make_request("remind cancel", "1"))
    clock = Clock()
    clock.offset = timedelta(minutes=5)
    assert await scheduler_for(fired_res, clock).run_due() == 0
    assert router.server.requests == []


async def test_a_daily_reminder_posts_each_day_with_its_own_message_id(
    fired_res: Any, make_request: Any, router: FakeRouter
) -> None:
    await reminders.remind(fired_res, make_request("remind", "me every day at 09:00 stand up"))
    clock = Clock()
    s = scheduler_for(fired_res, clock)
    for day in (1, 2):
        clock.offset = timedelta(days=day)
        assert await s.run_due() == 1
    assert len(router.delivered) == 2
    keys = sorted(router.delivered)
    assert all(k.startswith("memories:reminder:1:") and k.endswith("T09:00Z") for k in keys)
    assert "#1 every day at 09:00: stand up" in text_of(
        await reminders.list_reminders(fired_res, make_request("remind list"))
    )


async def test_two_replicas_fire_each_of_50_due_reminders_exactly_once(
    fired_res: Any, make_request: Any, router: FakeRouter
) -> None:
    from flask_core.database import AsyncDAL

    for n in range(50):
        who = {"username": f"viewer{n}", "user_id": f"v{n}"}  # at most 20 reminders per user
        await reminders.remind(fired_res, make_request("remind", f"me in 1m number {n}", **who))
    other_db = AsyncDAL(fired_res.db.uri, pool_size=4)  # another replica's own connections
    for definer in fired_res.db.definers:
        other_db.add_models(definer)
    other = dataclasses.replace(fired_res, db=other_db)
    clock = Clock()
    clock.offset = timedelta(seconds=61)
    try:
        a, b = scheduler_for(fired_res, clock), scheduler_for(other, clock)
        a.batch = b.batch = 6

        async def drain(s: Scheduler) -> int:
            fired = 0
            for _ in range(100):
                if len(router.delivered) == 50:
                    break
                fired += await s.run_due()
                await asyncio.sleep(0)
            return fired

        by_a, by_b = await asyncio.gather(drain(a), drain(b))
    finally:
        await other_db.close()
    posts = [r.json["message_id"] for r in router.server.requests]
    assert len(router.delivered) == 50 and len(posts) == 50  # each posted once, no duplicates
    assert by_a + by_b == 50 and by_a > 0 and by_b > 0
    texts = sorted(body["responses"][0]["text"] for body in router.delivered.values())
    assert texts == sorted(f"@viewer{n}, reminder: number {n}" for n in range(50))


async def test_at_most_20_active_reminders_per_user(res: Any, make_request: Any) -> None:
    for n in range(20):
        await reminders.remind(res, make_request("remind", f"me in {n + 1}m r{n}"))
    refused = text_of(await reminders.remind(res, make_request("remind", "me in 5m one more")))
    assert refused == "You have 20 reminders already; cancel one first."
    await reminders.cancel(res, make_request("remind cancel", "3"))
    assert text_of(await reminders.remind(res, make_request("remind", "me in 5m one more"))).startswith(
        "Reminder #21 set"
    )
