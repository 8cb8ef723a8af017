"""An interaction without `application_id` is answered as DISCORD_APPLICATION_ID."""

from __future__ import annotations

from typing import Any

from waddlebot_discord.normalise import interaction_event

EVENTS = "/router/api/v1/events"
APPLICATION_ID = "1100000000000000000"  # conftest's DISCORD_APPLICATION_ID


def test_the_normaliser_falls_back_to_the_configured_application(make_interaction: Any) -> None:
    ix = make_interaction(args="")
    del ix["application_id"]
    event = interaction_event(ix, "app-9")
    assert event is not None and event.reply.application_id == "app-9"
    ix["application_id"] = "app-from-discord"
    event = interaction_event(ix, "app-9")
    assert event is not None and event.reply.application_id == "app-from-discord"


async def test_a_webhook_interaction_without_application_id_is_accepted(
    client: Any, post_interaction: Any, make_interaction: Any, fake_discord: Any
) -> None:
    ix = make_interaction(args="")
    del ix["application_id"]
    response = await post_interaction(client, ix)
    assert response.status_code == 200
    assert (await response.get_json())["type"] in (4, 5)
    [forwarded] = await fake_discord.wait_for(EVENTS)
    assert forwarded.body["reply"]["application_id"] == APPLICATION_ID
