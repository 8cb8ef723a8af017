"""`waddlebot discord register-commands`: slash commands from the manifests or the router."""

from __future__ import annotations

import argparse
from typing import Any

from flask_core.testing import service_headers
from waddlebot_cli.testing import run_fleet
from waddlebot_discord import cli
from waddlebot_discord.settings import DiscordSettings
from waddlebot_memories.app import create_app as create_memories
from waddlebot_memories.settings import MemoriesSettings
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings

APP = "1100000000000000000"
GUILD = "1300000000000000000"


def fleet(make_settings: Any, env: dict[str, Any]) -> tuple[RouterSettings, dict[str, Any]]:
    router_settings = make_settings(RouterSettings, **env)
    apps = {
        "router": create_router(router_settings),
        "memories": create_memories(make_settings(MemoriesSettings, **env)),
    }
    return router_settings, apps


async def test_register_commands_for_a_guild_from_the_module_manifests(
    make_settings: Any, discord_env: dict[str, Any], fake_discord: Any
) -> None:
    env = {**discord_env, "default_modules": ["memories"], "discord_bot_token": "test-bot-token"}
    out: list[str] = []
    router_settings, apps = fleet(make_settings, env)
    async with run_fleet(router_settings, apps):
        code = await cli.register_commands(make_settings(DiscordSettings, **env), guild=GUILD, out=out.append)
    assert code == 0, out
    [put] = fake_discord.calls(rf"/api/v10/applications/{APP}/guilds/{GUILD}/commands", "PUT")
    assert put.headers["Authorization"] == "Bot test-bot-token"
    assert [c["name"] for c in put.body] == ["bookmark", "commands", "help", "modules", "quote", "remind"]
    quote = next(c for c in put.body if c["name"] == "quote")
    assert quote["type"] == 1
    assert quote["description"] == "Show a random quote, or the quote with this number."
    assert quote["options"] == [
        {
            "type": 3,
            "name": "args",
            "description": "What follows !quote in chat: !quote [number]",
            "required": False,
        }
    ]
    assert quote["contexts"] == [0]
    assert out == [f"registered 6 command(s) guild {GUILD}: bookmark, commands, help, modules, quote, remind"]


async def test_register_commands_globally_from_one_communitys_enabled_commands(
    make_settings: Any, discord_env: dict[str, Any], fake_discord: Any
) -> None:
    env = {**discord_env, "default_modules": ["memories"], "discord_bot_token": "test-bot-token"}
    router_settings, apps = fleet(make_settings, env)
    async with run_fleet(router_settings, apps) as running:
        event = {
            "event_id": "discord:1", "platform": "discord", "server_id": GUILD, "channel_id": "c",
            "user": {"platform_user_id": "u", "username": "u"}, "text": "hello",
        }  # fmt: skip
        assert (await running.post(event)).status_code == 200  # provisions community 1
        off = await running.http.put(
            "/router/api/v1/communities/1/modules/memories",
            json={"enabled": False},
            headers=service_headers("router"),
        )
        assert off.status_code == 200
        code = await cli.register_commands(
            make_settings(DiscordSettings, **env), community=1, out=lambda _: None
        )
    assert code == 0
    [put] = fake_discord.calls(rf"/api/v10/applications/{APP}/commands", "PUT")
    assert [c["name"] for c in put.body] == ["commands", "help", "modules"]


async def test_register_commands_needs_the_application_and_bot_token(
    make_settings: Any, discord_env: dict[str, Any], fake_discord: Any
) -> None:
    out: list[str] = []
    code = await cli.register_commands(make_settings(DiscordSettings, **discord_env), out=out.append)
    assert code == 2
    assert out == ["discord: missing settings: DISCORD_BOT_TOKEN"]
    assert fake_discord.requests == []


def test_register_adds_the_discord_command_to_the_waddlebot_parser() -> None:
    parser = argparse.ArgumentParser(prog="waddlebot")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["discord", "register-commands", "--guild", GUILD, "--modules", "memories"])
    assert (args.guild, args.modules, args.community) == (GUILD, "memories", None)
    assert callable(args.func)
