"""Timers the whole way: signed Twitch webhooks add a timer and start and end the stream,
the timers' ticks post through the router's messages API, and the Twitch collector sends
each post to the fake Helix — counted there. The scheduler's clock is moved a minute at
a time instead of sleeping."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from waddlebot_cli.testing import run_fleet
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings
from waddlebot_timers.app import create_app as create_timers
from waddlebot_timers.settings import TimersSettings
from waddlebot_twitch.app import create_app as create_twitch
from waddlebot_twitch.settings import TwitchSettings

BROADCASTER = "1971641"  # the recorded chat fixture's channel
WEBHOOK = "/twitch/webhooks/eventsub"


def chat(text: str, *, moderator: bool = True) -> Callable[[dict[str, Any]], None]:
    def change(payload: dict[str, Any]) -> None:
        event = payload["event"]
        event.update(message_id=str(uuid.uuid4()), message={"text": text, "fragments": []})
        if not moderator:
            event.update(chatter_user_id="555", chatter_user_login="viewer", chatter_user_name="Viewer")
            event["badges"] = []

    return change


def stream(payload: dict[str, Any]) -> None:
    """stream.online / stream.offline of the chat fixture's channel."""
    payload["subscription"]["condition"]["broadcaster_user_id"] = BROADCASTER
    payload["event"].update(broadcaster_user_id=BROADCASTER, broadcaster_user_login="waddles")


class Clock:
    """The timers' scheduler clock: real time plus whole minutes moved by the test."""

    def __init__(self) -> None:
        self.minutes = 0

    def __call__(self) -> datetime:
        return datetime.now(UTC) + timedelta(minutes=self.minutes)


@asynccontextmanager
async def replica(
    make_settings: Any, backend: dict[str, Any], twitch_settings: Callable[..., TwitchSettings],
    bot_user_id: str, port: int, clock: Clock,
) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:  # fmt: skip
    """router + timers + the Twitch collector in one process; its scheduler on `clock`."""
    common = {"port": port, **backend}
    router = make_settings(
        RouterSettings, default_modules=["timers"], twitch_bot_user_id=bot_user_id,
        router_manifest_interval=0.5, router_user_rate_limit="100/30s", **common,
    )  # fmt: skip
    timers = make_settings(TimersSettings, timers_scheduler_interval=0.05, **common)
    twitch = twitch_settings(router_url=None, **common)
    apps = {"router": create_router(router), "timers": create_timers(timers), "twitch": create_twitch(twitch)}
    async with run_fleet(twitch, apps) as fleet, httpx.AsyncClient(base_url=fleet.url) as http:
        app = fleet.dispatcher.apps["timers"]
        for _ in range(200):
            if "timers.scheduler" in app.extensions:
                break
            await _pause()
        app.extensions["timers.scheduler"].clock = clock
        yield fleet, http


async def _pause() -> None:
    import asyncio

    await asyncio.sleep(0.02)


async def send(http: httpx.AsyncClient, signed: Any) -> None:
    assert (await http.post(WEBHOOK, content=signed.body, headers=signed.headers)).status_code == 204


def posts(fake_twitch: Any, text: str) -> list[str]:
    return [m["message"] for m in fake_twitch.messages(BROADCASTER) if m["message"] == text]


def timers_res(fleet: Any) -> Any:
    from flask_core.app import resources

    return resources(fleet.dispatcher.apps["timers"])


async def is_live(fleet: Any) -> bool:
    """Whether the timers have taken in the stream.online (the outbox delivers it a moment later)."""

    def count(db: Any) -> int:
        return int(db(db.timer_channels.live == True).count())  # noqa: E712

    return await timers_res(fleet).db.read(count) > 0


async def lines_counted(fleet: Any) -> int:
    from waddlebot_timers.service import Chat, lines

    res = timers_res(fleet)
    community = await res.db.read(
        lambda db: db(db.timers).select(db.timers.community_id).first().community_id
    )
    return await lines(res, Chat(int(community), "twitch", BROADCASTER, BROADCASTER))


async def _at_least(count: Any, n: int) -> bool:
    return bool(await count >= n)


async def not_live(fleet: Any) -> bool:
    return not await is_live(fleet)


async def settle(fleet: Any) -> None:
    """Let every due tick run (the loop polls every 50 ms)."""
    await fleet.dispatcher.apps["timers"].extensions["timers.scheduler"].run_due()
    await _pause()


