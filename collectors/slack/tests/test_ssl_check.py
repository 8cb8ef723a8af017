"""Slack's periodic `ssl_check=1` on a slash command URL (signed, no command in it)."""

from __future__ import annotations

from typing import Any

EVENTS = "/router/api/v1/events"


async def test_signed_ssl_check_is_200_with_an_empty_body_and_stores_nothing(
    send_to: Any, fake_slack: Any, load: Any
) -> None:
    check = await send_to.form("/slack/webhooks/commands", {"ssl_check": "1", "token": "legacy-token"})
    assert check.status_code == 200
    assert await check.get_data() == b""
    # Proof that nothing was stored: a real command sent after it is the only event forwarded.
    command = {**load("slash_command"), "user_id": "U0OWNER"}
    assert (await send_to.form("/slack/webhooks/commands", command)).status_code == 200
    forwarded = await fake_slack.wait_for(EVENTS)
    assert [r.body["event_id"] for r in forwarded] == [f"slack:{command['trigger_id']}"]


async def test_unsigned_ssl_check_is_still_refused(client: Any) -> None:
    response = await client.post(
        "/slack/webhooks/commands",
        data=b"ssl_check=1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 401
