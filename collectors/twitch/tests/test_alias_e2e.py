"""Aliases from a signed Twitch webhook to the recording fake Helix: router, alias and
memories in one fleet, both backends."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from flask_core.testing import free_tcp_port
from waddlebot_alias.app import create_app as create_alias
from waddlebot_alias.settings import AliasSettings
from waddlebot_cli.testing import run_fleet
from waddlebot_memories.app import create_app as create_memories
from waddlebot_memories.settings import MemoriesSettings
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings
from waddlebot_twitch.app import create_app as create_twitch
from waddlebot_twitch.settings import TwitchSettings

BROADCASTER = "1971641"  # the recorded chat fixture's channel
WEBHOOK = "/twitch/webhooks/eventsub"


def chat(text: str, *, moderator: bool) -> Callable[[dict[str, Any]], None]:
    def change(payload: dict[str, Any]) -> None:
        event = payload["event"]
        event.update(message_id=str(uuid.uuid4()), message={"text": text, "fragments": []})
        if not moderator:
            event.update(
                chatter_user_id="555", chatter_user_login="plainviewer", chatter_user_name="PlainViewer"
            )
            event["badges"] = []

    return change


async def test_alias_commands_from_twitch_chat_answer_in_chat(
    make_settings: Any, backend: dict[str, Any], twitch_settings: Callable[..., TwitchSettings],
    fake_twitch: Any, bot_user_id: str, eventsub: Any, eventually: Any,
) -> None:  # fmt: skip
    common = {"port": free_tcp_port(), "default_modules": ["alias", "memories"], **backend}
    twitch = twitch_settings(router_url=None, **common)
    router = make_settings(
        RouterSettings, twitch_bot_user_id=bot_user_id, router_user_rate_limit="100/30s", **common
    )
    apps = {
        "router": create_router(router),
        "alias": create_alias(make_settings(AliasSettings, **common)),
        "memories": create_memories(make_settings(MemoriesSettings, **common)),
        "twitch": create_twitch(twitch),
    }
    async with run_fleet(twitch, apps) as fleet, httpx.AsyncClient(base_url=fleet.url) as http:

        async def say(text: str, *, moderator: bool = True) -> str:
            before = len(fake_twitch.messages(BROADCASTER))
            signed = eventsub("channel.chat.message", change=chat(text, moderator=moderator))
            answer = await http.post(WEBHOOK, content=signed.body, headers=signed.headers)
            assert answer.status_code == 204
            await eventually(lambda: len(fake_twitch.messages(BROADCASTER)) > before)
            message: str = fake_twitch.messages(BROADCASTER)[-1]["message"]
            return message

        assert await say("!alias add x {0.__class__} $(user)") == "Alias !x added."
        assert await say("!x") == "{0.__class__} viewer32"
        assert await say("!alias add hi Hi $(touser), welcome to $(channel) on $(platform) [$(count)]") == (
            "Alias !hi added."
        )
        assert await say("!hi @Bob", moderator=False) == "Hi Bob, welcome to streamer on twitch [1]"
        assert await say("!alias list", moderator=False) == "Aliases: !hi, !x"
        assert (await say("!alias show hi", moderator=False)).startswith("!hi → Hi $(touser), welcome")
        refused = await say("!alias add sneaky hello", moderator=False)
        assert "needs moderator" in refused
        assert "loop" in await say("!alias add y !z") + await say("!alias add z !y")
        assert await say("!alias remove x") == "Alias !x removed."
        assert await say("!alias list") == "Aliases: !hi, !y"
        assert all(m["sender_id"] == bot_user_id for m in fake_twitch.messages(BROADCASTER))
