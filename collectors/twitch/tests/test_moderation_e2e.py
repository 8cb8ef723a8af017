"""Chat moderation from signed Twitch webhooks to the recording fake Helix: router (with the
in-process evaluator), the moderation service, memories and the Twitch collector."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from flask_core.testing import free_tcp_port, service_headers
from waddlebot_cli.testing import run_fleet
from waddlebot_memories.app import create_app as create_memories
from waddlebot_memories.settings import MemoriesSettings
from waddlebot_moderation.app import create_app as create_moderation
from waddlebot_moderation.settings import ModerationSettings
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings
from waddlebot_twitch.app import create_app as create_twitch
from waddlebot_twitch.runtime import RUNTIME_KEY
from waddlebot_twitch.settings import TwitchSettings

BROADCASTER = "1971641"
WEBHOOK = "/twitch/webhooks/eventsub"
USERS = {
    "mod": ("4145994", "viewer32", [{"set_id": "moderator", "id": "1", "info": ""}]),
    "bob": ("555", "bob", []),
    "carol": ("556", "carol", [{"set_id": "subscriber", "id": "3", "info": "3"}]),
}


def chat(text: str, who: str) -> tuple[str, Callable[[dict[str, Any]], None]]:
    message_id = str(uuid.uuid4())
    user_id, login, badges = USERS[who]

    def change(payload: dict[str, Any]) -> None:
        payload["event"].update(
            message_id=message_id, message={"text": text, "fragments": [{"type": "text", "text": text}]},
            chatter_user_id=user_id, chatter_user_login=login, chatter_user_name=login.title(), badges=badges,
        )  # fmt: skip

    return message_id, change


@pytest.mark.parametrize("backend", ["fleet"], indirect=True)
async def test_links_words_permits_and_escalation_through_helix(
    make_settings: Any, backend: dict[str, Any], twitch_settings: Callable[..., TwitchSettings],
    fake_twitch: Any, bot_user_id: str, eventsub: Any, eventually: Any,
) -> None:  # fmt: skip
    common = {"port": free_tcp_port(), "default_modules": ["moderation", "memories"], **backend}
    twitch = twitch_settings(router_url=None, **common)
    router = make_settings(RouterSettings, twitch_bot_user_id=bot_user_id, **common)
    apps = {
        "router": create_router(router),
        "moderation": create_moderation(
            make_settings(ModerationSettings, moderation_pattern_timeout=0.5, **common)
        ),  # fmt: skip
        "memories": create_memories(make_settings(MemoriesSettings, **common)),
        "twitch": create_twitch(twitch),
    }
    async with run_fleet(twitch, apps) as fleet, httpx.AsyncClient(base_url=fleet.url) as http:
        runtime = apps["twitch"].extensions[RUNTIME_KEY]
        chats = fake_twitch.messages

        async def drained() -> bool:
            return await runtime.outbox.pending() == 0

        async def say_and_wait(text: str, who: str) -> str:
            """Post a chat line; return once the router answered and every answer went out."""
            message_id, change = chat(text, who)
            signed = eventsub("channel.chat.message", change=change)
            assert (await http.post(WEBHOOK, content=signed.body, headers=signed.headers)).status_code == 204
            await eventually(drained)
            await runtime.delivery.join()
            return message_id

        async def said(text: str, who: str) -> str:
            before = len(chats())
            await say_and_wait(text, who)
            return " | ".join(m["message"] for m in chats()[before:])

        assert await said("!filter links on", "mod") == "Filter links is on."
        spam = await say_and_wait("check out https://spam.example/free", "bob")
        assert fake_twitch.deleted == [{"broadcaster_id": BROADCASTER, "moderator_id": bot_user_id,
                                        "message_id": spam}]  # fmt: skip
        assert chats()[-1]["message"] == "@bob, links are not allowed here."

        await say_and_wait("buy now at spam.xyz", "bob")  # the second offence: a 10 s timeout
        assert fake_twitch.bans == [
            {
                "broadcaster_id": BROADCASTER,
                "moderator_id": bot_user_id,
                "user_id": "555",
                "duration": 10,
                "reason": "links are not allowed here",
            }
        ]
        assert len(fake_twitch.deleted) == 1

        assert await said("!permit @bob", "mod") == "@bob may post one link in the next 60 s."
        await say_and_wait("my clip: https://clips.twitch.tv/abc", "bob")  # let through, once
        assert len(fake_twitch.deleted) == 1 and len(fake_twitch.bans) == 1
        await say_and_wait("and https://again.example", "bob")  # the permit is used up
        assert fake_twitch.bans[-1]["duration"] == 600

        await say_and_wait("mods may: https://rules.example", "mod")
        assert len(fake_twitch.deleted) == 1 and len(fake_twitch.bans) == 2

        assert await said("!filter words add darn", "mod") == "Banned word added (1 in all)."
        darn = await say_and_wait("oh darn it", "carol")
        assert fake_twitch.deleted[-1]["message_id"] == darn

        before = len(chats())
        await say_and_wait("!quote add https://spam.example is great", "carol")  # not also run
        assert fake_twitch.bans[-1] == {**fake_twitch.bans[-1], "user_id": "556", "duration": 10}
        assert [m["message"] for m in chats()[before:]] == [
            "@carol, links are not allowed here (timeout 10 s)."
        ]
        assert "no quotes yet" in await said("!quote 1", "mod")  # nothing was added

        found = await http.get(f"/router/api/v1/communities/by-platform/twitch/{BROADCASTER}",
                               headers=service_headers("router"))  # fmt: skip
        community = found.json()["community_id"]
        rules = f"/moderation/api/v1/communities/{community}/rules"
        refused = await http.patch(rules, json={"filters": {"words": {"patterns": ["(a+)+$"]}}},
                                   headers=service_headers("moderation"))  # fmt: skip
        assert refused.status_code == 422
        assert refused.json()["error"]["code"] == "catastrophic_pattern"
        slow = await http.patch(rules, json={"filters": {"words": {"patterns": [r"\w*\w*\w*\w*\w*x"]}}},
                                headers=service_headers("moderation"))  # fmt: skip
        assert slow.status_code == 422 and "backtracking" in slow.json()["error"]["message"]
        fine = await http.patch(rules, json={"filters": {"words": {"patterns": [r"fr[e3]{2}\s*v-?bucks"]}}},
                                headers=service_headers("moderation"))  # fmt: skip
        assert fine.status_code == 200, fine.text
        vbucks = await say_and_wait("get FREE vbucks here", "bob")
        assert fake_twitch.deleted[-1]["message_id"] != vbucks  # bob's 4th offence: a timeout, not a delete
        assert fake_twitch.bans[-1] == {**fake_twitch.bans[-1], "user_id": "555", "duration": 600}

        log_url = f"/moderation/api/v1/communities/{community}/log"

        async def logged() -> list[dict[str, Any]]:
            items: list[dict[str, Any]] = (
                await http.get(log_url, headers=service_headers("moderation"))
            ).json()["items"]
            return items

        await eventually(lambda: _count(logged, 6))
        entries = await logged()
        assert [(e["username"], e["rule"], e["action"], e["duration"]) for e in reversed(entries)] == [
            ("bob", "links", "delete", None), ("bob", "links", "timeout", 10), ("bob", "links", "timeout", 600),
            ("carol", "words", "delete", None), ("carol", "links", "timeout", 10),
            ("bob", "words", "timeout", 600),
        ]  # fmt: skip
        assert entries[-1]["message"] == "check out https://spam.example/free"
        assert await runtime.delivery.outbox.dead_count() == 0


async def _count(fetch: Any, n: int) -> bool:
    return len(await fetch()) >= n
