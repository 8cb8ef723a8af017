"""Private answers (§11, §12) on Slack: `chat.postEphemeral` to the asker for a message,
an ephemeral `response_url` answer for a slash command; never `chat.postMessage`."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from quart import Quart

from flask_core.app import create_app
from flask_core.events import Manifest, ManifestCommand
from flask_core.module import ModuleSpec, module_blueprint
from flask_core.settings import CoreSettings
from waddlebot_cli.testing import run_fleet
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings
from waddlebot_slack.app import create_app as create_slack
from waddlebot_slack.settings import SlackSettings

pytestmark = pytest.mark.parametrize("backend", ["embedded"], indirect=True)
CODE = "Your code is 4242."


def secret_module(settings: CoreSettings) -> Quart:
    """Served as `shoutout`: `!code` answers only privately."""

    async def code(res: Any, request: Any) -> list[dict[str, Any]]:
        return [{"type": "dm", "text": CODE}]

    manifest = Manifest(name="shoutout", commands=[ManifestCommand(path="code")])
    spec = ModuleSpec(manifest, {"code": code})
    return create_app("shoutout", settings, [module_blueprint(spec)], "shoutout")


async def test_a_dm_is_ephemeral_to_the_asker_in_the_channel_and_on_the_response_url(
    make_settings: Any, slack_env: dict[str, Any], fake_slack: Any, make_message: Any,
    make_live_sender: Any, load: Any,
) -> None:  # fmt: skip
    env = {**slack_env, "default_modules": ["shoutout"]}
    router_settings = make_settings(RouterSettings, **env)
    apps = {
        "router": create_router(router_settings),
        "shoutout": secret_module(make_settings(CoreSettings, **env)),
        "slack": create_slack(make_settings(SlackSettings, **env)),
    }
    async with run_fleet(router_settings, apps) as fleet:
        slack = make_live_sender(fleet.http)
        assert (await slack.event(make_message("!code", user="U0AMY"))).status_code == 200
        [ephemeral] = await fake_slack.wait_for("/api/chat.postEphemeral", within=10)
        hook = f"{fake_slack.url}/hooks/commands/T0WADDLE/43/xyz"
        command = {**load("slash_command"), "command": "/code", "text": "", "response_url": hook,
                   "trigger_id": f"1334.{uuid.uuid4().int % 10**9}.ab"}  # fmt: skip
        assert (await slack.form("/slack/webhooks/commands", command)).status_code == 200
        [answer] = await fake_slack.wait_for("/hooks/commands/T0WADDLE/43/xyz", within=10)
        delivery = apps["slack"].extensions["slack.runtime"].delivery
        await delivery.join()
        assert await delivery.outbox.dead_count() == 0
    assert ephemeral.body == {"channel": "C0GENERAL", "user": "U0AMY", "text": CODE}
    assert answer.body == {"text": CODE, "response_type": "ephemeral"}
    assert fake_slack.calls("/api/chat.postMessage") == []
