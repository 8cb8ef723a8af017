"""The Discord interactions webhook and delivery through HTTP, on both backends."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from flask_core.testing import service_headers, wait_until
from waddlebot_discord.runtime import RUNTIME_KEY
from waddlebot_discord.settings import DiscordSettings

EVENTS = "/router/api/v1/events"
WEBHOOK = "/discord/webhooks/interactions"
ORIGINAL = r"/api/v10/webhooks/\d+/[\w-]+/messages/@original"
FOLLOW_UP = r"/api/v10/webhooks/\d+/[\w-]+"
NO_PINGS = {"parse": []}


async def test_a_ping_gets_a_pong(client: Any, post_interaction: Any, load: Any) -> None:
    response = await post_interaction(client, load("ping"))
    assert response.status_code == 200
    assert await response.get_json() == {"type": 1}


@pytest.mark.parametrize(
    "tamper",
    ["other_key", "changed_body", "changed_timestamp", "no_signature", "no_timestamp", "not_hex"],
    ids=["other_key", "changed_body", "changed_timestamp", "no_signature", "no_timestamp", "not_hex"],
)
async def test_a_bad_signature_is_refused_with_401(
    client: Any, load: Any, sign_headers: Any, fake_discord: Any, tamper: str
) -> None:
    body = json.dumps(load("ping")).encode()
    key = Ed25519PrivateKey.generate() if tamper == "other_key" else None
    headers = sign_headers(body, **({"key": key} if key else {}))
    match tamper:
        case "changed_body":
            body = body.replace(b'"type": 1', b'"type": 2')
        case "changed_timestamp":
            headers["X-Signature-Timestamp"] = str(int(headers["X-Signature-Timestamp"]) + 1)
        case "no_signature":
            del headers["X-Signature-Ed25519"]
        case "no_timestamp":
            del headers["X-Signature-Timestamp"]
        case "not_hex":
            headers["X-Signature-Ed25519"] = "zz" * 64
    response = await client.post(WEBHOOK, data=body, headers=headers)
    assert response.status_code == 401
    assert (await response.get_json())["error"]["code"] == "unauthorized"
    assert fake_discord.calls(EVENTS) == []


async def test_a_command_nobody_answers_in_time_is_deferred_then_edited_once(
    client: Any, post_interaction: Any, make_interaction: Any, fake_discord: Any
) -> None:
    ix = make_interaction(args="add hello")
    started = time.monotonic()
    async with asyncio.timeout(10):  # a guard against hanging, not a measurement
        response = await post_interaction(client, ix)
    assert await response.get_json() == {"type": 5}
    assert time.monotonic() - started >= 0.3  # it waited for an answer first (a lower bound)
    [forwarded] = await fake_discord.wait_for(EVENTS)
    event = forwarded.body
    assert event["event_id"] == f"discord:{ix['id']}"
    assert (event["type"], event["text"]) == ("slash_command", "!quote add hello")
    assert (event["server_id"], event["channel_id"]) == ("1300000000000000000", "1400000000000000000")
    assert event["user"] == {
        "platform_user_id": "1600000000000000000",
        "username": "amy",
        "display_name": "Amy W.",
        "roles": [],
    }
    assert event["reply"]["kind"] == "discord_interaction"
    assert event["reply"]["interaction_id"] == ix["id"]
    assert event["reply"]["interaction_token"] == ix["token"]

    await deliver(client, event["reply"], "first", "second")
    [edit] = fake_discord.calls(ORIGINAL, "PATCH")
    assert edit.body == {"content": "first", "allowed_mentions": NO_PINGS}
    assert edit.path == f"/api/v10/webhooks/{ix['application_id']}/{ix['token']}/messages/@original"
    [follow_up] = fake_discord.calls(FOLLOW_UP, "POST")
    assert follow_up.body == {"content": "second", "allowed_mentions": NO_PINGS}
    await deliver(client, event["reply"], "first", "second")  # the router's retry
    assert len(fake_discord.platform_calls()) == 2


async def test_a_command_answered_in_time_gets_type_4_with_the_text(
    client: Any, post_interaction: Any, make_interaction: Any, fake_discord: Any
) -> None:
    ix = make_interaction(args="")
    webhook = asyncio.create_task(post_interaction(client, ix))
    [forwarded] = await fake_discord.wait_for(EVENTS)
    assert forwarded.body["text"] == "!quote"
    await deliver(client, forwarded.body["reply"], "Quote #1: @everyone waddles")
    response = await webhook
    assert await response.get_json() == {
        "type": 4,
        "data": {"content": "Quote #1: @everyone waddles", "allowed_mentions": NO_PINGS},
    }
    await client.app.extensions[RUNTIME_KEY].delivery.join()  # caught up: nothing left to send
    assert fake_discord.platform_calls() == []


async def test_an_interaction_without_a_visible_answer_gets_a_short_ephemeral_text(
    client: Any, post_interaction: Any, make_interaction: Any, fake_discord: Any
) -> None:
    fake_discord.router_answer = {"status": "ignored", "responses": []}
    response = await post_interaction(client, make_interaction(command="nosuchthing"))
    assert await response.get_json() == {
        "type": 4,
        "data": {"content": "Nothing to show for that.", "allowed_mentions": NO_PINGS, "flags": 64},
    }
    assert fake_discord.platform_calls() == []


async def test_a_component_becomes_an_interaction_with_its_action_id(
    client: Any, post_interaction: Any, make_interaction: Any, fake_discord: Any
) -> None:
    fake_discord.router_answer = {"status": "ignored", "responses": []}
    ix = make_interaction("message_component")
    assert (await (await post_interaction(client, ix)).get_json())["type"] == 4
    [forwarded] = fake_discord.calls(EVENTS)
    assert forwarded.body["event_id"] == f"discord:{ix['id']}"
    assert forwarded.body["type"] == "interaction"
    assert forwarded.body["metadata"]["action_id"] == "memories:upvote"


async def _drained(runtime: Any) -> bool:
    return await runtime.outbox.pending() == 0


async def test_a_copy_of_an_interaction_is_not_processed_again(
    client: Any, post_interaction: Any, make_interaction: Any, fake_discord: Any
) -> None:
    fake_discord.router_answer = {"status": "ignored", "responses": []}
    ix = make_interaction()
    assert (await (await post_interaction(client, ix)).get_json())["type"] == 4
    assert (await (await post_interaction(client, ix)).get_json()) == {"type": 5}
    runtime = client.app.extensions[RUNTIME_KEY]
    await wait_until(lambda: _drained(runtime))  # whatever was stored has reached the router
    assert len(fake_discord.calls(EVENTS)) == 1


async def test_direct_messages_are_answered_without_the_router(
    client: Any, post_interaction: Any, load: Any, fake_discord: Any
) -> None:
    answer = await (await post_interaction(client, load("dm_command"))).get_json()
    assert answer["type"] == 4
    assert answer["data"]["flags"] == 64
    assert fake_discord.calls(EVENTS) == []


async def test_unknown_interaction_types_and_bodies_get_a_4xx(
    client: Any, post_interaction: Any, sign_headers: Any
) -> None:
    assert (await post_interaction(client, {"type": 99, "id": "1"})).status_code == 400
    body = b"[not json"
    assert (await client.post(WEBHOOK, data=body, headers=sign_headers(body))).status_code == 400


async def test_without_secrets_the_collector_is_disabled(
    make_settings: Any, backend: Any, load: Any, sign_headers: Any
) -> None:
    from flask_core.testing import started
    from waddlebot_discord.app import create_app

    app = create_app(make_settings(DiscordSettings, **backend))
    async with started(app, settings=app.extensions["waddlebot.settings"]):
        client = app.test_client()
        body = json.dumps(load("ping")).encode()
        response = await client.post(WEBHOOK, data=body, headers=sign_headers(body))
        assert response.status_code == 503
        error = (await response.get_json())["error"]
        assert error["details"]["missing"] == ["DISCORD_PUBLIC_KEY", "DISCORD_APPLICATION_ID"]
        assert (await client.get("/readyz")).status_code == 200


# --- delivery -----------------------------------------------------------------------------


async def deliver(
    client: Any, reply: dict[str, Any], *texts: str, channel: str = "1400000000000000000"
) -> None:
    body = {
        "invocation_id": f"inv-{reply.get('interaction_id') or reply.get('message_id')}",
        "server_id": "1300000000000000000",
        "channel_id": channel,
        "reply": reply,
        "responses": [{"type": "chat", "text": text} for text in texts],
    }
    response = await client.post("/discord/api/v1/messages", json=body, headers=service_headers("discord"))
    assert response.status_code == 202, await response.get_data()
    await client.app.extensions["waddlebot.delivery"].join()


async def test_gateway_chat_is_answered_in_the_channel_as_a_reply(
    make_settings: Any, discord_env: dict[str, Any], fake_discord: Any
) -> None:
    from flask_core.testing import started
    from waddlebot_discord.app import create_app

    app = create_app(make_settings(DiscordSettings, discord_bot_token="test-bot-token", **discord_env),
                     gateway_factory=lambda: IdleSession())  # fmt: skip
    async with started(app, settings=app.extensions["waddlebot.settings"]):
        await deliver(
            app.test_client(), {"kind": "chat", "message_id": "1480000000000000000"}, "No quote #2."
        )
    [post] = fake_discord.calls(r"/api/v10/channels/1400000000000000000/messages", "POST")
    assert post.headers["Authorization"] == "Bot test-bot-token"
    assert post.body == {
        "content": "No quote #2.",
        "allowed_mentions": NO_PINGS,
        "message_reference": {"message_id": "1480000000000000000", "fail_if_not_exists": False},
    }


async def test_a_429_from_discord_is_retried_after_its_retry_after(
    client: Any, post_interaction: Any, make_interaction: Any, fake_discord: Any
) -> None:
    ix = make_interaction()
    assert await (await post_interaction(client, ix)).get_json() == {"type": 5}
    [forwarded] = await fake_discord.wait_for(EVENTS)
    limited = {"message": "You are being rate limited.", "retry_after": 0.05, "global": False}
    path = f"/api/v10/webhooks/{ix['application_id']}/{ix['token']}/messages/@original"
    fake_discord.script(path, lambda: web.json_response(limited, status=429))
    await deliver(client, forwarded.body["reply"], "after the wait")
    edits = fake_discord.calls(ORIGINAL, "PATCH")
    assert [e.body["content"] for e in edits] == ["after the wait", "after the wait"]
    assert edits[1].at - edits[0].at >= 0.05


class IdleSession:
    """A gateway session that connects and waits (no messages)."""

    async def run(self, on_message: Any, on_ready: Any) -> None:
        on_ready()
        await asyncio.Event().wait()

    async def close(self) -> None:
        return None
