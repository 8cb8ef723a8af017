"""Discord → collector → router → module → Discord, in one process behind real HTTP.

Exactly one visible first answer: type 4 when the module answers within the wait,
type 5 and one `PATCH @original` when it is slower, an ephemeral text when nothing
answers.
"""

from __future__ import annotations

import asyncio
from typing import Any

from quart import Quart

from flask_core.app import create_app
from flask_core.events import Manifest, ManifestCommand
from flask_core.module import ModuleSpec, chat, module_blueprint
from flask_core.settings import CoreSettings
from waddlebot_cli.testing import run_fleet
from waddlebot_discord.app import create_app as create_discord
from waddlebot_discord.runtime import RUNTIME_KEY
from waddlebot_discord.settings import DiscordSettings
from waddlebot_memories.app import create_app as create_memories
from waddlebot_memories.settings import MemoriesSettings
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings

ORIGINAL = r"/api/v10/webhooks/\d+/[\w-]+/messages/@original"
SLOW = 1.0  # longer than discord_interaction_wait (0.4 s in the tests), shorter than the router's timeout


def slow_module(settings: CoreSettings) -> Quart:
    """A module (served as `shoutout`) whose `!slowpoke` answers after SLOW seconds."""

    async def slowpoke(res: Any, request: Any) -> list[dict[str, Any]]:
        await asyncio.sleep(SLOW)
        return chat("slow answer, @everyone")

    manifest = Manifest(
        name="shoutout", commands=[ManifestCommand(path="slowpoke", description="answers late")]
    )
    spec = ModuleSpec(manifest, {"slowpoke": slowpoke})
    return create_app("shoutout", settings, [module_blueprint(spec)], "shoutout")


def fleet_apps(make_settings: Any, env: dict[str, Any]) -> tuple[RouterSettings, dict[str, Quart]]:
    env = {**env, "default_modules": ["memories", "shoutout"]}
    router_settings = make_settings(RouterSettings, **env)
    return router_settings, {
        "router": create_router(router_settings),
        "memories": create_memories(make_settings(MemoriesSettings, **env)),
        "shoutout": slow_module(make_settings(CoreSettings, **env)),
        "discord": create_discord(make_settings(DiscordSettings, **env)),
    }


async def test_in_time_answers_are_type_4_and_empty_ones_ephemeral(
    make_settings: Any,
    discord_env: dict[str, Any],
    fake_discord: Any,
    make_interaction: Any,
    post_interaction: Any,
) -> None:
    settings, apps = fleet_apps(make_settings, discord_env)
    async with run_fleet(settings, apps) as fleet:
        answer = (await post_interaction(fleet.http, make_interaction(args=""))).json()
        assert answer == {
            "type": 4,
            "data": {
                "content": "No quotes yet. Moderators can add them.",
                "allowed_mentions": {"parse": []},
            },
        }
        admin = make_interaction(args="add Waddle on - Amy", permissions=1 << 3)
        answer = (await post_interaction(fleet.http, admin)).json()
        assert answer["data"]["content"] == "Quote #1 added."
        unknown = (await post_interaction(fleet.http, make_interaction(command="nosuchthing"))).json()
        assert unknown["type"] == 4
        assert unknown["data"]["flags"] == 64
        await fleet.dispatcher.apps["discord"].extensions[RUNTIME_KEY].delivery.join()  # caught up
    assert fake_discord.platform_calls() == []


async def test_a_slow_module_gets_type_5_then_exactly_one_edit_of_the_original(
    make_settings: Any,
    discord_env: dict[str, Any],
    fake_discord: Any,
    make_interaction: Any,
    post_interaction: Any,
) -> None:
    settings, apps = fleet_apps(make_settings, discord_env)
    async with run_fleet(settings, apps) as fleet:
        ix = make_interaction(command="slowpoke", args="")
        answer = (await post_interaction(fleet.http, ix)).json()
        assert answer == {"type": 5}
        [edit] = await fake_discord.wait_for(ORIGINAL, within=10)
        await fleet.dispatcher.apps["discord"].extensions[RUNTIME_KEY].delivery.join()  # caught up
    assert edit.method == "PATCH"
    assert edit.path == f"/api/v10/webhooks/{ix['application_id']}/{ix['token']}/messages/@original"
    assert edit.body == {"content": "slow answer, @everyone", "allowed_mentions": {"parse": []}}
    assert len(fake_discord.platform_calls()) == 1
