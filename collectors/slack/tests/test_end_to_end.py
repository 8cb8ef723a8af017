"""Slack → collector → router → memories → Slack, in one process behind real HTTP."""

from __future__ import annotations

from typing import Any

from flask_core.testing import wait_until
from waddlebot_cli.testing import run_fleet
from waddlebot_memories.app import create_app as create_memories
from waddlebot_memories.settings import MemoriesSettings
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings
from waddlebot_slack.app import create_app as create_slack
from waddlebot_slack.settings import SlackSettings

POST_MESSAGE = "/api/chat.postMessage"


async def test_a_quote_command_is_answered_exactly_once_even_when_slack_retries(
    make_settings: Any,
    slack_env: dict[str, Any],
    fake_slack: Any,
    make_message: Any,
    make_live_sender: Any,
    load: Any,
) -> None:
    env = {**slack_env, "default_modules": ["memories"]}
    router_settings = make_settings(RouterSettings, **env)
    apps = {
        "router": create_router(router_settings),
        "memories": create_memories(make_settings(MemoriesSettings, **env)),
        "slack": create_slack(make_settings(SlackSettings, **env)),
    }
    async with run_fleet(router_settings, apps) as fleet:
        slack = make_live_sender(fleet.http)
        payload = make_message("!quote")
        assert (await slack.event(payload)).status_code == 200
        [post] = await fake_slack.wait_for(POST_MESSAGE, within=10)
        assert post.body == {
            "channel": "C0GENERAL",
            "text": "No quotes yet. Moderators can add them.",
        }
        retry = await slack.event(
            payload, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        )
        assert retry.status_code == 200

        # A workspace admin (→ moderator) adds a quote with a slash command.
        hook = f"{fake_slack.url}/hooks/commands/T0WADDLE/42/xyz"
        command = {
            **load("slash_command"),
            "user_id": "U0ADMIN",
            "text": "add Waddle on - Amy",
            "response_url": hook,
        }
        assert (await slack.form("/slack/webhooks/commands", command)).status_code == 200
        [answer] = await fake_slack.wait_for("/hooks/commands/T0WADDLE/42/xyz", within=10)
        assert answer.body == {"text": "Quote #1 added.", "response_type": "in_channel"}

        runtime = apps["slack"].extensions["slack.runtime"]

        async def drained() -> bool:
            return await runtime.outbox.pending() == 0

        await wait_until(drained)
        await runtime.delivery.join()  # caught up: every stored event answered and sent
        assert len(fake_slack.calls(POST_MESSAGE)) == 1
