"""Private answers (§11, §12) on Discord: ephemeral (flags 64) on an interaction, a DM
channel for a gateway message, and without DISCORD_BOT_TOKEN a dead letter that says why."""

from __future__ import annotations

import asyncio
import copy
import time
from typing import Any

import pytest
from quart import Quart

from flask_core.app import create_app
from flask_core.events import Manifest, ManifestCommand
from flask_core.module import ModuleSpec, module_blueprint
from flask_core.settings import CoreSettings
from flask_core.testing import service_headers, started, wait_until
from waddlebot_cli.testing import run_fleet
from waddlebot_discord.app import create_app as create_discord
from waddlebot_discord.runtime import RUNTIME_KEY
from waddlebot_discord.settings import DiscordSettings
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings

pytestmark = pytest.mark.parametrize("backend", ["embedded"], indirect=True)
CODE = "Your code is 4242."
DM_CHANNEL = "1470000000000000000"  # what the fake answers POST /users/@me/channels with


def secret_module(settings: CoreSettings) -> Quart:
    """Served as `shoutout`: `!code` answers only privately."""

    async def code(res: Any, request: Any) -> list[dict[str, Any]]:
        return [{"type": "dm", "text": CODE}]

    async def slowcode(res: Any, request: Any) -> list[dict[str, Any]]:
        await asyncio.sleep(0.8)  # longer than the interaction wait (0.4 s): type 5 first
        return [{"type": "dm", "text": CODE}]

    manifest = Manifest(
        name="shoutout", commands=[ManifestCommand(path="code"), ManifestCommand(path="slowcode")]
    )
    spec = ModuleSpec(manifest, {"code": code, "slowcode": slowcode})
    return create_app("shoutout", settings, [module_blueprint(spec)], "shoutout")


def gateway_message(load: Any, text: str, author_id: str) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(load("message_create")["d"])
    data["id"] = str(1480000000000000000 + time.time_ns() // 1000 % 10**9)
    data["content"] = text
    data["author"]["id"] = author_id
    return data


async def test_a_dm_is_ephemeral_on_an_interaction_and_a_dm_channel_from_chat(
    make_settings: Any, discord_env: dict[str, Any], fake_discord: Any, make_interaction: Any,
    post_interaction: Any, live_gateway: Any, load: Any,
) -> None:  # fmt: skip
    env = {**discord_env, "default_modules": ["shoutout"], "discord_bot_token": "test-bot-token"}
    router_settings = make_settings(RouterSettings, **env)
    apps = {
        "router": create_router(router_settings),
        "shoutout": secret_module(make_settings(CoreSettings, **env)),
        "discord": create_discord(make_settings(DiscordSettings, **env), gateway_factory=live_gateway),
    }
    async with run_fleet(router_settings, apps) as fleet:
        answer = (await post_interaction(fleet.http, make_interaction(command="code", args=""))).json()
        assert answer == {
            "type": 4,
            "data": {"content": CODE, "allowed_mentions": {"parse": []}, "flags": 64},
        }
        await live_gateway.say(gateway_message(load, "!code", "1620000000000000077"))
        [opened] = await fake_discord.wait_for("/api/v10/users/@me/channels")
        [dm] = await fake_discord.wait_for(f"/api/v10/channels/{DM_CHANNEL}/messages")
        runtime = apps["discord"].extensions[RUNTIME_KEY]
        await runtime.delivery.join()
    assert opened.json == {"recipient_id": "1620000000000000077"}
    assert opened.headers["Authorization"] == "Bot test-bot-token"
    assert dm.json == {"content": CODE, "allowed_mentions": {"parse": []}}
    # Nothing in the guild's channel, and no "nothing to show" on the interaction.
    assert fake_discord.calls("/api/v10/channels/1400000000000000000/messages") == []
    assert fake_discord.calls(r"/api/v10/webhooks/.*") == []


async def test_a_late_dm_is_an_ephemeral_follow_up_and_thinking_says_where_it_went(
    make_settings: Any, discord_env: dict[str, Any], fake_discord: Any, make_interaction: Any,
    post_interaction: Any,
) -> None:  # fmt: skip
    env = {**discord_env, "default_modules": ["shoutout"]}
    router_settings = make_settings(RouterSettings, **env)
    apps = {
        "router": create_router(router_settings),
        "shoutout": secret_module(make_settings(CoreSettings, **env)),
        "discord": create_discord(make_settings(DiscordSettings, **env)),
    }
    async with run_fleet(router_settings, apps) as fleet:
        answer = (await post_interaction(fleet.http, make_interaction(command="slowcode", args=""))).json()
        assert answer == {"type": 5}
        [follow_up] = await fake_discord.wait_for(r"/api/v10/webhooks/\d+/[\w.-]+", within=10)
        [original] = await fake_discord.wait_for(
            r"/api/v10/webhooks/\d+/[\w.-]+/messages/@original", within=10
        )
        await apps["discord"].extensions[RUNTIME_KEY].delivery.join()
    assert follow_up.method == "POST"
    assert follow_up.json == {"content": CODE, "allowed_mentions": {"parse": []}, "flags": 64}
    assert original.method == "PATCH"
    assert original.json == {"content": "I sent you the answer privately.", "allowed_mentions": {"parse": []}}


async def test_without_a_bot_token_a_chat_dm_is_a_dead_letter_saying_why(
    make_settings: Any, discord_env: dict[str, Any], fake_discord: Any
) -> None:
    app = create_discord(make_settings(DiscordSettings, router_url=fake_discord.url, **discord_env))
    delivery = {
        "invocation_id": "inv-dm-1", "server_id": "1300000000000000000",
        "channel_id": "1400000000000000000", "reply": {"kind": "chat"},
        "user": {"platform_user_id": "1620000000000000077", "username": "amy"},
        "responses": [{"type": "dm", "text": CODE}],
    }  # fmt: skip
    async with started(app, settings=app.extensions["waddlebot.settings"]):
        client = app.test_client()
        answer = await client.post(
            "/discord/api/v1/messages", json=delivery, headers=service_headers("discord")
        )
        assert answer.status_code == 202
        outbox = app.extensions[RUNTIME_KEY].delivery.outbox
        await wait_until(lambda: outbox.dead_count())
        [dead] = await outbox.dead_letters()
    assert dead["last_error"].startswith("dm_unavailable")
    assert "DISCORD_BOT_TOKEN" in dead["last_error"]
    assert fake_discord.platform_calls() == []