async def test_a_timer_posts_once_a_minute_while_live_and_never_after_offline(
    make_settings: Any, backend: dict[str, Any], twitch_settings: Callable[..., TwitchSettings],
    fake_twitch: Any, bot_user_id: str, eventsub: Any, eventually: Any, free_port: int,
) -> None:  # fmt: skip
    clock = Clock()
    async with replica(make_settings, backend, twitch_settings, bot_user_id, free_port, clock) as (
        fleet,
        http,
    ):
        await send(
            http, eventsub("channel.chat.message", change=chat("!timer add hello 1 --lines 0 Follow us!"))
        )
        await eventually(lambda: fake_twitch.messages(BROADCASTER))
        assert fake_twitch.messages(BROADCASTER)[0]["message"] == (
            "Timer hello added: every minute while you are live (from the next stream start)."
        )
        clock.minutes = 2  # offline: nothing is posted
        await settle(fleet)
        assert posts(fake_twitch, "Follow us!") == []

        await send(http, eventsub("stream.online", change=stream))
        await eventually(lambda: is_live(fleet))
        for minute in range(1, 4):
            clock.minutes = 2 + minute
            await eventually(lambda m=minute: len(posts(fake_twitch, "Follow us!")) == m)
            await settle(fleet)
            assert len(posts(fake_twitch, "Follow us!")) == minute  # once per minute, not more

        await send(http, eventsub("stream.offline", change=stream))
        await eventually(lambda: not_live(fleet))
        for minute in range(6, 9):
            clock.minutes = minute
            await settle(fleet)
        assert len(posts(fake_twitch, "Follow us!")) == 3
        bot_posts = [m for m in fake_twitch.messages(BROADCASTER) if m["message"] == "Follow us!"]
        assert all(m["sender_id"] == bot_user_id and not m.get("reply_parent_message_id") for m in bot_posts)


async def test_a_quiet_chat_keeps_a_lines_timer_silent_until_it_talks(
    make_settings: Any, backend: dict[str, Any], twitch_settings: Callable[..., TwitchSettings],
    fake_twitch: Any, bot_user_id: str, eventsub: Any, eventually: Any, free_port: int,
) -> None:  # fmt: skip
    clock = Clock()
    async with replica(make_settings, backend, twitch_settings, bot_user_id, free_port, clock) as (
        fleet,
        http,
    ):
        await send(http, eventsub("stream.online", change=stream))
        await eventually(lambda: is_live(fleet))
        await send(
            http,
            eventsub("channel.chat.message", change=chat("!timer add quiet 1 --lines 5 Say hi, $(channel)")),
        )
        await eventually(lambda: fake_twitch.messages(BROADCASTER))
        assert fake_twitch.messages(BROADCASTER)[0]["message"] == (
            "Timer quiet added: every minute after at least 5 chat lines while you are live."
        )
        for minute in (1, 2, 3):
            clock.minutes = minute
            await settle(fleet)
        assert len(fake_twitch.messages(BROADCASTER)) == 1  # quiet chat: silent
        for n in range(5):
            await send(http, eventsub("channel.chat.message", change=chat(f"hello {n}", moderator=False)))
        await eventually(lambda: _at_least(lines_counted(fleet), 5))
        clock.minutes = 4
        await eventually(lambda: len(fake_twitch.messages(BROADCASTER)) == 2)
        assert fake_twitch.messages(BROADCASTER)[1]["message"].startswith("Say hi, ")
        clock.minutes = 5  # the five lines were used up by that post
        await settle(fleet)
        assert len(fake_twitch.messages(BROADCASTER)) == 2


@pytest.mark.parametrize("backend", ["fleet"], indirect=True)
async def test_two_replicas_post_each_period_once_and_two_timers_never_share_a_minute(
    make_settings: Any, backend: dict[str, Any], twitch_settings: Callable[..., TwitchSettings],
    fake_twitch: Any, bot_user_id: str, eventsub: Any, eventually: Any, free_port: int,
) -> None:  # fmt: skip
    from flask_core.local_servers import free_tcp_port, release_tcp_port

    clock = Clock()
    second_port = free_tcp_port()
    try:
        async with AsyncExitStack() as stack:
            one, http = await stack.enter_async_context(
                replica(make_settings, backend, twitch_settings, bot_user_id, free_port, clock)
            )
            two, _ = await stack.enter_async_context(
                replica(make_settings, backend, twitch_settings, bot_user_id, second_port, clock)
            )
            await send(http, eventsub("stream.online", change=stream))
            await eventually(lambda: is_live(one))
            await send(
                http, eventsub("channel.chat.message", change=chat("!timer add a 1 --lines 0 Timer A"))
            )
            # a answered before b is sent: two lines in one outbox batch run side by side, and
            # the order they are stored in decides which of two equally due timers goes first
            await eventually(lambda: len(fake_twitch.messages(BROADCASTER)) == 1)
            await send(
                http, eventsub("channel.chat.message", change=chat("!timer add b 1 --lines 0 Timer B"))
            )
            await eventually(lambda: len(fake_twitch.messages(BROADCASTER)) == 2)
            for minute in range(1, 5):
                clock.minutes = minute
                await eventually(lambda m=minute: len(fake_twitch.messages(BROADCASTER)) == 2 + m)
                await settle(one)
                await settle(two)
                assert len(fake_twitch.messages(BROADCASTER)) == 2 + minute  # one post per minute
            texts = [m["message"] for m in fake_twitch.messages(BROADCASTER)[2:]]
            assert texts == ["Timer A", "Timer B", "Timer A", "Timer B"]  # spread out, never together
    finally:
        release_tcp_port(second_port)
