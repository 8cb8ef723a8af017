"""Chat moderation on Discord: gateway messages → router (evaluator) → the Discord REST API
fake: the message deleted, then a timeout (`communication_disabled_until`)."""

from __future__ import annotations

import copy
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from flask_core.testing import service_headers
from waddlebot_cli.testing import run_fleet
from waddlebot_discord.app import create_app as create_discord
from waddlebot_discord.normalise import MANAGE_MESSAGES, GuildInfo
from waddlebot_discord.runtime import RUNTIME_KEY
from waddlebot_discord.settings import DiscordSettings
from waddlebot_moderation.app import create_app as create_moderation
from waddlebot_moderation.settings import ModerationSettings
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings

pytestmark = pytest.mark.parametrize("backend", ["embedded"], indirect=True)
GUILD, CHANNEL, MOD_ROLE = "1300000000000000000", "1400000000000000000", "1350000000000000000"
MOD, VIEWER, OTHER = "1620000000000000001", "1620000000000000002", "1620000000000000003"


def message(load: Any, text: str, author: str) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(load("message_create")["d"])
    data["id"] = str(1480000000000000000 + time.time_ns() // 1000 % 10**12)
    data["content"] = text
    data["author"].update(id=author, username=f"user{author[-1]}", global_name=None)
    data["member"].update(roles=[MOD_ROLE] if author == MOD else [], nick=None)
    return data


async def test_a_link_is_deleted_then_timed_out_and_moderators_are_exempt(
    make_settings: Any, discord_env: dict[str, Any], fake_discord: Any, live_gateway: Any, load: Any,
    eventually: Any,
) -> None:  # fmt: skip
    live_gateway.guild = GuildInfo("1", {GUILD: 1024, MOD_ROLE: MANAGE_MESSAGES})
    env = {**discord_env, "default_modules": ["moderation"], "discord_bot_token": "test-bot-token"}
    router_settings = make_settings(RouterSettings, **env)
    apps = {
        "router": create_router(router_settings),
        "moderation": create_moderation(make_settings(ModerationSettings, **env)),
        "discord": create_discord(make_settings(DiscordSettings, **env), gateway_factory=live_gateway),
    }
    async with run_fleet(router_settings, apps) as fleet:
        runtime = apps["discord"].extensions[RUNTIME_KEY]

        async def drained() -> bool:
            return await runtime.outbox.pending() == 0

        async def say(text: str, author: str) -> str:
            data = message(load, text, author)
            stored = live_gateway.handled + 1
            await live_gateway.say(data)
            await eventually(lambda: live_gateway.handled >= stored)
            await eventually(drained)
            await runtime.delivery.join()
            return str(data["id"])

        def posted() -> list[str]:
            return [c.json["content"] for c in fake_discord.calls(f"/api/v10/channels/{CHANNEL}/messages")]

        await say("!filter links on", MOD)
        await eventually(lambda: "Filter links is on." in posted())
        spam = await say("free nitro at https://disc0rd.example/gift", VIEWER)
        await eventually(lambda: fake_discord.calls(f"/api/v10/channels/{CHANNEL}/messages/{spam}"))
        [deleted] = fake_discord.calls(f"/api/v10/channels/{CHANNEL}/messages/{spam}")
        assert deleted.method == "DELETE" and deleted.headers["Authorization"] == "Bot test-bot-token"
        assert deleted.headers["X-Audit-Log-Reason"] == "links%20are%20not%20allowed%20here"

        again = await say("really, disc0rd.xyz/gift", VIEWER)
        await eventually(lambda: fake_discord.calls(f"/api/v10/guilds/{GUILD}/members/{VIEWER}"))
        [timeout] = fake_discord.calls(f"/api/v10/guilds/{GUILD}/members/{VIEWER}")
        until = datetime.fromisoformat(timeout.json["communication_disabled_until"])
        assert timeout.method == "PATCH" and 5 < (until - datetime.now(UTC)).total_seconds() <= 10
        assert fake_discord.calls(f"/api/v10/channels/{CHANNEL}/messages/{again}")  # deleted too

        ours = await say("the rules: https://example.com/rules", MOD)
        await say("!filter words add heck", MOD)
        heck = await say("what the heck", OTHER)
        await eventually(lambda: fake_discord.calls(f"/api/v10/channels/{CHANNEL}/messages/{heck}"))
        assert fake_discord.calls(f"/api/v10/channels/{CHANNEL}/messages/{ours}") == []
        assert "@user2, links are not allowed here (timeout 10 s)." in posted()

        found = await fleet.http.get(f"/router/api/v1/communities/by-platform/discord/{GUILD}",
                                     headers=service_headers("router"))  # fmt: skip
        rules = f"/moderation/api/v1/communities/{found.json()['community_id']}/rules"
        refused = await fleet.http.patch(rules, json={"filters": {"words": {"patterns": [r"(\w+\s?)*$"]}}},
                                         headers=service_headers("moderation"))  # fmt: skip
        assert refused.status_code == 422 and refused.json()["error"]["code"] == "catastrophic_pattern"
        assert await runtime.delivery.outbox.dead_count() == 0
