"""The chat commands (`!filter`, `!filter words`, `!permit`) and the router's cached copy."""

from __future__ import annotations

import time
from typing import Any

from flask_core.testing import service_headers
from waddlebot_moderation.service import cache_key, rules_document

COMMANDS = "/moderation/api/v1/commands"


async def run(client: Any, body: dict[str, Any], path: str) -> str:
    answer = await client.post(
        f"{COMMANDS}/{path}", json=body, headers=service_headers("moderation", "router")
    )
    assert answer.status_code == 200, await answer.get_data(as_text=True)
    text: str = (await answer.get_json())["responses"][0]["text"]
    return text


def command(command_body: Any, name: str, *args: str) -> dict[str, Any]:
    body: dict[str, Any] = command_body(name)
    body["args"], body["args_text"] = list(args), " ".join(args)
    return body


async def test_filters_words_and_permits_from_chat_invalidate_the_cached_rules(
    client: Any, app: Any, command_body: Any
) -> None:
    res = app.extensions["waddlebot.resources"]
    await res.cache.set(cache_key(1), {"version": 0})
    assert (
        await run(client, command(command_body, "filter", "links", "on"), "filter") == "Filter links is on."
    )
    assert await res.cache.get(cache_key(1)) is None  # every router reloads
    assert "Usage" in await run(client, command(command_body, "filter", "nosuch", "on"), "filter")
    assert "Usage" in await run(client, command(command_body, "filter", "caps", "maybe"), "filter")
    added = await run(client, command(command_body, "filter words add", "Heck"), "filter/words/add")
    assert added == "Banned word added (1 in all)."
    again = await run(client, command(command_body, "filter words add", "heck"), "filter/words/add")
    assert again == "That word is already banned (1 in all)."
    permit = await run(client, command(command_body, "permit", "@Bob"), "permit")
    assert permit == "@Bob may post one link in the next 60 s."
    doc = await rules_document(res.db, 1)
    assert doc["filters"]["links"]["enabled"] is True and doc["filters"]["words"]["words"] == ["heck"]
    assert 55 < doc["permits"]["bob"] - time.time() <= 60
    assert doc["version"] == 4  # every change (a repeated word too) is a new version
    removed = await run(client, command(command_body, "filter words remove", "heck"), "filter/words/remove")
    assert removed == "Banned word removed (0 left)."
    assert "Usage" in await run(client, command(command_body, "permit"), "permit")
