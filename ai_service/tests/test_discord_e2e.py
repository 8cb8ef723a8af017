"""`/ai` on Discord the whole way: an answer in time is the interaction's type 4; a slow one
is type 5 and then exactly one edit of `@original` (the late-answer path, §4.4a)."""

from __future__ import annotations

import json
import sys
from typing import Any

from waddlebot_ai.app import create_app as create_ai
from waddlebot_cli.testing import run_fleet
from waddlebot_discord.app import create_app as create_discord
from waddlebot_discord.runtime import RUNTIME_KEY
from waddlebot_discord.settings import DiscordSettings
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings

ORIGINAL = r"/api/v10/webhooks/\d+/[\w-]+/messages/@original"


async def test_ai_on_discord_is_type_4_in_time_and_type_5_with_one_edit_when_slow(
    make_settings: Any, ai_settings: Any, fake_discord: Any, fake_ollama: Any, free_port: int
) -> None:
    d = sys.modules["waddlebot_ai_test_discord"]
    env = {
        "port": free_port, "discord_public_key": d.PUBLIC_KEY, "discord_application_id": d.APPLICATION_ID,
        "discord_api_url": f"{fake_discord.url}/api/v10", "discord_interaction_wait": 1.0,
        "discord_interaction_poll": 0.02, "outbox_poll_interval": 0.02, "outbox_backoff_base": 0.05,
        "delivery_retry_schedule": "10ms,20ms,50ms",
    }  # fmt: skip
    router = make_settings(RouterSettings, default_modules=["ai"], router_manifest_interval=0.5, **env)
    apps = {
        "router": create_router(router),
        "ai": create_ai(ai_settings(port=free_port)),
        "discord": create_discord(make_settings(DiscordSettings, **env)),
    }

    async def post(ix: dict[str, Any]) -> Any:
        body = json.dumps(ix).encode()
        return await fleet.http.post("/discord/webhooks/interactions", content=body, headers=d.signed(body))

    async with run_fleet(router, apps) as fleet:
        quick = d.interaction(command="ai", args="what is waddling?")
        first = (await post(quick)).json()
        assert first["type"] == 4, first
        assert first["data"]["content"] == "Answer 1: what is waddling?"

        fake_ollama.stall = 2.0  # longer than the collector waits (1 s)
        slow = d.interaction(command="ai", args="**slow** one")
        assert (await post(slow)).json() == {"type": 5}
        [edit] = await fake_discord.wait_for(ORIGINAL, within=10)
        await fleet.dispatcher.apps["discord"].extensions[RUNTIME_KEY].delivery.join()
    assert edit.method == "PATCH"
    assert edit.path == f"/api/v10/webhooks/{slow['application_id']}/{slow['token']}/messages/@original"
    assert edit.body == {
        "content": "Answer 2: **slow** one",
        "allowed_mentions": {"parse": []},
    }  # markdown kept
    assert len(fake_discord.calls(ORIGINAL)) == 1
