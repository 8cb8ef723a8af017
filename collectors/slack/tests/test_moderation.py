"""Moderation on Slack: `chat.delete` where the token may, else only a warning, privately."""

from __future__ import annotations

from typing import Any

import pytest

from flask_core.testing import service_headers

pytestmark = pytest.mark.parametrize("backend", ["embedded"], indirect=True)


def delivery(invocation: str, action: str) -> dict[str, Any]:
    response = {"type": "moderation", "action": action, "user": "U0BOB", "username": "bob",
                "duration": 10 if action == "timeout" else None, "reason": "links are not allowed here",
                "message_id": "1700000000.000100", "text": "@bob, links are not allowed here."}  # fmt: skip
    return {"invocation_id": invocation, "server_id": "T0WADDLE", "channel_id": "C0GENERAL",
            "reply": {"kind": "chat", "message_id": "1700000000.000100"}, "responses": [response]}  # fmt: skip


async def test_a_message_is_deleted_where_allowed_and_only_warned_about_otherwise(
    client: Any, app: Any, fake_slack: Any
) -> None:
    runtime = app.extensions["slack.runtime"]
    headers = service_headers("slack")
    assert (
        await client.post("/slack/api/v1/messages", json=delivery("i1", "delete"), headers=headers)
    ).status_code == 202
    await runtime.delivery.join()
    [deleted] = fake_slack.calls("/api/chat.delete")
    assert deleted.body == {"channel": "C0GENERAL", "ts": "1700000000.000100"}
    [warned] = fake_slack.calls("/api/chat.postEphemeral")
    assert warned.body == {
        "channel": "C0GENERAL",
        "user": "U0BOB",
        "text": "@bob, links are not allowed here.",
    }

    fake_slack.can_delete = False  # a bot token may only delete the bot's own messages
    assert (
        await client.post("/slack/api/v1/messages", json=delivery("i2", "timeout"), headers=headers)
    ).status_code == 202
    await runtime.delivery.join()
    assert len(fake_slack.calls("/api/chat.delete")) == 2
    assert len(fake_slack.calls("/api/chat.postEphemeral")) == 2  # the warning still reaches bob
    assert fake_slack.calls("/api/chat.postMessage") == []
    assert await runtime.delivery.outbox.dead_count() == 0
