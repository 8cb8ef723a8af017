"""Aliases and reminders from Slack chat to `chat.postMessage`, in one process behind real HTTP
(issue 11 asks for them on a second platform besides Twitch), on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask_core.testing import wait_until
from waddlebot_alias.app import create_app as create_alias
from waddlebot_alias.settings import AliasSettings
from waddlebot_cli.testing import run_fleet
from waddlebot_memories.app import create_app as create_memories
from waddlebot_memories.settings import MemoriesSettings
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings
from waddlebot_slack.app import create_app as create_slack
from waddlebot_slack.settings import SlackSettings

POST_MESSAGE = "/api/chat.postMessage"


def posted(fake_slack: Any) -> list[str]:
    return [c.body["text"] for c in fake_slack.calls(POST_MESSAGE)]


async def test_aliases_and_a_reminder_from_slack_chat_answer_in_slack(
    make_settings: Any, slack_env: dict[str, Any], fake_slack: Any, make_message: Any, make_live_sender: Any
) -> None:
    env = {**slack_env, "default_modules": ["memories", "alias"]}
    router_settings = make_settings(RouterSettings, **env)
    apps = {
        "router": create_router(router_settings),
        "alias": create_alias(make_settings(AliasSettings, **env)),
        "memories": create_memories(make_settings(MemoriesSettings, memories_scheduler_interval=0.05, **env)),
        "slack": create_slack(make_settings(SlackSettings, **env)),
    }
    async with run_fleet(router_settings, apps) as fleet:
        slack = make_live_sender(fleet.http)

        async def say(text: str, user: str, count: int) -> str:
            assert (await slack.event(make_message(text, user=user))).status_code == 200
            await wait_until(lambda: len(posted(fake_slack)) >= count, within=10)
            return posted(fake_slack)[count - 1]

        # A workspace admin (→ moderator) makes a custom command and an alias of a command.
        assert "hi" in await say("!alias add hi Hello $(user) {0.__class__}", "U0ADMIN", 1)
        assert "quotes" in await say("!alias add quotes !quote", "U0ADMIN", 2)
        hello = await say("!hi", "U0AMY", 3)
        assert hello.startswith("Hello ") and hello.endswith("{0.__class__}")  # inserted literally
        assert "No quotes yet" in await say("!quotes", "U0AMY", 4)
        refused = await say("!alias add sneaky hi", "U0AMY", 5)  # a member is not a moderator
        assert "needs moderator" in refused

        confirmation = await say("!remind me in 1m stretch", "U0AMY", 6)
        assert confirmation.startswith("Reminder #1 set")
        scheduler = fleet.dispatcher.apps["memories"].extensions["memories.scheduler"]
        scheduler.clock = lambda: datetime.now(UTC) + timedelta(seconds=61)  # a minute passes
        await wait_until(lambda: len(posted(fake_slack)) >= 7, within=10)
        assert posted(fake_slack)[6].endswith("reminder: stretch")
        runtime = apps["slack"].extensions["slack.runtime"]
        await runtime.delivery.join()
        scheduler.clock = lambda: datetime.now(UTC) + timedelta(minutes=30)
        assert await scheduler.run_due() == 0  # fired once, not again
        assert len(posted(fake_slack)) == 7
