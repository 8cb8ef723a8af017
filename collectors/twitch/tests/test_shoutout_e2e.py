"""Shoutouts from a signed Twitch webhook to the recording fake Helix (real response
shapes): router, shoutout and the Twitch collector in one fleet, both backends."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from aiohttp import web

from flask_core.testing import free_tcp_port, service_headers
from waddlebot_cli.testing import Fleet, run_fleet
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings
from waddlebot_shoutout.app import create_app as create_shoutout
from waddlebot_shoutout.settings import ShoutoutSettings
from waddlebot_twitch.app import create_app as create_twitch
from waddlebot_twitch.runtime import RUNTIME_KEY, TwitchRuntime
from waddlebot_twitch.settings import TwitchSettings

BROADCASTER = "1971641"  # the recorded chat fixture's channel
RAIDED = "1337"  # the recorded raid fixture's channel
WEBHOOK = "/twitch/webhooks/eventsub"


def chat(text: str, *, moderator: bool = True) -> Callable[[dict[str, Any]], None]:
    def change(payload: dict[str, Any]) -> None:
        event = payload["event"]
        event.update(message_id=str(uuid.uuid4()), message={"text": text, "fragments": []})
        if not moderator:
            event.update(
                chatter_user_id="555", chatter_user_login="plainviewer", chatter_user_name="PlainViewer"
            )
            event["badges"] = []

    return change


class Chat:
    def __init__(
        self, fleet: Fleet, http: httpx.AsyncClient, fake: Any, eventsub: Any, eventually: Any
    ) -> None:
        self.fleet, self.http, self.fake, self.eventsub, self.eventually = (
            fleet,
            http,
            fake,
            eventsub,
            eventually,
        )

    @property
    def runtime(self) -> TwitchRuntime:
        rt: TwitchRuntime = self.fleet.dispatcher.apps["twitch"].extensions[RUNTIME_KEY]
        return rt

    async def send(self, kind: str, change: Callable[[dict[str, Any]], None] | None = None) -> None:
        signed = self.eventsub(kind, change=change)
        answer = await self.http.post(WEBHOOK, content=signed.body, headers=signed.headers)
        assert answer.status_code == 204

    async def say(self, text: str, *, moderator: bool = True, channel: str = BROADCASTER) -> str:
        before = len(self.fake.messages(channel))
        await self.send("channel.chat.message", chat(text, moderator=moderator))
        await self.eventually(lambda: len(self.fake.messages(channel)) > before)
        message: str = self.fake.messages(channel)[-1]["message"]
        return message


@asynccontextmanager
async def started(
    make_settings: Any, backend: dict[str, Any], twitch_settings: Callable[..., TwitchSettings],
    bot_user_id: str, fake_twitch: Any, eventsub: Any, eventually: Any, **shoutout: Any,
) -> AsyncIterator[Chat]:  # fmt: skip
    common = {"port": free_tcp_port(), "default_modules": ["shoutout"], **backend}
    twitch = twitch_settings(router_url=None, **common)
    router = make_settings(RouterSettings, twitch_bot_user_id=bot_user_id, **common)
    apps = {
        "router": create_router(router),
        "shoutout": create_shoutout(make_settings(ShoutoutSettings, **common, **shoutout)),
        "twitch": create_twitch(twitch),
    }
    fake_twitch.add_user("cool_user", "1234", game="Just Chatting", title="chill vibes", live=True)
    fake_twitch.add_user("sleepy", "4321", game="Celeste", title="speedruns", live=False)
    async with run_fleet(twitch, apps) as fleet, httpx.AsyncClient(base_url=fleet.url) as http:
        chat_ = Chat(fleet, http, fake_twitch, eventsub, eventually)
        await chat_.runtime.channels.record(BROADCASTER, True)  # the bot moderates here
        await chat_.runtime.channels.record(RAIDED, True)
        yield chat_


async def test_live_and_offline_templates_and_the_native_shoutout_once(
    make_settings: Any, backend: dict[str, Any], twitch_settings: Callable[..., TwitchSettings],
    bot_user_id: str, fake_twitch: Any, eventsub: Any, eventually: Any,
) -> None:  # fmt: skip
    args = (make_settings, backend, twitch_settings, bot_user_id, fake_twitch, eventsub, eventually)
    async with started(*args) as c:
        live = await c.say("!so @Cool_User")
        assert (
            live
            == "Go check out Cool_User at https://twitch.tv/cool_user - live now with Just Chatting: chill vibes"
        )
        assert fake_twitch.shoutouts == [
            {"from_broadcaster_id": BROADCASTER, "to_broadcaster_id": "1234", "moderator_id": bot_user_id}
        ]
        offline = await c.say("!shoutout sleepy")
        assert offline == "Go check out Sleepy at https://twitch.tv/sleepy - last seen playing Celeste!"
        assert await c.say("!so cool_user") == "Cool_User got a shoutout recently."  # per-target cooldown
        assert len(fake_twitch.shoutouts) == 1  # Twitch's one per channel per 2 minutes holds too
        assert await c.say("!so nobody_here") == "No such channel: nobody_here."
        refused = await c.say("!so sleepy", moderator=False)
        assert "needs moderator" in refused
        assert all(m["sender_id"] == bot_user_id for m in fake_twitch.messages(BROADCASTER))


async def test_a_429_from_twitch_is_not_an_error_in_chat(
    make_settings: Any, backend: dict[str, Any], twitch_settings: Callable[..., TwitchSettings],
    bot_user_id: str, fake_twitch: Any, eventsub: Any, eventually: Any,
) -> None:  # fmt: skip
    args = (make_settings, backend, twitch_settings, bot_user_id, fake_twitch, eventsub, eventually)
    async with started(*args) as c:
        fake_twitch.shoutout_script.append(429)
        answer = await c.say("!so sleepy")
        assert answer.startswith("Go check out Sleepy")
        assert len(fake_twitch.shoutouts) == 1
        assert await c.runtime.outbox.dead_letters() == []


async def test_community_templates_are_used_literally(
    make_settings: Any, backend: dict[str, Any], twitch_settings: Callable[..., TwitchSettings],
    bot_user_id: str, fake_twitch: Any, eventsub: Any, eventually: Any,
) -> None:  # fmt: skip
    args = (make_settings, backend, twitch_settings, bot_user_id, fake_twitch, eventsub, eventually)
    template = {"shoutout_offline_template": "{0.__class__} $(user) played $(game) $(title) $(nope)"}
    fake_twitch.add_user("trick", "999", game="$(user)", title="{0}", live=False)
    async with started(*args, **template) as c:
        assert await c.say("!so trick") == "{0.__class__} Trick played $(user) {0} $(nope)"


async def test_a_raid_gives_an_automatic_shoutout_and_an_overlay(
    make_settings: Any, backend: dict[str, Any], twitch_settings: Callable[..., TwitchSettings],
    bot_user_id: str, fake_twitch: Any, eventsub: Any, eventually: Any,
) -> None:  # fmt: skip
    args = (make_settings, backend, twitch_settings, bot_user_id, fake_twitch, eventsub, eventually)
    async with started(*args) as c:
        await c.send("channel.raid")
        await eventually(lambda: fake_twitch.messages(RAIDED))
        [message] = fake_twitch.messages(RAIDED)
        assert message["message"].startswith("Go check out Cool_User at https://twitch.tv/cool_user")
        assert fake_twitch.shoutouts == [
            {"from_broadcaster_id": RAIDED, "to_broadcaster_id": "1234", "moderator_id": bot_user_id}
        ]
        # The router's own answer carries the overlay for browser_source (an inline raid).
        raid = {
            "event_id": f"twitch:{uuid.uuid4()}", "platform": "twitch", "server_id": RAIDED,
            "channel_id": RAIDED, "type": "raid", "reply": {"kind": "inline"},
            "user": {"platform_user_id": "4321", "username": "sleepy", "display_name": "Sleepy"},
            "metadata": {"viewers": 12, "from_broadcaster_login": "sleepy"},
        }  # fmt: skip
        body = (await c.fleet.post(raid)).json()
        assert body["status"] == "processed"
        chat_line, overlay = body["responses"]
        assert chat_line["text"].startswith("Go check out Sleepy")
        assert overlay == {
            "type": "overlay",
            "source": "alert",
            "payload": {
                "kind": "raid",
                "user": "Sleepy",
                "login": "sleepy",
                "game": "Celeste",
                "viewers": 12,
            },
        }


async def test_the_raid_toggle_turns_automatic_shoutouts_off(
    make_settings: Any, backend: dict[str, Any], twitch_settings: Callable[..., TwitchSettings],
    bot_user_id: str, fake_twitch: Any, eventsub: Any, eventually: Any,
) -> None:  # fmt: skip
    args = (make_settings, backend, twitch_settings, bot_user_id, fake_twitch, eventsub, eventually)
    async with started(*args) as c:
        raid = {
            "event_id": f"twitch:{uuid.uuid4()}", "platform": "twitch", "server_id": RAIDED,
            "channel_id": RAIDED, "type": "raid", "reply": {"kind": "inline"},
            "user": {"platform_user_id": "4321", "username": "sleepy", "display_name": "Sleepy"},
            "metadata": {"viewers": 12, "from_broadcaster_login": "sleepy"},
        }  # fmt: skip
        first = (await c.fleet.post(raid)).json()  # provisions the community
        assert len(first["responses"]) == 2
        community = await community_of(c, RAIDED)
        headers = service_headers("shoutout", issuer="portal")
        answer = await c.http.put(
            f"/shoutout/api/v1/communities/{community}/settings", json={"auto_raid": False}, headers=headers
        )
        assert answer.status_code == 200 and answer.json()["auto_raid"] is False
        again = (await c.fleet.post({**raid, "event_id": f"twitch:{uuid.uuid4()}"})).json()
        assert again["responses"] == []


async def community_of(c: Chat, server_id: str) -> int:
    def read(d: Any) -> int:
        return int(d(d.entities.server_id == server_id).select(d.entities.community_id).first().community_id)

    res = c.fleet.dispatcher.resources
    assert res is not None
    community: int = await res.db.read(read)
    return community


async def test_twitch_not_answering_lookups_is_said_in_chat(
    make_settings: Any, backend: dict[str, Any], twitch_settings: Callable[..., TwitchSettings],
    bot_user_id: str, fake_twitch: Any, eventsub: Any, eventually: Any,
) -> None:  # fmt: skip
    args = (make_settings, backend, twitch_settings, bot_user_id, fake_twitch, eventsub, eventually)
    async with started(*args) as c:
        down = {"error": "Service Unavailable", "status": 503, "message": ""}
        fake_twitch.server.script("/helix/users", lambda: web.json_response(down, status=503))
        assert await c.say("!so sleepy") == "Twitch is not answering right now. Try again later."
        assert fake_twitch.shoutouts == []
        assert (await c.say("!so sleepy")).startswith("Go check out Sleepy")  # no cooldown was taken
