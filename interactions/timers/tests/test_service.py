"""Timers' commands and ticks against the real database and cache, on both backends."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from flask_core.scheduler import Job, get_job
from waddlebot_timers import commands, service
from waddlebot_timers.service import Chat

from .conftest import T0, event


def text_of(responses: list[dict[str, Any]]) -> str:
    assert len(responses) == 1 and responses[0]["type"] == "chat"
    return str(responses[0]["text"])


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


async def tick_job(res: Any, platform: str = "twitch", channel: str = "c1") -> Job | None:
    def find(db: Any) -> int | None:
        c = db.timer_channels
        row = db((c.platform == platform) & (c.channel_id == channel)).select().first()
        return int(row.job_id) if row is not None and row.job_id else None

    job_id = await res.db.read(find)
    return None if job_id is None else await res.db.read(get_job, job_id)


async def fire(res: Any, job: Job, minute: float) -> str | None:
    """Fire the job's occurrence at `minute` (as the scheduler would)."""
    occurrence = at(minute).replace(second=0)
    return await service.tick(res, Job(**{**_fields(job), "occurrence": occurrence}))


def _fields(job: Job) -> dict[str, Any]:
    return {name: getattr(job, name) for name in Job.__dataclass_fields__}


async def test_add_list_switch_and_remove(res: Any, make_request: Any, clock: Any) -> None:
    added = text_of(
        await commands.add(res, make_request("timer add", "Hello 10 --lines 3 Follow $(channel)!"))
    )
    assert (
        added
        == "Timer hello added: every 10 minutes after at least 3 chat lines while you are live (from the next stream start)."
    )
    assert text_of(await commands.add(res, make_request("timer add", "hello 5 again"))) == (
        "There is a timer called hello already; remove it first."
    )
    assert (
        text_of(await commands.list_timers(res, make_request("timer list")))
        == "Timers: hello: every 10m, 3 lines"
    )
    assert (
        text_of(await commands.switch_off(res, make_request("timer off", "hello"))) == "Timer hello is off."
    )
    assert "(off)" in text_of(await commands.list_timers(res, make_request("timer list")))
    assert text_of(await commands.switch_on(res, make_request("timer on", "HELLO"))) == "Timer hello is on."
    assert text_of(await commands.switch_on(res, make_request("timer on", "nope"))) == "No timer called nope."
    other = make_request("timer list", community_id="2")
    assert text_of(await commands.list_timers(res, other)).startswith("No timers yet.")
    assert text_of(await commands.remove(res, make_request("timer remove", "hello", community_id="2"))) == (
        "No timer called hello."
    )  # another community's timer
    assert (
        text_of(await commands.remove(res, make_request("timer remove", "hello"))) == "Timer hello removed."
    )
    assert (
        text_of(await commands.remove(res, make_request("timer remove", "hello"))) == "No timer called hello."
    )


@pytest.mark.parametrize(
    ("args", "answer"),
    [
        ("", "Usage: !timer add <name> <minutes> [--lines N] [--live] <text>"),
        ("hello 10", "Usage: !timer add <name> <minutes> [--lines N] [--live] <text>"),
        ("hello 0 text", "Minutes must be a whole number from 1 to 1440."),
        ("hello 1441 text", "Minutes must be a whole number from 1 to 1440."),
        ("hello ten text", "Minutes must be a whole number from 1 to 1440."),
        ("hello 5 --lines -1 text", "--lines must be a whole number from 0 to 1000."),
        ("héllo 5 text", "A timer's name is 1-32 letters, digits, - or _."),
        ("hello 5 " + "x" * 401, "That text is too long (400 characters at most)."),
    ],
)
async def test_bad_timers_are_refused_with_a_reason(
    res: Any, make_request: Any, args: str, answer: str
) -> None:
    assert text_of(await commands.add(res, make_request("timer add", args))) == answer
    assert await res.db.read(service.list_timers, 1) == []


async def test_a_community_has_a_limited_number_of_timers(res: Any, make_request: Any) -> None:
    for name in ("a", "b", "c"):
        assert text_of(await commands.add(res, make_request("timer add", f"{name} 5 x"))).startswith("Timer ")
    assert text_of(await commands.add(res, make_request("timer add", "d 5 x"))) == (
        "This community has 3 timers already; remove one first."
    )


async def test_web_has_no_chat_to_post_to(res: Any, make_request: Any) -> None:
    answer = text_of(await commands.add(res, make_request("timer add", "a 5 x", platform="web")))
    assert answer == "Timers post into a chat: add them from Twitch, Discord or Slack."


