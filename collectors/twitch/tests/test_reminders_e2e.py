"""A reminder the whole way: a signed Twitch webhook sets it, the memories scheduler fires
it through the router's messages API, and the Twitch collector posts it to the fake Helix
once — in one process (the cli Dispatcher), on both backends."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from waddlebot_cli.testing import run_fleet
from waddlebot_memories.app import create_app as create_memories
from waddlebot_memories.settings import MemoriesSettings
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings
from waddlebot_twitch.app import create_app as create_twitch
from waddlebot_twitch.settings import TwitchSettings

BROADCASTER = "1971641"  # the recorded chat fixture's channel
WEBHOOK = "/twitch/webhooks/eventsub"


def chat(text: str) -> Callable[[dict[str, Any]], None]:
    message_id = str(uuid.uuid4())

    def change(payload: dict[str, Any]) -> None:
        payload["event"].update(message_id=message_id, message={"text": text, "fragments": []})

    return change


async def test_a_one_minute_reminder_set_in_twitch_chat_is_posted_there_once(
    make_settings: Any, backend: dict[str, Any], twitch_settings: Callable[..., TwitchSettings],
    fake_twitch: Any, bot_user_id: str, eventsub: Any, eventually: Any, free_port: int,
) -> None:  # fmt: skip
    common = {"port": free_port, **backend}
    router = make_settings(
        RouterSettings, default_modules=["memories"], twitch_bot_user_id=bot_user_id,
        router_manifest_interval=0.5, router_user_rate_limit="100/30s", **common,
    )  # fmt: skip
    memories = make_settings(MemoriesSettings, memories_scheduler_interval=0.05, **common)
    twitch = twitch_settings(router_url=None, **common)
    apps = {
        "router": create_router(router),
        "memories": create_memories(memories),
        "twitch": create_twitch(twitch),
    }
    async with run_fleet(twitch, apps) as fleet, httpx.AsyncClient(base_url=fleet.url) as http:
        signed = eventsub("channel.chat.message", change=chat("!remind me in 1m stretch"))
        assert (await http.post(WEBHOOK, content=signed.body, headers=signed.headers)).status_code == 204
        await eventually(lambda: fake_twitch.messages(BROADCASTER))
        [confirmation] = fake_twitch.messages(BROADCASTER)
        assert confirmation["message"].startswith("Reminder #1 set: I'll remind you at ")
        assert "(in 60 seconds)" in confirmation["message"] or "(in 59 seconds)" in confirmation["message"]
        # the same webhook again (Twitch redelivers): no second reminder
        assert (await http.post(WEBHOOK, content=signed.body, headers=signed.headers)).status_code == 204

        scheduler = fleet.dispatcher.apps["memories"].extensions["memories.scheduler"]
        scheduler.clock = lambda: datetime.now(UTC) + timedelta(seconds=61)  # a minute passes
        await eventually(lambda: len(fake_twitch.messages(BROADCASTER)) >= 2)
        reminder = fake_twitch.messages(BROADCASTER)[1]
        assert reminder["sender_id"] == bot_user_id
        assert reminder["message"].endswith(", reminder: stretch")
        assert reminder["message"].startswith("@")
        assert "reply_parent_message_id" not in reminder or not reminder["reply_parent_message_id"]

        scheduler.clock = lambda: datetime.now(UTC) + timedelta(minutes=30)
        again = await scheduler.run_due()  # nothing is due any more
        assert again == 0
        listed = eventsub("channel.chat.message", change=chat("!remind list"))
        assert (await http.post(WEBHOOK, content=listed.body, headers=listed.headers)).status_code == 204
        await eventually(lambda: len(fake_twitch.messages(BROADCASTER)) >= 3)
        texts = [m["message"] for m in fake_twitch.messages(BROADCASTER)]
        assert texts[2].startswith("You have no reminders.")
        assert len(texts) == 3  # exactly one reminder post, one confirmation