async def test_a_tick_posts_the_most_overdue_ready_timer_once(
    res: Any, make_request: Any, clock: Any, router: Any
) -> None:
    await commands.on_stream_online(res, event(type_="stream_online", channel_id="c1"), "1")
    await commands.add(res, make_request("timer add", "a 1 --lines 0 A for $(channel), post $(count)"))
    await commands.add(res, make_request("timer add", "b 2 --lines 0 B $(random x|x)"))
    job = await tick_job(res)
    assert job is not None and job.rrule == "FREQ=MINUTELY"
    assert await fire(res, job, 1) == "a"
    assert await fire(res, job, 2) == "b"  # a is due again, but b waited longer
    assert await fire(res, job, 3) == "a"
    assert await fire(res, job, 3) is None  # the same occurrence again: nothing is due
    # A replica that died between the post and its record fires the occurrence again:
    # it picks the same timer, and the router answers `duplicate` for the same message id.
    await res.db.run(
        lambda db: db(db.timers.name == "a").update(
            last_posted_at=at(1).replace(second=0, tzinfo=None), posts=1
        )
    )
    assert await fire(res, job, 3) == "a"
    assert router.texts() == ["A for Waddles, post 1", "B x", "A for Waddles, post 2"]  # posted once
    assert (
        router.posts[0]["message_id"].startswith("timers:timer_tick:")
        and router.posts[0]["channel_id"] == "c1"
    )


async def test_offline_stops_the_tick_and_online_rearms(
    res: Any, make_request: Any, clock: Any, router: Any
) -> None:
    await commands.add(res, make_request("timer add", "a 1 --lines 0 A"))
    assert await tick_job(res) is None  # not live yet
    await commands.on_stream_online(res, event(type_="stream_online"), "1")
    job = await tick_job(res)
    assert job is not None and job.state == "scheduled"
    await commands.on_stream_offline(res, event(type_="stream_offline"), "1")
    assert (await res.db.read(get_job, job.id)).state == "cancelled"
    assert await tick_job(res) is None
    assert await fire(res, job, 5) is None and router.posts == []
    await commands.on_stream_online(res, event(type_="stream_online"), "1")
    await commands.on_stream_online(res, event(type_="stream_online"), "1")  # a repeat changes nothing
    assert (await tick_job(res)) is not None


async def test_chat_lines_gate_a_timer(res: Any, make_request: Any, clock: Any, router: Any) -> None:
    await commands.on_stream_online(res, event(type_="stream_online"), "1")
    await commands.add(res, make_request("timer add", "talk 1 --lines 2 Talk"))
    job = await tick_job(res)
    assert job is not None
    assert await fire(res, job, 1) is None
    for _ in range(2):
        await commands.on_chat(res, event("hi"), "1")
    await commands.on_chat(res, event("elsewhere", channel_id="c2"), "1")  # another chat's line
    assert await service.lines(res, Chat(1, "twitch", "s1", "c1")) == 2
    assert await fire(res, job, 2) == "talk"
    assert await fire(res, job, 3) is None  # its lines were used


async def test_discord_timers_run_always_unless_they_follow_the_stream(
    res: Any, make_request: Any, clock: Any, router: Any
) -> None:
    always = text_of(
        await commands.add(res, make_request("timer add", "d 1 --lines 0 D", platform="discord"))
    )
    assert always == "Timer d added: every minute."
    follower = text_of(
        await commands.add(
            res, make_request("timer add", "f 1 --lines 0 --live F", platform="discord", channel_id="c9")
        )
    )
    assert follower == "Timer f added: every minute while the community's Twitch stream is live."
    job = await tick_job(res, "discord")
    assert job is not None and await fire(res, job, 1) == "d"
    live_job = await tick_job(res, "discord", "c9")
    assert live_job is not None and await fire(res, live_job, 1) is None  # the stream is offline
    await commands.on_stream_online(res, event(type_="stream_online", channel_id="t1", server_id="t1"), "1")
    assert await fire(res, live_job, 2) == "f"
    assert [p["platform"] for p in router.posts] == ["discord", "discord"]


async def test_a_router_that_cannot_take_the_post_keeps_the_occurrence(
    res: Any, make_request: Any, clock: Any, router: Any
) -> None:
    from aiohttp import web

    from flask_core.errors import DependencyUnavailable

    await commands.add(res, make_request("timer add", "d 1 --lines 0 D", platform="slack"))
    job = await tick_job(res, "slack")
    assert job is not None
    router.server.script(  # the call retries once
        "/router/api/v1/messages", web.json_response({}, status=503), web.json_response({}, status=503)
    )
    with pytest.raises(DependencyUnavailable):
        await fire(res, job, 1)
    assert await fire(res, job, 1) == "d"  # the retry posts it
    assert router.texts() == ["D"]
